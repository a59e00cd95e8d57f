//! Unit tests of `client::quota`.

use super::*;

const MIN: Duration = Duration::from_secs(60);

impl Quota {
    /// Records a send whatever the gate says (a request already in flight).
    fn sent(&self, now: Instant) {
        let mut book = self.book();
        book.sent.push_back(now);
        book.total += 1;
        book.in_flight += 1;
    }
}

#[test]
fn requests_unanswered_when_the_figure_came_may_not_be_in_it() {
    let t0 = Instant::now();
    let q = Quota::new(Reserve::Requests(10), OnQuota::Stop);
    q.sent(t0);
    q.sent(t0);
    q.sent(t0);
    // The third request's answer comes first: the other two may not be counted in its
    // 13 yet, so the floor is 11.
    q.observe(None, Some(13), t0);
    assert_eq!(q.gate(t0), Gate::Go);
    q.sent(t0);
    assert_eq!(
        q.gate(t0),
        Gate::Stop {
            remaining: 10,
            reserve: 10
        }
    );
}

#[test]
fn a_late_answer_with_a_higher_figure_does_not_raise_the_floor() {
    let t0 = Instant::now();
    let q = Quota::new(Reserve::Requests(10), OnQuota::Stop);
    q.sent(t0);
    q.sent(t0);
    // Counted second by Fivetran, answered first: 11, with one request unanswered.
    q.observe(None, Some(11), t0);
    // Counted first, answered late: its 12 is stale and must not raise the floor of 10.
    q.observe(None, Some(12), t0);
    assert_eq!(
        q.gate(t0),
        Gate::Stop {
            remaining: 10,
            reserve: 10
        }
    );
}

#[test]
fn booking_is_atomic_with_the_check() {
    let t0 = Instant::now();
    let q = Quota::new(Reserve::Requests(10), OnQuota::Stop);
    q.book_send(t0).expect("nothing seen yet");
    q.observe(None, Some(12), t0);
    assert!(q.book_send(t0).is_ok(), "12 left: one more");
    assert!(q.book_send(t0).is_ok(), "11 left: one more");
    assert_eq!(
        q.book_send(t0),
        Err(Gate::Stop {
            remaining: 10,
            reserve: 10
        })
    );
}

#[test]
fn the_reserve_is_requests_or_a_share_of_the_quota() {
    assert_eq!(Reserve::Requests(300).requests(20_000), 300);
    assert_eq!(Reserve::Percent(20.0).requests(20_000), 4_000);
    assert_eq!(Reserve::Percent(20.0).requests(500), 100);
    assert_eq!(Reserve::Percent(0.0).requests(500), 0);
}

#[test]
fn nothing_seen_means_go() {
    let q = Quota::new(Reserve::Requests(10), OnQuota::Stop);
    assert_eq!(q.gate(Instant::now()), Gate::Go);
}

#[test]
fn requests_sent_after_the_figure_count_against_it() {
    let t0 = Instant::now();
    let q = Quota::new(Reserve::Requests(10), OnQuota::Stop);
    q.sent(t0);
    q.observe(Some(1_000), Some(13), t0);
    assert_eq!(q.gate(t0), Gate::Go, "13 left, reserve 10");
    q.sent(t0);
    q.sent(t0);
    assert_eq!(q.gate(t0), Gate::Go, "11 left");
    q.sent(t0);
    assert_eq!(
        q.gate(t0),
        Gate::Stop {
            remaining: 10,
            reserve: 10
        },
        "one more would go below"
    );
}

#[test]
fn slow_waits_for_the_runs_own_requests_to_leave_the_window() {
    let t0 = Instant::now();
    let q = Quota::new(Reserve::Requests(10), OnQuota::Slow);
    q.sent(t0);
    q.observe(None, Some(12), t0);
    q.sent(t0 + 5 * MIN);
    q.observe(None, Some(11), t0 + 5 * MIN);
    assert_eq!(q.gate(t0 + 10 * MIN), Gate::Go);
    q.sent(t0 + 10 * MIN);
    // 10 left now: wait until the first request (t0) leaves the window.
    assert_eq!(q.gate(t0 + 10 * MIN), Gate::Wait(50 * MIN));
    // Once it has, the estimate rises by one and the next request may go.
    assert_eq!(q.gate(t0 + WINDOW), Gate::Go);
}

#[test]
fn slow_stops_when_none_of_its_requests_can_leave_the_window() {
    let t0 = Instant::now();
    let q = Quota::new(Reserve::Percent(20.0), OnQuota::Slow);
    q.sent(t0);
    // Other tools have used the quota: 4,000 of 20,000 left, the reserve is 4,000.
    q.observe(Some(20_000), Some(4_000), t0);
    assert_eq!(
        q.gate(t0),
        Gate::Wait(WINDOW),
        "its one request leaves in an hour"
    );
    let later = t0 + WINDOW;
    assert_eq!(q.gate(later), Gate::Go, "which then frees one");
    let q = Quota::new(Reserve::Percent(20.0), OnQuota::Slow);
    q.observe(Some(20_000), Some(4_000), t0);
    assert_eq!(
        q.gate(t0),
        Gate::Stop {
            remaining: 4_000,
            reserve: 4_000
        }
    );
}
