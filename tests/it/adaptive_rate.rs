//! When the real limit is unknown: the pace the run finds against the fake's token bucket
//! (`iru_fivetran_fake::Limit`), in-process, the client and the fake on one simulated clock.
//!
//! Each test runs on a tokio runtime whose time is paused: the fake is served on it
//! (`FakeServer::start_here`) and the client waits on tokio's time, so when every task waits,
//! tokio moves the clock to the next wake-up. A run of half a minute against 30 requests a
//! second takes no real time, and wall times are exact, not timed. (The binary's own tests skip
//! waits instead, `IRU_FIVETRAN_TEST_NO_DELAY`; the benchmark runs in real time against the same
//! bucket, `--server-limit`.) Retry-After past the wait budget is in `too_many_requests.rs`.

use std::time::Duration;

use iru_fivetran::commands::collect::run as collect;
use iru_fivetran::config::{Account, Config, Settings};
use iru_fivetran_core::client::Delays;
use iru_fivetran_core::endpoints::ROLES;
use iru_fivetran_core::exit;
use iru_fivetran_fake::synthetic::SyntheticSize;
use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer, Limit};
use serde_json::Value;

use crate::support::{self, paused, waiting_client};

/// The account of the trial: 60 users, 8 teams, 6 groups, 40 connections.
fn account() -> FakeAccount {
    FakeAccount::synthetic(&SyntheticSize {
        users: 60,
        teams: 8,
        groups: 6,
        connections: 40,
        now: jiff::Timestamp::now(),
        ..SyntheticSize::default()
    })
}

/// What an in-process run did.
struct Ran {
    code: u8,
    requests: usize,
    refused: usize,
    wall: Duration,
    manifest: Value,
}

impl Ran {
    /// Wall time over the least time the server's limit allows for these requests.
    fn ratio(&self, limit: f64) -> f64 {
        self.wall.as_secs_f64() / (self.requests as f64 / limit)
    }
}

/// Collects `account()` at `--rate 100 --concurrency 8` from a fake behind `limit`, on paused
/// time. Pages of one item, so the run takes about 730 requests (the trial took 820).
fn collect_under(limit: Option<Limit>) -> Ran {
    paused().block_on(async {
        let options = FakeOptions {
            limit,
            page_size: 1,
            ..support::options()
        };
        let fake = FakeServer::start_here(account(), options).expect("fake");
        let out = tempfile::tempdir().expect("tmp");
        let settings = Settings {
            account: Account {
                api_url: Some(fake.api_url()),
                ..Account::default()
            },
            out: out.path().join("evidence"),
            rate: Some(100.0),
            concurrency: Some(8),
            ..Settings::default()
        };
        let config = Config::one(&settings, &support::test_env).expect("config");
        assert_eq!(
            config.delays,
            Delays::Real,
            "waits are made, on paused time"
        );
        let start = tokio::time::Instant::now();
        let outcome = collect::run(&config).await.expect("a bundle");
        let wall = start.elapsed();
        let manifest: Value = serde_json::from_slice(
            &std::fs::read(outcome.bundle.join("manifest.json")).expect("manifest"),
        )
        .expect("json");
        support::assert_no_secret_under(out.path());
        let requests = fake.requests();
        Ran {
            code: exit::of_run(outcome.status),
            requests: requests.len(),
            refused: requests.iter().filter(|r| r.status == 429).count(),
            wall,
            manifest,
        }
    })
}

fn assert_complete(ran: &Ran) {
    assert_eq!(ran.code, exit::COMPLETE, "{:#}", ran.manifest["artifacts"]);
    assert_eq!(ran.manifest["status"], "complete");
    assert_eq!(
        ran.manifest["requests"]["total"].as_u64(),
        Some(ran.requests as u64)
    );
}

/// At most 5 % of requests refused, wall at most 1.25 × requests ÷ 30.
fn assert_holds_30(ran: &Ran) {
    assert_complete(ran);
    assert!(
        ran.refused * 20 <= ran.requests,
        "{} of {} refused",
        ran.refused,
        ran.requests
    );
    assert!(
        ran.ratio(30.0) <= 1.25,
        "wall {:?} for {} requests: {:.3} × requests ÷ 30",
        ran.wall,
        ran.requests,
        ran.ratio(30.0)
    );
    let requests = &ran.manifest["requests"];
    assert!(requests["slowdowns"].as_u64().expect("slowdowns") >= 1);
    assert!(
        requests["lowest_rate"].as_f64().expect("lowest") < 30.0,
        "{requests}"
    );
    assert_eq!(ran.manifest["options"]["rate"], 100.0);
}

#[test]
fn a_limit_of_30_a_second_with_retry_after_is_found_and_held() {
    let ran = collect_under(Some(Limit::new(30.0, 5.0)));
    assert!(ran.requests > 700, "{} requests", ran.requests);
    assert_holds_30(&ran);
    assert_eq!(
        ran.manifest["requests"]["rate_limited"].as_u64(),
        Some(ran.refused as u64)
    );
}

#[test]
fn a_limit_of_30_a_second_without_retry_after_is_found_and_held() {
    let ran = collect_under(Some(Limit::new(30.0, 5.0).retry_after(None)));
    assert_holds_30(&ran);
}

#[test]
fn a_limit_that_drops_to_10_a_second_halfway_and_comes_back_is_followed() {
    // The clean run's requests, to place the drop: from a third of them to two thirds.
    let n = collect_under(None).requests as u64;
    let limit = Limit::new(30.0, 5.0)
        .then(n / 3, 10.0)
        .then(2 * n / 3, 30.0);
    let ran = collect_under(Some(limit));
    assert_complete(&ran);
    assert!(ran.refused * 20 <= ran.requests, "{} refused", ran.refused);
    // The least time: a third at 30/s, a third at 10/s, a third at 30/s.
    let third = ran.requests as f64 / 3.0;
    let ideal = third / 30.0 + third / 10.0 + third / 30.0;
    let ratio = ran.wall.as_secs_f64() / ideal;
    assert!(ratio <= 1.35, "{:?}: {ratio:.3} × the least time", ran.wall);
    let requests = &ran.manifest["requests"];
    assert!(
        requests["lowest_rate"].as_f64().expect("lowest") <= 10.0,
        "{requests}"
    );
    assert!(
        requests["final_rate"].as_f64().expect("final") > 20.0,
        "the rate came back: {requests}"
    );
}

#[test]
fn nothing_changes_when_nothing_is_refused() {
    let free = collect_under(None);
    let generous = collect_under(Some(Limit::new(1000.0, 100.0)));
    for ran in [&free, &generous] {
        assert_complete(ran);
        assert_eq!(ran.refused, 0);
        let requests = &ran.manifest["requests"];
        assert_eq!(requests["slowdowns"], 0, "{requests}");
        assert_eq!(requests["final_rate"], 100.0, "{requests}");
        assert_eq!(requests["lowest_rate"], 100.0, "{requests}");
    }
    assert_eq!(free.requests, generous.requests);
    assert_eq!(free.wall, generous.wall, "the same pace, to the nanosecond");
    // --rate 100 binds: a second's worth at once, then 100 a second.
    let floor = (free.requests as f64 - 100.0) / 100.0;
    assert!(
        (free.wall.as_secs_f64() - floor).abs() < 0.5,
        "{:?} for {} requests",
        free.wall,
        free.requests
    );
}

#[test]
fn one_429_pauses_every_request_and_they_resume_paced() {
    paused().block_on(async {
        let options = FakeOptions {
            limit: Some(Limit::new(60.0, 4.0).retry_after(Some(2))),
            ..support::options()
        };
        let fake = FakeServer::start_here(support::acme(), options).expect("fake");
        let client = waiting_client(&fake, 100.0, 8, Duration::from_secs(900));
        let start = tokio::time::Instant::now();
        let gets = (0..40).map(|_| client.get_page(ROLES, "/roles", &[], None));
        let pages = futures::future::join_all(gets).await;
        let wall = start.elapsed();
        assert!(pages.iter().all(Result::is_ok));
        let refused = fake.requests().iter().filter(|r| r.status == 429).count();
        let stats = client.stats().snapshot();
        // The burst of four went; the requests in flight with the first refusal were refused
        // too, and joined its one slow-down and its one pause, counted once.
        assert!((1..=8).contains(&refused), "{refused}");
        assert_eq!((stats.rate_limited, stats.slowdowns), (refused as u64, 1));
        assert_eq!(stats.waited_ms, 2000);
        assert_eq!(
            stats.rate, 50.0,
            "the rate in force halved: the run's first 429"
        );
        // Then the other 36 at 50 a second, one interval apart, not at once when the pause
        // ended.
        assert!(
            wall >= Duration::from_secs_f64(2.0 + 35.0 / 50.0) && wall < Duration::from_secs(3),
            "{wall:?}"
        );
    });
}

#[test]
fn while_429s_keep_coming_fewer_requests_are_in_flight() {
    paused().block_on(async {
        let options = FakeOptions {
            limit: Some(Limit::new(2.0, 1.0)),
            latency: Duration::from_millis(200),
            ..support::options()
        };
        let fake = FakeServer::start_here(support::acme(), options).expect("fake");
        let client = waiting_client(&fake, 100.0, 8, Duration::from_secs(900));
        let gets = (0..60).map(|_| client.get_page(ROLES, "/roles", &[], None));
        let mut all = std::pin::pin!(futures::future::join_all(gets));
        let mut wait = async |secs: f64| {
            tokio::select! {
                _ = &mut all => panic!("done too soon"),
                () = tokio::time::sleep(Duration::from_secs_f64(secs)) => {}
            }
        };
        // The first burst: eight at once.
        wait(0.1).await;
        assert_eq!(fake.take_peak_in_flight(), 8);
        // Refusals follow each other: the places in flight halve at each, 8 to 4 at the first,
        // to 2 at the second (by 1.6 s), then fewer still: never more than two at once from
        // then on, half-second after half-second, while requests go on. (Each request waiting
        // out its own Retry-After, they came back eight at a time.)
        wait(1.5).await;
        let _ = fake.take_peak_in_flight();
        let before = fake.requests().len();
        let mut peaks = Vec::new();
        for _ in 0..10 {
            wait(0.5).await;
            peaks.push(fake.take_peak_in_flight());
        }
        assert!(peaks.iter().all(|p| *p <= 2), "{peaks:?}");
        assert!(fake.requests().len() >= before + 5, "requests went on");
        let pages = all.await;
        assert!(pages.iter().all(Result::is_ok));
    });
}
