//! Our own pace: the client's rate limiter (`--rate`) admits every attempt, retries included,
//! and binds. Driven directly against the fake server (no binary). Answers of 429 are in
//! `too_many_requests.rs`, the pace found against a server's limit in `adaptive_rate.rs`, the
//! hourly quota in `quota.rs`.

use std::time::{Duration, Instant};

use iru_fivetran_core::endpoints::{ROLES, USERS};
use iru_fivetran_core::paginate;
use iru_fivetran_fake::Fault;

use crate::support::{self, acme, server};

#[test]
fn the_limiter_admits_every_attempt_retries_included() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/users", 429, "TooManyRequests", "x").header("Retry-After", "1"));
    fake.inject(Fault::status("/v1/users", 503, "Unavailable", "x").times(2));
    let client = support::fake_client(&fake, 1000.0);
    let listed = support::runtime().block_on(paginate::list_all(&client, USERS, "/users", "id"));
    assert!(listed.drained());
    assert_eq!(listed.items.len(), 8);
    let attempts = fake.requests().len() as u64;
    assert_eq!(attempts, 3 + 4, "3 failed attempts, then 4 pages");
    assert_eq!(client.limiter_permits(), attempts);
    let stats = client.stats().snapshot();
    assert_eq!(stats.requests, attempts);
    assert_eq!((stats.retries, stats.rate_limited), (2, 1));
}

#[test]
fn the_rate_binds() {
    // 20 requests/s with a burst of 20: 40 requests cannot take less than one second. (Real
    // waits: with waits skipped, as the other tests have them, the limiter's are skipped too.)
    let fake = server(acme());
    let client = support::real_client(&fake, 20.0);
    let rt = support::runtime();
    let start = Instant::now();
    for _ in 0..40 {
        let page = rt.block_on(client.get_page(ROLES, "/roles", &[], None));
        assert!(page.is_ok());
    }
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
}
