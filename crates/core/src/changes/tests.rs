//! Unit tests of the comparison rules that the end-to-end tests reach only at a distance:
//! comparability, the redaction rule, schema-config defaults, ordering, skipped artifacts.

use serde_json::{Value, json};

use super::*;

/// An in-memory snapshot of account `acc` with complete envelopes of `artifacts`.
fn snap(resources: &[&str], artifacts: &[(Artifact, Value)]) -> Snapshot<'static> {
    let mut snapshot = Snapshot {
        account_id: Some("acc".into()),
        bundle_id: Some("b".into()),
        started_at: Some("2026-01-01T00:00:00Z".into()),
        resources: resources.iter().map(|r| (*r).to_owned()).collect(),
        ..Snapshot::default()
    };
    for (artifact, items) in artifacts {
        snapshot.set_envelope(
            *artifact,
            Some(json!({"status": "complete", "kind": "collected", "items": items})),
        );
    }
    snapshot
}

/// The reason two snapshots cannot be compared (panics on any other outcome).
fn refused(old: &Snapshot<'_>, new: &Snapshot<'_>) -> NotComparable {
    match compare(old, new) {
        Err(CompareError::NotComparable(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
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
    let e = refused(&a, &b);
    assert!(
        e.to_string()
            .contains("different accounts: acc and other\nhint: "),
        "{e}"
    );
    let c = snap(&["account", "users", "teams"], &[]);
    let e = refused(&a, &c);
    assert_eq!(
        e,
        NotComparable::ResourcesDiffer {
            only_old: vec![],
            only_new: vec!["teams".into()]
        }
    );
    b.account_id = None;
    assert!(matches!(
        refused(&a, &b),
        NotComparable::AccountUnknown { which: "new" }
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
    c.set_envelope(
        Artifact::Users,
        Some(
            json!({"status": "complete", "items": [{"id": "n", "role": "Account Administrator"}]}),
        ),
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
    b.set_envelope(
        Artifact::Users,
        Some(json!({"status": "partial", "items": []})),
    );
    assert_eq!(compare(&a, &b).expect("comparable"), []);
    assert_eq!(uncompared(&a, &b), ["users (partial in the new bundle)"]);
    b.set_envelope(Artifact::Users, None);
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
        audit: None,
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

#[test]
fn artifacts_are_loaded_one_pair_at_a_time_and_only_when_compared() {
    use std::sync::{Arc, Mutex};

    use super::snapshot::Watch;

    let resources = ["account", "users", "teams", "connections", "webhooks"];
    let users = json!([{"id": "u", "role": "R"}]);
    let connections = json!([{"id": "c", "paused": false}]);
    let webhooks = json!([{"id": "w", "url": "x"}]);
    let mut a = snap(
        &resources,
        &[
            (Artifact::Users, users.clone()),
            (Artifact::Teams, json!([])),
            (Artifact::Connections, connections.clone()),
            (Artifact::Webhooks, webhooks.clone()),
        ],
    );
    let mut b = snap(
        &resources,
        &[
            (Artifact::Users, json!([{"id": "u", "role": "S"}])),
            (Artifact::Connections, json!([{"id": "c", "paused": true}])),
            (Artifact::Webhooks, json!([{"id": "w", "url": "y"}])),
        ],
    );
    // Teams are partial in the new bundle: never compared, so never read.
    b.set_envelope(
        Artifact::Teams,
        Some(json!({"status": "partial", "items": []})),
    );
    let log = Arc::new(Mutex::new(Vec::new()));
    a.watch = Some(Watch {
        which: "old",
        log: Arc::clone(&log),
    });
    b.watch = Some(Watch {
        which: "new",
        log: Arc::clone(&log),
    });
    let loads = || log.lock().expect("not poisoned").clone();

    assert_eq!(uncompared(&a, &b), ["teams (partial in the new bundle)"]);
    assert_eq!(loads(), [], "statuses are known without reading items");
    let changes = compare(&a, &b).expect("comparable");
    assert_eq!(
        kinds(&changes),
        [
            ("user_role_changed", "role"),
            ("connection_paused", "paused"),
            ("webhook_changed", "url"),
        ]
    );
    // Each artifact is read from both bundles in turn (the two sides side by side, so in
    // either order), and when one is read no other artifact of the same bundle is still held.
    let mut seen = loads();
    for pair in seen.chunks_mut(2) {
        pair.sort();
    }
    assert_eq!(
        seen,
        [
            ("new", Artifact::Users, 0),
            ("old", Artifact::Users, 0),
            ("new", Artifact::Connections, 0),
            ("old", Artifact::Connections, 0),
            ("new", Artifact::Webhooks, 0),
            ("old", Artifact::Webhooks, 0),
        ]
    );
}

#[test]
fn the_bundle_being_written_is_read_when_compared_not_before() {
    let out = tempfile::tempdir().expect("temp dir");
    let mut bundle = crate::evidence::bundle::Bundle::create(out.path(), "s").expect("create");
    let envelope = |role: &str| json!({"status": "complete", "kind": "collected", "items": [{"id": "u", "role": role}]});
    bundle
        .write("users.json", envelope("R").to_string().as_bytes())
        .expect("write");
    let resources = ["account", "users"];
    let old = snap(
        &resources,
        &[(Artifact::Users, json!([{"id": "u", "role": "R"}]))],
    );
    let new = Snapshot::from_bundle(
        &bundle,
        Some("acc"),
        &resources,
        Some("2026-01-02T00:00:00Z".into()),
        &[(Artifact::Users, crate::vocab::Status::Complete)],
    );
    assert_eq!(
        new.status(Artifact::Users),
        Some(crate::vocab::Status::Complete)
    );
    // The file as it is when compared counts, not as it was when the snapshot was made.
    let file = bundle.tmp_dir().join("users.json");
    std::fs::write(&file, envelope("Account Administrator").to_string()).expect("rewrite");
    let changes = compare(&old, &new).expect("comparable");
    assert_eq!(kinds(&changes), [("user_role_changed", "role")]);
    assert_eq!(changes[0].after, "Account Administrator");
    // A file gone by then is an error, not an artifact with no items.
    std::fs::remove_file(&file).expect("remove");
    assert!(matches!(
        compare(&old, &new),
        Err(CompareError::Unreadable {
            which: "new",
            error: LoadError::Written { name: "users.json" },
        })
    ));
}

#[test]
fn a_dbt_project_moved_to_another_branch_or_repository_is_named() {
    let old = json!({"id": "p", "group_id": "g", "project_config": {
        "git_remote_url": "git@github.com:acme/dbt.git", "git_branch": "main", "dbt_version": "1.8.7"}});
    let mut new = old.clone();
    new["project_config"]["git_branch"] = json!("hotfix");
    new["project_config"]["git_remote_url"] = json!("git@github.com:someone/fork.git");
    let changes = one(Artifact::TransformationProjects, old, new);
    assert_eq!(
        kinds(&changes),
        [
            ("transformation_project_moved", "project_config.git_branch"),
            (
                "transformation_project_moved",
                "project_config.git_remote_url"
            ),
        ]
    );
}

#[test]
fn an_sdk_package_with_new_code_and_certificates_approved_or_revoked_are_changes() {
    let old =
        json!({"id": "k", "connection_id": "c", "file_sha256_hash": "aa", "last_updated_by": "u"});
    let mut new = old.clone();
    new["file_sha256_hash"] = json!("bb");
    let changes = one(Artifact::ConnectorSdkPackages, old, new);
    assert_eq!(
        kinds(&changes),
        [("connector_sdk_package_changed", "file_sha256_hash")]
    );

    let name = Artifact::Certificates.name();
    let cert = |key: &str, by: &str| json!({"sort_key": key, "name": "db", "validated_by": by, "validated_date": "2026-01-01T00:00:00Z"});
    let a = snap(
        &["account", name],
        &[(
            Artifact::Certificates,
            json!([cert("connection/c/h1", "u1"), cert("connection/c/h2", "u1")]),
        )],
    );
    let b = snap(
        &["account", name],
        &[(
            Artifact::Certificates,
            json!([cert("connection/c/h2", "u2"), cert("connection/c/h3", "u2")]),
        )],
    );
    let changes = compare(&a, &b).expect("comparable");
    assert_eq!(
        kinds(&changes),
        [
            ("certificate_revoked", "validated_by"),
            ("certificate_reapproved", "validated_by"),
            ("certificate_approved", "validated_by"),
        ]
    );
}
