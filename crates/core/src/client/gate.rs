//! The async shell around the pure [`Pace`]: a place among the requests in flight (as many as
//! the pace allows now), then a send time; every request of the client, retries included,
//! goes through the one gate.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::clock::{Clock, Halt};
use super::pace::{Pace, PaceReport, Refusal};

#[cfg(test)]
mod tests;

#[derive(Debug)]
struct State {
    pace: Pace,
    /// Places in circulation: the semaphore's permits, taken or not, less `debt`.
    allowed: usize,
    /// Places to take out of circulation as they are given back (fewer allowed while they were
    /// all taken).
    debt: usize,
}

/// The gate of one client.
#[derive(Debug)]
pub(super) struct Gate {
    state: Mutex<State>,
    /// One permit per place in flight, handed out first come, first served, so that no
    /// artifact waits behind the others.
    places: Semaphore,
}

/// A place among the requests in flight, given back when dropped.
pub(super) struct Place<'a> {
    gate: &'a Gate,
    permit: Option<SemaphorePermit<'a>>,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state();
        if let Some(permit) = self.permit.take()
            && state.debt > 0
        {
            state.debt -= 1;
            permit.forget();
        }
    }
}

impl Gate {
    pub(super) fn new(pace: Pace) -> Self {
        let allowed = pace.in_flight();
        Self {
            state: Mutex::new(State {
                pace,
                allowed,
                debt: 0,
            }),
            places: Semaphore::new(allowed),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Brings the places in circulation to what the pace allows now.
    fn fit(&self, state: &mut State) {
        let target = state.pace.in_flight();
        if target > state.allowed {
            let grow = target - state.allowed;
            let repaid = grow.min(state.debt);
            state.debt -= repaid;
            self.places.add_permits(grow - repaid);
        } else if target < state.allowed {
            let shrink = state.allowed - target;
            state.debt += shrink - self.places.forget_permits(shrink);
        }
        state.allowed = target;
    }

    /// Waits for a place in flight, then for the request's send time; `None` if `halt` or
    /// `deadline` came first. Returns the place and how long the send time was waited for.
    pub(super) async fn enter<'a>(
        &'a self,
        clock: &Clock,
        halt: &Halt,
        deadline: Option<Instant>,
    ) -> Option<(Place<'a>, Duration)> {
        let permit = tokio::select! {
            permit = self.places.acquire() => permit.expect("the semaphore is never closed"),
            () = halt.halted() => return None,
        };
        let place = Place {
            gate: self,
            permit: Some(permit),
        };
        let queued = clock.now();
        loop {
            let now = clock.now();
            let slot = self.state().pace.reserve(now);
            if slot.at > now {
                let until = deadline.map_or(slot.at, |deadline| slot.at.min(deadline));
                if !clock.wait_until(until, halt).await || until < slot.at {
                    return None;
                }
            }
            // A pause or slow-down that came meanwhile voids the slot, and so does a stall
            // that would send overdue requests at once: ask again.
            let now = clock.now();
            if self.state().pace.admit(&slot, now) {
                return Some((place, now.saturating_duration_since(queued)));
            }
        }
    }

    /// An answer that was not a 429 came: more may be allowed in flight.
    pub(super) fn answered(&self) {
        let mut state = self.state();
        state.pace.answered();
        self.fit(&mut state);
    }

    /// A 429 came (see [`Pace::refused`]).
    pub(super) fn refused(
        &self,
        sent_at: Instant,
        now: Instant,
        retry_after: Option<Duration>,
        budget_left: Duration,
    ) -> Refusal {
        let jitter = rand::random::<f64>();
        let mut state = self.state();
        let refusal = state
            .pace
            .refused(sent_at, now, retry_after, budget_left, jitter);
        self.fit(&mut state);
        refusal
    }

    /// The quota left above the reserve (see [`Pace::steer`]).
    pub(super) fn steer(&self, spare: Option<u64>) {
        self.state().pace.steer(spare);
    }

    /// The pace now.
    pub(super) fn report(&self, now: Instant) -> PaceReport {
        self.state().pace.report(now)
    }
}
