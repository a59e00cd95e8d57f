//! Unit tests of the window: where it starts and ends, what was covered, and the earlier
//! bundles it continues.

use jiff::SignedDuration;

use super::*;

fn t(s: &str) -> Timestamp {
    s.parse().expect("time")
}

#[test]
fn the_window_continues_the_previous_bundle_and_ends_at_the_last_sync() {
    let since = t("2026-12-05T00:00:00Z");
    let sync = t("2026-12-06T09:00:00Z");
    let start = t("2026-12-06T10:00:00Z");
    assert_eq!(
        asked(since, None, sync, start),
        (
            Window {
                start: since,
                end: sync
            },
            "since"
        )
    );
    let previous = Previous {
        bundle_id: "b".into(),
        resume: t("2026-12-01T00:00:00Z"),
    };
    assert_eq!(
        asked(since, Some(&previous), sync, start),
        (
            Window {
                start: previous.resume,
                end: sync
            },
            "previous_bundle"
        )
    );
    // A sync "after" the run's start (clocks) ends at the start; a resume point after the
    // last sync gives an empty window.
    assert_eq!(
        asked(since, None, t("2026-12-07T00:00:00Z"), start).0.end,
        start
    );
    let late = Previous {
        bundle_id: "b".into(),
        resume: t("2026-12-06T09:30:00Z"),
    };
    let (w, _) = asked(since, Some(&late), sync, start);
    assert_eq!(w.start, w.end);
}

#[test]
fn coverage_starts_at_retention_and_ends_where_a_table_stopped() {
    let w = Window {
        start: t("2026-12-05T00:00:00Z"),
        end: t("2026-12-06T00:00:00Z"),
    };
    assert_eq!(
        coverage(
            w,
            Some(t("2026-12-01T00:00:00Z")),
            &[("log", Read::Whole), ("audit_trail", Read::Absent)]
        ),
        (Some(w), vec![])
    );
    let (covered, gaps) = coverage(
        w,
        Some(t("2026-12-05T06:00:00Z")),
        &[
            (
                "log",
                Read::Until(t("2026-12-05T18:00:00Z"), "a statement timed out".into()),
            ),
            ("audit_trail", Read::Whole),
        ],
    );
    assert_eq!(
        covered,
        Some(Window {
            start: t("2026-12-05T06:00:00Z"),
            end: t("2026-12-05T18:00:00Z")
        })
    );
    assert_eq!(gaps.len(), 2);
    assert_eq!(gaps[0].start, "2026-12-05T00:00:00.000000Z");
    assert_eq!(gaps[0].end, "2026-12-05T06:00:00.000000Z");
    assert!(gaps[0].reason.contains("retention"), "{}", gaps[0].reason);
    assert_eq!(gaps[1].start, "2026-12-05T18:00:00.000000Z");
    assert_eq!(gaps[1].end, "2026-12-06T00:00:00.000000Z");
    assert_eq!(gaps[1].reason, "log: a statement timed out");
    // A table stopped at the start covers nothing.
    let (covered, gaps) = coverage(
        w,
        None,
        &[(
            "audit_trail",
            Read::Until(w.start, "permission denied".into()),
        )],
    );
    assert_eq!(covered, None);
    assert_eq!(gaps.len(), 1);
}

fn write_bundle(out: &Path, name: &str, manifest: &Value) {
    let dir = out.join(name);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join(manifest::FILE_NAME), manifest.to_string()).expect("write");
}

fn manifest_of(account: &str, profile: Option<&str>, sources: Value) -> Value {
    serde_json::json!({
        "schema": manifest::SCHEMA,
        "bundle_id": "set below",
        "account": {"account_id": account},
        "options": {"profile": profile},
        "audit_trail": {"sources": sources, "destinations": []},
    })
}

#[test]
fn earlier_bundles_give_each_platform_connector_where_to_resume() {
    let out = tempfile::tempdir().expect("dir");
    let covered = serde_json::json!([{
        "platform_connector": "quiet_abacus",
        "window_asked": {"start": "2026-12-01T00:00:00.000000Z", "end": "2026-12-02T00:00:00.000000Z"},
        "window_covered": {"start": "2026-12-01T00:00:00.000000Z", "end": "2026-12-01T12:00:00.000000Z"},
    }, {
        "platform_connector": "lone_sextant",
        "window_asked": {"start": "2026-11-30T00:00:00.000000Z", "end": "2026-12-02T00:00:00.000000Z"},
        "window_covered": null,
    }, {
        "platform_connector": "never_asked",
        "window_asked": null,
    }]);
    write_bundle(
        out.path(),
        "fivetran-acme-20261202T000000Z",
        &manifest_of("acme", None, covered),
    );
    let older = serde_json::json!([{
        "platform_connector": "quiet_abacus",
        "window_asked": {"start": "2026-11-01T00:00:00.000000Z", "end": "2026-11-02T00:00:00.000000Z"},
        "window_covered": {"start": "2026-11-01T00:00:00.000000Z", "end": "2026-11-02T00:00:00.000000Z"},
    }, {
        "platform_connector": "old_one",
        "window_asked": {"start": "2026-11-01T00:00:00.000000Z", "end": "2026-11-02T00:00:00.000000Z"},
        "window_covered": {"start": "2026-11-01T00:00:00.000000Z", "end": "2026-11-02T00:00:00.000000Z"},
    }]);
    write_bundle(
        out.path(),
        "fivetran-acme-20261102T000000Z",
        &manifest_of("acme", None, older),
    );
    // Another profile's, another account's, and a later one that does not verify.
    let other = serde_json::json!([{"platform_connector": "quiet_abacus",
        "window_asked": {"start": "2026-12-03T00:00:00.000000Z", "end": "2026-12-04T00:00:00.000000Z"},
        "window_covered": {"start": "2026-12-03T00:00:00.000000Z", "end": "2026-12-04T00:00:00.000000Z"}}]);
    write_bundle(
        out.path(),
        "fivetran-acme-20261204T000000Z",
        &manifest_of("acme", Some("eu"), other.clone()),
    );
    write_bundle(
        out.path(),
        "fivetran-acme-20261205T000000Z",
        &manifest_of("acme", None, other),
    );
    let verifies = |dir: &Path| !dir.ends_with("fivetran-acme-20261205T000000Z");
    let found = previous(out.path(), "acme", None, &verifies);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found["quiet_abacus"].resume, t("2026-12-01T12:00:00Z"));
    assert_eq!(found["quiet_abacus"].bundle_id, "set below");
    assert_eq!(found["lone_sextant"].resume, t("2026-11-30T00:00:00Z"));
    assert_eq!(found["old_one"].resume, t("2026-11-02T00:00:00Z"));
    let eu = previous(out.path(), "acme", Some("eu"), &|_: &Path| true);
    assert_eq!(
        eu["quiet_abacus"].resume,
        t("2026-12-04T00:00:00Z"),
        "the eu profile's own"
    );
    assert!(previous(out.path(), "someone_else", None, &|_: &Path| true).is_empty());
    let _ = SignedDuration::ZERO;
}
