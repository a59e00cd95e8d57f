//! Unit tests of the comparison rules that the end-to-end tests reach only at a distance:
//! comparability, the redaction rule, schema-config defaults, ordering, skipped artifacts.

use serde_json::{Value, json};

use super::*;

/// A snapshot of account `acc` with complete envelopes of `artifacts`.
fn snap(resources: &[&str], artifacts: &[(Artifact, Value)]) -> Snapshot {
    let envelopes = artifacts
        .iter()
        .map(|(a, items)| {
            (
                *a,
                json!({"status": "complete", "kind": "collected", "items": items}),
            )
        })
        .collect();
    Snapshot {
        account_id: Some("acc".into()),
        bundle_id: Some("b".into()),
        started_at: Some("2026-01-01T00:00:00Z".into()),
        resources: resources.iter().map(|r| (*r).to_owned()).collect(),
        envelopes,
    }
}

fn one(artifact: Artifact, old: Value, new: Value) -> Vec<Change> {
    let name = artifact.name();
    let a = snap(&["account", name], &[(artifact, json!([old]))]);
    let b = snap(&["account", name], &[(artifact, json!([new]))]);
    compare(&a, &b).expect("comparable")
}

fn kinds(changes: &[Change]) -> Vec<(&str, &str)> {
    changes.iter().map(|c| (c.kind, c.field.as_str())).collect()
}

#[test]
fn different_accounts_or_selections_are_refused_derived_ones_do_not_matter() {
    let a = snap(&["account", "users", "changes"], &[]);
    let mut b = snap(&["account", "users", "activity"], &[]);
    assert_eq!(compare(&a, &b).expect("derived differ only"), []);
    b.account_id = Some("other".into());
    let e = compare(&a, &b).expect_err("accounts differ");
    assert!(
        e.to_string()
            .contains("different accounts: acc and other\nhint: "),
        "{e}"
    );
    let c = snap(&["account", "users", "teams"], &[]);
    let e = compare(&a, &c).expect_err("selections differ");
    assert_eq!(
        e,
        NotComparable::ResourcesDiffer {
            only_old: vec![],
            only_new: vec!["teams".into()]
        }
    );
    b.account_id = None;
    assert!(matches!(
        compare(&a, &b),
        Err(NotComparable::AccountUnknown { which: "new" })
    ));
}

#[test]
fn redacted_config_values_show_only_addition_or_removal() {
    let old = json!({"id": "c", "config": {"host": "a", "password": "<redacted>", "token": "<redacted>",
                                           "gone": "<redacted>", "pin": ""}});
    let new = json!({"id": "c", "config": {"host": "b", "password": "<redacted>", "token": 42,
                                           "api_key": "<redacted>", "pin": "<redacted>"}});
    let changes = one(Artifact::Connections, old, new);
    let shown: Vec<(&str, Value, Value, bool)> = changes
        .iter()
        .map(|c| {
            (
                c.field.as_str(),
                c.before.clone(),
                c.after.clone(),
                c.note.is_some(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("config.api_key", Value::Null, json!("<redacted>"), true),
            ("config.gone", json!("<redacted>"), Value::Null, true),
            ("config.host", json!("a"), json!("b"), false),
            ("config.pin", json!(""), json!("<redacted>"), true),
        ]
    );
    assert!(
        changes
            .iter()
            .all(|c| c.kind == "connection_config_changed")
    );
}

#[test]
fn schema_config_defaults_and_paths() {
    let old = json!({"id": "c", "schema_config": {
        "schema_change_handling": "ALLOW_ALL",
        "schemas": {"s": {"enabled": true, "tables": {
            "t": {"enabled": true, "columns": {"a": {"enabled": true, "hashed": false}}},
            "gone": {"enabled": true, "columns": {"x": {"hashed": true}, "y": {"enabled": false}}}
        }}, "old_schema": {"enabled": true, "tables": {"u": {"enabled": true}}}}
    }});
    let new = json!({"id": "c", "schema_config": {
        "schema_change_handling": "BLOCK_ALL",
        "enable_new_by_default": false,
        "schemas": {
            "s": {"enabled": true, "tables": {
                "t": {"enabled": false, "columns": {
                    "a": {"enabled": false, "hashed": true},
                    "b": {"enabled": true},
                    "c.d": {"hashed": true}
                }}
            }},
            "new_off": {"enabled": false},
            "new_on": {"enabled": true}
        }
    }});
    let changes = one(Artifact::Connections, old, new);
    assert_eq!(
        kinds(&changes),
        [
            (
                "column_disabled",
                "schema_config.schemas.s.tables.t.columns.a.enabled"
            ),
            (
                "column_hashed",
                "schema_config.schemas.s.tables.t.columns.\"c.d\".hashed"
            ),
            (
                "column_hashed",
                "schema_config.schemas.s.tables.t.columns.a.hashed"
            ),
            (
                "schema_change_handling_changed",
                "schema_config.enable_new_by_default"
            ),
            (
                "schema_change_handling_changed",
                "schema_config.schema_change_handling"
            ),
            (
                "schema_disabled",
                "schema_config.schemas.old_schema.enabled"
            ),
            ("schema_enabled", "schema_config.schemas.new_on.enabled"),
            (
                "table_disabled",
                "schema_config.schemas.s.tables.gone.enabled"
            ),
            ("table_disabled", "schema_config.schemas.s.tables.t.enabled"),
        ]
    );
    // The vanished table `gone` and schema `old_schema` are one change each: their columns
    // and tables are not listed as unhashed or disabled one by one.
    // No schema config on one side: nothing compared.
    let changes = one(
        Artifact::Connections,
        json!({"id": "c", "schema_config": null}),
        json!({"id": "c", "schema_config": {"schemas": {"s": {"enabled": true}}}}),
    );
    assert_eq!(changes, []);
}

#[test]
fn access_first_notes_ignored_deleted_items_absent_unknown_lists_skipped() {
    let resources = ["account", "users", "webhooks"];
    let a = snap(
        &resources,
        &[
            (
                Artifact::Users,
                json!([{"id": "u", "role": "R", "group_memberships": null}]),
            ),
            (
                Artifact::Webhooks,
                json!([{"id": "w", "url": "x", "_iru": {"a": 1}}]),
            ),
        ],
    );
    let b = snap(
        &resources,
        &[
            (
                Artifact::Users,
                json!([
                    {"id": "u", "role": "R", "group_memberships": [{"id": "g", "role": "A"}], "logged_in_at": "now"},
                    {"id": "v", "_iru": {"deleted_during_run": {}}}
                ]),
            ),
            (
                Artifact::Webhooks,
                json!([{"id": "w", "url": "y", "_iru": {"b": 2}}]),
            ),
        ],
    );
    let changes = compare(&a, &b).expect("comparable");
    assert_eq!(kinds(&changes), [("webhook_changed", "url")]);
    let mut c = b.clone();
    c.envelopes.insert(
        Artifact::Users,
        json!({"status": "complete", "items": [{"id": "n", "role": "Account Administrator"}]}),
    );
    let changes = compare(&a, &c).expect("comparable");
    assert_eq!(
        kinds(&changes),
        [
            ("user_added", "role"),
            ("user_removed", "role"),
            ("webhook_changed", "url")
        ]
    );
    assert!(changes[0].sort_key().starts_with("0-access/01-users/n/"));
    assert!(changes[2].sort_key().starts_with("1-configuration/"));
}

#[test]
fn incomplete_artifacts_are_not_compared_and_are_named() {
    let a = snap(
        &["account", "users"],
        &[(Artifact::Users, json!([{"id": "u"}]))],
    );
    let mut b = snap(&["account", "users"], &[(Artifact::Users, json!([]))]);
    b.envelopes
        .insert(Artifact::Users, json!({"status": "partial", "items": []}));
    assert_eq!(compare(&a, &b).expect("comparable"), []);
    assert_eq!(uncompared(&a, &b), ["users (partial in the new bundle)"]);
    b.envelopes.clear();
    assert_eq!(uncompared(&a, &b), ["users (failed in the new bundle)"]);
}

#[test]
fn items_are_redacted_like_the_artifact() {
    let change = Change {
        kind: "webhook_changed",
        artifact: Artifact::Webhooks,
        id: "w".into(),
        label: None,
        field: "config".into(),
        before: Value::Null,
        after: json!({"secret": "s3cr3t"}),
        note: None,
    };
    assert_eq!(
        change.to_json()["sort_key"],
        "1-configuration/07-webhooks/w/webhook_changed/config"
    );
    let out = items(std::slice::from_ref(&change));
    assert_eq!(out[0]["after"]["secret"], "<redacted>");
    assert_eq!(out[0]["category"], "configuration");
    assert_eq!(out[0]["kind"], "webhook_changed");
}
