//! 429 Too Many Requests: the wait Retry-After asks for, in seconds or as a date (huge ones
//! too), the backoff when it gives none, and the wait budget (`--max-wait`) shared by the whole
//! run: a 429 is not a fault, it spends no attempt, and a wait the budget cannot cover stops
//! the whole run at once. Our own pace (`--rate`) is in `limiter.rs`, the pace found against a
//! rate limit in `adaptive_rate.rs`, sharing the hourly quota in `quota.rs`.

use std::time::{Duration, Instant, SystemTime};

use iru_fivetran_fake::{FakeOptions, FakeServer, Fault, Limit};

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
fn a_long_429_burst_is_waited_out_within_the_budget_not_six_attempts() {
    // Twenty refusals in a row: a 429 spends no attempt, so the list completes. Refusals that
    // follow each other with no success between lengthen the pause (1, 1, 2, 4 ... 30 s).
    let fake = server(acme());
    fake.inject(
        Fault::status(
            "/v1/roles",
            429,
            "TooManyRequests",
            "Max 20000 api calls allowed",
        )
        .header("Retry-After", "1")
        .times(20),
    );
    let run = support::collect(&fake, &["--resources", "roles,groups"]);
    run.assert_code(0);
    assert_eq!(run.json("roles.json")["status"], "complete");
    assert_eq!(
        requests_to(&fake, "/v1/roles"),
        20 + 9,
        "20 refused, then 9 pages"
    );
    assert_eq!(
        run.stderr.matches("Fivetran asked to slow down").count(),
        20,
        "{}",
        run.stderr
    );
    let requests = &run.manifest()["requests"];
    assert_eq!(requests["rate_limited"], 20);
    assert_eq!(requests["retries"], 0, "not a fault");

    // A 429 that never stops: waited out until the budget is spent, then the run stops.
    let fake = server(acme());
    fake.inject(
        Fault::status(
            "/v1/roles",
            429,
            "TooManyRequests",
            "Max 20000 api calls allowed",
        )
        .header("Retry-After", "1")
        .times(1000),
    );
    let run = support::collect(&fake, &["--resources", "roles,groups", "--max-wait", "60s"]);
    run.assert_code(3);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "failed");
    assert!(
        reason(&roles).contains("past --max-wait (60 s)")
            && reason(&roles).contains("HTTP 429 on GET /v1/roles")
            && reason(&roles).contains("Max 20000 api calls allowed"),
        "{}",
        reason(&roles)
    );
    let refused = requests_to(&fake, "/v1/roles");
    assert!(
        (6..100).contains(&refused),
        "{refused}: bounded by the budget, not attempts"
    );
    assert!(
        run.manifest()["requests"]["waited_ms"]
            .as_u64()
            .expect("ms")
            <= 60_000,
        "within the budget"
    );
    assert_eq!(
        run.json("groups.json")["status"],
        "complete",
        "read in the pauses' gaps"
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
    // Fivetran asked the account to wait an hour: the run stops there. Groups, read side by
    // side, is complete if it was read before the 429, else stopped with the same reason.
    let groups = run.json("groups.json");
    assert!(
        groups["status"] == "complete"
            || support::reason(&groups).contains("the run stopped")
                && support::reason(&groups).contains("Retry-After asks for a wait of 3600 s"),
        "{groups}"
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
    // Each 429 asks for 10 minutes: the first (a list, read first) is waited out, the second
    // (a sync-history window, read after every list) would pass 15 minutes.
    let fake = server(acme());
    for path in ["/v1/roles", "/v1/connections/pale_river/sync-history"] {
        fake.inject(
            Fault::status(path, 429, "TooManyRequests", "slow").header("Retry-After", "600"),
        );
    }
    let run = collect(&fake, &["--resources", "roles,connections,sync_history"]);
    run.assert_code(3);
    assert_eq!(run.json("roles.json")["status"], "complete");
    assert_eq!(run.json("connections.json")["status"], "complete");
    let history = run.json("sync_history.json");
    assert_ne!(history["status"], "complete");
    assert!(
        reason(&history).contains("Retry-After asks for a wait of 600 s")
            && reason(&history).contains("after 600 s already spent waiting"),
        "{}",
        reason(&history)
    );
    assert_eq!(run.manifest()["requests"]["waited_ms"], 600_000);
}

#[test]
fn a_retry_after_of_an_hour_stops_the_run_at_once_and_names_the_wait() {
    // A rate limit that refuses everything past a burst of five, asking for an hour.
    let fake = FakeServer::start(
        acme(),
        FakeOptions {
            limit: Some(Limit::new(0.001, 5.0).retry_after(Some(3600))),
            ..support::options()
        },
    )
    .expect("fake");
    let started = Instant::now();
    let run = collect(&fake, &["--concurrency", "4"]);
    run.assert_code(3);
    assert!(started.elapsed() < Duration::from_secs(30), "no wait");
    let manifest = run.manifest();
    assert_eq!(manifest["status"], "partial");
    assert_eq!(
        support::manifest_artifact(&manifest, "account")["status"],
        "complete"
    );
    let stopped: Vec<String> = manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        // Sync history, certificates and fingerprints say they had no connections to read, the
        // audit trail that no source is configured; the others name the wait.
        .filter(|a| {
            a["kind"] == "collected"
                && a["status"] != "complete"
                && ![
                    "sync_history",
                    "certificates",
                    "fingerprints",
                    "audit_trail",
                ]
                .contains(&a["resource"].as_str().unwrap_or(""))
        })
        .map(|a| a["reason"].as_str().expect("a reason").to_owned())
        .collect();
    assert!(stopped.len() >= 10, "{stopped:?}");
    for reason in &stopped {
        assert!(
            reason.contains("Fivetran's Retry-After asks for a wait of 3600 s")
                && reason.contains("past --max-wait (900 s)"),
            "{reason}"
        );
    }
    // At once: after the first 429, only the requests already in flight with it.
    let served = fake.requests();
    let first = served.iter().position(|r| r.status == 429).expect("a 429");
    assert!(
        served.len() - first <= 4,
        "{} requests from the first 429 on",
        served.len() - first
    );
    assert!(
        run.stderr.contains("stopped instead of waiting"),
        "{}",
        run.stderr
    );
}

#[test]
fn huge_retry_after_values_stop_at_the_wait_budget_or_fall_back_to_backoff() {
    // The largest number of seconds there is, and a date 8,000 years away: past any budget.
    // Each stops the run, so each has a run of its own.
    for (path, resource, value, asked) in [
        ("/v1/roles", "roles", u64::MAX.to_string(), Some(u64::MAX)),
        (
            "/v1/groups",
            "groups",
            "Fri, 31 Dec 9999 23:59:59 GMT".to_owned(),
            None,
        ),
    ] {
        let fake = server(acme());
        fake.inject(
            Fault::status(path, 429, "TooManyRequests", "forever").header("Retry-After", &value),
        );
        let run = support::collect(&fake, &["--resources", resource, "--max-wait", "24h"]);
        run.assert_code(3);
        let artifact = run.json(&format!("{resource}.json"));
        assert_eq!(artifact["status"], "failed");
        if let Some(asked) = asked {
            assert!(
                reason(&artifact).contains(&format!(
                    "Fivetran's Retry-After asks for a wait of {asked} s"
                )),
                "{}",
                reason(&artifact)
            );
        }
        assert!(
            reason(&artifact).contains("past --max-wait (86400 s)"),
            "{}",
            reason(&artifact)
        );
        assert!(
            run.stderr.lines().any(|l| l.contains("WARN GET ")
                && l.contains(path)
                && l.contains("stopped instead of waiting")),
            "announced for {path}: {}",
            run.stderr
        );
        assert_eq!(requests_to(&fake, path), 1, "no retry");
    }
    // Too large to be a number of seconds at all: not a Retry-After, so the usual backoff.
    let fake = server(acme());
    fake.inject(
        Fault::status("/v1/webhooks", 429, "TooManyRequests", "nonsense")
            .header("Retry-After", "99999999999999999999999999"),
    );
    let run = support::collect(&fake, &["--resources", "webhooks", "--max-wait", "24h"]);
    run.assert_code(0);
    assert_eq!(run.json("webhooks.json")["status"], "complete");
    assert!(
        run.stderr.contains("429 on GET /v1/webhooks): waiting")
            && run.stderr.contains("backing off, no Retry-After given"),
        "{}",
        run.stderr
    );
}
