//! What can be wrong with a bundle, in words and as stable codes.

use std::fmt;
use std::path::PathBuf;

use crate::evidence::bundle::SHA256SUMS;
use crate::evidence::manifest;
use crate::evidence::sign::SIGNATURE_FILE;
use crate::files::ReadFailure;
use crate::text::printable;

/// One thing wrong with a bundle. Names from the bundle are shown escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The path is not a directory.
    NotADirectory,
    /// A file named by `SHA256SUMS` or the manifest does not exist.
    Missing {
        /// The file name.
        name: String,
    },
    /// A named path is a directory, symlink or other non-regular file.
    NotAFile {
        /// The file name.
        name: String,
    },
    /// A file is larger than the limit.
    TooLarge {
        /// The file name.
        name: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A file could not be read.
    Unreadable {
        /// The file name.
        name: String,
        /// The I/O error.
        error: String,
    },
    /// A name that is not a plain file name; it was not opened.
    UnsafeName {
        /// Where it was read (`SHA256SUMS` or `manifest.json`).
        source: &'static str,
        /// The name.
        name: String,
    },
    /// A line of `SHA256SUMS` is not `<64 hex>  <name>`.
    BadSumsLine {
        /// 1-based line number.
        line: usize,
    },
    /// The same file is listed twice.
    Duplicate {
        /// Where.
        source: &'static str,
        /// The file name.
        name: String,
    },
    /// A file's SHA-256 differs from the one listed.
    HashMismatch {
        /// The file name.
        name: String,
        /// Where the expected hash is (`SHA256SUMS` or `manifest.json`).
        against: &'static str,
    },
    /// A file's size differs from the manifest's `bytes`.
    SizeMismatch {
        /// The file name.
        name: String,
        /// The manifest's size.
        expected: u64,
        /// The file's size.
        actual: u64,
    },
    /// A file is in the directory but named neither by `SHA256SUMS` nor by the manifest.
    Extra {
        /// The file name (lossy if not UTF-8).
        name: String,
    },
    /// A file the manifest names (or the manifest itself) is not listed in `SHA256SUMS`.
    NotInSums {
        /// The file name.
        name: String,
    },
    /// A file `SHA256SUMS` lists is not in the manifest's `artifacts` or `tables` (and is not
    /// `manifest.json` or `manifest.json.sig`): nothing signed vouches for it.
    NotInManifest {
        /// The file name.
        name: String,
    },
    /// `--public-key` was given and the manifest's signature does not hold for it (or there
    /// is none).
    Signature {
        /// Why, in words.
        detail: String,
    },
    /// `manifest.json` is not what this tool writes.
    Manifest {
        /// What is wrong.
        detail: String,
    },
    /// An artifact file's envelope disagrees with its manifest entry.
    Envelope {
        /// The file name.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// A file changed between verification and reading it back.
    ChangedSinceVerified {
        /// The file name.
        name: String,
    },
    /// The directory holds more entries than are examined.
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = |s: &str| printable(s);
        match self {
            Problem::NotADirectory => write!(f, "not a bundle directory"),
            Problem::Missing { name } => write!(f, "{}: listed but missing", p(name)),
            Problem::NotAFile { name } => write!(f, "{}: not a regular file", p(name)),
            Problem::TooLarge { name, limit } => {
                write!(f, "{}: larger than {limit} bytes, not read", p(name))
            }
            Problem::Unreadable { name, error } => write!(f, "{}: cannot read: {error}", p(name)),
            Problem::UnsafeName { source, name } => write!(
                f,
                "{source} names {:?}, which is not a plain file name; not opened",
                p(name)
            ),
            Problem::BadSumsLine { line } => {
                write!(
                    f,
                    "{SHA256SUMS} line {line} is not `<64 hex digits>  <name>`"
                )
            }
            Problem::Duplicate { source, name } => {
                write!(f, "{source} lists {} more than once", p(name))
            }
            Problem::HashMismatch { name, against } => {
                write!(f, "{}: sha256 differs from {against} (changed)", p(name))
            }
            Problem::SizeMismatch {
                name,
                expected,
                actual,
            } => write!(
                f,
                "{}: {actual} bytes, the manifest says {expected}",
                p(name)
            ),
            Problem::Extra { name } => write!(
                f,
                "{}: not listed in {SHA256SUMS} or the manifest (added)",
                p(name)
            ),
            Problem::NotInSums { name } => write!(f, "{}: not listed in {SHA256SUMS}", p(name)),
            Problem::NotInManifest { name } => write!(
                f,
                "{}: listed in {SHA256SUMS} but not in the manifest, so no signature covers it (added)",
                p(name)
            ),
            Problem::Signature { detail } => {
                write!(f, "the signature does not hold: {}", p(detail))
            }
            Problem::Manifest { detail } => write!(f, "{}: {detail}", manifest::FILE_NAME),
            Problem::Envelope { name, detail } => write!(f, "{}: {detail}", p(name)),
            Problem::ChangedSinceVerified { name } => {
                write!(f, "{}: changed since it was verified", p(name))
            }
            Problem::TooManyEntries { limit } => write!(
                f,
                "more than {limit} directory entries; the rest were not checked"
            ),
        }
    }
}

impl Problem {
    /// A stable snake_case name of the kind of problem, for machine-readable reports.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::NotADirectory => "not_a_directory",
            Problem::Missing { .. } => "missing",
            Problem::NotAFile { .. } => "not_a_file",
            Problem::TooLarge { .. } => "too_large",
            Problem::Unreadable { .. } => "unreadable",
            Problem::UnsafeName { .. } => "unsafe_name",
            Problem::BadSumsLine { .. } => "bad_sums_line",
            Problem::Duplicate { .. } => "duplicate",
            Problem::HashMismatch { .. } => "hash_mismatch",
            Problem::SizeMismatch { .. } => "size_mismatch",
            Problem::Extra { .. } => "extra",
            Problem::NotInSums { .. } => "not_in_sums",
            Problem::NotInManifest { .. } => "not_in_manifest",
            Problem::Signature { .. } => "signature",
            Problem::Manifest { .. } => "manifest",
            Problem::Envelope { .. } => "envelope",
            Problem::ChangedSinceVerified { .. } => "changed_since_verified",
            Problem::TooManyEntries { .. } => "too_many_entries",
        }
    }

    /// The file the problem is about, as found in the bundle (not escaped), if it is about one.
    pub fn file(&self) -> Option<&str> {
        match self {
            Problem::Missing { name }
            | Problem::NotAFile { name }
            | Problem::TooLarge { name, .. }
            | Problem::Unreadable { name, .. }
            | Problem::UnsafeName { name, .. }
            | Problem::Duplicate { name, .. }
            | Problem::HashMismatch { name, .. }
            | Problem::SizeMismatch { name, .. }
            | Problem::Extra { name }
            | Problem::NotInSums { name }
            | Problem::NotInManifest { name }
            | Problem::Envelope { name, .. }
            | Problem::ChangedSinceVerified { name } => Some(name),
            Problem::BadSumsLine { .. } => Some(SHA256SUMS),
            Problem::Manifest { .. } => Some(manifest::FILE_NAME),
            Problem::Signature { .. } => Some(SIGNATURE_FILE),
            Problem::NotADirectory | Problem::TooManyEntries { .. } => None,
        }
    }
}

/// A bundle that does not verify: every problem found, with the bundle's path.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "bundle {} does not verify ({} problem(s)):{}\nhint: a bundle must stay exactly as it was written; restore it from an untouched copy or collect a new one",
    dir.display(),
    problems.len(),
    list(problems)
)]
pub struct VerifyError {
    /// The bundle directory.
    pub dir: PathBuf,
    /// Everything wrong, in the order found.
    pub problems: Vec<Problem>,
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

/// The problem of a bundle file that could not be read.
pub(super) fn read_problem(failure: ReadFailure, name: &str) -> Problem {
    let name = name.to_owned();
    match failure {
        ReadFailure::Missing => Problem::Missing { name },
        ReadFailure::NotAFile => Problem::NotAFile { name },
        ReadFailure::TooLarge(limit) => Problem::TooLarge { name, limit },
        ReadFailure::Io(e) => Problem::Unreadable {
            name,
            error: e.to_string(),
        },
    }
}
