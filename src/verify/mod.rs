//! Checking a finished bundle directory: every hash, every size, every envelope, no file
//! missing and none added.
//!
//! [`inspect`] reads `manifest.json` and `SHA256SUMS`, hashes each file they name (streamed,
//! never more than [`MAX_FILE_BYTES`]), checks each artifact's envelope (`schema`, `resource`,
//! `kind`, `status`, and `count` against the items; see [`envelope`]) against its manifest
//! entry, and lists the files that neither names. It reports every problem it finds, not only
//! the first. File names read from the bundle are untrusted: a name that is not a plain file
//! name is reported and never opened.
//!
//! [`verify`] turns that into a [`Verified`] bundle or a [`VerifyError`]. A `Verified` keeps
//! the manifest and each file's digest so callers (`diff`, `changes.json`) can read artifacts
//! back with [`Verified::read_json`], which re-checks the bytes it reads against the verified
//! digest. The `verify` command ([`command`]) reports an [`Inspection`] as it is.

mod command;
mod envelope;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::evidence::bundle::SHA256SUMS;
use crate::evidence::manifest;
use crate::files::{
    Digest, Hashing, MAX_DIR_ENTRIES, MAX_FILE_BYTES, MAX_MANIFEST_BYTES, MAX_SUMS_BYTES,
    ReadFailure, is_plain_file_name, open_bounded, read_bounded,
};
use crate::text::printable;

pub use command::{REPORT_SCHEMA, Report, ReportFile, ReportProblem, verify_command};

/// One artifact entry of a verified manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRef {
    /// Artifact name (`users`).
    pub resource: String,
    /// File name inside the bundle (checked to be a plain file name).
    pub path: String,
    /// `collected` or `derived` (empty if the manifest does not say).
    pub kind: String,
}

/// A bundle that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The bundle directory.
    pub dir: PathBuf,
    /// The parsed `manifest.json`.
    pub manifest: Value,
    /// Every file named by `SHA256SUMS` or the manifest, with its digest.
    pub files: BTreeMap<String, Digest>,
    /// The manifest's artifact entries, in manifest order.
    pub artifacts: Vec<ArtifactRef>,
}

impl Verified {
    fn text(&self, pointer: &str) -> Option<&str> {
        self.manifest.pointer(pointer).and_then(Value::as_str)
    }

    /// `account.account_id` of the manifest.
    pub fn account_id(&self) -> Option<&str> {
        self.text("/account/account_id")
    }

    /// `bundle_id` of the manifest (the directory's name when it was written).
    pub fn bundle_id(&self) -> Option<&str> {
        self.text("/bundle_id")
    }

    /// `started_at` of the manifest (RFC 3339 UTC).
    pub fn started_at(&self) -> Option<&str> {
        self.text("/started_at")
    }

    /// `options.resources` of the manifest: the selected artifact names.
    pub fn resources(&self) -> Vec<&str> {
        self.manifest
            .pointer("/options/resources")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// Reads a verified file and parses it, checking that its bytes still match the digest
    /// found by [`verify`] (the file could have changed since).
    pub fn read_json(&self, name: &str) -> Result<Value, VerifyError> {
        let fail = |problem| VerifyError {
            dir: self.dir.clone(),
            problems: vec![problem],
        };
        let Some(digest) = self.files.get(name) else {
            return Err(fail(Problem::Missing { name: name.into() }));
        };
        let bytes = read_bounded(&self.dir.join(name), MAX_FILE_BYTES)
            .map_err(|e| fail(read_problem(e, name)))?;
        if &Digest::of(&bytes) != digest {
            return Err(fail(Problem::ChangedSinceVerified { name: name.into() }));
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            fail(Problem::Envelope {
                name: name.into(),
                detail: format!("not valid JSON: {e}"),
            })
        })
    }
}

impl Verified {
    /// Reads a verified artifact an item at a time, handing each item to `each`, and checks at
    /// the end that the bytes read still match the digest found by [`verify`]. Memory holds one
    /// item, not the file. Returns the envelope's other fields. On a mismatch the items already
    /// handed over must be discarded: the error comes after them.
    pub fn stream_items(
        &self,
        name: &str,
        each: impl FnMut(Value),
    ) -> Result<serde_json::Map<String, Value>, VerifyError> {
        stream_checked(&self.dir, &self.files, name, each)
    }
}

impl Inspection {
    /// [`Verified::stream_items`] for a bundle that may not verify: the bytes read are checked
    /// against the digest taken when the file was inspected (what it held then, which is not
    /// necessarily what the manifest says it should hold). For `report`, which renders a
    /// bundle that does not verify under a warning.
    pub fn stream_items(
        &self,
        name: &str,
        each: impl FnMut(Value),
    ) -> Result<serde_json::Map<String, Value>, VerifyError> {
        stream_checked(&self.dir, &self.files, name, each)
    }
}

impl Inspection {
    /// Checks `manifest.json.sig` against the OpenSSH public key at `public_key`, and that the
    /// signature covers the manifest this inspection hashed (the file could change between the
    /// two reads). Returns the signer's fingerprint, or why the signature does not hold.
    pub fn check_signature(&self, public_key: &Path) -> Result<String, String> {
        let check = crate::evidence::sign::verify_signature(&self.dir, public_key)
            .map_err(|e| e.to_string())?;
        let same = self
            .files
            .get(manifest::FILE_NAME)
            .is_some_and(|d| d.sha256 == check.manifest_sha256);
        if same {
            Ok(check.fingerprint)
        } else {
            Err("manifest.json changed while it was being verified; run the check again".into())
        }
    }
}

fn stream_checked(
    dir: &Path,
    files: &BTreeMap<String, Digest>,
    name: &str,
    each: impl FnMut(Value),
) -> Result<serde_json::Map<String, Value>, VerifyError> {
    let fail = |problem| VerifyError {
        dir: dir.to_owned(),
        problems: vec![problem],
    };
    let Some(digest) = files.get(name) else {
        return Err(fail(Problem::Missing { name: name.into() }));
    };
    let reader =
        open_bounded(&dir.join(name), MAX_FILE_BYTES).map_err(|e| fail(read_problem(e, name)))?;
    let mut hashing = Hashing::new(reader);
    let parsed = crate::evidence::bundle::read_items(
        BufReader::with_capacity(64 * 1024, &mut hashing),
        each,
    );
    // Whatever the parser left unread still counts for the digest.
    let rest = io::copy(&mut hashing, &mut io::sink());
    let changed = || fail(Problem::ChangedSinceVerified { name: name.into() });
    if rest.is_err() || &hashing.finish().0 != digest {
        return Err(changed());
    }
    parsed.map_err(|e| {
        fail(Problem::Envelope {
            name: name.into(),
            detail: format!("not an artifact envelope: {e}"),
        })
    })
}

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
            | Problem::Envelope { name, .. }
            | Problem::ChangedSinceVerified { name } => Some(name),
            Problem::BadSumsLine { .. } => Some(SHA256SUMS),
            Problem::Manifest { .. } => Some(manifest::FILE_NAME),
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

/// Verifies a finished bundle directory.
pub fn verify(dir: &Path) -> Result<Verified, VerifyError> {
    inspect(dir).into_verified()
}

/// Everything found by checking a bundle directory, whether or not it verified.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The bundle directory.
    pub dir: PathBuf,
    /// The parsed `manifest.json`, if it could be read and has the manifest's schema id.
    pub manifest: Option<Value>,
    /// Every file that could be hashed, with its digest.
    pub files: BTreeMap<String, Digest>,
    /// The manifest's well-formed artifact entries, in manifest order.
    pub artifacts: Vec<ArtifactRef>,
    /// Everything wrong, in the order found; empty for an intact bundle.
    pub problems: Vec<Problem>,
}

impl Inspection {
    /// The verified bundle, or every problem found.
    pub fn into_verified(self) -> Result<Verified, VerifyError> {
        if !self.problems.is_empty() {
            return Err(VerifyError {
                dir: self.dir,
                problems: self.problems,
            });
        }
        Ok(Verified {
            dir: self.dir,
            manifest: self.manifest.unwrap_or(Value::Null),
            files: self.files,
            artifacts: self.artifacts,
        })
    }
}

/// Checks a bundle directory and keeps whatever it found, problems included.
pub fn inspect(dir: &Path) -> Inspection {
    let mut v = Verifier {
        dir,
        problems: Vec::new(),
    };
    let mut found = Inspection {
        dir: dir.to_owned(),
        manifest: None,
        files: BTreeMap::new(),
        artifacts: Vec::new(),
        problems: Vec::new(),
    };
    if !fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
        found.problems.push(Problem::NotADirectory);
        return found;
    }
    let sums = v.read_sums();
    let (manifest, manifest_digest) = v.read_manifest();
    let artifacts = manifest.as_ref().map(|m| v.entries(m)).unwrap_or_default();
    let tables = manifest.as_ref().map(|m| v.tables(m)).unwrap_or_default();
    let mut files = BTreeMap::new();
    if let Some(digest) = manifest_digest {
        files.insert(manifest::FILE_NAME.to_owned(), digest);
    }
    let mut names: BTreeSet<&str> = sums.keys().map(String::as_str).collect();
    names.extend(artifacts.iter().chain(&tables).map(|e| e.path.as_str()));
    names.remove(manifest::FILE_NAME);
    for name in names {
        let entry = artifacts.iter().find(|e| e.path == name);
        if let Some(digest) = v.inspect(name, entry) {
            files.insert(name.to_owned(), digest);
        }
    }
    let listed: Vec<&Entry> = artifacts.iter().chain(&tables).collect();
    v.compare(&sums, &listed, &files);
    v.extras(&sums, &listed);
    found.manifest = manifest;
    found.files = files;
    found.artifacts = artifacts.into_iter().map(|e| e.artifact).collect();
    found.problems = v.problems;
    found
}

/// A manifest artifact entry with what it claims about its file.
struct Entry {
    artifact: ArtifactRef,
    path: String,
    sha256: String,
    bytes: u64,
    /// The entry's `status` and `count`, compared with the envelope's when present.
    status: Option<String>,
    count: Option<u64>,
}

struct Verifier<'a> {
    dir: &'a Path,
    problems: Vec<Problem>,
}

impl Verifier<'_> {
    /// `SHA256SUMS` as name → lower-case hex; bad lines and unsafe names are problems.
    fn read_sums(&mut self) -> BTreeMap<String, String> {
        let mut sums = BTreeMap::new();
        let bytes = match read_bounded(&self.dir.join(SHA256SUMS), MAX_SUMS_BYTES) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.problems.push(read_problem(e, SHA256SUMS));
                return sums;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        for (index, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let Some((hash, name)) = parse_sums_line(line) else {
                self.problems.push(Problem::BadSumsLine { line: index + 1 });
                continue;
            };
            if !self.safe(SHA256SUMS, name) {
                continue;
            }
            if sums.insert(name.to_owned(), hash).is_some() {
                self.problems.push(Problem::Duplicate {
                    source: SHA256SUMS,
                    name: name.to_owned(),
                });
            }
        }
        sums
    }

    /// The parsed manifest and the digest of its bytes.
    fn read_manifest(&mut self) -> (Option<Value>, Option<Digest>) {
        let bytes = match read_bounded(&self.dir.join(manifest::FILE_NAME), MAX_MANIFEST_BYTES) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.problems.push(read_problem(e, manifest::FILE_NAME));
                return (None, None);
            }
        };
        let digest = Digest::of(&bytes);
        let bad = |detail: String| Problem::Manifest { detail };
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) if value.get("schema").and_then(Value::as_str) == Some(manifest::SCHEMA) => {
                (Some(value), Some(digest))
            }
            Ok(value) => {
                let found = value
                    .get("schema")
                    .map_or("nothing".into(), Value::to_string);
                self.problems.push(bad(format!(
                    "schema is {}, expected {}",
                    printable(&found),
                    manifest::SCHEMA
                )));
                (None, Some(digest))
            }
            Err(e) => {
                self.problems.push(bad(format!("not valid JSON: {e}")));
                (None, Some(digest))
            }
        }
    }

    /// The manifest's artifact entries; malformed ones are problems.
    fn entries(&mut self, manifest: &Value) -> Vec<Entry> {
        let Some(list) = manifest.get("artifacts").and_then(Value::as_array) else {
            self.problems.push(Problem::Manifest {
                detail: "`artifacts` is not a list".into(),
            });
            return Vec::new();
        };
        self.listed(list, "artifacts", |e| {
            let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
            let (Some(resource), Some(path), Some(sha256), Some(bytes)) = (
                text("resource"),
                text("path"),
                text("sha256"),
                e.get("bytes").and_then(Value::as_u64),
            ) else {
                return Err("`resource`, `path`, `sha256` or `bytes`");
            };
            Ok(Entry {
                artifact: ArtifactRef {
                    resource,
                    path: path.clone(),
                    kind: text("kind").unwrap_or_default(),
                },
                path,
                sha256: sha256.to_ascii_lowercase(),
                bytes,
                status: text("status"),
                count: e.get("count").and_then(Value::as_u64),
            })
        })
    }

    /// The manifest's `tables` (the CSV exports): hashed and sized like artifacts, but not
    /// JSON, so no envelope is checked. A manifest without `tables` (older bundles) has none.
    fn tables(&mut self, manifest: &Value) -> Vec<Entry> {
        let Some(list) = manifest.get("tables") else {
            return Vec::new();
        };
        let Some(list) = list.as_array() else {
            self.problems.push(Problem::Manifest {
                detail: "`tables` is not a list".into(),
            });
            return Vec::new();
        };
        self.listed(list, "tables", |t| {
            let text = |k: &str| t.get(k).and_then(Value::as_str).map(str::to_owned);
            let (Some(path), Some(sha256), Some(bytes)) = (
                text("path"),
                text("sha256"),
                t.get("bytes").and_then(Value::as_u64),
            ) else {
                return Err("`path`, `sha256` or `bytes`");
            };
            Ok(Entry {
                artifact: ArtifactRef {
                    resource: text("from").unwrap_or_default(),
                    path: path.clone(),
                    kind: text("kind").unwrap_or_default(),
                },
                path,
                sha256: sha256.to_ascii_lowercase(),
                bytes,
                status: None,
                count: None,
            })
        })
    }

    /// The entries of the manifest's list `key`, each made by `parse` (or, when it lacks a
    /// field, a problem naming the fields it needs). A name that is not a plain file name, or
    /// one listed twice, is a problem and left out.
    fn listed(
        &mut self,
        list: &[Value],
        key: &str,
        parse: impl Fn(&Value) -> Result<Entry, &'static str>,
    ) -> Vec<Entry> {
        let mut entries: Vec<Entry> = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let entry = match parse(item) {
                Ok(entry) => entry,
                Err(fields) => {
                    self.problems.push(Problem::Manifest {
                        detail: format!("{key}[{i}] lacks {fields}"),
                    });
                    continue;
                }
            };
            if !self.safe(manifest::FILE_NAME, &entry.path) {
                continue;
            }
            if entries.iter().any(|other| other.path == entry.path) {
                self.problems.push(Problem::Duplicate {
                    source: manifest::FILE_NAME,
                    name: entry.path,
                });
                continue;
            }
            entries.push(entry);
        }
        entries
    }

    /// Whether `name` is a plain file name; records a problem if not.
    fn safe(&mut self, source: &'static str, name: &str) -> bool {
        let ok = is_plain_file_name(name);
        if !ok {
            self.problems.push(Problem::UnsafeName {
                source,
                name: name.to_owned(),
            });
        }
        ok
    }

    /// Hashes a file (and checks its envelope if it is an artifact).
    fn inspect(&mut self, name: &str, entry: Option<&Entry>) -> Option<Digest> {
        let path = self.dir.join(name);
        let expected = entry.map(|e| envelope::Expected {
            resource: &e.artifact.resource,
            kind: Some(e.artifact.kind.as_str()),
            status: e.status.as_deref(),
            count: e.count,
        });
        match hash_file(&path, expected.as_ref()) {
            Ok((digest, envelope_problems)) => {
                self.problems
                    .extend(
                        envelope_problems
                            .into_iter()
                            .map(|detail| Problem::Envelope {
                                name: name.to_owned(),
                                detail,
                            }),
                    );
                Some(digest)
            }
            Err(e) => {
                self.problems.push(read_problem(e, name));
                None
            }
        }
    }

    fn compare(
        &mut self,
        sums: &BTreeMap<String, String>,
        entries: &[&Entry],
        files: &BTreeMap<String, Digest>,
    ) {
        for (name, hash) in sums {
            if files.get(name).is_some_and(|d| &d.sha256 != hash) {
                self.problems.push(Problem::HashMismatch {
                    name: name.clone(),
                    against: SHA256SUMS,
                });
            }
        }
        if !sums.contains_key(manifest::FILE_NAME) && files.contains_key(manifest::FILE_NAME) {
            self.problems.push(Problem::NotInSums {
                name: manifest::FILE_NAME.into(),
            });
        }
        for entry in entries {
            if !sums.contains_key(&entry.path) && files.contains_key(&entry.path) {
                self.problems.push(Problem::NotInSums {
                    name: entry.path.clone(),
                });
            }
            let Some(digest) = files.get(&entry.path) else {
                continue;
            };
            if digest.sha256 != entry.sha256 {
                self.problems.push(Problem::HashMismatch {
                    name: entry.path.clone(),
                    against: manifest::FILE_NAME,
                });
            }
            if digest.bytes != entry.bytes {
                self.problems.push(Problem::SizeMismatch {
                    name: entry.path.clone(),
                    expected: entry.bytes,
                    actual: digest.bytes,
                });
            }
        }
    }

    /// Files in the directory that neither list names.
    fn extras(&mut self, sums: &BTreeMap<String, String>, entries: &[&Entry]) {
        let listing = match fs::read_dir(self.dir) {
            Ok(listing) => listing,
            Err(e) => {
                self.problems.push(Problem::Unreadable {
                    name: ".".into(),
                    error: e.to_string(),
                });
                return;
            }
        };
        let mut extra = Vec::new();
        for (seen, item) in listing.enumerate() {
            if seen == MAX_DIR_ENTRIES {
                self.problems.push(Problem::TooManyEntries {
                    limit: MAX_DIR_ENTRIES,
                });
                break;
            }
            let Ok(item) = item else { continue };
            let name = item.file_name().to_string_lossy().into_owned();
            let known = name == SHA256SUMS
                || name == manifest::FILE_NAME
                || sums.contains_key(&name)
                || entries.iter().any(|e| e.path == name);
            if !known {
                extra.push(name);
            }
        }
        extra.sort();
        self.problems
            .extend(extra.into_iter().map(|name| Problem::Extra { name }));
    }
}

/// `<64 hex>  <name>` (or ` *<name>`, binary mode) → lower-case hash and name.
fn parse_sums_line(line: &str) -> Option<(String, &str)> {
    let hash = line.get(..64)?;
    let name = line.get(64..)?;
    let name = name
        .strip_prefix("  ")
        .or_else(|| name.strip_prefix(" *"))?;
    hash.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| (hash.to_ascii_lowercase(), name))
}

/// The problem of a bundle file that could not be read.
fn read_problem(failure: ReadFailure, name: &str) -> Problem {
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

/// Streams a file through SHA-256; for an artifact, also checks its envelope.
fn hash_file(
    path: &Path,
    expected: Option<&envelope::Expected<'_>>,
) -> Result<(Digest, Vec<String>), ReadFailure> {
    let reader = open_bounded(path, MAX_FILE_BYTES)?;
    let mut hashing = Hashing::new(reader);
    let mut buffered = BufReader::new(&mut hashing);
    let problems = expected.map(|e| envelope::check(serde_json::from_reader(&mut buffered), e));
    io::copy(&mut buffered, &mut io::sink()).map_err(ReadFailure::Io)?;
    drop(buffered);
    if hashing.count() > MAX_FILE_BYTES {
        return Err(ReadFailure::TooLarge(MAX_FILE_BYTES));
    }
    let (digest, _) = hashing.finish();
    Ok((digest, problems.unwrap_or_default()))
}

#[cfg(test)]
mod tests;
