//! Sharing Fivetran's hourly quota with the customer's other tools (`--reserve`, `--on-quota`).
//!
//! Fivetran counts an account's requests over a rolling hour and reports what is left in
//! `X-Rate-Limit-Remaining` on every answer. The run must never take the remaining quota below
//! the reserve it leaves to other tools (Terraform, Airflow, scripts).
//!
//! Known: the last remaining figure `R`, seen at `T`, and the send time of every request of this
//! run. Not known: what other tools will do, nor, with requests running at once, in which order
//! Fivetran counted them. So the estimate is a floor: `R − u − s + a`, where `u` is this run's
//! requests still unanswered when `R` was seen (they may not be in it yet), `s` those sent
//! since, and `a` this run's requests that have left the rolling hour since `T` (sent in
//! `(T − 1 h, now − 1 h]`). A new figure never raises the floor (an answer can arrive after
//! others Fivetran counted later); only this run's own requests leaving the window do. Other
//! tools' requests leaving the window only make the truth better than the floor.
//!
//! When the next request would take the estimate to the reserve or below:
//! - `slow` (the default) waits until the next of this run's own requests leaves the rolling
//!   hour, then sends: the run's share of the window stays constant, a pace the rolling hour can
//!   sustain. If none of its requests is in the window, waiting cannot help: the request stops
//!   with the reason, as in `stop`. Waits count against `--max-wait`.
//! - `stop` ends the request at once with the reason, and with it the artifact.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The rolling window Fivetran counts requests in.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// Fivetran's hourly quota on paid plans, assumed until an answer says otherwise.
pub const ASSUMED_QUOTA: u64 = 20_000;

/// How much of the quota to leave to other tools.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reserve {
    /// A number of requests.
    Requests(u64),
    /// A share of the quota, in percent.
    Percent(f64),
}

/// The default reserve: 20% of the quota (4,000 of 20,000; 100 of a trial's 500).
pub const DEFAULT_RESERVE: Reserve = Reserve::Percent(20.0);

impl Reserve {
    /// The reserve in requests for an hourly quota.
    pub fn requests(self, quota: u64) -> u64 {
        match self {
            Reserve::Requests(n) => n,
            Reserve::Percent(p) => ((quota as f64) * p / 100.0).ceil() as u64,
        }
    }
}

/// What to do at the reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnQuota {
    /// Wait for this run's own requests to leave the rolling hour.
    Slow,
    /// End the request (and its artifact) with the reason.
    Stop,
}

/// The decision on the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Send now.
    Go,
    /// Wait this long (one of this run's requests leaves the window then), then ask again.
    Wait(Duration),
    /// Do not send: the estimate is at the reserve and waiting cannot help, or `stop`.
    Stop {
        /// The estimated remaining quota.
        remaining: u64,
        /// The reserve in requests.
        reserve: u64,
    },
}

#[derive(Debug, Default)]
struct Book {
    /// Send times of this run's requests sent in the last two hours, oldest first.
    sent: VecDeque<Instant>,
    /// Requests sent in all.
    total: u64,
    /// Requests sent and not answered yet.
    in_flight: u64,
    /// The floor of the remaining quota when last updated, when, and how many requests had been
    /// sent then.
    seen: Option<(u64, Instant, u64)>,
    quota: Option<u64>,
}

/// This run's requests against the quota.
#[derive(Debug)]
pub struct Quota {
    reserve: Reserve,
    on_quota: OnQuota,
    book: Mutex<Book>,
}

impl Quota {
    /// A book with the given reserve and behaviour.
    pub fn new(reserve: Reserve, on_quota: OnQuota) -> Self {
        Self {
            reserve,
            on_quota,
            book: Mutex::new(Book::default()),
        }
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What to do at the reserve.
    pub fn on_quota(&self) -> OnQuota {
        self.on_quota
    }

    /// The reserve in requests for the quota known so far.
    pub fn reserve_requests(&self) -> u64 {
        self.reserve
            .requests(self.book().quota.unwrap_or(ASSUMED_QUOTA))
    }

    /// Records an answer and its `X-Rate-Limit` and `X-Rate-Limit-Remaining`, seen at `now`.
    pub fn observe(&self, quota: Option<u64>, remaining: Option<u64>, now: Instant) {
        let mut book = self.book();
        book.in_flight = book.in_flight.saturating_sub(1);
        if quota.is_some() {
            book.quota = quota;
        }
        if let Some(remaining) = remaining {
            // Requests still unanswered may not be counted in the figure. And an answer can
            // arrive after others that Fivetran counted later, its figure then too high: the
            // floor never rises on a new figure, only as this run's requests leave the window.
            let candidate = remaining.saturating_sub(book.in_flight);
            let floor = match Self::floor(&book, now) {
                Some(carried) => carried.min(candidate),
                None => candidate,
            };
            book.seen = Some((floor, now, book.total));
        }
    }

    /// Records a request that ended without an answer (connection error, timeout).
    pub fn unanswered(&self) {
        let mut book = self.book();
        book.in_flight = book.in_flight.saturating_sub(1);
    }

    /// Checks the gate and, if the request may go, records it as sent at `now` in the same
    /// step, so that requests running at once cannot all pass on the same figure. Returns why
    /// it may not go.
    pub fn book_send(&self, now: Instant) -> Result<(), Gate> {
        let mut book = self.book();
        match Self::decide(self.reserve, self.on_quota, &book, now) {
            Gate::Go => {
                // Kept in order (callers read the clock before taking the lock, so two sends
                // can arrive a few microseconds out of order): the searches below rely on it.
                let at = book.sent.back().map_or(now, |&last| now.max(last));
                book.sent.push_back(at);
                book.total += 1;
                book.in_flight += 1;
                while book
                    .sent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > 2 * WINDOW)
                {
                    book.sent.pop_front();
                }
                Ok(())
            }
            other => Err(other),
        }
    }

    /// The estimate of the quota left above the reserve at `now`, once a figure has been seen:
    /// what steers the pace (`pace.rs`).
    pub fn spare(&self, now: Instant) -> Option<u64> {
        let book = self.book();
        let reserve = self.reserve.requests(book.quota.unwrap_or(ASSUMED_QUOTA));
        Self::floor(&book, now).map(|floor| floor.saturating_sub(reserve))
    }

    /// Whether the next request may go at `now` (nothing is recorded).
    pub fn gate(&self, now: Instant) -> Gate {
        Self::decide(self.reserve, self.on_quota, &self.book(), now)
    }

    /// The floor of the remaining quota at `now`, if a figure has been seen.
    fn floor(book: &Book, now: Instant) -> Option<u64> {
        let (floor, seen_at, total_then) = book.seen?;
        let sent_since = book.total.saturating_sub(total_then);
        // Sent less than an hour before the figure (so counted in it) and an hour or more
        // before now (so out of the window again). `sent` is in order: two binary searches,
        // not a scan per request, which made a 50,000-request run quadratic.
        let left_since = (sent_before(&book.sent, now, WINDOW)
            - sent_before(&book.sent, seen_at, WINDOW))
        .max(0) as u64;
        Some(floor.saturating_sub(sent_since).saturating_add(left_since))
    }

    fn decide(reserve: Reserve, on_quota: OnQuota, book: &Book, now: Instant) -> Gate {
        let Some(estimate) = Self::floor(book, now) else {
            return Gate::Go;
        };
        let reserve = reserve.requests(book.quota.unwrap_or(ASSUMED_QUOTA));
        if estimate > reserve {
            return Gate::Go;
        }
        let stop = Gate::Stop {
            remaining: estimate,
            reserve,
        };
        if on_quota == OnQuota::Stop {
            return stop;
        }
        // The oldest of this run's requests still in the window.
        let oldest_in_window = sent_before(&book.sent, now, WINDOW);
        match book.sent.get(oldest_in_window as usize) {
            Some(next) => Gate::Wait(WINDOW.saturating_sub(now.saturating_duration_since(*next))),
            None => stop,
        }
    }
}

/// How many of `sent` (in order) were sent `age` or more before `at`.
fn sent_before(sent: &VecDeque<Instant>, at: Instant, age: Duration) -> i64 {
    match at.checked_sub(age) {
        Some(bound) => sent.partition_point(|t| *t <= bound) as i64,
        None => 0,
    }
}

#[cfg(test)]
mod tests;
