//! Counters of what the run asked of Fivetran, and the pace it went at, for the manifest, the
//! run summary and the progress header.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::pace::PaceReport;

/// Per-endpoint counters, keyed by template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EndpointStats {
    /// Attempts sent, retries included.
    pub requests: u64,
    /// Attempts that were retries after a 5xx, timeout or bad body.
    pub retries: u64,
    /// 429 answers that were waited out.
    pub rate_limited: u64,
    /// List pages read successfully.
    pub pages: u64,
    /// Items read from those pages (before de-duplication).
    pub items: u64,
    /// Lists started on this endpoint (one per parent item).
    pub lists: u64,
    /// Lists read to their last page.
    pub lists_drained: u64,
}

/// Everything counted so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsSnapshot {
    /// Attempts sent.
    pub requests: u64,
    /// Retries after a 5xx, timeout or bad body.
    pub retries: u64,
    /// 429 answers waited out.
    pub rate_limited: u64,
    /// Milliseconds spent waiting on retries, 429s and the quota reserve (computed even when
    /// waits are skipped). A pause every request waits out counts once.
    pub waited_ms: u64,
    /// Milliseconds lost in attempts that timed out (counted against `--max-wait` too).
    pub timed_out_ms: u64,
    /// Milliseconds of that spent waiting for the quota reserve.
    pub reserve_wait_ms: u64,
    /// Milliseconds requests spent queued at the rate limiter (summed over requests).
    pub limiter_wait_ms: u64,
    /// Milliseconds of wall time during which at least one request was waiting (for its send
    /// time, a retry, a 429 pause or the quota reserve): waits side by side count once. Set by
    /// [`crate::client::Client::snapshot`] only.
    pub wait_wall_ms: u64,
    /// The hourly quota Fivetran reported (`X-Rate-Limit`), if it did.
    pub quota: Option<u64>,
    /// The lowest `X-Rate-Limit-Remaining` seen.
    pub lowest_remaining: Option<u64>,
    /// The most requests a second (`--rate`).
    pub max_rate: f64,
    /// The rate in force when last asked, requests a second (two decimals).
    pub rate: f64,
    /// The lowest rate in force so far.
    pub lowest_rate: f64,
    /// Times a 429 made the run slow down.
    pub slowdowns: u64,
    /// Requests allowed in flight when last asked, and at most (`--concurrency`).
    pub in_flight: usize,
    /// `--concurrency`.
    pub max_in_flight: usize,
    /// Per endpoint template.
    pub endpoints: BTreeMap<&'static str, EndpointStats>,
}

/// Shared counters (one per run).
#[derive(Debug, Default)]
pub struct Stats(Mutex<StatsSnapshot>);

impl Stats {
    fn with<R>(&self, f: impl FnOnce(&mut StatsSnapshot) -> R) -> R {
        // A poisoned lock only means a panic elsewhere; the counters are still usable.
        let mut guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// A copy of the counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        self.with(|s| s.clone())
    }

    pub(super) fn record_attempt(&self, template: &'static str) {
        self.with(|s| {
            s.requests += 1;
            s.endpoints.entry(template).or_default().requests += 1;
        });
    }

    pub(super) fn record_retry(&self, template: &'static str, wait: Duration) {
        self.with(|s| {
            s.retries += 1;
            s.waited_ms += wait.as_millis() as u64;
            s.endpoints.entry(template).or_default().retries += 1;
        });
    }

    /// A 429 that made the shared pause `added` longer.
    pub(super) fn record_rate_limited(&self, template: &'static str, added: Duration) {
        self.with(|s| {
            s.rate_limited += 1;
            s.waited_ms += added.as_millis() as u64;
            s.endpoints.entry(template).or_default().rate_limited += 1;
        });
    }

    pub(super) fn record_timed_out(&self, lost: Duration) {
        self.with(|s| s.timed_out_ms += lost.as_millis() as u64);
    }

    /// The pace now, with `--rate` and `--concurrency`.
    pub(super) fn record_pace(&self, pace: &PaceReport, max_rate: f64, max_in_flight: usize) {
        let round = |rate: f64| (rate * 100.0).round() / 100.0;
        self.with(|s| {
            s.max_rate = max_rate;
            s.rate = round(pace.rate);
            s.lowest_rate = round(pace.lowest);
            s.slowdowns = pace.slowdowns;
            s.in_flight = pace.in_flight;
            s.max_in_flight = max_in_flight;
        });
    }

    pub(super) fn record_reserve_wait(&self, wait: Duration) {
        self.with(|s| {
            s.waited_ms += wait.as_millis() as u64;
            s.reserve_wait_ms += wait.as_millis() as u64;
        });
    }

    pub(super) fn record_limiter_wait(&self, wait: Duration) {
        self.with(|s| s.limiter_wait_ms += wait.as_millis() as u64);
    }

    pub(super) fn observe_quota(&self, quota: Option<u64>, remaining: Option<u64>) {
        self.with(|s| {
            if quota.is_some() {
                s.quota = quota;
            }
            if let Some(r) = remaining {
                s.lowest_remaining = Some(s.lowest_remaining.map_or(r, |low| low.min(r)));
            }
        });
    }

    /// Records one list started on `template`.
    pub fn record_list(&self, template: &'static str) {
        self.with(|s| s.endpoints.entry(template).or_default().lists += 1);
    }

    /// Records one page of `items` items read on `template`.
    pub fn record_page(&self, template: &'static str, items: usize) {
        self.with(|s| {
            let e = s.endpoints.entry(template).or_default();
            e.pages += 1;
            e.items += items as u64;
        });
    }

    /// Records a list on `template` read to its end.
    pub fn record_drained(&self, template: &'static str) {
        self.with(|s| s.endpoints.entry(template).or_default().lists_drained += 1);
    }
}
