//! Unit tests of `fake::routes`.

use super::*;

#[test]
fn sync_history_windows_are_checked_as_documented() {
    let q = |start: &str, end: &str| format!("limit=1000&start_time={start}&end_time={end}");
    let ok = sync_window(Some(&q("2026-11-20T03:00:00Z", "2026-11-27T03:00:00Z")))
        .expect("exactly 7 days");
    assert_eq!(ok.1.duration_since(ok.0), SYNC_HISTORY_MAX_WINDOW);
    assert!(
        sync_window(Some(&q(
            "2026-11-20T03%3A00%3A00Z",
            "2026-11-21T03%3A00%3A00Z"
        )))
        .is_ok()
    );
    for (query, why) in [
        (q("2026-11-20T02:59:59Z", "2026-11-27T03:00:00Z"), "7 days"),
        (q("2026-11-27T03:00:00Z", "2026-11-27T03:00:00Z"), "after"),
        (q("2026-11-27T03:00:00Z", "2026-11-26T03:00:00Z"), "after"),
        (q("yesterday", "2026-11-26T03:00:00Z"), "ISO 8601"),
        (
            "limit=1000&end_time=2026-11-26T03:00:00Z".into(),
            "start_time is required",
        ),
        (
            "start_time=2026-11-26T03:00:00Z".into(),
            "end_time is required",
        ),
    ] {
        let err = sync_window(Some(&query)).expect_err(&query);
        assert!(err.contains(why), "{query}: {err}");
    }
    assert!(sync_window(None).is_err());
}
