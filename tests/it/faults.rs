//! Faults from the API, one test each, against the fake server. Faults below HTTP (resets,
//! silence, body size) are in `transport.rs`, their seeded random mix in `chaos.rs`.
//!
//! Binary-level tests (`support::collect`) check what the user sees: exit code, manifest,
//! stderr. Library-level tests drive `Client` and `paginate` where a short timeout or a small
//! body cap is needed.

use std::time::{Duration, SystemTime};

use iru_fivetran::client::MAX_BODY_BYTES;
use iru_fivetran::fake::Fault;
use serde_json::Value;

use crate::support::{self, acme, list_roles, reason, requests_to, server};

// ---------------------------------------------------------------------------------------------
// 429

#[test]
fn a_429_burst_without_retry_after_backs_off_then_succeeds() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/roles", 429, "TooManyRequests", "slow down").times(3));
    let run = support::collect(&fake, &["--resources", "roles"]);
    run.assert_code(0);
    assert_eq!(
        run.stderr
            .matches("backing off, no Retry-After given")
            .count(),
        3,
        "{}",
        run.stderr
    );
    let manifest = run.manifest();
    assert_eq!(manifest["requests"]["rate_limited"], 3);
    // Full jitter under ceilings of 1, 2 and 4 s.
    assert!(manifest["requests"]["waited_ms"].as_u64().expect("ms") <= 7_000);
    assert_eq!(run.json("roles.json")["status"], "complete");
    assert_eq!(
        requests_to(&fake, "/v1/roles"),
        4 + 8,
        "3 refused, then 9 pages"
    );
}

#[test]
fn a_long_429_burst_exhausts_the_attempts_and_fails_that_artifact() {
    let fake = server(acme());
    fake.inject(
        Fault::status(
            "/v1/roles",
            429,
            "TooManyRequests",
            "Max 20000 api calls allowed",
        )
        .header("Retry-After", "1")
        .times(100),
    );
    let run = support::collect(&fake, &["--resources", "roles,groups"]);
    run.assert_code(3);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "failed");
    assert!(
        reason(&roles).contains("HTTP 429 on GET /v1/roles after 6 attempt(s)")
            && reason(&roles).contains("Max 20000 api calls allowed"),
        "{}",
        reason(&roles)
    );
    assert_eq!(
        run.stderr
            .matches("waiting 1.0 s, as its Retry-After asks")
            .count(),
        5,
        "{}",
        run.stderr
    );
    assert_eq!(requests_to(&fake, "/v1/roles"), 6, "bounded attempts");
    assert_eq!(
        run.json("groups.json")["status"],
        "complete",
        "the run goes on"
    );
    assert_eq!(
        support::manifest_artifact(&run.manifest(), "roles")["status"],
        "failed"
    );
}

#[test]
fn retry_after_as_a_future_http_date_is_waited_out() {
    let fake = server(acme());
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
    fake.inject(
        Fault::status("/v1/roles", 429, "TooManyRequests", "later").header("Retry-After", &when),
    );
    let run = support::collect(&fake, &["--resources", "roles"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("s, as its Retry-After asks"),
        "{}",
        run.stderr
    );
    let waited = run.manifest()["requests"]["waited_ms"]
        .as_u64()
        .expect("ms");
    assert!((100_000..=120_000).contains(&waited), "{waited}");
}

#[test]
fn huge_retry_after_values_stop_at_the_wait_budget_or_fall_back_to_backoff() {
    let fake = server(acme());
    // The largest number of seconds there is, and a date 8,000 years away: past any budget.
    fake.inject(
        Fault::status("/v1/roles", 429, "TooManyRequests", "forever")
            .header("Retry-After", &u64::MAX.to_string()),
    );
    fake.inject(
        Fault::status("/v1/groups", 429, "TooManyRequests", "forever")
            .header("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"),
    );
    // Too large to be a number of seconds at all: not a Retry-After, so the usual backoff.
    fake.inject(
        Fault::status("/v1/webhooks", 429, "TooManyRequests", "nonsense")
            .header("Retry-After", "99999999999999999999999999"),
    );
    let run = support::collect(
        &fake,
        &["--resources", "roles,groups,webhooks", "--max-wait", "24h"],
    );
    run.assert_code(3);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "failed");
    assert!(
        reason(&roles).contains(&format!(
            "Fivetran's Retry-After asks for a wait of {} s",
            u64::MAX
        )) && reason(&roles).contains("past --max-wait (86400 s)"),
        "{}",
        reason(&roles)
    );
    let groups = run.json("groups.json");
    assert_eq!(groups["status"], "failed");
    assert!(
        reason(&groups).contains("past --max-wait"),
        "{}",
        reason(&groups)
    );
    for path in ["/v1/roles", "/v1/groups"] {
        assert!(
            run.stderr.lines().any(|l| l.contains("WARN GET ")
                && l.contains(path)
                && l.contains("stopped instead of waiting")),
            "announced for {path}: {}",
            run.stderr
        );
    }
    assert_eq!(requests_to(&fake, "/v1/roles"), 1, "no retry");
    assert_eq!(requests_to(&fake, "/v1/groups"), 1, "no retry");
    assert_eq!(run.json("webhooks.json")["status"], "complete");
    assert!(
        run.stderr.contains("429 on GET /v1/webhooks): waiting")
            && run.stderr.contains("backing off, no Retry-After given"),
        "{}",
        run.stderr
    );
}

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
