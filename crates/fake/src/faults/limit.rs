//! A server-side rate limit the fake enforces (the `faults` feature): a token bucket, as an
//! API gateway keeps per account, with a rate that may change after a number of requests, and
//! `429 Too Many Requests` (with or without `Retry-After`) for a request that finds it empty.
//!
//! The bucket reads tokio's clock on the runtime that serves the fake: real time for a fake on
//! its own thread ([`crate::FakeServer::start`]), and the test's own clock, paused and advanced
//! by tokio, for one served on the test's runtime ([`crate::FakeServer::start_here`]), so the
//! client and the server agree on time without a real wait. The arithmetic itself is pure
//! ([`Bucket::admit`] takes the time) and tested here.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use crate::routes::Answer;

/// A token bucket: `per_second` tokens a second, at most `burst` held (full at the start).
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// Tokens added a second.
    pub per_second: f64,
    /// Tokens held at most: the requests that may come at once after a quiet spell.
    pub burst: f64,
    /// `Retry-After` in seconds on a 429; `None`: no header.
    pub retry_after: Option<u64>,
    /// `(n, rate)`: from the request after the `n`-th received (429s included), tokens come at
    /// `rate` a second. In order of `n`.
    pub changes: Vec<(u64, f64)>,
}

impl Limit {
    /// `per_second` a second, `burst` at once, 429s with `Retry-After: 1`.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second,
            burst,
            retry_after: Some(1),
            changes: Vec::new(),
        }
    }

    /// 429s with `Retry-After: secs`, or without the header.
    pub fn retry_after(mut self, secs: Option<u64>) -> Self {
        self.retry_after = secs;
        self
    }

    /// From the request after the `after`-th, `per_second` a second.
    pub fn then(mut self, after: u64, per_second: f64) -> Self {
        self.changes.push((after, per_second));
        self
    }
}

/// The state of a [`Limit`].
#[derive(Debug)]
pub(crate) struct Bucket {
    limit: Limit,
    rate: f64,
    tokens: f64,
    /// When tokens were last added (`None` before the first request).
    last: Option<Duration>,
    received: u64,
    next_change: usize,
}

impl Bucket {
    pub(crate) fn new(limit: Limit) -> Self {
        Self {
            rate: limit.per_second,
            tokens: limit.burst,
            limit,
            last: None,
            received: 0,
            next_change: 0,
        }
    }

    /// Takes a token for a request received at `now` (any fixed origin); `false` when none is
    /// left.
    pub(crate) fn admit(&mut self, now: Duration) -> bool {
        self.received += 1;
        while let Some(&(after, rate)) = self.limit.changes.get(self.next_change)
            && self.received > after
        {
            self.rate = rate;
            self.next_change += 1;
        }
        let since = self
            .last
            .map_or(Duration::ZERO, |last| now.saturating_sub(last));
        self.last = Some(self.last.map_or(now, |last| last.max(now)));
        self.tokens = (self.tokens + since.as_secs_f64() * self.rate).min(self.limit.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The answer to a request [`Bucket::admit`] refused.
    pub(crate) fn refusal(&self) -> Answer {
        let body = json!({
            "code": "TooManyRequests",
            "message": format!("Rate limit exceeded: {} requests per second", self.rate),
        });
        let mut answer = Answer::new(429, Bytes::from(body.to_string()));
        if let Some(secs) = self.limit.retry_after {
            answer
                .headers
                .push(("retry-after".into(), secs.to_string()));
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_full_bucket_lets_the_burst_through_then_its_rate() {
        let mut bucket = Bucket::new(Limit::new(10.0, 3.0));
        let admitted: Vec<bool> = (0..5).map(|_| bucket.admit(ms(0))).collect();
        assert_eq!(admitted, [true, true, true, false, false]);
        assert!(!bucket.admit(ms(50)), "half a token");
        assert!(bucket.admit(ms(100)));
        assert!(!bucket.admit(ms(100)));
        // A long quiet spell fills it to the burst, no more.
        let admitted = (0..4).filter(|_| bucket.admit(ms(60_000))).count();
        assert_eq!(admitted, 3);
    }

    #[test]
    fn the_rate_changes_after_the_requests_given() {
        let mut bucket = Bucket::new(Limit::new(10.0, 1.0).then(2, 1.0).then(3, 10.0));
        assert!(bucket.admit(ms(0)));
        assert!(bucket.admit(ms(100)));
        // The third request: 1 a second, so 100 ms later holds a tenth of a token.
        assert!(!bucket.admit(ms(200)));
        // The fourth: 10 a second again.
        assert!(bucket.admit(ms(300)));
    }

    #[test]
    fn the_refusal_carries_retry_after_when_asked() {
        let with = Bucket::new(Limit::new(1.0, 1.0)).refusal();
        assert_eq!(with.status, 429);
        assert_eq!(with.headers, [("retry-after".to_owned(), "1".to_owned())]);
        let without = Bucket::new(Limit::new(1.0, 1.0).retry_after(None)).refusal();
        assert!(without.headers.is_empty());
        let body: serde_json::Value = serde_json::from_slice(&without.body).expect("json");
        assert_eq!(body["code"], "TooManyRequests");
    }
}
