//! The client and pagination, driven directly against the fake server (no binary).

use std::time::{Duration, Instant};

use iru_fivetran::client::{Client, MAX_BODY_BYTES};
use iru_fivetran::endpoints::{ROLES, USERS};
use iru_fivetran::fake::{FakeServer, Fault};
use iru_fivetran::paginate;

use crate::support::{self, acme, server};

fn client(fake: &FakeServer, rate: f64) -> Client {
    let timeout = Duration::from_millis(500);
    support::client_for(&fake.api_url(), rate, timeout, MAX_BODY_BYTES, 6)
}

#[test]
fn the_limiter_admits_every_attempt_retries_included() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/users", 429, "TooManyRequests", "x").header("Retry-After", "1"));
    fake.inject(Fault::status("/v1/users", 503, "Unavailable", "x").times(2));
    let client = client(&fake, 1000.0);
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
    // 20 requests/s with a burst of 20: 40 requests cannot take less than one second.
    let fake = server(acme());
    let client = client(&fake, 20.0);
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

#[test]
fn a_cursor_that_never_ends_is_cut_at_the_page_cap() {
    let fake = server(acme());
    let client = client(&fake, 1000.0);
    // Every page of roles has a fresh cursor: the server pages two items at a time and the
    // list has 17 items (9 pages), so a cap of 5 pages stops it.
    let listed = support::runtime().block_on(paginate::list_all_capped(
        &client,
        ROLES,
        "/roles",
        &[],
        "name",
        5,
    ));
    assert_eq!(listed.pages, 5);
    assert_eq!(listed.items.len(), 10);
    let error = listed.error.expect("stopped").to_string();
    assert!(error.contains("more than 5 pages"), "{error}");
}
