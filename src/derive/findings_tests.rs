use serde_json::{Value, json};

use super::*;

fn params() -> Params {
    Params {
        now: "2026-11-01T00:00:00Z".parse().expect("time"),
        inactive_days: 90,
        stale_days: 7,
    }
}

fn envelope(items: Value) -> Value {
    json!({"status": "complete", "items": items})
}

/// An account where every check fails.
fn failing() -> Sources {
    Sources::from_envelopes([
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
                 "status": {"setup_state": "broken"}},
                {"id": "c2", "schema": "sf", "paused": true, "succeeded_at": "2026-10-01T00:00:00Z",
                 "status": {"setup_state": "connected"}},
                {"id": "c3", "schema": "ok", "paused": false, "succeeded_at": "2026-10-31T12:00:00Z",
                 "status": {"setup_state": "connected"}},
            ])),
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
    ])
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
                             "status": {"setup_state": "connected"}}]),
            ),
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

const ALL: [&str; 9] = [
    "FT-ACCESS-001",
    "FT-ACCESS-002",
    "FT-ACCESS-003",
    "FT-ACCESS-004",
    "FT-ACCESS-005",
    "FT-CONN-001",
    "FT-AUDIT-001",
    "FT-KEYS-001",
    "FT-HOOK-001",
];

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
}

#[test]
fn thresholds_move_with_the_params() {
    let wide = Params {
        inactive_days: 400,
        stale_days: 60,
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

#[test]
fn keep_drops_the_fields_no_check_reads() {
    let kept = keep(
        Artifact::Connections,
        json!({"id": "c", "config": {"host": "h"}, "status": {"setup_state": "broken", "tasks": []}}),
    )
    .expect("kept");
    assert_eq!(
        kept,
        json!({"id": "c", "status": {"setup_state": "broken"}})
    );
}
