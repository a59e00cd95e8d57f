//! Unit tests of `evidence::bundle::spill`.

use super::*;
use crate::evidence::bundle::Bundle;
use serde_json::json;
use sha2::{Digest as _, Sha256};

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
