//! `--skip`: a list the key is not meant to read is configured once and the nightly run stays
//! complete, with no request for it and the choice recorded where an auditor sees it.

use crate::support::{self, acme, collect, requests_to, server};

/// A system key scoped without webhook access: every night the run would be partial (exit 3)
/// for the same by-design 403. `--skip webhooks` makes it complete, sends no request for the
/// list, and says so in the artifact, the manifest and the report.
#[test]
fn a_list_the_key_cannot_read_by_design_is_skipped_once_and_the_run_is_complete() {
    let mut account = acme();
    let message = "Access denied. Required permission: WEBHOOK_READ";
    account
        .forbidden
        .insert("/v1/webhooks".into(), message.into());
    let fake = server(account);
    collect(&fake, &[]).assert_code(3);
    let before = requests_to(&fake, "/v1/webhooks");
    assert!(before >= 1);

    let run = collect(&fake, &["--skip", "webhooks"]);
    run.assert_code(0);
    assert_eq!(
        requests_to(&fake, "/v1/webhooks"),
        before,
        "no request sent"
    );
    let webhooks = run.json("webhooks.json");
    assert_eq!(webhooks["status"], "unavailable", "{webhooks}");
    assert_eq!(webhooks["count"], 0);
    assert!(
        webhooks["reason"]
            .as_str()
            .expect("reason")
            .contains("--skip"),
        "{webhooks}"
    );
    let manifest = run.manifest();
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["options"]["skip"], serde_json::json!(["webhooks"]));
    // The artifacts made from it do not count the choice as a loss.
    for derived in ["findings", "activity", "audit_coverage"] {
        let status = &support::manifest_artifact(&manifest, derived)["status"];
        assert_ne!(status, "partial", "{derived}: {status}");
        assert_ne!(status, "failed", "{derived}: {status}");
    }
    let report = support::run(
        &["report", support::arg(&run.bundle()), "--format", "md"],
        &[],
    );
    report.assert_code(0);
    assert!(report.stdout.contains("skip webhooks"), "{}", report.stdout);
}

#[test]
fn sync_history_can_be_skipped_without_a_request() {
    let fake = server(acme());
    let run = collect(&fake, &["--skip", "sync_history"]);
    run.assert_code(0);
    let sent = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/sync-history"))
        .count();
    assert_eq!(sent, 0);
    assert_eq!(run.json("sync_history.json")["status"], "unavailable");
}

#[test]
fn skip_takes_only_lists_read_from_the_api() {
    let fake = server(acme());
    for (value, needle) in [
        ("account", "every run reads it"),
        ("findings", "--resources"),
        ("webhook", "did you mean `webhooks`"),
    ] {
        let run = collect(&fake, &["--skip", value]);
        run.assert_code(2);
        assert!(run.stderr.contains(needle), "{value}: {}", run.stderr);
        assert!(run.stderr.contains("hint:"), "{value}: {}", run.stderr);
    }
    assert!(fake.requests().is_empty(), "refused before any request");
}
