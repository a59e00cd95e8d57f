//! Which attempts are retried and how long to wait: pure functions, tested by table.
//!
//! The server's `Retry-After` comes first (seconds or an HTTP date); otherwise capped
//! exponential backoff with full jitter. Every request is bounded in attempts, and the whole
//! run in the time it may spend waiting (`--max-wait`).

use std::time::{Duration, SystemTime};

/// What one attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// An HTTP status with a body that was read in full.
    Status(u16),
    /// No usable response: connect error, reset, timeout, body cut short.
    Transport,
    /// A 200 whose body is not the JSON envelope it should be.
    Undecodable,
    /// The server's TLS certificate is not trusted: retrying cannot help.
    Untrusted,
}

/// What to do after an attempt that did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Try again after a backoff (or `Retry-After`, if the server sent one).
    Retry,
    /// Fivetran asked us to slow down: wait `Retry-After` (or a backoff), then try again.
    RateLimited,
    /// Do not try again; the answer is final.
    Final,
}

/// Classifies one attempt. 200 never reaches here.
pub fn classify(attempt: Attempt) -> Class {
    match attempt {
        Attempt::Status(429) => Class::RateLimited,
        Attempt::Status(500 | 502 | 503 | 504) => Class::Retry,
        Attempt::Status(_) => Class::Final,
        Attempt::Transport | Attempt::Undecodable => Class::Retry,
        Attempt::Untrusted => Class::Final,
    }
}

/// Bounds on retrying.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff ceiling; doubles each retry.
    pub base: Duration,
    /// Largest backoff ceiling.
    pub cap: Duration,
    /// The most the whole run may spend waiting on retries and `Retry-After` (`--max-wait`). A
    /// wait that would pass it is not made: that request fails with the reason, so a run that
    /// Fivetran would hold back for an hour stops those artifacts instead of hanging.
    pub max_wait: Duration,
}

/// The default `--max-wait`: 15 minutes.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(15 * 60);

impl Default for Policy {
    /// Six attempts per request, backoff from 1 s doubling up to 30 s, at most 15 minutes of
    /// waiting in the whole run.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            max_wait: DEFAULT_MAX_WAIT,
        }
    }
}

/// Where a wait came from (said in the log line that announces it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// The server's `Retry-After` header.
    RetryAfter,
    /// Exponential backoff with jitter.
    Backoff,
}

/// What to do instead of the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Wait this long, then try again.
    Wait(Duration, WaitReason),
    /// The request has had all its attempts.
    OutOfAttempts,
    /// The wait would take the run past `max_wait`.
    OverBudget(Duration, WaitReason),
}

impl Policy {
    /// The wait before retry number `retry` (1 for the first retry): `Retry-After` when the
    /// server sent one, else capped exponential backoff with full jitter. `jitter` is a
    /// uniform random number in `[0, 1)`, injected so tests are exact.
    pub fn wait(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> (Duration, WaitReason) {
        if let Some(after) = retry_after {
            return (after, WaitReason::RetryAfter);
        }
        let exp = retry.saturating_sub(1).min(20);
        let ceiling = self.base.saturating_mul(1 << exp).min(self.cap);
        (ceiling.mul_f64(jitter.clamp(0.0, 1.0)), WaitReason::Backoff)
    }

    /// Decides what follows a failed attempt, after `attempts` attempts of this request and
    /// `run_waited` spent waiting in the whole run so far.
    pub fn next(
        &self,
        attempts: u32,
        run_waited: Duration,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Next {
        if attempts >= self.max_attempts {
            return Next::OutOfAttempts;
        }
        let (wait, reason) = self.wait(attempts, retry_after, jitter);
        if run_waited.saturating_add(wait) > self.max_wait {
            Next::OverBudget(wait, reason)
        } else {
            Next::Wait(wait, reason)
        }
    }
}

/// Parses `Retry-After`: whole seconds, or an HTTP date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
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
            (Attempt::Undecodable, Class::Retry),
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
}
