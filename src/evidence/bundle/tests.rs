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

/// Items with ties on the key, a missing key, nesting and a secret to redact.
fn mixed_items() -> Vec<Value> {
    vec![
        json!({"id": "b", "z": [3, {"y": 1, "x": 2}], "password": "hunter2"}),
        json!({"id": "a", "note": "second of the a's"}),
        json!({"name": "no id"}),
        json!({"id": "a", "note": "first of the a's"}),
        json!({"id": "c", "empty": {}, "list": []}),
        json!({"name": "no id either"}),
    ]
}

fn sink_bytes(items: Vec<Value>) -> (Vec<u8>, Vec<Redaction>) {
    let out = tempfile::tempdir().expect("tmp");
    let b = Bundle::create(out.path(), "s").expect("create");
    let mut sink = b.sink(Artifact::Groups).expect("sink");
    for item in items {
        sink.push(item);
    }
    let header = crate::evidence::envelope(
        Artifact::Groups,
        Some("acc"),
        "2026-01-01T00:00:00Z",
        crate::vocab::Collected::default(),
    );
    let (written, redactions) = sink.finish(header).expect("finish");
    let bytes = fs::read(b.tmp_dir().join("groups.json")).expect("read");
    assert_eq!(written.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(written.bytes, bytes.len() as u64);
    let left: Vec<_> = fs::read_dir(b.tmp_dir())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["groups.json"], "the spill file is gone");
    (bytes, redactions)
}

#[test]
fn a_sink_writes_what_rendering_the_whole_artifact_writes_in_any_order() {
    let mut items = mixed_items();
    let mut expected = items.clone();
    let in_memory = crate::evidence::redact::redact_items(Artifact::Groups, &mut expected);
    let whole = render(&crate::evidence::envelope(
        Artifact::Groups,
        Some("acc"),
        "2026-01-01T00:00:00Z",
        crate::vocab::Collected {
            items: expected,
            ..Default::default()
        },
    ));
    let (bytes, redactions) = sink_bytes(items.clone());
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        String::from_utf8_lossy(&whole)
    );
    assert_eq!(redactions, in_memory);
    assert!(!String::from_utf8_lossy(&bytes).contains("hunter2"));
    items.reverse();
    assert_eq!(sink_bytes(items).0, whole, "arrival order does not matter");
    let (empty, _) = sink_bytes(Vec::new());
    assert!(String::from_utf8_lossy(&empty).contains("\"items\": [],"));
}

#[test]
fn a_sink_never_puts_a_secret_on_disk_and_a_dropped_one_leaves_no_spill() {
    let out = tempfile::tempdir().expect("tmp");
    let b = Bundle::create(out.path(), "s").expect("create");
    let mut sink = b.sink(Artifact::Groups).expect("sink");
    sink.push(json!({"id": "x", "config": {"api_secret": "PLANTED-spill"}}));
    sink.spill.as_mut().expect("open").flush().expect("flush");
    let spill = fs::read(b.tmp_dir().join(".groups.json.spill")).expect("spill");
    assert!(!String::from_utf8_lossy(&spill).contains("PLANTED-spill"));
    drop(sink);
    assert_eq!(fs::read_dir(b.tmp_dir()).expect("dir").count(), 0);
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
