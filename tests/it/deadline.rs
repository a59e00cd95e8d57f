//! Servers that take their time: an attempt that times out costs its time against the wait
//! budget (`--max-wait`), and the run has a deadline (`--max-time`) that no trickling answer
//! can push back. In-process on paused time (see `adaptive_rate.rs`): a run of minutes takes
//! none.

use std::time::Duration;

use iru_fivetran::commands::collect::run as collect;
use iru_fivetran::config::{Account, Config, Settings};
use iru_fivetran_core::client::ApiError;
use iru_fivetran_core::endpoints::ROLES;
use iru_fivetran_core::paginate;
use iru_fivetran_fake::{FakeServer, Fault, Transport};
use serde_json::Value;

use crate::support::{self, acme, paused, requests_to, waiting_client};

/// A 200 whose body comes one byte a second: 2,000 seconds for the whole of it.
fn trickle(path: &str) -> Fault {
    let body = format!(
        r#"{{"code":"Success","data":{{"items":[],"pad":"{}"}}}}"#,
        "x".repeat(2000)
    );
    Fault::transport(path, Transport::Trickle(Duration::from_secs(1)), &body).times(100)
}

#[test]
fn time_lost_in_timeouts_counts_against_the_wait_budget() {
    paused().block_on(async {
        let fake = FakeServer::start_here(acme(), support::options()).expect("fake");
        fake.inject(trickle("/v1/roles"));
        let client = waiting_client(&fake, 100.0, 8, Duration::from_secs(5));
        let start = tokio::time::Instant::now();
        let listed = paginate::list_all(&client, ROLES, "/roles", "name").await;
        let took = start.elapsed();
        // One attempt of 90 s (the timeout), which alone passes the 5 s budget: no retry.
        assert_eq!(requests_to(&fake, "/v1/roles"), 1);
        assert!(
            took >= Duration::from_secs(90) && took < Duration::from_secs(91),
            "{took:?}"
        );
        let error = listed.error.expect("an error");
        assert!(matches!(error, ApiError::WaitLimit { .. }), "{error}");
        let text = error.to_string();
        assert!(
            text.contains("past --max-wait (5 s) after 90 s already spent waiting or lost in attempts that timed out")
                && text.contains("timed out"),
            "{text}"
        );
        assert_eq!(client.stats().snapshot().timed_out_ms, 90_000);
    });
}

#[test]
fn the_run_ends_by_its_deadline_whatever_the_server_holds_open() {
    paused().block_on(async {
        let fake = FakeServer::start_here(acme(), support::options()).expect("fake");
        for path in [
            "/v1/users",
            "/v1/teams",
            "/v1/groups",
            "/v1/roles",
            "/v1/connections",
            "/v1/destinations",
            "/v1/webhooks",
            "/v1/system-keys",
            "/v1/private-links",
            "/v1/proxy",
        ] {
            fake.inject(trickle(path));
        }
        let out = tempfile::tempdir().expect("tmp");
        let settings = Settings {
            account: Account {
                api_url: Some(fake.api_url()),
                ..Account::default()
            },
            out: out.path().join("evidence"),
            max_time: "100s".into(),
            ..Settings::default()
        };
        let config = Config::one(&settings, &support::test_env).expect("config");
        let start = tokio::time::Instant::now();
        let outcome = collect::run(&config).await.expect("a bundle");
        let took = start.elapsed();
        // Ten lists held open, eight at a time, 90 s each, then retried: without the deadline
        // the run would take minutes. The second wave is cut at the deadline.
        assert!(took <= Duration::from_secs(101), "{took:?}");
        assert_eq!(iru_fivetran_core::exit::of_run(outcome.status), 3);
        let manifest: Value = serde_json::from_slice(
            &std::fs::read(outcome.bundle.join("manifest.json")).expect("manifest"),
        )
        .expect("json");
        assert_eq!(manifest["options"]["max_time_secs"], 100);
        let reasons: Vec<&str> = manifest["artifacts"]
            .as_array()
            .expect("artifacts")
            .iter()
            .filter_map(|a| a["reason"].as_str())
            .collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("the run reached its deadline (--max-time 100 s)")),
            "{reasons:#?}"
        );
        assert_eq!(
            support::manifest_artifact(&manifest, "account")["status"],
            "complete"
        );
        support::assert_no_secret_under(out.path());
    });
}
