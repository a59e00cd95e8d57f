//! Unit tests of `evidence::summary`.

use super::*;
use serde_json::Value;

fn sample() -> Summary {
    let mut s = Summary::new(SummaryStatus::Partial, 3, "2026-01-01T00:00:00Z".to_owned());
    s.bundle = Some("/tmp/evidence/fivetran-acc-20260101T000000Z".into());
    s.artifacts.insert(
        "users",
        ArtifactSummary {
            status: Status::Partial,
            count: 2,
            reason: Some("403 on a later page".into()),
        },
    );
    s.requests = Some(RequestSummary {
        total: 12,
        lowest_remaining: None,
        rate_limited: 2,
        slowdowns: 1,
        final_rate: 3.2,
        lowest_rate: 2.0,
    });
    s
}

#[test]
fn the_summary_has_its_schema_sorted_keys_and_nulls_for_what_did_not_happen() {
    let bytes = sample().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(v["schema"], SCHEMA);
    assert_eq!(v["status"], "partial");
    assert_eq!(v["exit_code"], 3);
    assert_eq!(v["artifacts"]["users"]["count"], 2);
    assert_eq!(v["artifacts"]["users"]["status"], "partial");
    assert_eq!(v["requests"]["total"], 12);
    assert!(v["requests"]["lowest_remaining"].is_null());
    assert_eq!(v["requests"]["slowdowns"], 1);
    assert_eq!(v["requests"]["final_rate"], 3.2);
    assert_eq!(v["requests"]["lowest_rate"], 2.0);
    for absent in ["archive", "signature", "failed_bundle", "error"] {
        assert!(v[absent].is_null(), "{absent}: {v}");
    }
    let text = String::from_utf8(bytes).expect("utf8");
    assert!(
        text.find("\"archive\"") < text.find("\"artifacts\""),
        "{text}"
    );
    assert!(text.ends_with("}\n"));
}

#[test]
fn the_summary_is_written_atomically_and_privately_and_replaces_an_old_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("summary.json");
    std::fs::write(&path, b"old").expect("old");
    sample().write(&path).expect("write");
    let v: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    assert_eq!(v["status"], "partial");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["summary.json"], "no .partial left");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // A file that existed is replaced by the rename, so its mode is the new file's.
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn an_unwritable_summary_path_names_the_path_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("missing-dir").join("summary.json");
    let err = sample().write(&path).expect_err("no such directory");
    let text = err.to_string();
    assert!(text.contains("missing-dir/summary.json"), "{text}");
    assert!(text.contains("hint:"), "{text}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}
