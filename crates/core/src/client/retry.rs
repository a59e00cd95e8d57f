//! Which attempts are retried and how long to wait: pure functions, tested by table.
//!
//! The server's `Retry-After` comes first (seconds or an HTTP date); otherwise capped
//! exponential backoff with full jitter. Every request is bounded in attempts, and the whole
//! run in the time it may spend waiting (`--max-wait`), time lost in attempts that timed out
//! included. Only what can change is retried: a well-formed answer of the wrong shape is final.
//! A 429 is not a fault: it spends no attempt, and its waits (`pace.rs`, one pause for every
//! request) are bounded by the wait budget alone.

use std::time::{Duration, SystemTime};

/// What one attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// An HTTP status with a body that was read in full.
    Status(u16),
    /// No usable response: connect error, reset, body cut short.
    Transport,
    /// No answer within the time allowed: the time it took counts against `--max-wait`.
    TimedOut,
    /// A 200 whose body is not JSON (empty, an HTML page, cut short, too deep to read): a
    /// proxy's or a server's hiccup, which may pass.
    Undecodable,
    /// A 200 with well-formed JSON that is not the envelope it should be (no `data`, `items`
    /// not a list): the server means it, and asking again cannot change it.
    WrongShape,
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
        Attempt::Transport | Attempt::TimedOut | Attempt::Undecodable => Class::Retry,
        Attempt::WrongShape | Attempt::Untrusted => Class::Final,
    }
}

/// Bounds on retrying.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Attempts per request that end in a fault (5xx, transport, timeout, undecodable body),
    /// the first included. 429s do not count: their waits are bounded by `max_wait` alone.
    pub max_attempts: u32,
    /// First backoff ceiling; doubles each retry.
    pub base: Duration,
    /// Largest backoff ceiling.
    pub cap: Duration,
    /// The most the whole run may spend waiting on retries and `Retry-After`, and lose in
    /// attempts that timed out (`--max-wait`). A wait that would pass it is not made: that
    /// request fails with the reason (and after a 429, every request: see `pace.rs`), so a run
    /// that Fivetran would hold back for an hour stops instead of hanging.
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
mod tests;
