//! Unit tests of `progress`.

use super::*;

#[test]
fn the_header_says_waits_in_wall_time_and_names_their_causes() {
    let mut stats = StatsSnapshot {
        requests: 120,
        lowest_remaining: Some(19_000),
        ..StatsSnapshot::default()
    };
    assert_eq!(header(&stats), "120 requests, hourly quota left 19000");
    // 472 s summed over requests in a 61 s run: the header says the 41 s of the run during
    // which requests were held back, never the sum.
    stats.rate_limited = 2;
    stats.waited_ms = 42_000;
    stats.limiter_wait_ms = 472_000;
    stats.wait_wall_ms = 41_500;
    assert_eq!(
        header(&stats),
        "120 requests, hourly quota left 19000, 2 slowed down by Fivetran (429); \
         requests held back 41 s of the run (the pace, Fivetran's 429s)"
    );
    assert!(!header(&stats).contains("472") && !header(&stats).contains("summed"));
    stats.retries = 1;
    stats.reserve_wait_ms = 3_000;
    assert!(
        header(&stats).ends_with("(the pace, retries, Fivetran's 429s, the quota reserve)"),
        "{}",
        header(&stats)
    );
    // Under a second of waiting is not worth a word.
    stats.wait_wall_ms = 900;
    assert!(!header(&stats).contains("held back"));
}

#[test]
fn an_artifact_is_queued_until_its_first_request_is_sent() {
    let progress = Progress::default();
    let line = progress.artifact("users", true);
    assert_eq!(line.stage(), Stage::Queued);
    assert_eq!(line.stage().message(), "queued");
    let sent = line.send_hook();
    sent();
    assert_eq!(line.stage(), Stage::Reading);
    line.items(1000);
    // Later requests (the next pages) leave the count as it is.
    sent();
    assert_eq!(line.stage().message(), "1000 item(s)");
    line.done("complete", 1200);
    sent();
    assert_eq!(line.stage().message(), "complete, 1200 item(s)");
    // A derived artifact sends nothing: it reads the bundle from the start.
    assert_eq!(progress.artifact("findings", false).stage(), Stage::Reading);
}

#[test]
fn the_header_shows_the_pace_once_fivetran_slowed_it() {
    let mut stats = StatsSnapshot {
        requests: 300,
        rate_limited: 3,
        max_rate: 100.0,
        rate: 100.0,
        lowest_rate: 100.0,
        in_flight: 8,
        max_in_flight: 8,
        ..StatsSnapshot::default()
    };
    assert_eq!(
        header(&stats),
        "300 requests, 3 slowed down by Fivetran (429)"
    );
    (
        stats.slowdowns,
        stats.rate,
        stats.lowest_rate,
        stats.in_flight,
    ) = (2, 27.35, 25.0, 2);
    assert_eq!(
        header(&stats),
        "300 requests, 3 slowed down by Fivetran (429), now 27.4/s of 100/s (slowed 2 times, \
         lowest 25.0/s), 2 of 8 in flight"
    );
}
