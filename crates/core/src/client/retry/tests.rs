//! Unit tests of `client::retry`.

use super::*;

#[test]
fn classification_table() {
    let table = [
        (Attempt::Status(429), Class::RateLimited),
        (Attempt::Status(500), Class::Retry),
        (Attempt::Status(502), Class::Retry),
        (Attempt::Status(503), Class::Retry),
        (Attempt::Status(504), Class::Retry),
        (Attempt::Status(501), Class::Final),
        (Attempt::Status(400), Class::Final),
        (Attempt::Status(401), Class::Final),
        (Attempt::Status(403), Class::Final),
        (Attempt::Status(404), Class::Final),
        (Attempt::Status(406), Class::Final),
        (Attempt::Transport, Class::Retry),
        (Attempt::TimedOut, Class::Retry),
        (Attempt::Undecodable, Class::Retry),
        (Attempt::WrongShape, Class::Final),
        (Attempt::Untrusted, Class::Final),
    ];
    for (attempt, class) in table {
        assert_eq!(classify(attempt), class, "{attempt:?}");
    }
}

#[test]
fn backoff_doubles_up_to_the_cap_with_full_jitter() {
    let p = Policy::default();
    let s = Duration::from_secs;
    assert_eq!(p.wait(1, None, 0.999_999).0.as_secs(), 0);
    assert_eq!(p.wait(1, None, 1.0), (s(1), WaitReason::Backoff));
    assert_eq!(p.wait(2, None, 1.0).0, s(2));
    assert_eq!(p.wait(3, None, 1.0).0, s(4));
    assert_eq!(p.wait(5, None, 1.0).0, s(16));
    assert_eq!(p.wait(6, None, 1.0).0, s(30));
    assert_eq!(p.wait(60, None, 1.0).0, s(30));
    assert_eq!(p.wait(4, None, 0.5).0, s(4));
    assert_eq!(p.wait(4, None, 0.0).0, Duration::ZERO);
}

#[test]
fn retry_after_wins_over_backoff() {
    let p = Policy::default();
    let s = Duration::from_secs;
    assert_eq!(p.wait(1, Some(s(42)), 0.3), (s(42), WaitReason::RetryAfter));
    assert_eq!(
        p.wait(3, Some(s(3600)), 0.3),
        (s(3600), WaitReason::RetryAfter)
    );
}

#[test]
fn attempts_and_the_run_wait_budget_are_bounded() {
    let p = Policy::default();
    let s = Duration::from_secs;
    assert_eq!(
        p.next(1, s(0), None, 1.0),
        Next::Wait(s(1), WaitReason::Backoff)
    );
    assert_eq!(
        p.next(5, s(0), None, 1.0),
        Next::Wait(s(16), WaitReason::Backoff)
    );
    assert_eq!(p.next(6, s(0), None, 1.0), Next::OutOfAttempts);
    assert_eq!(
        p.next(1, s(0), Some(s(900)), 0.0),
        Next::Wait(s(900), WaitReason::RetryAfter),
        "exactly the budget is allowed"
    );
    assert_eq!(
        p.next(1, s(1), Some(s(900)), 0.0),
        Next::OverBudget(s(900), WaitReason::RetryAfter)
    );
    assert_eq!(
        p.next(1, s(0), Some(s(3600)), 0.0),
        Next::OverBudget(s(3600), WaitReason::RetryAfter)
    );
    let patient = Policy {
        max_wait: s(7200),
        ..p
    };
    assert_eq!(
        patient.next(1, s(0), Some(s(3600)), 0.0),
        Next::Wait(s(3600), WaitReason::RetryAfter)
    );
}

#[test]
fn retry_after_parses_seconds_and_http_dates() {
    let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").expect("date");
    assert_eq!(parse_retry_after("30", now), Some(Duration::from_secs(30)));
    assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now),
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-5", now), None);
}
