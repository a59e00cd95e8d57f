//! The collecting key's own access: the manifest, the run summary and the report say whose key
//! collected the bundle and what it may see, so that a bundle of a narrow key does not look
//! like the whole account.

use serde_json::{Value, json};

use crate::package::Side;
use crate::support::{acme, collect, requests_to, run, server};

/// The acme account read with its `lucid_otter` system key (CONNECTOR READ filtered to two
/// connections, TRANSFORMATION MANAGE, nothing else).
fn with_system_key(id: &str) -> iru_fivetran_fake::FakeAccount {
    let mut account = acme();
    account.account_info = json!({
        "account_id": "sterling_paddock",
        "account_name": "Acme Analytics Inc.",
        "system_key_id": id,
    });
    account
}

#[test]
fn an_administrators_key_is_recorded_as_the_whole_account() {
    let fake = server(acme());
    let side = Side::new();
    let run = collect(&fake, &["--summary-json", &side.summary_arg()]);
    run.assert_code(0);
    let access = &run.manifest()["account"]["access"];
    assert_eq!(access["scope"], "whole_account", "{access}");
    assert_eq!(access["role"], "Account Administrator");
    assert!(access["permissions"].is_null());
    assert_eq!(requests_to(&fake, "/v1/users/tidy_lantern"), 1);
    assert_eq!(side.summary()["account"], run.manifest()["account"]);
}

#[test]
fn a_narrow_system_key_says_the_bundle_may_not_be_the_whole_account() {
    let fake = server(with_system_key("lucid_otter"));
    let side = Side::new();
    let collected = collect(&fake, &["--summary-json", &side.summary_arg()]);
    // The key's own detail holds its key value (planted): the leak check of every run proves
    // that only its permissions were kept.
    assert_eq!(requests_to(&fake, "/v1/system-keys/lucid_otter"), 1);
    let manifest = collected.manifest();
    let access = &manifest["account"]["access"];
    assert_eq!(manifest["account"]["key_kind"], "system_key");
    assert_eq!(access["scope"], "narrow", "{access}");
    let reason = access["reason"].as_str().expect("reason");
    for part in [
        "CONNECTOR limited by a resource filter",
        "no permission on USER",
        "may not be the whole account",
    ] {
        assert!(reason.contains(part), "{part}: {reason}");
    }
    let permissions = access["permissions"].as_array().expect("permissions");
    assert_eq!(permissions.len(), 2);
    assert!(permissions.iter().all(|p| p.get("key").is_none()));
    let summary = side.summary();
    assert_eq!(summary["account"]["access"]["scope"], "narrow");

    let bundle = collected.bundle().display().to_string();
    let report = run(&["report", &bundle, "--format", "md"], &[]);
    report.assert_code(0);
    assert!(
        report.stdout.contains("may not see the whole account"),
        "{}",
        report.stdout
    );
    assert!(
        report.stdout.contains("CONNECTOR READ (filter"),
        "{}",
        report.stdout
    );
}

#[test]
fn a_key_that_may_not_read_itself_is_unknown_not_whole() {
    let mut account = with_system_key("ample_kestrel");
    account.forbidden.insert(
        "/v1/system-keys/ample_kestrel".into(),
        "Access denied. Required permission: ACCOUNT_MANAGE".into(),
    );
    let fake = server(account);
    let run = collect(&fake, &[]);
    let access: &Value = &run.manifest()["account"]["access"];
    assert_eq!(access["scope"], "unknown", "{access}");
    assert!(
        access["reason"]
            .as_str()
            .is_some_and(|r| r.contains("ACCOUNT_MANAGE")),
        "{access}"
    );
}
