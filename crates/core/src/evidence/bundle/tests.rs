//! Unit tests of `evidence::bundle`.

use super::*;
use serde_json::json;
use sha2::{Digest as _, Sha256};

#[test]
fn bundle_appears_only_when_finished() {
    let out = tempfile::tempdir().expect("tmp");
    let mut b = Bundle::create(out.path(), "20260101T000000Z").expect("create");
    b.write("users.json", b"{}\n").expect("write");
    let names = |p: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(p)
            .expect("read")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let before = names(out.path());
    assert_eq!(before.len(), 1);
    assert!(before[0].starts_with(".iru-fivetran-") && before[0].ends_with(".incomplete"));
    let dir = b
        .finish("fivetran-acc-x", "manifest.json", |id| {
            format!("{{\"bundle_id\":\"{id}\"}}\n").into_bytes()
        })
        .expect("finish");
    assert_eq!(names(out.path()), ["fivetran-acc-x"]);
    assert_eq!(names(&dir), ["SHA256SUMS", "manifest.json", "users.json"]);
    let sums = fs::read_to_string(dir.join("SHA256SUMS")).expect("sums");
    assert_eq!(sums.lines().count(), 2);
    assert!(sums.contains(&format!(
        "{}  users.json",
        hex::encode(Sha256::digest(b"{}\n"))
    )));
}

#[test]
fn items_stream_back_with_the_other_fields() {
    let text =
        br#"{"count": 2, "items": [{"id": "a"}, {"id": "b", "n": [1]}], "status": "complete"}"#;
    let mut seen = Vec::new();
    let fields = read_items(&text[..], |item| seen.push(item)).expect("read");
    assert_eq!(seen, [json!({"id": "a"}), json!({"id": "b", "n": [1]})]);
    assert_eq!(fields["status"], "complete");
    assert!(!fields.contains_key("items"));
    assert!(read_items(&b"{\"items\": [1,"[..], |_| {}).is_err());
    assert!(read_items(&b"[]"[..], |_| {}).is_err(), "not an envelope");
}

#[test]
fn a_dropped_bundle_leaves_nothing_behind() {
    let out = tempfile::tempdir().expect("tmp");
    let mut b = Bundle::create(out.path(), "s").expect("create");
    b.write("users.json", b"{}\n").expect("write");
    drop(b);
    assert_eq!(fs::read_dir(out.path()).expect("read").count(), 0);
}

#[test]
fn a_write_error_names_the_path_and_the_drop_cleans_up() {
    let out = tempfile::tempdir().expect("tmp");
    let mut b = Bundle::create(out.path(), "s").expect("create");
    // A directory where the partial file should go makes the write fail, as a full or
    // read-only disk would.
    fs::create_dir(b.tmp_dir().join("users.json.partial")).expect("mkdir");
    let err = b.write("users.json", b"{}\n").expect_err("cannot write");
    assert!(err.to_string().contains("users.json.partial"), "{err}");
    drop(b);
    assert_eq!(fs::read_dir(out.path()).expect("read").count(), 0);
}

#[test]
fn a_taken_name_gets_a_suffix_and_the_manifest_knows_it() {
    let out = tempfile::tempdir().expect("tmp");
    fs::create_dir(out.path().join("fivetran-acc-x")).expect("mkdir");
    let b = Bundle::create(out.path(), "s").expect("create");
    let dir = b
        .finish("fivetran-acc-x", "manifest.json", |id| {
            id.as_bytes().to_vec()
        })
        .expect("finish");
    assert!(dir.ends_with("fivetran-acc-x-2"));
    assert_eq!(
        fs::read(dir.join("manifest.json")).expect("m"),
        b"fivetran-acc-x-2"
    );
}

#[cfg(unix)]
#[test]
fn unwritable_output_names_the_path() {
    use std::os::unix::fs::PermissionsExt as _;
    let out = tempfile::tempdir().expect("tmp");
    let locked = out.path().join("locked");
    fs::create_dir(&locked).expect("mkdir");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).expect("chmod");
    // root ignores permission bits; only check when they apply.
    if fs::File::create(locked.join("probe")).is_err() {
        let err = Bundle::create(&locked.join("sub"), "s").expect_err("unwritable");
        assert!(err.to_string().contains("locked/sub"), "{err}");
    }
    let file = out.path().join("file");
    fs::write(&file, b"x").expect("write");
    let err = Bundle::create(&file, "s").expect_err("a file, not a directory");
    assert!(err.to_string().contains("hint:"), "{err}");
}
