//! The logic of the fuzz target `verify_dir` and of its property test: a bundle directory is
//! built from arbitrary bytes (a valid bundle, then edits: files written, removed or changed,
//! symlinks in and out of the bundle, directories, sockets, odd and unsafe names, lines added
//! to `SHA256SUMS`, entries added to or dropped from the manifest, the signature renewed or
//! stripped), [`inspect`](super::inspect) reads it, and what it says is checked against an
//! independent reading of the directory. Any disagreement panics, which is what a fuzzer
//! looks for. Only in tests and with the `test-support` feature.
//!
//! The checks: every file the inspection hashed is a regular file inside the bundle (never
//! one reached through a link) whose bytes have that digest; every problem's message is
//! printable; an unedited bundle verifies and its signature holds; and a bundle that verifies
//! is exactly what the format says: every entry a regular file, `SHA256SUMS` listing every
//! other entry with its hash, every file but `manifest.json`, `manifest.json.sig` and
//! `SHA256SUMS` listed in the manifest with its hash and size, every artifact read whole by
//! the reader `diff` and the report use, its `count` its number of items.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};
use ssh_key::private::{Ed25519Keypair, PrivateKey};

use crate::evidence::bundle::{SHA256SUMS, read_items};
use crate::evidence::manifest;
use crate::evidence::render;
use crate::evidence::sign::{NAMESPACE, SIGNATURE_FILE, SigningKey};
use crate::files::{Digest, is_plain_file_name};

use super::{Signed, inspect};

/// What one input came to, so a test can see that both outcomes occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the bundle verified.
    pub verified: bool,
    /// How many edits were made to the valid bundle.
    pub edits: usize,
}

/// The bundle's own file names, and some that are not, for edits to aim at.
const NAMES: [&str; 12] = [
    "users.json",
    "groups.json",
    "users.csv",
    manifest::FILE_NAME,
    SHA256SUMS,
    SIGNATURE_FILE,
    "auditor-note.html",
    "teams.json",
    ".hidden",
    "users.json.partial",
    "README",
    "x",
];

/// Most edits decoded from one input: a run stays short.
const MAX_EDITS: usize = 48;

/// Builds a bundle in a new directory under `root` (which must exist) from `data`, inspects
/// it and checks the inspection; panics on any disagreement.
pub fn check_bundle_directory(root: &Path, data: &[u8]) -> Outcome {
    let mut input = Input { data, at: 0 };
    let signed = input.byte().is_multiple_of(2);
    let dir = root.join("fivetran-acc-20260101T000000Z");
    let outside = root.join("outside.json");
    fs::write(&outside, envelope("users", 1)).expect("outside");
    // Made once: deriving a key pair is slow in a debug build, and it is always the same.
    static KEYS: OnceLock<(SigningKey, ssh_key::PublicKey)> = OnceLock::new();
    let (key, public_key) = KEYS.get_or_init(|| {
        let private = PrivateKey::from(Ed25519Keypair::from_seed(&[7; 32]));
        let public = private.public_key().clone();
        (SigningKey::from_private_key(private), public)
    });
    let public = root.join("key.pub");
    let line = public_key.to_openssh().expect("an OpenSSH line");
    fs::write(&public, format!("{line}\n")).expect("public key");
    static VALID: OnceLock<Valid> = OnceLock::new();
    let valid = VALID.get_or_init(|| Valid::new(key));
    valid.write(&dir, signed);

    let mut edits = 0;
    while !input.done() && edits < MAX_EDITS {
        edit(&dir, &mut input, key);
        edits += 1;
    }

    let found = inspect(&dir);
    for problem in &found.problems {
        let message = problem.to_string();
        assert!(!message.chars().any(char::is_control), "{message:?}");
    }
    for (name, digest) in &found.files {
        let path = dir.join(name);
        let meta = fs::symlink_metadata(&path).expect("a hashed file is there");
        assert!(meta.file_type().is_file(), "{name:?} hashed but not a file");
        let bytes = fs::read(&path).expect("read");
        assert_eq!(
            &Digest::of(&bytes),
            digest,
            "{name:?}: not the digest of its bytes"
        );
    }
    let verified = found.problems.is_empty();
    // Checking a signature is slow in a debug build: only where it tells something.
    let signature = if verified || edits == 0 {
        found.signature(Some(&public))
    } else {
        Signed::NotChecked
    };
    if edits == 0 {
        assert!(verified, "a bundle as written: {:?}", found.problems);
        let expected = if signed {
            Signed::Valid(key.fingerprint())
        } else {
            Signed::Unsigned
        };
        assert_eq!(signature, expected);
    }
    if let Signed::Valid(_) = signature {
        let bytes = found.manifest_bytes.as_deref().expect("manifest read");
        let sig = fs::read(dir.join(SIGNATURE_FILE)).expect("signature");
        // The valid bundle's own pair is known good; any other is checked independently.
        if (bytes, sig.as_slice()) != (valid.manifest.as_slice(), valid.signature.as_slice()) {
            let sig = ssh_key::SshSig::from_pem(sig).expect("a signature");
            public_key
                .verify(NAMESPACE, bytes, &sig)
                .expect("valid means the bytes read are signed");
        }
    }
    if verified {
        check_verified(&dir, &found);
    }
    Outcome { verified, edits }
}

/// A bundle that verifies must be exactly what the format says.
fn check_verified(dir: &Path, found: &super::Inspection) {
    let manifest: Value =
        serde_json::from_slice(&fs::read(dir.join(manifest::FILE_NAME)).expect("manifest"))
            .expect("the manifest is JSON");
    assert_eq!(found.manifest.as_ref(), Some(&manifest));
    let listed = |key: &str| -> Vec<Value> {
        manifest
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (artifacts, tables) = (listed("artifacts"), listed("tables"));
    let mut in_manifest = BTreeSet::new();
    for entry in artifacts.iter().chain(&tables) {
        let path = entry["path"].as_str().expect("a path");
        assert!(is_plain_file_name(path), "{path:?}");
        let bytes = fs::read(dir.join(path)).expect("a listed file");
        let digest = Digest::of(&bytes);
        let sha = entry["sha256"].as_str().expect("sha256");
        assert_eq!(sha.to_ascii_lowercase(), digest.sha256, "{path}: hash");
        assert_eq!(entry["bytes"].as_u64(), Some(digest.bytes), "{path}: size");
        assert!(in_manifest.insert(path.to_owned()), "{path} twice");
    }

    let mut entries = BTreeSet::new();
    for entry in fs::read_dir(dir).expect("list") {
        let entry = entry.expect("entry");
        let name = entry.file_name().into_string().expect("a UTF-8 name");
        let meta = fs::symlink_metadata(entry.path()).expect("meta");
        assert!(meta.file_type().is_file(), "{name:?} is not a regular file");
        let own = [manifest::FILE_NAME, SHA256SUMS, SIGNATURE_FILE].contains(&name.as_str());
        assert!(
            own || in_manifest.contains(&name),
            "{name:?} is not in the manifest"
        );
        entries.insert(name);
    }

    let sums = fs::read_to_string(dir.join(SHA256SUMS)).expect("sums");
    let mut in_sums = BTreeSet::new();
    for line in sums.lines().filter(|l| !l.is_empty()) {
        let (hash, rest) = line.split_at(64);
        let name = rest
            .strip_prefix("  ")
            .or_else(|| rest.strip_prefix(" *"))
            .expect("a sums line");
        let bytes = fs::read(dir.join(name)).expect("a summed file");
        assert_eq!(
            hash.to_ascii_lowercase(),
            Digest::of(&bytes).sha256,
            "{name}"
        );
        assert!(in_sums.insert(name.to_owned()), "{name} twice in sums");
    }
    entries.remove(SHA256SUMS);
    assert_eq!(in_sums, entries, "SHA256SUMS lists exactly the other files");

    let verified = found.clone().into_verified().expect("verified");
    for entry in &artifacts {
        let (path, resource) = (entry["path"].as_str(), entry["resource"].as_str());
        let (Some(path), Some(resource)) = (path, resource) else {
            panic!("an artifact entry without path or resource: {entry}");
        };
        let bytes = fs::read(dir.join(path)).expect("artifact");
        let mut count = 0_u64;
        let fields = read_items(&bytes[..], |_| count += 1).expect("the one reader reads it");
        let schema = format!("iru-fivetran/{resource}/v1");
        assert_eq!(fields.get("schema"), Some(&Value::String(schema)));
        assert_eq!(fields.get("count").and_then(Value::as_u64), Some(count));
        verified
            .stream_items(path, drop)
            .expect("diff and the report read what verified");
    }
}

/// The bytes of one fuzz input, read a byte at a time (zeros once they run out).
struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl Input<'_> {
    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let end = (self.at + n).min(self.data.len());
        let taken = self.data.get(self.at..end).unwrap_or_default().to_vec();
        self.at += n;
        taken
    }

    /// A name for the file system: one of [`NAMES`] mostly, else up to 24 bytes of the input
    /// (on Unix not necessarily UTF-8), never `/`, NUL, `.` or `..`.
    fn file_name(&mut self) -> PathBuf {
        let b = self.byte();
        if b < 200 {
            return PathBuf::from(NAMES[usize::from(b) % NAMES.len()]);
        }
        let len = usize::from(self.byte() % 24) + 1;
        let mut raw: Vec<u8> = self
            .bytes(len)
            .into_iter()
            .map(|c| if c == b'/' || c == 0 { b'_' } else { c })
            .collect();
        if raw.is_empty() || raw == b"." || raw == b".." {
            raw = b"_".to_vec();
        }
        os_name(raw)
    }

    /// A name as text in `SHA256SUMS` or the manifest: anything, `../x` and `a/b` included.
    fn text_name(&mut self) -> String {
        let b = self.byte();
        if b < 160 {
            return NAMES[usize::from(b) % NAMES.len()].to_owned();
        }
        let len = usize::from(self.byte() % 24);
        let raw = self.bytes(len);
        match b % 4 {
            0 => format!("../{}", String::from_utf8_lossy(&raw)),
            1 => format!("a/{}", String::from_utf8_lossy(&raw)),
            _ => String::from_utf8_lossy(&raw).into_owned(),
        }
    }
}

#[cfg(unix)]
fn os_name(raw: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt as _;
    PathBuf::from(std::ffi::OsString::from_vec(raw))
}

#[cfg(not(unix))]
fn os_name(raw: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&raw).replace(['\\', ':'], "_"))
}

/// An artifact envelope of `count` items.
fn envelope(resource: &str, count: usize) -> Vec<u8> {
    let items: Vec<Value> = (0..count)
        .map(|i| json!({"id": format!("id{i}"), "name": format!("caf\u{e9} {i}")}))
        .collect();
    render(
        &json!({"schema": format!("iru-fivetran/{resource}/v1"), "resource": resource,
        "kind": "collected", "status": "complete", "count": count, "items": items}),
    )
}

/// The valid bundle every input starts from, made once (signing is slow in a debug build).
struct Valid {
    files: Vec<(&'static str, Vec<u8>)>,
    manifest: Vec<u8>,
    signature: Vec<u8>,
}

impl Valid {
    fn new(key: &SigningKey) -> Self {
        let files = vec![
            ("users.json", envelope("users", 2)),
            ("groups.json", envelope("groups", 1)),
            ("users.csv", b"id,name\nid0,a\nid1,b\n".to_vec()),
        ];
        let mut artifacts = Vec::new();
        let mut tables = Vec::new();
        for (name, bytes) in &files {
            let d = Digest::of(bytes);
            if let Some(resource) = name.strip_suffix(".json") {
                let count = if resource == "users" { 2 } else { 1 };
                artifacts.push(
                    json!({"resource": resource, "kind": "collected", "path": name,
                    "sha256": d.sha256, "bytes": d.bytes, "count": count, "status": "complete"}),
                );
            } else {
                tables.push(json!({"path": name, "kind": "derived", "from": "users",
                    "sha256": d.sha256, "bytes": d.bytes, "rows": 2}));
            }
        }
        let manifest = render(&json!({
            "schema": manifest::SCHEMA, "bundle_id": "fivetran-acc-20260101T000000Z",
            "status": "complete", "account": {"account_id": "acc"},
            "started_at": "2026-01-01T00:00:00Z",
            "options": {"resources": ["users", "groups"]},
            "artifacts": artifacts, "tables": tables,
        }));
        let signature = key.sign(&manifest).expect("sign");
        Self {
            files,
            manifest,
            signature,
        }
    }

    fn write(&self, dir: &Path, signed: bool) {
        fs::create_dir(dir).expect("bundle dir");
        for (name, bytes) in &self.files {
            fs::write(dir.join(name), bytes).expect("write");
        }
        fs::write(dir.join(manifest::FILE_NAME), &self.manifest).expect("manifest");
        if signed {
            fs::write(dir.join(SIGNATURE_FILE), &self.signature).expect("signature");
        }
        resum(dir);
    }
}

/// Rewrites `SHA256SUMS` with the true hash of every regular file that can be listed, as
/// someone editing a bundle would.
fn resum(dir: &Path) {
    let mut lines = Vec::new();
    for entry in fs::read_dir(dir).expect("list").flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if name == SHA256SUMS || !is_file || name.contains(['\n', '\r']) {
            continue;
        }
        let Ok(bytes) = fs::read(entry.path()) else {
            continue;
        };
        lines.push(format!("{}  {name}\n", Digest::of(&bytes).sha256));
    }
    lines.sort();
    // Never written through a link or into a socket someone left in its place.
    remove(&dir.join(SHA256SUMS));
    fs::write(dir.join(SHA256SUMS), lines.concat()).expect("sums");
}

/// Edits the manifest as JSON, if it is JSON, then brings `SHA256SUMS` up to date.
fn remanifest(dir: &Path, change: impl FnOnce(&mut Value)) {
    let path = dir.join(manifest::FILE_NAME);
    let Some(mut value) = fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return;
    };
    change(&mut value);
    if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        fs::write(&path, render(&value)).expect("manifest");
    }
    resum(dir);
}

/// Removes whatever is at `path`: file, link, socket or directory.
fn remove(path: &Path) {
    let _ = fs::remove_file(path).or_else(|_| fs::remove_dir_all(path));
}

/// The true digest of the regular file at `path`, if it is one.
fn digest_of(path: &Path) -> Option<Digest> {
    let meta = fs::symlink_metadata(path).ok()?;
    meta.is_file()
        .then(|| fs::read(path).ok().map(|b| Digest::of(&b)))
        .flatten()
}

/// One edit, decoded from the input.
fn edit(dir: &Path, input: &mut Input<'_>, key: &SigningKey) {
    match input.byte() % 12 {
        0 => {
            let name = input.file_name();
            let len = usize::from(input.byte());
            let bytes = input.bytes(len);
            remove(&dir.join(&name));
            let _ = fs::write(dir.join(name), bytes);
        }
        1 => {
            let name = input.text_name();
            let hash = is_plain_file_name(&name)
                .then(|| digest_of(&dir.join(&name)))
                .flatten()
                .map_or_else(|| "0".repeat(64), |d| d.sha256);
            let path = dir.join(SHA256SUMS);
            if digest_of(&path).is_some() {
                let mut sums = fs::read(&path).unwrap_or_default();
                sums.extend(format!("{hash}  {name}\n").into_bytes());
                let _ = fs::write(&path, sums);
            }
        }
        2 => {
            let name = input.file_name();
            let target = match input.byte() % 5 {
                0 => "../outside.json",
                1 => "users.json",
                2 => "nowhere",
                3 => ".",
                _ => "/dev/null",
            };
            remove(&dir.join(&name));
            symlink(target, &dir.join(name));
        }
        3 => {
            let name = input.file_name();
            remove(&dir.join(&name));
            let _ = fs::create_dir(dir.join(name));
        }
        4 => remove(&dir.join(input.file_name())),
        5 => {
            let path = dir.join(input.file_name());
            let at = usize::from(input.byte());
            if let (Some(_), Ok(mut bytes)) = (digest_of(&path), fs::read(&path))
                && !bytes.is_empty()
            {
                let at = at % bytes.len();
                bytes[at] ^= 1 << (at % 8);
                let _ = fs::write(&path, bytes);
            }
        }
        6 => {
            let name = input.text_name();
            let table = input.byte().is_multiple_of(2);
            let digest = is_plain_file_name(&name)
                .then(|| digest_of(&dir.join(&name)))
                .flatten()
                .unwrap_or_else(|| Digest::of(b""));
            remanifest(dir, |m| {
                let resource = name.split('.').next().unwrap_or_default().to_owned();
                let (key, entry) = if table {
                    (
                        "tables",
                        json!({"path": name, "kind": "derived", "from": resource,
                        "sha256": digest.sha256, "bytes": digest.bytes, "rows": 0}),
                    )
                } else {
                    (
                        "artifacts",
                        json!({"resource": resource, "kind": "collected",
                        "path": name, "sha256": digest.sha256, "bytes": digest.bytes}),
                    )
                };
                if let Some(list) = m.get_mut(key).and_then(Value::as_array_mut) {
                    list.push(entry);
                }
            });
        }
        7 => {
            let len = usize::from(input.byte()) * 4;
            let bytes = input.bytes(len);
            let path = dir.join("users.json");
            remove(&path);
            let _ = fs::write(&path, &bytes);
            let d = Digest::of(&bytes);
            remanifest(dir, |m| {
                // An earlier edit may have left the manifest JSON that is not an object.
                let artifacts = m.get_mut("artifacts").and_then(Value::as_array_mut);
                for entry in artifacts.into_iter().flatten() {
                    if entry["path"] == "users.json" {
                        entry["sha256"] = d.sha256.clone().into();
                        entry["bytes"] = d.bytes.into();
                    }
                }
            });
        }
        8 => socket(&dir.join(input.file_name())),
        9 => resum(dir),
        10 => {
            let at = usize::from(input.byte());
            let table = input.byte().is_multiple_of(2);
            remanifest(dir, |m| {
                let key = if table { "tables" } else { "artifacts" };
                if let Some(list) = m.get_mut(key).and_then(Value::as_array_mut)
                    && !list.is_empty()
                {
                    let at = at % list.len();
                    list.remove(at);
                }
            });
        }
        _ => {
            let path = dir.join(SIGNATURE_FILE);
            remove(&path);
            if input.byte().is_multiple_of(2)
                && let Ok(manifest) = fs::read(dir.join(manifest::FILE_NAME))
            {
                let _ = fs::write(&path, key.sign(&manifest).expect("sign"));
            }
            resum(dir);
        }
    }
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    let _ = std::os::unix::fs::symlink(target, link);
}

#[cfg(not(unix))]
fn symlink(_: &str, _: &Path) {}

#[cfg(unix)]
fn socket(path: &Path) {
    remove(path);
    // A socket is neither a file nor a directory; the listener is dropped, the entry stays.
    let _ = std::os::unix::net::UnixListener::bind(path);
}

#[cfg(not(unix))]
fn socket(_: &Path) {}

#[cfg(test)]
mod tests;
