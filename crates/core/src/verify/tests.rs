//! Unit tests of bundle verification: what each problem looks like and that names from the
//! bundle are never trusted.

use serde_json::json;

use super::checker::parse_sums_line;
use super::*;
use crate::evidence::bundle::Bundle;
use crate::evidence::bundle::SHA256SUMS;
use crate::evidence::manifest;
use crate::evidence::render;
use crate::files::{Digest, is_plain_file_name};
use crate::text::printable;
use std::fs;

fn users(schema: &str) -> Value {
    json!({"schema": schema, "resource": "users", "kind": "collected", "status": "complete",
           "count": 1, "items": [{"id": "u"}]})
}

/// A finished bundle with one artifact whose envelope is `envelope`.
fn make(envelope: &Value) -> (tempfile::TempDir, PathBuf) {
    make_bytes(&render(envelope))
}

/// A finished bundle with one artifact, `users.json`, holding `bytes` (a count of 1).
fn make_bytes(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().expect("tmp");
    let mut b = Bundle::create(out.path(), "20260101T000000Z").expect("create");
    let w = b.write("users.json", bytes).expect("write");
    let dir = b
        .finish("fivetran-acc-20260101T000000Z", manifest::FILE_NAME, |id| {
            render(&json!({
                "schema": manifest::SCHEMA,
                "bundle_id": id,
                "account": {"account_id": "acc"},
                "started_at": "2026-01-01T00:00:00Z",
                "options": {"resources": ["account", "users"]},
                "artifacts": [{"resource": "users", "kind": "collected", "path": "users.json",
                               "sha256": w.sha256, "bytes": w.bytes, "count": 1,
                               "status": "complete"}],
            }))
        })
        .expect("finish");
    (out, dir)
}

fn problems(dir: &Path) -> Vec<Problem> {
    verify(dir).expect_err("does not verify").problems
}

#[test]
fn a_bundle_as_written_verifies_and_reads_back() {
    let (_out, dir) = make(&users("iru-fivetran/users/v1"));
    let v = verify(&dir).expect("verifies");
    assert_eq!(v.account_id(), Some("acc"));
    assert_eq!(v.bundle_id(), Some("fivetran-acc-20260101T000000Z"));
    assert_eq!(v.started_at(), Some("2026-01-01T00:00:00Z"));
    assert_eq!(v.resources(), ["account", "users"]);
    assert_eq!(v.artifacts[0].kind, "collected");
    let names: Vec<&str> = v.files.keys().map(String::as_str).collect();
    assert_eq!(names, ["manifest.json", "users.json"]);
    assert_eq!(
        v.read_json("users.json").expect("read")["items"][0]["id"],
        "u"
    );
}

#[test]
fn every_problem_is_reported_with_the_path_and_a_hint() {
    let (_out, dir) = make(&users("iru-fivetran/users/v1"));
    let mut bytes = fs::read(dir.join("users.json")).expect("read");
    bytes[10] ^= 1;
    fs::write(dir.join("users.json"), &bytes).expect("write");
    fs::write(dir.join("notes.txt"), b"added").expect("write");
    let err = verify(&dir).expect_err("tampered");
    let name = |n: &str| n.to_owned();
    assert!(err.problems.contains(&Problem::HashMismatch {
        name: name("users.json"),
        against: SHA256SUMS
    }));
    assert!(err.problems.contains(&Problem::HashMismatch {
        name: name("users.json"),
        against: "manifest.json"
    }));
    assert!(err.problems.contains(&Problem::Extra {
        name: name("notes.txt")
    }));
    let text = err.to_string();
    assert!(text.contains(&dir.display().to_string()), "{text}");
    assert!(text.contains("users.json: sha256 differs"), "{text}");
    assert!(
        text.lines().last().is_some_and(|l| l.starts_with("hint: ")),
        "{text}"
    );

    fs::remove_file(dir.join("users.json")).expect("rm");
    assert!(problems(&dir).contains(&Problem::Missing {
        name: name("users.json")
    }));
}

#[test]
fn unsafe_names_are_reported_and_never_opened() {
    let (_out, dir) = make(&users("iru-fivetran/users/v1"));
    let mut sums = fs::read_to_string(dir.join(SHA256SUMS)).expect("sums");
    let hash = "0".repeat(64);
    for evil in [
        "../manifest.json",
        ".hidden",
        "a/b",
        "c\\d",
        "x\u{1b}y",
        "not a sums line",
    ] {
        sums.push_str(&format!("{hash}  {evil}\n"));
    }
    sums.push_str("not a sums line\n");
    fs::write(dir.join(SHA256SUMS), sums).expect("write");
    let found = problems(&dir);
    let unsafe_names: Vec<&str> = found
        .iter()
        .filter_map(|p| match p {
            Problem::UnsafeName { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        unsafe_names,
        ["../manifest.json", ".hidden", "a/b", "c\\d", "x\u{1b}y"]
    );
    assert!(
        found.contains(&Problem::BadSumsLine { line: 9 }),
        "{found:?}"
    );
    assert!(
        found.contains(&Problem::Missing {
            name: "not a sums line".into()
        }),
        "{found:?}"
    );
    let text = verify(&dir).expect_err("bad").to_string();
    assert!(!text.contains('\u{1b}'), "escaped: {text}");
}

#[test]
fn an_envelope_must_match_its_manifest_entry() {
    let (_out, dir) = make(&users("iru-fivetran/teams/v1"));
    let found = problems(&dir);
    assert!(
        matches!(&found[..], [Problem::Envelope { name, detail }]
            if name == "users.json" && detail.contains("iru-fivetran/users/v1")),
        "{found:?}"
    );
}

#[test]
fn a_file_changed_after_verification_is_not_read() {
    let (_out, dir) = make(&users("iru-fivetran/users/v1"));
    let v = verify(&dir).expect("verifies");
    fs::write(dir.join("users.json"), b"{}").expect("write");
    let err = v.read_json("users.json").expect_err("changed");
    assert_eq!(
        err.problems,
        [Problem::ChangedSinceVerified {
            name: "users.json".into()
        }]
    );
    assert!(v.read_json("../etc/passwd").is_err());
}

#[cfg(unix)]
#[test]
fn symlinks_and_directories_are_not_followed() {
    let (out, dir) = make(&users("iru-fivetran/users/v1"));
    let target = out.path().join("elsewhere.json");
    fs::rename(dir.join("users.json"), &target).expect("mv");
    std::os::unix::fs::symlink(&target, dir.join("users.json")).expect("ln");
    assert!(problems(&dir).contains(&Problem::NotAFile {
        name: "users.json".into()
    }));
    assert_eq!(problems(&out.path().join("nope")), [Problem::NotADirectory]);
}

#[test]
fn names_lines_and_escapes() {
    assert!(is_plain_file_name("users.json"));
    for bad in [
        "",
        ".",
        "..",
        ".x",
        "a/b",
        "a\\b",
        "c:",
        "a\nb",
        &"x".repeat(256),
    ] {
        assert!(!is_plain_file_name(bad), "{bad:?}");
    }
    let hash = "A".repeat(64);
    assert_eq!(
        parse_sums_line(&format!("{hash}  f")),
        Some(("a".repeat(64), "f"))
    );
    assert_eq!(
        parse_sums_line(&format!("{hash} *f")),
        Some(("a".repeat(64), "f"))
    );
    assert_eq!(parse_sums_line(&format!("{hash} f")), None);
    assert_eq!(parse_sums_line(&format!("{}  f", "g".repeat(64))), None);
    assert_eq!(printable("a\u{7}b\\c\u{202e}"), "a\\u{7}b\\\\c\\u{202e}");
}

#[test]
fn a_streamed_file_is_checked_against_its_digest_too() {
    let (_out, dir) = make(&users("iru-fivetran/users/v1"));
    let v = verify(&dir).expect("verifies");
    let mut items = Vec::new();
    v.stream_items("users.json", |i| items.push(i))
        .expect("intact");
    assert_eq!(items.len(), 1);
    // Same length, one byte different: only the digest can tell.
    let mut bytes = fs::read(dir.join("users.json")).expect("read");
    let at = bytes
        .iter()
        .rposition(|b| b.is_ascii_lowercase())
        .expect("a letter");
    bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
    fs::write(dir.join("users.json"), &bytes).expect("write");
    let err = v.stream_items("users.json", drop).expect_err("changed");
    assert_eq!(
        err.problems,
        [Problem::ChangedSinceVerified {
            name: "users.json".into()
        }]
    );
    assert!(v.stream_items("../etc/passwd", drop).is_err());
}

/// A finished bundle with `users.json` and its `users.csv`, the manifest's `tables` entry for
/// it changed by `edit`.
fn make_with_table(edit: impl Fn(&mut Value)) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().expect("tmp");
    let mut b = Bundle::create(out.path(), "20260101T000000Z").expect("create");
    let w = b
        .write("users.json", &render(&users("iru-fivetran/users/v1")))
        .expect("write");
    let table = &crate::evidence::csv::TABLES[1];
    let (t, rows) = b.write_table(table).expect("csv").expect("users written");
    assert_eq!(rows, 1);
    let mut entry = json!({"path": "users.csv", "kind": "derived", "from": "users",
                           "sha256": t.sha256, "bytes": t.bytes, "rows": rows});
    edit(&mut entry);
    let dir = b
        .finish("fivetran-acc-20260101T000000Z", manifest::FILE_NAME, |id| {
            render(&json!({
                "schema": manifest::SCHEMA,
                "bundle_id": id,
                "artifacts": [{"resource": "users", "kind": "collected", "path": "users.json",
                               "sha256": w.sha256, "bytes": w.bytes, "count": 1,
                               "status": "complete"}],
                "tables": [entry],
            }))
        })
        .expect("finish");
    (out, dir)
}

#[test]
fn a_table_is_hashed_against_the_manifest_but_is_no_artifact() {
    let (_out, dir) = make_with_table(|_| {});
    let v = verify(&dir).expect("verifies");
    let names: Vec<&str> = v.files.keys().map(String::as_str).collect();
    assert_eq!(names, ["manifest.json", "users.csv", "users.json"]);
    assert_eq!(v.artifacts.len(), 1, "the CSV is not an artifact");

    let mut bytes = fs::read(dir.join("users.csv")).expect("read");
    bytes[0] ^= 1;
    fs::write(dir.join("users.csv"), &bytes).expect("write");
    let found = problems(&dir);
    for against in [SHA256SUMS, "manifest.json"] {
        assert!(
            found.contains(&Problem::HashMismatch {
                name: "users.csv".into(),
                against
            }),
            "{found:?}"
        );
    }
}

#[test]
fn a_table_entry_that_lies_or_lacks_fields_is_a_problem() {
    let (_out, dir) = make_with_table(|e| e["bytes"] = json!(1));
    assert!(problems(&dir).iter().any(
        |p| matches!(p, Problem::SizeMismatch { name, expected: 1, .. } if name == "users.csv")
    ));
    let (_out, dir) = make_with_table(|e| e["sha256"] = json!("0".repeat(64)));
    assert!(problems(&dir).contains(&Problem::HashMismatch {
        name: "users.csv".into(),
        against: "manifest.json"
    }));
    let (_out, dir) = make_with_table(|e| {
        e.as_object_mut().expect("object").remove("path");
    });
    let found = problems(&dir);
    assert!(found.contains(&Problem::Manifest {
        detail: "tables[0] lacks `path`, `sha256` or `bytes`".into()
    }));
    // Named by SHA256SUMS only, the file is still hashed, not reported as extra.
    assert!(!found.iter().any(|p| matches!(p, Problem::Extra { .. })));
    let (_out, dir) = make_with_table(|e| e["path"] = json!("../users.csv"));
    assert!(
        problems(&dir)
            .iter()
            .any(|p| matches!(p, Problem::UnsafeName { .. }))
    );
}

/// Appends `name` with its true hash to `SHA256SUMS`, as someone adding a file would.
fn list_in_sums(dir: &Path, name: &str) {
    let digest = Digest::of(&fs::read(dir.join(name)).expect("read"));
    let mut sums = fs::read_to_string(dir.join(SHA256SUMS)).expect("sums");
    sums.push_str(&format!("{}  {name}\n", digest.sha256));
    fs::write(dir.join(SHA256SUMS), sums).expect("write");
}

#[test]
fn a_file_listed_in_sha256sums_but_not_in_the_manifest_does_not_verify() {
    let (_out, dir) = make(&users("iru-fivetran/users/v1"));
    fs::write(dir.join("auditor-note.html"), b"<p>all good</p>").expect("write");
    list_in_sums(&dir, "auditor-note.html");
    let found = inspect(&dir);
    assert!(
        found
            .problems
            .iter()
            .any(|p| p.file() == Some("auditor-note.html") && p.code() == "not_in_manifest"),
        "{:?}",
        found.problems
    );
    assert!(verify(&dir).is_err());
    let text = verify(&dir).expect_err("added").to_string();
    assert!(
        text.contains("auditor-note.html: listed in SHA256SUMS but not in the manifest"),
        "{text}"
    );
}

#[test]
fn the_signature_is_the_one_file_besides_the_manifest_sha256sums_alone_may_list() {
    use crate::evidence::sign::{SIGNATURE_FILE, SigningKey};
    use ssh_key::private::{Ed25519Keypair, PrivateKey};
    let (_out, dir) = make(&users("iru-fivetran/users/v1"));
    let key = SigningKey::from_private_key(PrivateKey::from(Ed25519Keypair::from_seed(&[9; 32])));
    let manifest = fs::read(dir.join(manifest::FILE_NAME)).expect("manifest");
    fs::write(dir.join(SIGNATURE_FILE), key.sign(&manifest).expect("sign")).expect("sig");
    list_in_sums(&dir, SIGNATURE_FILE);
    verify(&dir).expect("a signed bundle verifies");
}

/// An item holding `value` (raw JSON bytes), in a `users.json` whose hashes are all right.
fn bundle_with_item_value(value: &[u8]) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let mut bytes = br#"{"schema":"iru-fivetran/users/v1","resource":"users","kind":"collected","status":"complete","count":1,"items":[{"id":"u","note":"#.to_vec();
    bytes.extend_from_slice(value);
    bytes.extend_from_slice(b"}]}\n");
    let (out, dir) = make_bytes(&bytes);
    (out, dir, bytes)
}

/// Values inside an item that `diff`'s reader refuses, each with what it is.
fn values_no_reader_accepts() -> Vec<(&'static str, Vec<u8>)> {
    let deep = format!("{}{}", "[".repeat(130), "]".repeat(130));
    vec![
        ("invalid UTF-8", b"\"caf\xe9\"".to_vec()),
        ("a lone surrogate", br#""\ud800""#.to_vec()),
        ("nesting past 128 levels", deep.into_bytes()),
    ]
}

#[test]
fn an_item_diff_cannot_read_does_not_verify_either() {
    for (what, value) in values_no_reader_accepts() {
        let (_out, dir, bytes) = bundle_with_item_value(&value);
        // The reader diff, baseline selection and the report use refuses the file...
        assert!(
            crate::evidence::bundle::read_items(&bytes[..], drop).is_err(),
            "{what}: the reader accepts it"
        );
        // ... and so does the verifier.
        let found = inspect(&dir);
        assert!(
            found
                .problems
                .iter()
                .any(|p| matches!(p, Problem::Envelope { name, .. } if name == "users.json")),
            "{what}: {:?}",
            found.problems
        );
    }
    // The same item with a plain value is fine for both.
    let (_out, dir, bytes) = bundle_with_item_value(br#"[[["caf\u00e9"]]]"#);
    crate::evidence::bundle::read_items(&bytes[..], drop).expect("reads");
    verify(&dir).expect("verifies");
}

#[test]
fn a_file_listed_both_as_an_artifact_and_as_a_table_is_a_duplicate() {
    // Found by the verify_dir fuzz harness: each list was checked for duplicates, not the two.
    let (_out, dir) = make_with_table(|_| {});
    let users = Digest::of(&fs::read(dir.join("users.json")).expect("read"));
    let mut manifest: Value =
        serde_json::from_slice(&fs::read(dir.join(manifest::FILE_NAME)).expect("m")).expect("json");
    manifest["tables"].as_array_mut().expect("tables").push(
        json!({"path": "users.json", "kind": "derived", "from": "users",
                     "sha256": users.sha256, "bytes": users.bytes, "rows": 1}),
    );
    let bytes = render(&manifest);
    fs::write(dir.join(manifest::FILE_NAME), &bytes).expect("write");
    let sums: String = fs::read_to_string(dir.join(SHA256SUMS))
        .expect("sums")
        .lines()
        .map(|l| {
            let name = &l[66..];
            let digest = Digest::of(&fs::read(dir.join(name)).expect("listed"));
            format!("{}  {name}\n", digest.sha256)
        })
        .collect();
    fs::write(dir.join(SHA256SUMS), sums).expect("write");
    assert_eq!(
        problems(&dir),
        [Problem::Duplicate {
            source: "manifest.json",
            name: "users.json".into()
        }]
    );
}
