//! Reading what runs leave on disk: the files under a directory, the names in it, a byte-for-byte
//! snapshot, an artifact's entry in a manifest and an envelope's reason.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Every file under `dir`, at any depth, sorted (none if it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let path = e.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Names directly under `dir`, sorted (none if it does not exist).
pub fn entries(dir: &Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = read
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `dir` with its bytes, by path relative to `dir` (to check a bundle is left
/// byte for byte as it was).
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).expect("read");
            (f.strip_prefix(dir).expect("under dir").to_owned(), bytes)
        })
        .collect()
}

/// An artifact's entry in a manifest.
pub fn manifest_artifact<'a>(manifest: &'a Value, name: &str) -> &'a Value {
    manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|a| a["resource"] == name)
        .unwrap_or_else(|| panic!("{name} in manifest"))
}

/// An envelope's (or a manifest entry's) `reason`.
pub fn reason(envelope: &Value) -> &str {
    envelope["reason"].as_str().expect("a reason")
}
