//! Faults from the API, one test each, against the fake server. Faults below HTTP (resets,
//! silence, body size) are in `transport.rs`, their seeded random mix in `chaos.rs`.
//!
//! Binary-level tests (`support::collect`) check what the user sees: exit code, manifest,
//! stderr. Library-level tests drive `Client` and `paginate` where a short timeout or a small
//! body cap is needed.

use std::time::Duration;

use iru_fivetran::client::MAX_BODY_BYTES;
use iru_fivetran::fake::Fault;
use serde_json::Value;

use crate::support::{self, acme, list_roles, requests_to, server};

// ---------------------------------------------------------------------------------------------
// 5xx

#[test]
fn each_5xx_is_retried_and_a_lasting_one_fails_after_six_attempts() {
    for status in [500u16, 502, 503, 504] {
        let fake = server(acme());
        fake.inject(Fault::status("/v1/roles", status, "Err", "passing").times(5));
        let client = support::client_for(
            &fake.api_url(),
            1000.0,
            Duration::from_secs(5),
            MAX_BODY_BYTES,
            6,
        );
        let listed = list_roles(&client);
        assert!(listed.drained(), "{status}: {:?}", listed.error);
        assert_eq!(listed.items.len(), 17, "{status}");
        assert_eq!(client.stats().snapshot().retries, 5, "{status}");

        let fake = server(acme());
        fake.inject(Fault::status("/v1/roles", status, "Err", "lasting").times(100));
        let client = support::client_for(
            &fake.api_url(),
            1000.0,
            Duration::from_secs(5),
            MAX_BODY_BYTES,
            6,
        );
        let error = list_roles(&client).error.expect("fails").to_string();
        assert_eq!(
            error,
            format!("HTTP {status} on GET /v1/roles after 6 attempt(s): Err: lasting")
        );
        assert_eq!(requests_to(&fake, "/v1/roles"), 6, "{status}");
    }
    // Any other status is final at once.
    let fake = server(acme());
    fake.inject(Fault::status("/v1/roles", 501, "NotImplemented", "no").times(100));
    let client = support::client_for(
        &fake.api_url(),
        1000.0,
        Duration::from_secs(5),
        MAX_BODY_BYTES,
        6,
    );
    let error = list_roles(&client).error.expect("fails").to_string();
    assert!(
        error.contains("HTTP 501") && error.contains("after 1 attempt(s)"),
        "{error}"
    );
    assert_eq!(requests_to(&fake, "/v1/roles"), 1);
}

// ---------------------------------------------------------------------------------------------
// Items that disappear

#[test]
fn users_teams_and_destinations_deleted_after_the_list_are_kept_and_marked() {
    let mut account = acme();
    let user = account.users[3]["id"].as_str().expect("id").to_owned();
    let team = account.teams[0]["id"].as_str().expect("id").to_owned();
    let destination = account.destinations[1]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    account.destination_details.remove(&destination);
    let fake = server(account);
    fake.inject(Fault::status(
        &format!("/v1/users/{user}/groups"),
        404,
        "NotFound_User",
        "User doesn't exist",
    ));
    fake.inject(Fault::status(
        &format!("/v1/teams/{team}/users"),
        404,
        "NotFound_Team",
        "Team doesn't exist",
    ));
    let run = support::collect(&fake, &["--resources", "users,teams,destinations"]);
    run.assert_code(0);
    let find = |file: &str, id: &str| -> Value {
        let envelope = run.json(file);
        assert_eq!(envelope["status"], "complete", "{file}");
        envelope["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} kept in {file}"))
    };
    let u = find("users.json", &user);
    assert_eq!(u["_iru"]["deleted_during_run"]["code"], "NotFound_User");
    assert!(u["group_memberships"].is_null() && u["connection_memberships"].is_null());
    assert!(u["email"].is_string(), "the list's fields are kept");
    let t = find("teams.json", &team);
    assert_eq!(t["_iru"]["deleted_during_run"]["code"], "NotFound_Team");
    for field in [
        "user_memberships",
        "group_memberships",
        "connection_memberships",
    ] {
        assert!(t[field].is_null(), "{field}");
    }
    let d = find("destinations.json", &destination);
    assert_eq!(
        d["_iru"]["deleted_during_run"]["code"],
        "NotFound_Destination"
    );
    assert!(d["config"].is_null(), "no detail");
    assert_eq!(
        requests_to(&fake, &format!("/v1/users/{user}/connections")),
        0,
        "nothing more is asked of a deleted user"
    );
    assert_eq!(requests_to(&fake, &format!("/v1/teams/{team}/groups")), 0);
}
