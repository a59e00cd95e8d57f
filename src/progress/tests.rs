//! Unit tests of `progress`.

use super::*;

#[test]
fn the_header_names_each_wait_for_what_it_is() {
    let mut stats = StatsSnapshot {
        requests: 120,
        lowest_remaining: Some(19_000),
        ..StatsSnapshot::default()
    };
    assert_eq!(header(&stats), "120 requests, hourly quota left 19000");
    stats.rate_limited = 2;
    stats.waited_ms = 42_000;
    stats.limiter_wait_ms = 900;
    assert_eq!(
        header(&stats),
        "120 requests, hourly quota left 19000, 2 slowed down by Fivetran (429); \
             waited, summed over requests: 42 s on retries and Fivetran's Retry-After"
    );
    stats.limiter_wait_ms = 5_000;
    assert!(header(&stats).contains("5 s on the rate limit"));
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
