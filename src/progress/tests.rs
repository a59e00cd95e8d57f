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
