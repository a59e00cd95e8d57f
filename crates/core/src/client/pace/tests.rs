//! Unit tests of `client::pace`: each decision on exact times, then whole runs simulated
//! against a token bucket on a simulated clock (no waiting: every time is computed).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::*;

const S: Duration = Duration::from_secs(1);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn pace(rate: f64, conc: usize) -> Pace {
    Pace::new(rate, conc, S, 30 * S)
}

const BUDGET: Duration = Duration::from_secs(900);

#[test]
fn before_any_slowdown_one_seconds_worth_goes_at_once_then_one_interval_apart() {
    let t0 = Instant::now();
    let mut p = pace(4.0, 8);
    for _ in 0..4 {
        assert_eq!(p.reserve(t0).at, t0);
    }
    assert_eq!(p.reserve(t0).at, t0 + ms(250));
    assert_eq!(p.reserve(t0).at, t0 + ms(500));
    // After an idle spell the burst is there again.
    let later = t0 + 10 * S;
    for _ in 0..4 {
        assert_eq!(p.reserve(later).at, later);
    }
}

#[test]
fn a_429_pauses_everyone_until_its_retry_after_then_requests_resume_spread() {
    let t0 = Instant::now();
    let mut p = pace(100.0, 8);
    let before = p.reserve(t0);
    let answer = t0 + ms(50);
    let refusal = p.refused(t0, answer, Some(S), BUDGET, 0.5);
    let until = answer + S;
    assert_eq!(
        refusal,
        Refusal::Pause {
            asked: S,
            reason: WaitReason::RetryAfter,
            added: S,
            until,
            cut: true,
        }
    );
    assert!(
        !p.admit(&before, answer),
        "slots reserved before the pause are void"
    );
    // The run's first 429: the rate in force (measured sends being too few) halved, 50/s; the
    // first request half an interval after the pause, the next ones an interval apart, never
    // at once.
    let rate = p.rate_at(until);
    assert!((rate - 50.0).abs() < 1e-9, "{rate}");
    let interval = Duration::from_secs_f64(1.0 / rate);
    let first = p.reserve(answer);
    assert!(p.admit(&first, first.at));
    assert_eq!(first.at, until + interval.mul_f64(0.5));
    assert_eq!(p.reserve(answer).at, first.at + interval);
    assert_eq!(p.reserve(until).at, first.at + 2 * interval);
    assert_eq!(p.report(answer).paused_until, Some(until));
    assert_eq!(p.report(until).paused_until, None);
}

#[test]
fn after_a_stall_overdue_requests_go_one_interval_apart_not_at_once() {
    let t0 = Instant::now();
    let mut p = pace(10.0, 8);
    let Refusal::Pause { until, .. } = p.refused(t0, t0, Some(S), BUDGET, 0.0) else {
        panic!("no pause")
    };
    // 5/s after the cut: three requests reserve 200 ms apart.
    let slots: Vec<Slot> = (0..3).map(|_| p.reserve(t0)).collect();
    assert_eq!(slots[0].at, until);
    assert_eq!(slots[2].at, until + ms(400));
    // The client stalls for a second: all three wake at once. One goes; the others reserve
    // again, one interval after it (the rate has grown a little meanwhile: 5.01/s).
    let late = until + S;
    assert!(p.admit(&slots[0], late));
    assert!(!p.admit(&slots[1], late));
    assert!(!p.admit(&slots[2], late));
    let near = |at: Instant, expected: Instant| at.max(expected) - at.min(expected) < ms(1);
    let again = p.reserve(late);
    assert!(near(again.at, late + ms(200)), "{:?}", again.at - late);
    assert!(p.admit(&again, again.at));
    let next = p.reserve(late).at;
    assert!(near(next, late + ms(400)), "{:?}", next - late);
}

#[test]
fn answers_to_requests_sent_before_the_slowdown_join_it_without_cutting_again() {
    let t0 = Instant::now();
    let mut p = pace(100.0, 8);
    for i in 0..8 {
        p.sent(t0 + ms(i * 10));
    }
    let first = p.refused(t0 + ms(60), t0 + ms(80), Some(S), BUDGET, 0.0);
    assert!(matches!(first, Refusal::Pause { cut: true, .. }));
    let rate = p.rate_at(t0 + ms(80));
    // In flight when the cut was made: the same slow-down. A longer Retry-After still
    // lengthens the pause, and only by what it adds.
    let second = p.refused(t0 + ms(70), t0 + ms(90), Some(2 * S), BUDGET, 0.0);
    assert_eq!(
        second,
        Refusal::Pause {
            asked: 2 * S,
            reason: WaitReason::RetryAfter,
            added: ms(1010),
            until: t0 + ms(2090),
            cut: false,
        }
    );
    assert_eq!(p.rate_at(t0 + ms(90)), rate);
    assert_eq!(p.report(t0).slowdowns, 1);
    // Sent after it: a new slow-down.
    let third = p.refused(t0 + ms(2100), t0 + ms(2110), Some(S), BUDGET, 0.0);
    assert!(matches!(third, Refusal::Pause { cut: true, .. }));
    assert_eq!(p.report(t0).slowdowns, 2);
    assert!(p.rate_at(t0 + ms(2110)) < rate);
}

#[test]
fn the_cut_is_from_the_rate_really_sent_not_the_rate_allowed() {
    let t0 = Instant::now();
    let mut p = pace(1000.0, 8);
    // 20 requests a second for two seconds, far under the 1,000 allowed.
    for i in 0..40 {
        p.sent(t0 + ms(i * 50));
    }
    let now = t0 + ms(2000);
    p.refused(now, now, None, BUDGET, 0.0);
    let after = p.rate_at(now + S);
    assert!((after - 0.5 * 20.0).abs() < 0.1, "{after}");
}

#[test]
fn without_retry_after_the_pause_backs_off_from_one_second_while_refusals_follow_each_other() {
    let t0 = Instant::now();
    let mut p = pace(10.0, 8);
    let mut now = t0;
    let mut asked = Vec::new();
    for _ in 0..8 {
        match p.refused(now, now, None, BUDGET, 0.0) {
            Refusal::Pause {
                asked: a,
                until,
                reason,
                ..
            } => {
                assert_eq!(reason, WaitReason::Backoff);
                asked.push(a.as_secs());
                now = until;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(asked, [1, 2, 4, 8, 16, 30, 30, 30]);
    // A success in between starts again from 1 s.
    p.answered();
    match p.refused(now, now, None, BUDGET, 0.0) {
        Refusal::Pause { asked, .. } => assert_eq!(asked, S),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_retry_after_shorter_than_the_backoff_of_repeated_refusals_is_lengthened() {
    let t0 = Instant::now();
    let mut p = pace(10.0, 8);
    let mut now = t0;
    let mut asked = Vec::new();
    for _ in 0..4 {
        match p.refused(now, now, Some(Duration::ZERO), BUDGET, 0.0) {
            Refusal::Pause {
                asked: a,
                until,
                reason,
                ..
            } => {
                asked.push((a.as_secs(), reason));
                now = until + ms(1);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        asked,
        [
            (0, WaitReason::RetryAfter),
            (1, WaitReason::Backoff),
            (2, WaitReason::Backoff),
            (4, WaitReason::Backoff)
        ]
    );
}

#[test]
fn a_pause_the_budget_cannot_cover_is_not_made() {
    let t0 = Instant::now();
    let mut p = pace(10.0, 8);
    let hour = 3600 * S;
    assert_eq!(
        p.refused(t0, t0, Some(hour), BUDGET, 0.0),
        Refusal::OverBudget {
            asked: hour,
            reason: WaitReason::RetryAfter
        }
    );
    assert_eq!(p.report(t0).slowdowns, 0);
    assert_eq!(p.report(t0).paused_until, None);
    // Only what a refusal adds to the pause under way is charged.
    assert!(matches!(
        p.refused(t0, t0, Some(600 * S), BUDGET, 0.0),
        Refusal::Pause { .. }
    ));
    assert!(matches!(
        p.refused(t0, t0 + S, Some(600 * S), S, 0.0),
        Refusal::Pause { added, .. } if added == S
    ));
    assert!(matches!(
        p.refused(t0, t0 + S, Some(600 * S + 2 * S), S, 0.0),
        Refusal::OverBudget { .. }
    ));
    // Too far to be an instant at all.
    assert!(matches!(
        p.refused(t0, t0, Some(Duration::MAX), Duration::MAX, 0.0),
        Refusal::OverBudget { .. }
    ));
}

#[test]
fn the_rate_grows_back_along_a_cubic_never_above_the_ceiling() {
    let t0 = Instant::now();
    let mut p = pace(40.0, 8);
    // The first 429 halves the rate, and it probes up from 20/s.
    let first = p.refused(t0, t0, Some(S), BUDGET, 0.0);
    assert!(matches!(first, Refusal::Pause { until, .. } if until == t0 + S));
    assert_eq!(p.rate_at(t0 + S), 20.0);
    let probed = 20.0 + SCALE * 10f64.powi(3);
    assert!((p.rate_at(t0 + 11 * S) - probed).abs() < 1e-9);
    // A 429 long after the pause, at 30/s: the rate goes to 24/s and levels off at 27/s,
    // reached after K = ∛(3 / C) seconds.
    let now = t0 + 11 * S;
    let Refusal::Pause {
        until, cut: true, ..
    } = p.refused(now, now, Some(S), BUDGET, 0.0)
    else {
        panic!("no pause")
    };
    let at = |secs: f64| p.rate_at(until + Duration::from_secs_f64(secs));
    let k = (3.0 / SCALE).cbrt();
    assert!((at(0.0) - 24.0).abs() < 1e-9, "{}", at(0.0));
    assert!((at(k) - 27.0).abs() < 1e-9, "{}", at(k));
    assert!(at(1.0) > 24.0 && at(1.0) < at(2.0) && at(2.0) < 27.0);
    // Concave below the plateau, flat near it, convex above; the ceiling holds.
    assert!(at(1.0) - at(0.0) > at(2.0) - at(1.0));
    assert!(at(k + 1.0) - at(k) < at(k + 2.0) - at(k + 1.0));
    assert_eq!(at(k + 30.0), 40.0);
    assert_eq!(p.report(until).lowest, 20.0);
}

#[test]
fn slowdowns_never_go_under_the_lowest_rate() {
    let t0 = Instant::now();
    let mut p = pace(1.0, 8);
    let mut now = t0;
    for _ in 0..100 {
        if let Refusal::Pause { until, .. } = p.refused(now, now, Some(S), Duration::MAX, 0.0) {
            now = until;
        }
    }
    assert_eq!(p.rate_at(now), MIN_RATE);
    let mut slow = pace(0.01, 8);
    slow.refused(t0, t0, Some(S), BUDGET, 0.0);
    assert_eq!(
        slow.rate_at(t0 + S),
        0.01,
        "--rate below the lowest rate holds"
    );
}

#[test]
fn requests_in_flight_halve_on_each_slowdown_and_grow_back_by_one_per_window() {
    let t0 = Instant::now();
    let mut p = pace(10.0, 8);
    assert_eq!(p.in_flight(), 8);
    let mut now = t0;
    for expected in [4, 2, 1, 1] {
        if let Refusal::Pause { until, .. } = p.refused(now, now, Some(S), BUDGET, 0.0) {
            now = until;
        }
        assert_eq!(p.in_flight(), expected);
    }
    // 1 + 1, + 1/2, + 1/2.5, + 1/2.9: a whole window of successes for each one more.
    p.answered();
    assert_eq!(p.in_flight(), 2);
    p.answered();
    p.answered();
    assert_eq!(p.in_flight(), 2);
    p.answered();
    assert_eq!(p.in_flight(), 3);
    for _ in 0..100 {
        p.answered();
    }
    assert_eq!(p.in_flight(), 8);
}

#[test]
fn the_quota_left_above_the_reserve_steers_the_rate() {
    let t0 = Instant::now();
    let mut p = pace(100.0, 8);
    p.steer(Some(16_000));
    assert_eq!(p.rate_at(t0), 100.0);
    p.steer(Some(600));
    assert_eq!(p.rate_at(t0), 10.0);
    p.steer(Some(0));
    assert_eq!(p.rate_at(t0), MIN_RATE);
    p.steer(None);
    assert_eq!(p.rate_at(t0), 100.0);
    assert_eq!(p.report(t0).lowest, MIN_RATE);
}

// ---------------------------------------------------------------------------------------------
// Whole runs against a token bucket, on a simulated clock

/// The server's limit: a token bucket whose rate can change after some requests.
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
    /// `(after this many requests received, the new rate)`, in order.
    changes: VecDeque<(u64, f64)>,
    received: u64,
}

impl Bucket {
    fn new(rate: f64, burst: f64, t0: Instant) -> Self {
        Self {
            rate,
            burst,
            tokens: burst,
            last: t0,
            changes: VecDeque::new(),
            received: 0,
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        self.received += 1;
        if let Some(&(after, rate)) = self.changes.front()
            && self.received > after
        {
            self.rate = rate;
            self.changes.pop_front();
        }
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now.max(self.last);
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// At the reserved time: send if the slot holds.
    Send(Slot),
    /// The answer to a request sent at the instant given.
    Answer(Instant, bool),
}

impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Slot {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.epoch).cmp(&(other.at, other.epoch))
    }
}

/// What a simulated run did.
#[derive(Debug)]
struct Ran {
    requests: u64,
    refused: u64,
    wall: Duration,
    pace: PaceReport,
}

/// Runs `n` requests through a [`Pace`] of `rate` and `conc` against `bucket`, `latency` per
/// request, the server answering 429 with `retry_after`: the client's loop of `mod.rs`
/// (a place in flight, then a slot, then the send) as discrete events.
fn simulate(
    n: u64,
    rate: f64,
    conc: usize,
    latency: Duration,
    mut bucket: Bucket,
    retry_after: Option<Duration>,
    t0: Instant,
) -> Ran {
    let mut p = pace(rate, conc);
    let mut events: BinaryHeap<Reverse<(Instant, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |events: &mut BinaryHeap<_>, at: Instant, e: Event| {
        seq += 1;
        events.push(Reverse((at, seq, e)));
    };
    let (mut waiting, mut in_flight, mut done) = (n, 0usize, 0u64);
    let (mut requests, mut refused) = (0u64, 0u64);
    let mut jitter = 0.37f64;
    let mut now = t0;
    loop {
        while waiting > 0 && in_flight < p.in_flight() {
            waiting -= 1;
            in_flight += 1;
            let slot = p.reserve(now);
            push(&mut events, slot.at, Event::Send(slot));
        }
        let Some(Reverse((at, _, event))) = events.pop() else {
            break;
        };
        now = at;
        match event {
            Event::Send(slot) if !p.admit(&slot, now) => {
                let slot = p.reserve(now);
                push(&mut events, slot.at, Event::Send(slot));
            }
            Event::Send(_) => {
                requests += 1;
                let ok = bucket.take(now + latency / 2);
                push(&mut events, now + latency, Event::Answer(now, ok));
            }
            Event::Answer(_, true) => {
                in_flight -= 1;
                done += 1;
                p.answered();
            }
            Event::Answer(sent, false) => {
                in_flight -= 1;
                refused += 1;
                jitter = (jitter * 7.31 + 0.123).fract();
                let refusal = p.refused(sent, now, retry_after, Duration::MAX, jitter);
                assert!(matches!(refusal, Refusal::Pause { .. }), "{refusal:?}");
                waiting += 1;
            }
        }
        if done == n {
            break;
        }
    }
    Ran {
        requests,
        refused,
        wall: now - t0,
        pace: p.report(now),
    }
}

fn assert_holds_under(ran: &Ran, limit: f64) {
    let floor = ran.requests as f64 / limit;
    let ratio = ran.wall.as_secs_f64() / floor;
    let share = ran.refused as f64 / ran.requests as f64;
    assert!(share <= 0.05, "{share:.3} refused: {ran:?}");
    assert!(
        ratio <= 1.25,
        "wall / (requests ÷ limit) {ratio:.3}: {ran:?}"
    );
}

#[test]
fn simulated_a_limit_of_30_a_second_is_found_and_held_with_or_without_retry_after() {
    let t0 = Instant::now();
    for (n, latency, retry_after) in [
        (820, Duration::ZERO, Some(S)),
        (820, Duration::ZERO, None),
        (820, ms(20), Some(S)),
        (3000, ms(5), Some(S)),
    ] {
        let bucket = Bucket::new(30.0, 5.0, t0);
        let ran = simulate(n, 100.0, 8, latency, bucket, retry_after, t0);
        assert_holds_under(&ran, 30.0);
        assert!(ran.pace.lowest < 30.0 && ran.pace.slowdowns >= 1, "{ran:?}");
    }
}

#[test]
fn simulated_a_limit_that_drops_to_a_third_and_comes_back_is_followed() {
    let t0 = Instant::now();
    let mut bucket = Bucket::new(30.0, 5.0, t0);
    bucket.changes = VecDeque::from([(300, 10.0), (500, 30.0)]);
    let ran = simulate(900, 100.0, 8, Duration::ZERO, bucket, Some(S), t0);
    // The least time: 300 requests at 30/s, 200 at 10/s, 400 at 30/s.
    let ideal = 300.0 / 30.0 + 200.0 / 10.0 + 400.0 / 30.0;
    let ratio = ran.wall.as_secs_f64() / ideal;
    assert!(ratio <= 1.35, "{ratio:.3}: {ran:?}");
    assert!(ran.refused * 20 <= ran.requests, "{ran:?}");
    assert!(ran.pace.lowest <= 10.0, "{ran:?}");
    assert!(ran.pace.rate > 20.0, "the rate came back: {ran:?}");
}

#[test]
fn simulated_a_limit_the_client_never_reaches_changes_nothing() {
    let t0 = Instant::now();
    let bucket = Bucket::new(1000.0, 50.0, t0);
    let ran = simulate(2000, 100.0, 8, ms(5), bucket, Some(S), t0);
    assert_eq!((ran.refused, ran.pace.slowdowns), (0, 0), "{ran:?}");
    assert_eq!(ran.pace.rate, 100.0);
    // 100 at once, then 100 a second.
    assert!((ran.wall.as_secs_f64() - 19.0).abs() < 0.1, "{ran:?}");
}
