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
//! digest. The `verify` command reports an [`Inspection`] as it is, as a [`Verdict`].

mod checker;
mod envelope;
#[cfg(any(test, feature = "test-support"))]
pub mod fuzz;
mod problem;
mod signature;
mod verdict;

use std::collections::BTreeMap;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::files::{Digest, Hashing, MAX_FILE_BYTES, open_bounded, read_bounded};

use problem::read_problem;

pub use checker::inspect;
pub use problem::{Problem, VerifyError};
pub use signature::Signed;
pub use verdict::{SCHEMA_ID, Verdict, VerdictFile, VerdictProblem, VerdictSignature};

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
    /// The bytes of `manifest.json` that were parsed and hashed.
    pub manifest_bytes: Arc<[u8]>,
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
    /// The bytes of `manifest.json` as they were read, parsed and hashed, if they could be
    /// read: a signature is checked against these, not against the file read again.
    pub manifest_bytes: Option<Arc<[u8]>>,
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
            manifest_bytes: self.manifest_bytes.unwrap_or_else(|| Arc::from(&[][..])),
            files: self.files,
            artifacts: self.artifacts,
        })
    }
}

#[cfg(test)]
mod tests;
