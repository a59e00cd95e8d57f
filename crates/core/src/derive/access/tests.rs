//! Unit tests of `derive::access`.

use super::*;
use crate::derive::Sources;

/// Builds the artifact from sources in memory.
fn derive(sources: &Sources) -> Collected {
    let mut items = Vec::new();
    let mut each = |artifact: Artifact, f: &mut dyn FnMut(&Value)| {
        sources.items(artifact).iter().for_each(f);
    };
    let (status, reason) = derive_streaming(&mut each, &mut |i| items.push(i));
    Collected {
        items,
        status,
        reason,
        ..Collected::default()
    }
}

fn sources() -> Sources {
    Sources::from_envelopes([
        (
            Artifact::Users,
            json!({"status": "complete", "items": [
                {"id": "u1", "email": "a@x", "given_name": "Ann", "family_name": "Lee",
                 "active": true, "role": null, "logged_in_at": "2026-11-30T08:00:00Z",
                 "group_memberships": [],
                 "connection_memberships": [{"id": "c1", "role": "Connection Reviewer"}]},
                {"id": "u2", "email": "b@x", "role": null, "active": false,
                 "group_memberships": [], "connection_memberships": []}]}),
        ),
        (
            Artifact::Teams,
            json!({"status": "complete", "items": [
                {"id": "t1", "name": "Ops", "role": "Account Reviewer",
                 "user_memberships": [{"user_id": "u1", "role": "Team Member"},
                                      {"user_id": "ghost", "role": "Team Member"}],
                 "group_memberships": [{"id": "g1", "role": "Destination Analyst"}],
                 "connection_memberships": [{"id": "c1", "role": "Connection Administrator"}]}]}),
        ),
        (
            Artifact::Roles,
            json!({"status": "complete", "items": [
                {"name": "Account Reviewer", "is_custom": false},
                {"name": "Connection Administrator", "is_custom": true}]}),
        ),
        (
            Artifact::Groups,
            json!({"status": "complete", "items": [{"id": "g1", "name": "Prod"}]}),
        ),
        (
            Artifact::Connections,
            json!({"status": "complete", "items": [
                {"id": "c1", "schema": "pg", "group_id": "g1"}]}),
        ),
    ])
}

fn keys(c: &Collected) -> Vec<String> {
    let mut keys: Vec<String> = c
        .items
        .iter()
        .map(|i| i["sort_key"].as_str().expect("key").to_owned())
        .collect();
    keys.sort();
    keys
}

#[test]
fn each_path_to_a_resource_is_its_own_item() {
    let c = derive(&sources());
    assert_eq!(c.status, Status::Complete);
    assert_eq!(
        keys(&c),
        [
            "ghost|account||team|t1",
            "ghost|connection|c1|team|t1",
            "ghost|group|g1|team|t1",
            "u1|account||direct|",
            "u1|account||team|t1",
            "u1|connection|c1|direct|",
            "u1|connection|c1|team|t1",
            "u1|group|g1|team|t1",
            "u2|account||direct|",
        ]
    );
    let find = |key: &str| {
        c.items
            .iter()
            .find(|i| i["sort_key"] == key)
            .expect("item")
            .clone()
    };
    let via_team = find("u1|connection|c1|team|t1");
    assert_eq!(via_team["role"], "Connection Administrator");
    assert_eq!(via_team["role_is_custom"], true);
    assert_eq!(via_team["resource_name"], "pg");
    assert_eq!(via_team["group_id"], "g1");
    assert_eq!(via_team["team_name"], "Ops");
    assert_eq!(via_team["user_name"], "Ann Lee");
    let direct = find("u1|connection|c1|direct|");
    assert_eq!(direct["role"], "Connection Reviewer");
    assert_eq!(direct["role_is_custom"], Value::Null);
    assert_eq!(direct["team_id"], Value::Null);
    let account = find("u1|account||team|t1");
    assert_eq!(account["role"], "Account Reviewer");
    assert_eq!(account["via"], "team");
    let nobody = find("u2|account||direct|");
    assert_eq!(nobody["role"], Value::Null);
    assert_eq!(nobody["user_active"], false);
    assert_eq!(nobody["user_status"], "inactive");
    assert_eq!(nobody["user_logged_in_at"], Value::Null);
    assert_eq!(direct["user_status"], "active");
    assert_eq!(direct["user_logged_in_at"], "2026-11-30T08:00:00Z");
    let ghost = find("ghost|group|g1|team|t1");
    assert_eq!(ghost["user_email"], Value::Null);
    assert_eq!(
        ghost["user_status"],
        Value::Null,
        "not in users.json: unknown"
    );
}

#[test]
fn an_invitation_not_yet_accepted_is_invited_whatever_active_says() {
    for (user, expected) in [
        (json!({"invited": true, "active": true}), json!("invited")),
        (json!({"invited": false, "active": true}), json!("active")),
        (json!({"active": false}), json!("inactive")),
        (json!({}), Value::Null),
    ] {
        assert_eq!(super::status(&user), expected, "{user}");
    }
}

#[test]
fn a_user_without_an_id_makes_it_partial() {
    let sources = Sources::from_envelopes([(
        Artifact::Users,
        json!({"status": "complete", "items": [{"email": "x@y"}]}),
    )]);
    let c = derive(&sources);
    assert_eq!(c.status, Status::Partial);
    assert!(c.items.is_empty());
    assert!(
        c.reason
            .expect("reason")
            .contains("1 user(s) without an `id`")
    );
}
