//! 429 Too Many Requests: the wait Retry-After asks for, in seconds or as a date (huge ones
//! too), the backoff when it gives none, the bounded attempts, and the wait budget
//! (`--max-wait`) shared by the whole run. Our own pace (`--rate`) is in `limiter.rs`, sharing
//! the hourly quota in `quota.rs`.

use std::time::{Duration, SystemTime};

use iru_fivetran_fake::Fault;

use crate::support::{self, acme, collect, reason, requests_to, server};

// ---------------------------------------------------------------------------------------------
// Retry-After

#[test]
fn rate_limited_requests_wait_for_retry_after_then_succeed() {
    let fake = server(acme());
    fake.inject(
        Fault::status(
            "/v1/users",
            429,
            "TooManyRequests",
            "Max 20000 api calls allowed",
        )
        .header("Retry-After", "42")
        .times(2),
    );
    fake.inject(
        Fault::status("/v1/roles", 429, "TooManyRequests", "slow down")
            .header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    let run = collect(&fake, &["--resources", "users,roles"]);
    run.assert_code(0);
    assert_eq!(
        run.stderr
            .matches("waiting 42.0 s, as its Retry-After asks")
            .count(),
        2,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("429 on GET /v1/roles"),
        "{}",
        run.stderr
    );
    let manifest = run.manifest();
    assert_eq!(manifest["requests"]["rate_limited"], 3);
    assert!(manifest["requests"]["waited_ms"].as_u64().expect("ms") >= 84_000);
    assert_eq!(
        support::manifest_artifact(&manifest, "users")["status"],
        "complete"
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

// ---------------------------------------------------------------------------------------------
// No Retry-After: backoff

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

// ---------------------------------------------------------------------------------------------
// The wait budget

#[test]
fn a_wait_past_max_wait_stops_the_artifact_instead_of_hanging() {
    let fake = server(acme());
    fake.inject(
        Fault::status("/v1/roles", 429, "TooManyRequests", "hour limit")
            .header("Retry-After", "3600"),
    );
    let run = collect(&fake, &["--resources", "roles,groups"]);
    run.assert_code(3);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "failed");
    let reason = roles["reason"].as_str().expect("reason");
    assert!(
        reason.contains("Fivetran's Retry-After asks for a wait of 3600 s")
            && reason.contains("past --max-wait (900 s)"),
        "{reason}"
    );
    assert!(
        run.stderr.contains("stopped instead of waiting"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.json("groups.json")["status"],
        "complete",
        "the run goes on"
    );
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r.path == "/v1/roles")
            .count(),
        1,
        "no retry"
    );

    // With a larger budget the same wait is made (and announced).
    let fake = server(acme());
    fake.inject(
        Fault::status("/v1/roles", 429, "TooManyRequests", "hour limit")
            .header("Retry-After", "3600"),
    );
    let run = collect(&fake, &["--resources", "roles", "--max-wait", "2h"]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("waiting 3600.0 s, as its Retry-After asks"),
        "{}",
        run.stderr
    );
    assert_eq!(run.manifest()["options"]["max_wait_secs"], 7200);
}

#[test]
fn the_wait_budget_is_shared_by_the_whole_run() {
    // Each 429 asks for 10 minutes: the first is waited out, the second would pass 15 minutes.
    let fake = server(acme());
    for path in ["/v1/roles", "/v1/groups"] {
        fake.inject(
            Fault::status(path, 429, "TooManyRequests", "slow").header("Retry-After", "600"),
        );
    }
    let run = collect(&fake, &["--resources", "roles,groups"]);
    run.assert_code(3);
    // The two lists are read side by side: whichever 429 comes first is waited out, the other
    // would pass the budget.
    let mut statuses = [
        run.json("roles.json")["status"].clone(),
        run.json("groups.json")["status"].clone(),
    ];
    statuses.sort_by_key(|s| s.to_string());
    assert_eq!(statuses, ["complete", "failed"]);
    assert_eq!(run.manifest()["requests"]["waited_ms"], 600_000);
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
