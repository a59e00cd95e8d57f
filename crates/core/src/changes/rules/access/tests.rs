//! Unit tests of `changes::rules::access`.

use super::*;

#[test]
fn expiring_means_within_thirty_days_after_the_start() {
    let start: Timestamp = "2026-01-01T00:00:00Z".parse().expect("t");
    assert!(expires_soon(start, "2026-01-31T00:00:00Z"));
    assert!(expires_soon(start, "2026-01-01T00:00:00.5Z"));
    assert!(!expires_soon(start, "2026-01-31T00:00:01Z"));
    assert!(
        !expires_soon(start, "2025-12-31T23:59:59Z"),
        "already expired"
    );
    assert!(!expires_soon(start, "soon"));
}
