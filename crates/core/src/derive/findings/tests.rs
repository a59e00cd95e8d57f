use serde_json::{Value, json};

use super::*;

/// Builds the artifact from sources in memory.
fn derive(sources: &Sources, params: &Params) -> Collected {
    let mut builder = Builder::new(*params);
    for artifact in READ_ORDER.into_iter().chain(ALSO_READ) {
        for item in sources.items(artifact) {
            builder.add(artifact, item);
        }
    }
    builder.finish(sources)
}

fn params() -> Params {
    Params {
        now: "2026-11-01T00:00:00Z".parse().expect("time"),
        since: "2026-10-25T00:00:00Z".parse().expect("time"),
        inactive_days: 90,
        stale_days: 7,
        max_admins: 3,
    }
}

fn envelope(items: Value) -> Value {
    json!({"status": "complete", "items": items})
}

/// An account where every check fails, as envelopes.
fn failing_envelopes() -> Vec<(Artifact, Value)> {
    vec![
        (
            Artifact::Users,
            envelope(json!([
                {"id": "a1", "email": "a1@x", "role": "Account Administrator", "active": true,
                 "logged_in_at": "2026-10-30T00:00:00Z", "group_memberships": [],
                 "connection_memberships": [{"id": "c1", "role": "Connection Reviewer"}]},
                {"id": "a2", "email": "a2@x", "role": "Account Administrator", "active": true,
                 "logged_in_at": "2026-01-01T00:00:00Z",
                 "group_memberships": [{"id": "g1", "role": "Destination Analyst"}]},
                {"id": "a3", "email": "a3@x", "role": "Account Administrator", "active": true,
                 "invited": true, "logged_in_at": null},
                {"id": "s1", "email": "s1@x", "role": null, "active": false,
                 "logged_in_at": "2025-01-01T00:00:00Z", "group_memberships": [],
                 "connection_memberships": []},
            ])),
        ),
        (
            Artifact::Teams,
            envelope(json!([
                {"id": "t1", "role": "Account Administrator",
                 "user_memberships": [{"user_id": "s1"}, {"user_id": "a1"}, {"user_id": "a2"}],
                 "group_memberships": [{"id": "g1", "role": "Destination Reviewer"}],
                 "connection_memberships": [{"id": "c1", "role": "Connection Administrator"}]},
            ])),
        ),
        (
            Artifact::Connections,
            envelope(json!([
                {"id": "c1", "schema": "pg", "paused": false, "succeeded_at": "2026-10-31T00:00:00Z",
                 "status": {"setup_state": "broken"}, "external_secrets_manager_id": "lost_vault"},
                {"id": "c2", "schema": "sf", "paused": true, "succeeded_at": "2026-10-01T00:00:00Z",
                 "status": {"setup_state": "connected"}},
                {"id": "c3", "schema": "ok", "paused": false, "succeeded_at": "2026-10-31T12:00:00Z",
                 "status": {"setup_state": "connected"}},
            ])),
        ),
        (
            Artifact::Destinations,
            envelope(json!([
                {"id": "g1", "external_secrets_manager_id": "listed_vault"},
                {"id": "g2", "external_secrets_manager_id": "lost_vault"},
                {"id": "g3", "external_secrets_manager_id": null},
            ])),
        ),
        (
            Artifact::ConnectorSdkPackages,
            envelope(json!([
                {"id": "p_new", "connection_id": "c1", "created_by": "a1", "last_updated_by": "a1",
                 "created_at": "2026-10-30T10:00:00.000Z", "updated_at": "2026-10-30T10:00:00.000Z",
                 "file_sha256_hash": "aa11"},
                {"id": "p_changed", "created_by": "a2", "last_updated_by": "a3",
                 "created_at": "2025-01-01T00:00:00Z", "updated_at": "2026-10-31T08:30:00Z",
                 "file_sha256_hash": "bb22"},
                {"id": "p_old", "created_by": "a2", "last_updated_by": "a2",
                 "created_at": "2025-01-01T00:00:00Z", "updated_at": "2026-10-24T23:59:59Z",
                 "file_sha256_hash": "cc33"},
            ])),
        ),
        (
            Artifact::SecretsManagers,
            envelope(json!([{"id": "listed_vault", "name": "vault-prod"}])),
        ),
        (
            Artifact::SystemKeys,
            envelope(json!([
                {"id": "k1", "name": "never", "last_used_at": null, "expired_at": "2027-01-01T00:00:00Z"},
                {"id": "k2", "name": "old", "last_used_at": "2026-01-01T00:00:00Z", "expired_at": null},
                {"id": "k3", "name": "fine", "last_used_at": "2026-10-31T00:00:00Z", "expired_at": "2027-01-01T00:00:00Z"},
            ])),
        ),
        (
            Artifact::Webhooks,
            envelope(json!([
                {"id": "w1", "type": "account", "url": "http://hooks.example/x"},
                {"id": "w2", "type": "group", "url": "HTTPS://hooks.example/y"},
            ])),
        ),
        (
            Artifact::AuditCoverage,
            envelope(json!([
                {"id": "g1", "name": "Prod", "verdict": "not_exported"},
                {"id": "g2", "name": "Dev", "verdict": "exported"},
            ])),
        ),
        (
            Artifact::AuditTrail,
            envelope(json!([
                {"id": "log:l1", "event": "generate_api_secret", "action": "GENERATE",
                 "actor": {"user_id": "gone", "email": "gone@x", "active": false}},
            ])),
        ),
        (
            Artifact::Changes,
            envelope(json!([
                {"id": "c1", "label": "pg", "kind": "connection_paused", "field": "paused",
                 "audit": {"status": "unexplained"}},
            ])),
        ),
        (
            Artifact::Certificates,
            envelope(json!([
                {"sort_key": "connection/c1/h1", "parent_type": "connection", "parent_id": "c1",
                 "validated_by": "s1"},
                {"sort_key": "connection/c1/h2", "parent_type": "connection", "parent_id": "c1",
                 "validated_by": "a1"},
            ])),
        ),
        (
            Artifact::Fingerprints,
            envelope(json!([
                {"sort_key": "destination/g1/f1", "parent_type": "destination", "parent_id": "g1",
                 "validated_by": "gone"},
            ])),
        ),
    ]
}

/// An account where every check fails.
fn failing() -> Sources {
    Sources::from_envelopes(failing_envelopes())
}

/// The same kinds of sources with nothing wrong.
fn passing() -> Sources {
    Sources::from_envelopes([
        (
            Artifact::Users,
            envelope(json!([
                {"id": "a1", "email": "a1@x", "role": "Account Administrator", "active": true,
                 "logged_in_at": "2026-10-30T00:00:00Z",
                 "group_memberships": [{"id": "g2", "role": "Destination Analyst"}]},
                {"id": "s1", "email": "s1@x", "active": false, "logged_in_at": null,
                 "group_memberships": [], "connection_memberships": []},
            ])),
        ),
        (
            Artifact::Teams,
            envelope(
                json!([{"id": "t1", "role": null, "user_memberships": [{"user_id": "a1"}],
                             "group_memberships": [{"id": "g1", "role": "Destination Analyst"}]}]),
            ),
        ),
        (
            Artifact::Connections,
            envelope(
                json!([{"id": "c3", "paused": false, "succeeded_at": "2026-10-31T12:00:00Z",
                             "status": {"setup_state": "connected"},
                             "external_secrets_manager_id": "listed_vault"}]),
            ),
        ),
        (
            Artifact::Destinations,
            envelope(json!([{"id": "g2", "external_secrets_manager_id": "listed_vault"}])),
        ),
        (
            Artifact::ConnectorSdkPackages,
            envelope(json!([{"id": "p_old", "created_at": "2025-01-01T00:00:00Z",
                             "updated_at": "2026-10-24T23:59:59Z", "file_sha256_hash": "cc33"}])),
        ),
        (
            Artifact::SecretsManagers,
            envelope(json!([{"id": "listed_vault"}, {"id": "spare_vault"}])),
        ),
        (
            Artifact::SystemKeys,
            envelope(json!([{"id": "k3", "last_used_at": "2026-10-31T00:00:00Z",
                             "expired_at": "2027-01-01T00:00:00Z"}])),
        ),
        (
            Artifact::Webhooks,
            envelope(json!([{"id": "w2", "url": "https://hooks.example/y"}])),
        ),
        (
            Artifact::AuditCoverage,
            envelope(json!([{"id": "g2", "verdict": "exported"}])),
        ),
        (
            Artifact::AuditTrail,
            envelope(
                json!([{"id": "log:l1", "event": "edit_connection", "action": "EDIT",
                             "actor": {"user_id": "a1", "active": true}}]),
            ),
        ),
        (
            Artifact::Changes,
            envelope(
                json!([{"id": "c3", "kind": "connection_paused", "field": "paused",
                             "audit": {"status": "explained"}}]),
            ),
        ),
        (
            Artifact::Certificates,
            envelope(json!([{"sort_key": "connection/c3/h", "validated_by": "a1"}])),
        ),
        (Artifact::Fingerprints, envelope(json!([]))),
    ])
}

fn check(c: &Collected, id: &str) -> Value {
    c.items
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing"))
        .clone()
}

fn ids(check: &Value) -> Vec<String> {
    check["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

const ALL: [&str; 15] = [
    "FT-ACCESS-001",
    "FT-ACCESS-002",
    "FT-ACCESS-003",
    "FT-ACCESS-004",
    "FT-ACCESS-005",
    "FT-CONN-001",
    "FT-AUDIT-001",
    "FT-KEYS-001",
    "FT-HOOK-001",
    "FT-TRUST-001",
    "FT-CODE-001",
    "FT-SECRET-001",
    "FT-AUDIT-002",
    "FT-AUDIT-003",
    "FT-AUDIT-004",
];

#[test]
fn every_check_is_listed_and_mapped_to_controls_of_both_frameworks() {
    assert_eq!(CHECK_IDS, ALL);
    for id in CHECK_IDS {
        let supports = crate::controls::of_finding(id);
        for framework in [
            crate::controls::Framework::Soc2,
            crate::controls::Framework::Iso27001,
        ] {
            assert!(
                supports.iter().any(|s| s.control.framework == framework),
                "{id} maps to no {framework:?} control"
            );
        }
    }
}

#[test]
fn every_check_passes_on_a_clean_account() {
    let c = derive(&passing(), &params());
    assert_eq!(c.items.len(), ALL.len());
    for id in ALL {
        let item = check(&c, id);
        assert_eq!(item["status"], "pass", "{item}");
        assert!(!item["proves"].as_str().expect("proves").is_empty());
        assert!(!item["cannot_prove"].as_str().expect("cannot").is_empty());
    }
    // The team grants g1, the user holds g2 directly: no overlap.
    assert_eq!(check(&c, "FT-ACCESS-005")["count"], 0);
    assert_eq!(
        check(&c, "FT-ACCESS-001")["count"],
        1,
        "one admin still listed"
    );
}

#[test]
fn every_check_fails_with_its_subjects() {
    let c = derive(&failing(), &params());
    for id in ALL {
        assert_eq!(check(&c, id)["status"], "fail", "{id}");
    }
    let admins = check(&c, "FT-ACCESS-001");
    assert_eq!(ids(&admins), ["a1", "a2", "a3", "s1"]);
    assert_eq!(admins["items"][0]["via"], json!(["direct", "team:t1"]));
    assert_eq!(admins["items"][3]["via"], json!(["team:t1"]));
    assert_eq!(
        ids(&check(&c, "FT-ACCESS-002")),
        ["a2"],
        "suspended s1 left out"
    );
    assert_eq!(ids(&check(&c, "FT-ACCESS-003")), ["a3"]);
    let suspended = check(&c, "FT-ACCESS-004");
    assert_eq!(ids(&suspended), ["s1"]);
    assert_eq!(suspended["items"][0]["memberships"], 1, "through the team");
    let twice = check(&c, "FT-ACCESS-005");
    assert_eq!(ids(&twice), ["a1", "a2"]);
    assert_eq!(
        twice["items"][0]["resources"],
        json!(["account", "connection:c1"])
    );
    assert_eq!(
        twice["items"][1]["resources"],
        json!(["account", "group:g1"])
    );
    let conns = check(&c, "FT-CONN-001");
    assert_eq!(ids(&conns), ["c1", "c2"]);
    assert_eq!(conns["items"][0]["problems"], json!(["broken"]));
    assert_eq!(conns["items"][1]["problems"], json!(["paused", "stale"]));
    assert_eq!(ids(&check(&c, "FT-AUDIT-001")), ["g1"]);
    let keys = check(&c, "FT-KEYS-001");
    assert_eq!(ids(&keys), ["k1", "k2"]);
    assert_eq!(keys["items"][0]["problems"], json!(["never_used"]));
    assert_eq!(
        keys["items"][1]["problems"],
        json!(["long_unused", "no_expiry"])
    );
    assert_eq!(ids(&check(&c, "FT-HOOK-001")), ["w1"]);
    // Approved by the suspended s1 and by someone users.json does not list; a1's stands.
    let trust = check(&c, "FT-TRUST-001");
    assert_eq!(ids(&trust), ["connection/c1/h1", "destination/g1/f1"]);
    assert_eq!(trust["items"][0]["label"], "certificate of connection c1");
    // Created in the window, and updated in it; the one updated a second before it is not.
    let code = check(&c, "FT-CODE-001");
    assert_eq!(ids(&code), ["p_changed", "p_new"]);
    let changed = &code["items"][0];
    assert_eq!(
        (&changed["change"], &changed["by"], &changed["at"]),
        (
            &json!("updated"),
            &json!("a3"),
            &json!("2026-10-31T08:30:00Z")
        )
    );
    assert_eq!(changed["file_sha256_hash"], "bb22");
    let new = &code["items"][1];
    assert_eq!(
        (&new["change"], &new["by"]),
        (&json!("created"), &json!("a1"))
    );
    assert_eq!(new["label"], "package p_new, used by connection c1");
    // Named by a connection and a destination, absent from the list; the listed one is not.
    let secret = check(&c, "FT-SECRET-001");
    assert_eq!(ids(&secret), ["lost_vault"]);
    assert_eq!(
        secret["items"][0]["referenced_by"],
        json!(["connection c1", "destination g2"])
    );
}

#[test]
fn the_code_window_moves_with_since() {
    let earlier = Params {
        since: "2026-10-24T00:00:00Z".parse().expect("time"),
        ..params()
    };
    let c = derive(&failing(), &earlier);
    assert_eq!(
        ids(&check(&c, "FT-CODE-001")),
        ["p_changed", "p_new", "p_old"]
    );
    let later = Params {
        since: "2026-10-31T00:00:00Z".parse().expect("time"),
        ..params()
    };
    let c = derive(&failing(), &later);
    assert_eq!(ids(&check(&c, "FT-CODE-001")), ["p_changed"]);
}

#[test]
fn undated_packages_make_the_code_check_n_a_unless_another_fails_it() {
    let packages = json!([{"id": "p", "created_at": null, "updated_at": "last week"}]);
    let sources = Sources::from_envelopes([(Artifact::ConnectorSdkPackages, envelope(packages))]);
    let code = check(&derive(&sources, &params()), "FT-CODE-001");
    assert_eq!(code["status"], "n/a", "{code}");
    assert!(
        code["reason"]
            .as_str()
            .expect("reason")
            .contains("1 package(s) (p) have no created_at or updated_at that is a time")
    );
}

#[test]
fn without_the_whole_list_of_secrets_managers_no_reference_is_called_missing() {
    // Not collected (absent, or skipped: unavailable), or cut short: n/a, and why.
    let without: Vec<(Artifact, Value)> = failing_envelopes()
        .into_iter()
        .filter(|(a, _)| *a != Artifact::SecretsManagers)
        .collect();
    let skipped = failing_envelopes()
        .into_iter()
        .map(|(a, e)| {
            if a == Artifact::SecretsManagers {
                (a, json!({"status": "unavailable", "items": []}))
            } else {
                (a, e)
            }
        })
        .collect::<Vec<_>>();
    let partial = failing_envelopes()
        .into_iter()
        .map(|(a, e)| {
            if a == Artifact::SecretsManagers {
                (a, json!({"status": "partial", "items": e["items"]}))
            } else {
                (a, e)
            }
        })
        .collect::<Vec<_>>();
    for (name, envelopes, said) in [
        ("absent", without, "secrets_managers.json (failed)"),
        ("skipped", skipped, "secrets_managers.json (unavailable)"),
        ("partial", partial, "secrets_managers.json is partial"),
    ] {
        let secret = check(
            &derive(&Sources::from_envelopes(envelopes), &params()),
            "FT-SECRET-001",
        );
        assert_eq!(
            (secret["status"].as_str(), secret["count"].as_u64()),
            (Some("n/a"), Some(0)),
            "{name}: {secret}"
        );
        let reason = secret["reason"].as_str().expect("reason");
        assert!(reason.contains(said), "{name}: {reason}");
        assert!(
            reason.ends_with("a reference cannot be told missing"),
            "{name}: {reason}"
        );
    }
}

#[test]
fn thresholds_move_with_the_params() {
    let wide = Params {
        inactive_days: 400,
        stale_days: 60,
        max_admins: 3,
        ..params()
    };
    let c = derive(&failing(), &wide);
    assert_eq!(check(&c, "FT-ACCESS-002")["count"], 0);
    assert_eq!(
        check(&c, "FT-CONN-001")["items"][1]["problems"],
        json!(["paused"])
    );
    assert!(
        check(&c, "FT-ACCESS-002")["title"]
            .as_str()
            .expect("title")
            .contains("400 day(s)")
    );
}

#[test]
fn a_source_that_could_not_be_read_gives_n_a_not_pass() {
    let sources = Sources::from_envelopes([(
        Artifact::Webhooks,
        envelope(json!([{"id": "w1", "url": "https://x"}])),
    )]);
    let c = derive(&sources, &params());
    assert_eq!(check(&c, "FT-HOOK-001")["status"], "pass");
    for id in [
        "FT-ACCESS-001",
        "FT-CONN-001",
        "FT-AUDIT-001",
        "FT-KEYS-001",
    ] {
        assert_eq!(check(&c, id)["status"], "n/a", "{id}");
    }
}

/// A bundle being written that holds `envelopes`, `users.json` cut short when `users_cut`.
fn bundle_of(
    dir: &std::path::Path,
    envelopes: Vec<(Artifact, Value)>,
    users_cut: bool,
) -> crate::evidence::bundle::Bundle {
    let mut bundle = crate::evidence::bundle::Bundle::create(dir, "t").expect("bundle");
    for (artifact, envelope) in envelopes {
        let mut bytes = crate::evidence::render(&envelope);
        if users_cut && artifact == Artifact::Users {
            bytes.truncate(bytes.len() / 2);
        }
        bundle.write(artifact.file_name(), &bytes).expect("write");
    }
    bundle
}

#[test]
fn streaming_from_the_bundle_gives_what_memory_gives() {
    let dir = tempfile::tempdir().expect("tmp");
    let bundle = bundle_of(dir.path(), failing_envelopes(), false);
    let (streamed, sources) = derive_from_bundle(&bundle, &params());
    assert_eq!(streamed.items, derive(&failing(), &params()).items);
    assert_eq!(sources.status(Artifact::Users), Status::Complete);
}

#[test]
fn a_source_read_back_only_in_part_counts_as_absent() {
    let dir = tempfile::tempdir().expect("tmp");
    let bundle = bundle_of(dir.path(), failing_envelopes(), true);
    let (streamed, sources) = derive_from_bundle(&bundle, &params());
    assert_eq!(sources.status(Artifact::Users), Status::Failed);
    let without_users: Vec<(Artifact, Value)> = failing_envelopes()
        .into_iter()
        .filter(|(a, _)| *a != Artifact::Users)
        .collect();
    let expected = derive(&Sources::from_envelopes(without_users), &params());
    assert_eq!(streamed.items, expected.items);
    let c = derive(&failing(), &params());
    assert_ne!(check(&c, "FT-ACCESS-002")["count"], 0, "users were read");
    for id in ["FT-ACCESS-002", "FT-ACCESS-003", "FT-ACCESS-004"] {
        let item = check(&expected, id);
        assert_eq!(
            (item["status"].as_str(), item["count"].as_u64()),
            (Some("n/a"), Some(0)),
            "{id}"
        );
    }
}

#[test]
fn an_administrator_keeps_the_label_of_its_last_user_item() {
    let sources = Sources::from_envelopes([
        (
            Artifact::Users,
            envelope(json!([
                {"id": "u1", "email": "first@x", "role": "Account Administrator"},
                {"id": "u1", "email": "second@x", "role": null},
                {"id": "u2", "email": "team@x"},
                {"id": "u3", "email": "nobody@x"},
            ])),
        ),
        (
            Artifact::Teams,
            envelope(json!([{"id": "t1", "role": "Account Administrator",
                             "user_memberships": [{"user_id": "u2"}, {"user_id": "ghost"}]}])),
        ),
    ]);
    let c = derive(&sources, &params());
    let admins = check(&c, "FT-ACCESS-001");
    assert_eq!(ids(&admins), ["ghost", "u1", "u2"]);
    assert_eq!(admins["items"][0]["label"], Value::Null);
    assert_eq!(admins["items"][1]["label"], "second@x");
    assert_eq!(admins["items"][1]["via"], json!(["direct"]));
    assert_eq!(admins["items"][2]["label"], "team@x");
}

#[test]
fn the_read_order_is_every_source_once() {
    let mut order = READ_ORDER.to_vec();
    order.sort();
    let mut sources = Artifact::Findings.sources().to_vec();
    sources.sort();
    assert_eq!(order, sources);
    let at = |a: Artifact| READ_ORDER.iter().position(|&r| r == a);
    assert!(at(Artifact::Teams) < at(Artifact::Users), "teams first");
}

#[test]
fn a_login_time_without_a_zone_makes_the_login_checks_n_a_with_the_reason() {
    let users = json!([
        {"id": "u1", "email": "u1@x", "active": true, "invited": true,
         "logged_in_at": "2026-10-30T10:00:00"},
        {"id": "u2", "email": "u2@x", "active": true, "invited": false,
         "logged_in_at": "2026-10-31T10:00:00.123Z"},
    ]);
    let sources = Sources::from_envelopes([(Artifact::Users, envelope(users))]);
    let c = derive(&sources, &params());
    for id in ["FT-ACCESS-002", "FT-ACCESS-003"] {
        let f = check(&c, id);
        assert_eq!(f["status"], "n/a", "{id}: {f}");
        let reason = f["reason"].as_str().expect("a reason");
        assert!(
            reason.contains("1 user(s) (u1) have a `logged_in_at` that is not a time with a zone"),
            "{reason}"
        );
        assert_eq!(f["count"], 0);
    }
    // A check that fails keeps failing, and says what it could not read beside.
    let users = json!([
        {"id": "u1", "email": "u1@x", "active": true, "logged_in_at": "yesterday"},
        {"id": "u3", "email": "u3@x", "active": true, "logged_in_at": "2020-01-01T00:00:00Z"},
    ]);
    let sources = Sources::from_envelopes([(Artifact::Users, envelope(users))]);
    let f = derive(&sources, &params());
    let inactive = check(&f, "FT-ACCESS-002");
    assert_eq!(inactive["status"], "fail");
    assert_eq!(inactive["count"], 1);
    assert!(inactive["reason"].as_str().expect("r").contains("(u1)"));
    // And a readable account says nothing of the kind.
    let c = derive(&Sources::from_envelopes(failing_envelopes()), &params());
    assert!(check(&c, "FT-ACCESS-002")["reason"].is_null());
}

#[test]
fn unknown_audit_coverage_is_n_a_never_a_pass() {
    let coverage = json!([
        {"id": "a", "name": "A", "verdict": "unknown"},
        {"id": "b", "name": "B", "verdict": "exported"},
    ]);
    let sources = Sources::from_envelopes([(Artifact::AuditCoverage, envelope(coverage))]);
    let f = derive(&sources, &params());
    let audit = check(&f, "FT-AUDIT-001");
    assert_eq!(audit["status"], "n/a", "{audit}");
    assert!(
        audit["reason"]
            .as_str()
            .expect("r")
            .contains("1 destination(s) (a) have verdict `unknown`")
    );
    let unread = check(&f, "FT-KEYS-001");
    assert_eq!(unread["status"], "n/a");
    assert!(
        unread["reason"]
            .as_str()
            .expect("r")
            .contains("system_keys.json (failed)"),
        "{unread}"
    );
}
