//! The pace of requests when the server's real limit is unknown: pure decisions on an injected
//! clock, which the client (`mod.rs`) carries out by sleeping and sending.
//!
//! Fivetran's quota is shared with the customer's other tools and its short-term limits are
//! undocumented, so the run finds the rate the server accepts and holds just under it, as TCP's
//! CUBIC congestion control and the AWS SDKs' adaptive retry mode do:
//! - **One pause for everyone.** A 429 pauses every request until its `Retry-After` (absent: a
//!   backoff from 1 s, doubling while refusals follow each other without a success between).
//!   Requests answered 429 that were sent before the last slow-down join that pause without
//!   slowing down again. When the pause ends, requests resume one interval apart, the first a
//!   random part of an interval after its end, never in a burst.
//! - **The rate adapts.** A 429 cuts the permitted rate to [`BETA`] times the rate the run was
//!   really sending at, and sets a plateau at [`PLATEAU`] times it; the rate grows back along a
//!   cubic curve that reaches the plateau after `K = ∛((plateau − cut) / C)` seconds, stays near
//!   it a while, then probes above it ever faster (TCP's CUBIC). A 429 that comes soon after the
//!   pause before it, or the first of the run, says the rate was far too high: it halves the rate
//!   ([`BETA_FAR`]) and probes up from there. The rate never exceeds `--rate`, nor what spends the
//!   hourly quota left above the reserve within [`STEER_HORIZON`] ([`Pace::steer`]).
//! - **Concurrency adapts too.** Each slow-down halves the requests allowed in flight; each
//!   success adds one over as many successes as are allowed, up to `--concurrency`.
//! - The waits a 429 adds to the pause are charged once to the run's `--max-wait`; a pause the
//!   budget cannot cover is not made ([`Refusal::OverBudget`]): the client stops the run.
//!
//! Before any slow-down the limiter lets one second's worth of requests go at once (at most
//! 1,000); after one, none: requests go one interval apart.

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::retry::WaitReason;

/// The share of the rate sent at that a slow-down keeps (CUBIC's β).
pub const BETA: f64 = 0.8;
/// The share of the rate sent at where the rate levels off after a slow-down: the 429 says the
/// server's limit is below the rate sent at, by however much it took to empty its burst.
pub const PLATEAU: f64 = 0.9;
/// The share kept when the rate was far too high: the run's first 429, or one that comes
/// within a second (or four requests) of the end of the pause before it.
pub const BETA_FAR: f64 = 0.5;
/// How fast the rate grows back (CUBIC's C, requests per second per second cubed). Small, so
/// the run stays near the plateau for long (each probe past the limit costs a pause): the
/// plateau is reached 3.6 s after a pause at 30/s, and probing above it gains 1/s in 4.6 s and
/// 20/s in 13 s, enough to find a limit that comes back.
pub const SCALE: f64 = 0.01;
/// The lowest rate a slow-down goes to (one request every 20 s), unless `--rate` is lower.
pub const MIN_RATE: f64 = 0.05;
/// The hourly quota left above the reserve is never spent faster than over this long.
pub const STEER_HORIZON: Duration = Duration::from_secs(60);
/// Sends within this much of a slow-down measure the rate the run was really sending at.
const MEASURE: Duration = Duration::from_secs(1);
/// The most requests let through at once before any slow-down.
const MAX_BURST: f64 = 1000.0;

/// When a reserved request may go. A pause or slow-down that comes meanwhile voids it
/// ([`Pace::admit`]): the request then asks again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The time to send at.
    pub at: Instant,
    epoch: u64,
}

/// What a 429 does to the pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Every request waits until `until`; the run's wait budget is charged `added`, what the
    /// pause grew by.
    Pause {
        /// The wait this answer asked for (or the backoff, without a usable `Retry-After`).
        asked: Duration,
        /// Where `asked` came from.
        reason: WaitReason,
        /// How much longer the shared pause became.
        added: Duration,
        /// When requests may go again.
        until: Instant,
        /// Whether the rate was cut (the first 429 of a slow-down; not those of requests
        /// already in flight then).
        cut: bool,
    },
    /// The pause would take the run past its wait budget: no pause is made.
    OverBudget {
        /// The wait asked for.
        asked: Duration,
        /// Where it came from.
        reason: WaitReason,
    },
}

/// The pace as the progress header, the manifest and the run summary show it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceReport {
    /// The rate in force, requests per second.
    pub rate: f64,
    /// The lowest rate in force so far.
    pub lowest: f64,
    /// Slow-downs so far (429s that cut the rate).
    pub slowdowns: u64,
    /// Requests allowed in flight now.
    pub in_flight: usize,
    /// When the pause under way ends, if one is.
    pub paused_until: Option<Instant>,
}

/// The shared pace of one client.
#[derive(Debug, Clone)]
pub struct Pace {
    /// `--rate`.
    ceiling: f64,
    /// `--concurrency`.
    max_in_flight: usize,
    /// The lowest rate a cut goes to.
    min_rate: f64,
    /// First backoff of a 429 without `Retry-After`, and the largest.
    backoff_base: Duration,
    backoff_cap: Duration,
    /// The rate the quota left above the reserve allows ([`Pace::steer`]).
    steer: f64,
    /// The cubic curve since the last cut: its plateau, the seconds to reach it, and when
    /// growth started (the end of the pause). `None` before any cut: `ceiling`.
    plateau: f64,
    k: f64,
    growth_from: Option<Instant>,
    /// The theoretical arrival time of the next request (GCRA).
    tat: Option<Instant>,
    /// Requests that may go at once after an idle spell.
    burst: f64,
    paused_until: Option<Instant>,
    /// When the last cut was made: 429s of requests sent before it belong to that slow-down.
    last_cut: Option<Instant>,
    /// 429 slow-downs since the last success.
    refusals: u32,
    /// Requests allowed in flight (fractional: grows by `1 / window` a success).
    window: f64,
    lowest: f64,
    slowdowns: u64,
    /// Changes whenever reserved slots become void.
    epoch: u64,
    /// Send times in the last [`MEASURE`], and since when they measure the rate sent at (the
    /// first send, then the end of the last pause).
    sends: VecDeque<Instant>,
    measured_from: Option<Instant>,
    /// The last request let through.
    last_send: Option<Instant>,
}

impl Pace {
    /// A pace of at most `ceiling` requests a second (`--rate`) and `max_in_flight` at once
    /// (`--concurrency`), with a 429 backoff from `backoff_base` up to `backoff_cap`.
    pub fn new(
        ceiling: f64,
        max_in_flight: usize,
        backoff_base: Duration,
        backoff_cap: Duration,
    ) -> Self {
        let ceiling = if ceiling.is_finite() && ceiling > 0.0 {
            ceiling
        } else {
            1.0
        };
        let max_in_flight = max_in_flight.max(1);
        Self {
            ceiling,
            max_in_flight,
            min_rate: MIN_RATE.min(ceiling),
            backoff_base,
            backoff_cap,
            steer: f64::INFINITY,
            plateau: ceiling,
            k: 0.0,
            growth_from: None,
            tat: None,
            burst: ceiling.floor().clamp(1.0, MAX_BURST),
            paused_until: None,
            last_cut: None,
            refusals: 0,
            window: max_in_flight as f64,
            lowest: ceiling,
            slowdowns: 0,
            epoch: 0,
            sends: VecDeque::new(),
            measured_from: None,
            last_send: None,
        }
    }

    /// The rate in force at `now`: the cubic curve since the last cut, within
    /// `[min_rate, min(--rate, steer)]`.
    pub fn rate_at(&self, now: Instant) -> f64 {
        let curve = match self.growth_from {
            None => self.ceiling,
            Some(from) => {
                let t = now.saturating_duration_since(from).as_secs_f64();
                SCALE * (t - self.k).powi(3) + self.plateau
            }
        };
        curve.min(self.ceiling).min(self.steer).max(self.min_rate)
    }

    /// Requests allowed in flight now.
    pub fn in_flight(&self) -> usize {
        (self.window.floor() as usize).clamp(1, self.max_in_flight)
    }

    /// Reserves the next send time at or after `now` (after the pause, if one is under way).
    pub fn reserve(&mut self, now: Instant) -> Slot {
        let start = self.paused_until.map_or(now, |until| until.max(now));
        let rate = self.rate_at(start);
        self.lowest = self.lowest.min(rate);
        let interval = Duration::from_secs_f64(1.0 / rate);
        let tolerance = interval.mul_f64(self.burst - 1.0);
        let tat = self.tat.unwrap_or(start);
        let at = start.max(tat.checked_sub(tolerance).unwrap_or(start));
        self.tat = Some(tat.max(at) + interval);
        Slot {
            at,
            epoch: self.epoch,
        }
    }

    /// Whether the request that reserved `slot` may go at `now`, recording the send if so. Not
    /// when a pause or slow-down came since it was reserved, nor, after a slow-down, when it
    /// would follow the last send by less than most of an interval: a client that stalled
    /// (a busy machine) would otherwise send every overdue request at once, a burst the
    /// server refuses. It then reserves again, after the last send.
    pub fn admit(&mut self, slot: &Slot, now: Instant) -> bool {
        if slot.epoch != self.epoch {
            return false;
        }
        if self.burst <= 1.0 {
            let interval = Duration::from_secs_f64(1.0 / self.rate_at(now));
            if let Some(last) = self.last_send
                && now < last + interval.mul_f64(0.75)
            {
                self.tat = self.tat.max(Some(last + interval));
                return false;
            }
            self.tat = self.tat.max(Some(now + interval));
        }
        self.last_send = Some(now);
        self.sent(now);
        true
    }

    /// Records a request sent at `now` for the measure of the rate sent at ([`Pace::admit`]
    /// does it for the requests it lets through).
    pub fn sent(&mut self, now: Instant) {
        self.measured_from.get_or_insert(now);
        self.sends.push_back(now);
        while self
            .sends
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > MEASURE)
        {
            self.sends.pop_front();
        }
    }

    /// Records an answer that was not a 429.
    pub fn answered(&mut self) {
        self.refusals = 0;
        let window = self.window.max(1.0);
        self.window = (window + 1.0 / window).min(self.max_in_flight as f64);
    }

    /// The rate the run was really sending at: sends of the last [`MEASURE`] since the last
    /// pause ended. `None` with too few to tell.
    fn measured(&self, now: Instant) -> Option<f64> {
        let from = now.checked_sub(MEASURE).map_or(self.measured_from, |a| {
            Some(self.measured_from.map_or(a, |m| m.max(a)))
        })?;
        let sends = self.sends.iter().filter(|t| **t >= from).count();
        let span = now.saturating_duration_since(from).as_secs_f64();
        (sends >= 2 && span > 0.0).then(|| sends as f64 / span)
    }

    /// The wait a 429 asks for: its `Retry-After`, but at least the backoff of the refusals
    /// before it; without one, the backoff of this refusal.
    fn asked(&self, stage: u32, retry_after: Option<Duration>) -> (Duration, WaitReason) {
        let backoff = |n: u32| match n {
            0 => Duration::ZERO,
            n => self
                .backoff_base
                .saturating_mul(1 << (n - 1).min(20))
                .min(self.backoff_cap),
        };
        match retry_after {
            Some(after) if after >= backoff(stage - 1) => (after, WaitReason::RetryAfter),
            Some(_) => (backoff(stage - 1), WaitReason::Backoff),
            None => (backoff(stage), WaitReason::Backoff),
        }
    }

    /// Records a 429 answered at `now` to a request sent at `sent_at`, with its `Retry-After`;
    /// `budget_left` is what remains of the run's wait budget. `jitter`, uniform in `[0, 1)`,
    /// places the first request after the pause within its first interval.
    pub fn refused(
        &mut self,
        sent_at: Instant,
        now: Instant,
        retry_after: Option<Duration>,
        budget_left: Duration,
        jitter: f64,
    ) -> Refusal {
        let new_slowdown = self.last_cut.is_none_or(|cut| sent_at > cut);
        let stage = if new_slowdown {
            self.refusals.saturating_add(1)
        } else {
            self.refusals.max(1)
        };
        let (asked, reason) = self.asked(stage, retry_after);
        let pause_end = self.paused_until.map_or(now, |until| until.max(now));
        let Some(until) = now.checked_add(asked) else {
            return Refusal::OverBudget { asked, reason };
        };
        let added = until.saturating_duration_since(pause_end);
        if added > budget_left {
            return Refusal::OverBudget { asked, reason };
        }
        let until = until.max(pause_end);
        self.paused_until = Some(until);
        if new_slowdown {
            self.refusals = stage;
            self.cut(now, until);
        }
        if new_slowdown || !added.is_zero() {
            // Reserved slots are void; the first request after the pause goes a random part
            // of an interval after it, the others one interval apart.
            let interval = 1.0 / self.rate_at(until);
            self.tat = Some(until + Duration::from_secs_f64(interval * jitter.clamp(0.0, 1.0)));
            self.burst = 1.0;
            self.epoch += 1;
            self.measured_from = Some(until);
        }
        Refusal::Pause {
            asked,
            reason,
            added,
            until,
            cut: new_slowdown,
        }
    }

    /// Cuts the rate at `now`, growth starting again at `growth_from`.
    fn cut(&mut self, now: Instant, growth_from: Instant) {
        let in_force = self.rate_at(now);
        let sending = self
            .measured(now)
            .map_or(in_force, |m| m.min(in_force))
            .max(self.min_rate);
        let far = self.growth_from.is_none_or(|from| {
            let soon = Duration::from_secs_f64(4.0 / in_force).max(MEASURE);
            now.saturating_duration_since(from) < soon
        });
        let (cut, plateau) = if far {
            let cut = sending * BETA_FAR;
            (cut, cut)
        } else {
            (sending * BETA, sending * PLATEAU)
        };
        let cut = cut.max(self.min_rate);
        self.plateau = plateau.max(cut);
        self.k = ((self.plateau - cut) / SCALE).cbrt();
        self.growth_from = Some(growth_from);
        self.window = (self.window / 2.0).max(1.0);
        self.slowdowns += 1;
        self.lowest = self.lowest.min(self.rate_at(growth_from));
        self.last_cut = Some(now);
    }

    /// Steers the rate by the hourly quota: `spare` is the estimate of the quota left above
    /// the reserve (`None` before Fivetran reported one). The rate never spends it faster
    /// than over [`STEER_HORIZON`], so a run nearing the reserve slows down before it gets
    /// there, leaving time for other tools' use to show in later figures.
    pub fn steer(&mut self, spare: Option<u64>) {
        self.steer = spare.map_or(f64::INFINITY, |spare| {
            (spare as f64 / STEER_HORIZON.as_secs_f64()).max(self.min_rate)
        });
        self.lowest = self.lowest.min(self.steer.min(self.ceiling));
    }

    /// The pace at `now`, for reports.
    pub fn report(&self, now: Instant) -> PaceReport {
        let rate = self.rate_at(now);
        PaceReport {
            rate,
            lowest: self.lowest.min(rate),
            slowdowns: self.slowdowns,
            in_flight: self.in_flight(),
            paused_until: self.paused_until.filter(|until| *until > now),
        }
    }
}
