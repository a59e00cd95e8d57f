//! Sharing the hourly quota: the reserve, `--on-quota slow|stop`, and the estimate at the start.

use iru_fivetran_fake::{FakeOptions, FakeServer};
use serde_json::Value;

use crate::support::{self, acme, collect};

/// A fake whose hourly quota of 20,000 has `remaining` left when the run starts (its hour
/// never rolls: every request takes one for good).
fn fake_with_remaining(remaining: u64) -> FakeServer {
    FakeServer::start(
        acme(),
        FakeOptions {
            remaining,
            ..support::options()
        },
    )
    .expect("fake")
}

fn reasons(run: &support::Run) -> Vec<String> {
    run.manifest()["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter_map(|a| a["reason"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn stop_never_takes_the_quota_below_the_reserve() {
    // The default reserve is 20% of 20,000: 4,000. Ten requests fit above it.
    let fake = fake_with_remaining(4_010);
    let run = collect(&fake, &["--on-quota", "stop"]);
    run.assert_code(3);
    let sent = fake.requests().len();
    assert!(
        sent <= 10,
        "{sent} requests: the reserve was crossed: {:#?}\n{}",
        fake.requests().iter().map(|r| &r.path).collect::<Vec<_>>(),
        run.stderr
    );
    assert!(sent >= 9, "{sent} requests: stopped too early");
    assert!(
        reasons(&run).iter().any(
            |r| r.contains("is at the reserve of 4000 kept for other tools")
                && r.contains("--on-quota stop")
        ),
        "{:?}",
        reasons(&run)
    );
    let manifest = run.manifest();
    assert_eq!(manifest["options"]["reserve"], "20%");
    assert_eq!(manifest["options"]["on_quota"], "stop");
    assert_eq!(
        manifest["requests"]["lowest_remaining"],
        4_010 - sent as u64
    );
}

#[test]
fn an_absolute_reserve_and_no_reserve() {
    let fake = fake_with_remaining(4_010);
    let run = collect(&fake, &["--on-quota", "stop", "--reserve", "4005"]);
    run.assert_code(3);
    assert!(fake.requests().len() <= 5);

    let fake = fake_with_remaining(4_010);
    let run = collect(&fake, &["--reserve", "0"]);
    run.assert_code(0);
    assert_eq!(run.manifest()["requests"]["reserve_wait_ms"], 0);
}

#[test]
fn slow_stops_when_waiting_would_pass_max_wait() {
    // At the reserve, the next request may go only when one of the run's own requests leaves
    // the rolling hour: about an hour, more than the default 15-minute --max-wait.
    let fake = fake_with_remaining(4_010);
    let run = collect(&fake, &[]);
    run.assert_code(3);
    assert!(
        fake.requests().len() <= 10,
        "{}\n{}",
        fake.requests().len(),
        run.stderr
    );
    assert!(
        reasons(&run)
            .iter()
            .any(|r| r.contains("waiting for it to free would pass --max-wait")),
        "{:?}",
        reasons(&run)
    );
}

#[test]
fn slow_waits_for_its_own_requests_and_stops_when_the_quota_does_not_come_back() {
    // With time to wait, the run waits for its own requests to leave the rolling hour (the
    // wait is skipped in tests but counted). This fake's hour never rolls, so the figure does
    // not come back as Fivetran's would: the floor follows the figure down, and the run then
    // stops the remaining requests with the reason rather than go below the reserve again.
    // (Pacing against a rolling hour is in the unit tests of client::quota.)
    let fake = fake_with_remaining(4_010);
    let run = collect(&fake, &["--max-wait", "24h", "--resources", "users,roles"]);
    run.assert_code(3);
    let manifest = run.manifest();
    let waited = manifest["requests"]["reserve_wait_ms"]
        .as_u64()
        .expect("ms");
    assert!(waited >= 3_500_000, "{waited} ms: the hour was not waited");
    assert!(
        waited < 24 * 3_600_000,
        "{waited} ms: waited past --max-wait"
    );
    assert!(
        run.stderr
            .contains("for this run's own requests to leave the rolling hour"),
        "{}",
        run.stderr
    );
    assert!(
        reasons(&run)
            .iter()
            .any(|r| r.contains("none of this run's requests of the last hour is left")),
        "{:?}",
        reasons(&run)
    );
}

#[test]
fn the_start_of_a_run_says_what_it_will_need_and_what_is_left() {
    let fake = fake_with_remaining(20_000);
    let out = tempfile::tempdir().expect("tmp");
    let out_arg = out.path().to_str().expect("utf8");
    let first = collect(&fake, &["--out", out_arg, "--resources", "users"]);
    first.assert_code(0);
    assert!(
        first.stderr.contains("hourly quota left: 19999 of 20000")
            && first.stderr.contains("reserve kept for other tools: 4000")
            && first.stderr.contains("no earlier bundle"),
        "{}",
        first.stderr
    );
    let needed: Value = first.manifest()["requests"]["total"].clone();
    let second = collect(&fake, &["--out", out_arg, "--resources", "users"]);
    second.assert_code(0);
    assert!(
        second.stderr.contains(&format!("needed {needed} requests")),
        "{}",
        second.stderr
    );
}
