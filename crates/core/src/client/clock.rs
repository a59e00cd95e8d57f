//! The client's clock, and the end of every wait it makes.
//!
//! Real time is tokio's, so a test runtime with paused time drives the client and the fake it
//! talks to on one simulated clock (`tests/it/shared_clock.rs`). With waits skipped
//! ([`Delays::Skip`], the binary's tests) the clock is real time plus every wait skipped: a
//! wait until `t` moves the clock to `t` at once, so requests waiting side by side wait out the
//! latest of their times, not their sum, and the quota book still sees its requests leave the
//! rolling hour.
//!
//! [`Halt`] ends the run's waits early: a refused key, a 429 the wait budget cannot cover, the
//! run's deadline. Every wait of the client ([`Clock::wait_until`]) ends when it is set.
//!
//! The clock also measures the wall time during which at least one request was waiting
//! ([`Clock::waited_wall`]), which the progress header shows: waits side by side count once.

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::Delays;
use super::error::ApiError;

/// Real or skipped time.
#[derive(Debug)]
pub(super) struct Clock {
    delays: Delays,
    /// The waits skipped so far (always zero with real waits).
    skipped: Mutex<Duration>,
    /// The wall time during which at least one wait was under way.
    waiting: Mutex<Waiting>,
}

/// Waits under way, and the wall time they covered: overlapping waits count once.
#[derive(Debug, Default)]
struct Waiting {
    /// Waits under way now.
    count: usize,
    /// When the current stretch with a wait under way began.
    since: Option<Instant>,
    /// The stretches that ended.
    total: Duration,
}

/// Ends a wait when dropped, so a wait whose future is dropped (a request cut short) ends too.
struct WaitGuard<'a>(&'a Clock);

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        let now = self.0.now();
        let mut waiting = self.0.waiting();
        waiting.count = waiting.count.saturating_sub(1);
        if waiting.count == 0
            && let Some(since) = waiting.since.take()
        {
            waiting.total += now.saturating_duration_since(since);
        }
    }
}

impl Clock {
    pub(super) fn new(delays: Delays) -> Self {
        Self {
            delays,
            skipped: Mutex::new(Duration::ZERO),
            waiting: Mutex::new(Waiting::default()),
        }
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The wall time so far during which at least one request was waiting (for its send time,
    /// a retry, a 429 pause or the quota reserve): ten requests waiting the same second count
    /// one second, not ten.
    pub(super) fn waited_wall(&self) -> Duration {
        let now = self.now();
        let waiting = self.waiting();
        waiting.total
            + waiting
                .since
                .map_or(Duration::ZERO, |since| now.saturating_duration_since(since))
    }

    /// Marks a wait as under way until the guard is dropped.
    fn begin_wait(&self) -> WaitGuard<'_> {
        let now = self.now();
        let mut waiting = self.waiting();
        if waiting.count == 0 {
            waiting.since = Some(now);
        }
        waiting.count += 1;
        WaitGuard(self)
    }

    fn skipped(&self) -> std::sync::MutexGuard<'_, Duration> {
        self.skipped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Now, on this clock.
    pub(super) fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std() + *self.skipped()
    }

    /// Waits until `until` (at once when waits are skipped), or until `halt` is set; returns
    /// whether the time came.
    pub(super) async fn wait_until(&self, until: Instant, halt: &Halt) -> bool {
        let _waiting = (until > self.now()).then(|| self.begin_wait());
        match self.delays {
            Delays::Real => {
                // Nothing is ever skipped with real waits: this clock is tokio's.
                let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(until));
                tokio::select! {
                    () = sleep => true,
                    () = halt.halted() => false,
                }
            }
            Delays::Skip => {
                {
                    let mut skipped = self.skipped();
                    let now = tokio::time::Instant::now().into_std() + *skipped;
                    *skipped += until.saturating_duration_since(now);
                }
                tokio::task::yield_now().await;
                halt.reason().is_none()
            }
        }
    }
}

/// Why every request of the run now fails at once, if one does.
#[derive(Debug, Default)]
pub(super) struct Halt {
    /// The first 401: the key is refused (the run fails).
    refused: OnceLock<ApiError>,
    /// The run stopped waiting: a 429 past the wait budget, or the deadline (what is left is
    /// partial).
    stopped: OnceLock<ApiError>,
    notify: Notify,
}

impl Halt {
    /// The refusal or the stop, the refusal first.
    pub(super) fn reason(&self) -> Option<&ApiError> {
        self.refused.get().or_else(|| self.stopped.get())
    }

    /// The key was refused.
    pub(super) fn refuse(&self, error: ApiError) {
        let _ = self.refused.set(error);
        self.notify.notify_waiters();
    }

    /// The run stops waiting.
    pub(super) fn stop(&self, error: ApiError) {
        let _ = self.stopped.set(error);
        self.notify.notify_waiters();
    }

    /// Resolves once a reason is set.
    pub(super) async fn halted(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.reason().is_some() {
                return;
            }
            notified.await;
        }
    }
}
