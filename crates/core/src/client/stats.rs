//! Counters of what the run asked of Fivetran, for the manifest.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

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
    /// waits are skipped).
    pub waited_ms: u64,
    /// Milliseconds of that spent waiting for the quota reserve.
    pub reserve_wait_ms: u64,
    /// Milliseconds requests spent queued at the rate limiter (summed over requests).
    pub limiter_wait_ms: u64,
    /// The hourly quota Fivetran reported (`X-Rate-Limit`), if it did.
    pub quota: Option<u64>,
    /// The lowest `X-Rate-Limit-Remaining` seen.
    pub lowest_remaining: Option<u64>,
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

    pub(super) fn record_rate_limited(&self, template: &'static str, wait: Duration) {
        self.with(|s| {
            s.rate_limited += 1;
            s.waited_ms += wait.as_millis() as u64;
            s.endpoints.entry(template).or_default().rate_limited += 1;
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
