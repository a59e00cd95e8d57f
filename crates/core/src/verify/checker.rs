//! The checks themselves: `SHA256SUMS` and the manifest read (bounded, names untrusted), each
//! named file hashed and, for an artifact, its envelope checked, then the three compared and
//! the directory listed for files neither names.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, BufReader};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::evidence::bundle::{SHA256SUMS, read_envelope};
use crate::evidence::manifest;
use crate::evidence::sign::SIGNATURE_FILE;
use crate::files::{
    Digest, Hashing, MAX_DIR_ENTRIES, MAX_FILE_BYTES, MAX_MANIFEST_BYTES, MAX_SUMS_BYTES,
    ReadFailure, is_plain_file_name, open_bounded, read_bounded,
};
use crate::text::printable;

use super::envelope;
use super::problem::{Problem, read_problem};
use super::{ArtifactRef, Inspection};

/// Checks a bundle directory and keeps whatever it found, problems included.
pub fn inspect(dir: &Path) -> Inspection {
    let mut v = Verifier {
        dir,
        problems: Vec::new(),
    };
    let mut found = Inspection {
        dir: dir.to_owned(),
        manifest: None,
        manifest_bytes: None,
        files: BTreeMap::new(),
        artifacts: Vec::new(),
        problems: Vec::new(),
    };
    if !fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
        found.problems.push(Problem::NotADirectory);
        return found;
    }
    let sums = v.read_sums();
    let (manifest, manifest_bytes) = v.read_manifest();
    let manifest_digest = manifest_bytes.as_deref().map(Digest::of);
    let artifacts = manifest.as_ref().map(|m| v.entries(m)).unwrap_or_default();
    let mut tables = manifest.as_ref().map(|m| v.tables(m)).unwrap_or_default();
    // A file is an artifact or a table, not both: listed as both, which entry vouches for it?
    tables.retain(|t| {
        let twice = artifacts.iter().any(|a| a.path == t.path);
        if twice {
            v.problems.push(Problem::Duplicate {
                source: manifest::FILE_NAME,
                name: t.path.clone(),
            });
        }
        !twice
    });
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
    if manifest.is_some() {
        v.unlisted(&sums, &listed);
    }
    v.extras(&sums, &listed);
    found.manifest = manifest;
    found.manifest_bytes = manifest_bytes;
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

    /// The parsed manifest, and its bytes whenever they could be read.
    fn read_manifest(&mut self) -> (Option<Value>, Option<Arc<[u8]>>) {
        let bytes: Arc<[u8]> =
            match read_bounded(&self.dir.join(manifest::FILE_NAME), MAX_MANIFEST_BYTES) {
                Ok(bytes) => bytes.into(),
                Err(e) => {
                    self.problems.push(read_problem(e, manifest::FILE_NAME));
                    return (None, None);
                }
            };
        let bad = |detail: String| Problem::Manifest { detail };
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) if value.get("schema").and_then(Value::as_str) == Some(manifest::SCHEMA) => {
                (Some(value), Some(bytes))
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
                (None, Some(bytes))
            }
            Err(e) => {
                self.problems.push(bad(format!("not valid JSON: {e}")));
                (None, Some(bytes))
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

    /// Files `SHA256SUMS` names that the manifest does not: only the manifest's hashes are
    /// signed, so a file vouched for by `SHA256SUMS` alone is vouched for by nobody. The
    /// manifest itself and its signature cannot be in it, and `SHA256SUMS` lists them.
    fn unlisted(&mut self, sums: &BTreeMap<String, String>, entries: &[&Entry]) {
        for name in sums.keys() {
            let exempt = name == manifest::FILE_NAME || name == SIGNATURE_FILE;
            if !exempt && !entries.iter().any(|e| &e.path == name) {
                self.problems
                    .push(Problem::NotInManifest { name: name.clone() });
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
pub(super) fn parse_sums_line(line: &str) -> Option<(String, &str)> {
    let hash = line.get(..64)?;
    let name = line.get(64..)?;
    let name = name
        .strip_prefix("  ")
        .or_else(|| name.strip_prefix(" *"))?;
    hash.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| (hash.to_ascii_lowercase(), name))
}

/// Streams a file through SHA-256; for an artifact, also checks its envelope.
fn hash_file(
    path: &Path,
    expected: Option<&envelope::Expected<'_>>,
) -> Result<(Digest, Vec<String>), ReadFailure> {
    let reader = open_bounded(path, MAX_FILE_BYTES)?;
    let mut hashing = Hashing::new(reader);
    let mut buffered = BufReader::with_capacity(64 * 1024, &mut hashing);
    let problems = expected.map(|e| envelope::check(read_envelope(&mut buffered, drop), e));
    io::copy(&mut buffered, &mut io::sink()).map_err(ReadFailure::Io)?;
    drop(buffered);
    if hashing.count() > MAX_FILE_BYTES {
        return Err(ReadFailure::TooLarge(MAX_FILE_BYTES));
    }
    let (digest, _) = hashing.finish();
    Ok((digest, problems.unwrap_or_default()))
}
