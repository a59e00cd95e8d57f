//! Which attempts are retried and how long to wait: pure functions, tested by table.
//!
//! The server's `Retry-After` comes first (seconds or an HTTP date, capped); otherwise capped
//! exponential backoff with full jitter. Every request is bounded both in attempts and in the
//! total time it may spend waiting.

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
    }
}

/// Bounds on retrying one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// First backoff ceiling; doubles each retry.
    pub base: Duration,
    /// Largest backoff ceiling.
    pub cap: Duration,
    /// Largest single wait honoured for `Retry-After`.
    pub retry_after_cap: Duration,
    /// Total time one request may spend waiting between attempts.
    pub max_total_wait: Duration,
}

impl Default for Policy {
    /// Six attempts, backoff from 1 s up to 30 s, `Retry-After` honoured up to 15 minutes, and at
    /// most 20 minutes of waiting per request: long enough to ride out a rolling-hour limit
    /// that is nearly spent, short enough that a cron job does not hang for hours.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(15 * 60),
            max_total_wait: Duration::from_secs(20 * 60),
        }
    }
}

/// Where a wait came from (said in the log line that announces it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// The server's `Retry-After` header.
    RetryAfter,
    /// `Retry-After` was larger than the cap; the cap was used.
    RetryAfterCapped,
    /// Exponential backoff with jitter.
    Backoff,
}

impl Policy {
    /// The wait before retry number `retry` (1 for the first retry). `jitter` is a uniform
    /// random number in `[0, 1)`, injected so tests are exact.
    pub fn wait(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> (Duration, WaitReason) {
        if let Some(after) = retry_after {
            return if after > self.retry_after_cap {
                (self.retry_after_cap, WaitReason::RetryAfterCapped)
            } else {
                (after, WaitReason::RetryAfter)
            };
        }
        let exp = retry.saturating_sub(1).min(20);
        let ceiling = self.base.saturating_mul(1 << exp).min(self.cap);
        (ceiling.mul_f64(jitter.clamp(0.0, 1.0)), WaitReason::Backoff)
    }

    /// Whether another attempt is allowed after `attempts` attempts and `waited` time already
    /// spent waiting, if the next wait is `next`.
    pub fn may_retry(&self, attempts: u32, waited: Duration, next: Duration) -> bool {
        attempts < self.max_attempts && waited.saturating_add(next) <= self.max_total_wait
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
    fn retry_after_wins_and_is_capped() {
        let p = Policy::default();
        let s = Duration::from_secs;
        assert_eq!(p.wait(1, Some(s(42)), 0.3), (s(42), WaitReason::RetryAfter));
        assert_eq!(
            p.wait(1, Some(s(3600)), 0.3),
            (s(900), WaitReason::RetryAfterCapped)
        );
    }

    #[test]
    fn attempts_and_total_wait_are_bounded() {
        let p = Policy::default();
        let s = Duration::from_secs;
        assert!(p.may_retry(1, s(0), s(1)));
        assert!(p.may_retry(5, s(0), s(1)));
        assert!(!p.may_retry(6, s(0), s(1)));
        assert!(p.may_retry(2, s(300), s(900)));
        assert!(!p.may_retry(2, s(301), s(900)));
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
