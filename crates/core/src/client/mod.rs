//! The only place a request to Fivetran is made: authentication, the pace, retries. One
//! attempt is `attempt.rs`; bounded body reads and the envelope check are `body.rs`, a list's
//! page `page.rs`. Every answer and every error is scrubbed of the secrets the client holds
//! (`text::Scrubber`) before it leaves this module.
//!
//! Every attempt, retries included, first passes the one [`gate`](gate::Gate): a place among
//! the requests in flight, then a send time from the shared, adaptive [`pace`] (one pause for
//! every request on a 429, a rate that finds what the server accepts). Then the hourly quota's
//! reserve ([`quota`]). The run's waits are bounded by `--max-wait` (time lost in attempts that
//! timed out included) and the run by `--max-time`: past either, the run stops waiting and
//! every request left fails at once with the reason ([`ApiError::Stopped`]). Answers are
//! decoded into `serde_json::Value` so fields Fivetran adds later survive into the evidence.

mod attempt;
mod body;
mod clock;
pub mod error;
mod gate;
pub mod pace;
mod page;
pub mod quota;
mod reach;
pub mod retry;
mod stats;
mod watch;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};
use serde_json::Value;
use tracing::{debug, info, warn};
use url::Url;

pub use body::decode;
pub use error::{ApiError, says_feature_not_enabled};
pub use pace::PaceReport;
pub use page::{KNOWN_LIST_KEYS, MAX_DEPTH, Page};
pub use reach::FIRST_CONTACT_ATTEMPTS;
pub use stats::{EndpointStats, Stats, StatsSnapshot};
pub use watch::{SendHook, watching};

use crate::credentials::Credentials;
use crate::endpoints::{Endpoint, Shape};
use crate::text::Scrubber;
use attempt::Failure;
use body::Data;
use clock::{Clock, Halt};
use gate::Gate;
use pace::{Pace, Refusal};
use retry::{Class, Next, Policy, WaitReason};

/// Whether the tool really sleeps when it has to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delays {
    /// Waits happen (normal use).
    Real,
    /// Waits (pauses, backoffs, the pace's intervals, the reserve) are computed and reported
    /// but skipped: the client's clock jumps instead (the binary's tests).
    Skip,
}

/// Items asked for per page: the API's maximum.
pub const PAGE_LIMIT: u32 = 1000;

/// Fivetran ends a request at 60 s; wait a little longer so its own timeout answers first.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// The most bytes one response may hold (a page of 1,000 users is well under 2 MiB; a schema
/// config of a very large database may reach tens of MiB).
pub const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Settings of a [`Client`].
#[derive(Debug, Clone)]
pub struct Options {
    /// API root ending in `/v1`.
    pub api_url: Url,
    /// Requests per second at most (`--rate`); less when Fivetran answers 429.
    pub rate: f64,
    /// Real or skipped waits.
    pub delays: Delays,
    /// Retry bounds.
    pub policy: Policy,
    /// Time allowed for one attempt, body included ([`REQUEST_TIMEOUT`] in normal use).
    pub timeout: Duration,
    /// The most bytes one response may hold ([`MAX_BODY_BYTES`] in normal use).
    pub max_body: u64,
    /// Certificates trusted besides the system's (`--ca-cert`), for proxies that re-sign TLS.
    pub extra_roots: Vec<reqwest::Certificate>,
    /// The share of the hourly quota left to other tools (`--reserve`).
    pub reserve: quota::Reserve,
    /// What to do at the reserve (`--on-quota`).
    pub on_quota: quota::OnQuota,
    /// Requests in flight at once, over every artifact (`--concurrency`); fewer while 429s
    /// keep coming.
    pub concurrency: usize,
    /// The most the run may take from the client's creation (`--max-time`); `None`: no limit.
    pub max_time: Option<Duration>,
}

/// A Fivetran API client for GET requests.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    auth: HeaderValue,
    /// The forms of the secret to remove from every answer and error.
    scrubber: Arc<Scrubber>,
    /// The requests in flight and the pace: every attempt passes it.
    gate: Gate,
    /// `--rate` and `--concurrency`, for reports.
    max_rate: f64,
    max_in_flight: usize,
    clock: Clock,
    /// When the run must end (`--max-time`), and that limit.
    deadline: Option<(Instant, Duration)>,
    /// Attempts the gate let through, so tests can check that every attempt went through it.
    #[cfg(any(test, feature = "test-support"))]
    permits: AtomicU64,
    /// Milliseconds the run has spent waiting on retries, 429 pauses and the reserve, and lost
    /// in attempts that timed out (counted even when waits are skipped in tests), against
    /// [`Policy::max_wait`].
    waited_ms: AtomicU64,
    max_body: u64,
    timeout: Duration,
    quota: quota::Quota,
    /// Held by the one request that waits for the quota; the others queue behind it.
    quota_turn: tokio::sync::Mutex<()>,
    /// Set by the first 401, an API that cannot be reached before it ever answered
    /// ([`reach`]), a 429 past the wait budget, or the deadline: every later request fails at
    /// once without being sent, and every wait ends.
    halt: Halt,
    /// Whether the server has answered once (the first contact is made, see [`reach`]).
    reached: AtomicBool,
    policy: Policy,
    stats: Stats,
}

impl Client {
    /// Builds the client. The credentials are turned into a header here, once, and the forms
    /// of the secret into the scrubber.
    pub fn new(options: &Options, credentials: &Credentials) -> Result<Self, reqwest::Error> {
        let mut scrubber = Scrubber::default();
        let auth = credentials.authorization_header(&mut scrubber);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("iru-fivetran/", env!("CARGO_PKG_VERSION"))),
        );
        let mut builder = reqwest::Client::builder();
        if !options.extra_roots.is_empty() {
            builder = builder.tls_certs_merge(options.extra_roots.iter().cloned());
        }
        let http = builder
            .default_headers(headers)
            .connect_timeout(CONNECT_TIMEOUT.min(options.timeout))
            // A redirect could carry the Authorization header elsewhere; Fivetran never redirects.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let clock = Clock::new(options.delays);
        let started = clock.now();
        let pace = Pace::new(
            options.rate,
            options.concurrency,
            options.policy.base,
            options.policy.cap,
        );
        let client = Self {
            http,
            base: options.api_url.clone(),
            auth,
            scrubber: Arc::new(scrubber),
            gate: Gate::new(pace),
            max_rate: options.rate,
            max_in_flight: options.concurrency.max(1),
            deadline: options
                .max_time
                .and_then(|limit| Some((started.checked_add(limit)?, limit))),
            clock,
            #[cfg(any(test, feature = "test-support"))]
            permits: AtomicU64::new(0),
            waited_ms: AtomicU64::new(0),
            max_body: options.max_body,
            timeout: options.timeout,
            quota: quota::Quota::new(options.reserve, options.on_quota),
            quota_turn: tokio::sync::Mutex::new(()),
            halt: Halt::default(),
            reached: AtomicBool::new(false),
            policy: options.policy,
            stats: Stats::default(),
        };
        client.record_pace();
        Ok(client)
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The counters with the pace as it is now (the rate grows between requests).
    pub fn snapshot(&self) -> StatsSnapshot {
        self.record_pace();
        StatsSnapshot {
            wait_wall_ms: u64::try_from(self.clock.waited_wall().as_millis()).unwrap_or(u64::MAX),
            ..self.stats.snapshot()
        }
    }

    /// The pace now: the rate in force, its lowest, the slow-downs, the requests allowed in
    /// flight.
    pub fn pace(&self) -> PaceReport {
        self.gate.report(self.clock.now())
    }

    /// The quota reserve in requests, for the quota reported so far.
    pub fn reserve_requests(&self) -> u64 {
        self.quota.reserve_requests()
    }

    /// How many times the gate let an attempt through (equals attempts made). For tests
    /// (the `test-support` feature).
    #[cfg(any(test, feature = "test-support"))]
    pub fn limiter_permits(&self) -> u64 {
        self.permits.load(Ordering::Relaxed)
    }

    /// GETs an object endpoint at `path` (from [`Endpoint::path`]) and returns `data`.
    pub async fn get_object(&self, endpoint: Endpoint, path: &str) -> Result<Value, ApiError> {
        debug_assert_eq!(endpoint.shape, Shape::Object);
        match self.get(endpoint, path, &[], None).await? {
            Data::Object(data) => Ok(data),
            Data::Page(_) => unreachable!("an object endpoint is decoded as an object"),
        }
    }

    /// GETs one page of a list endpoint at `path` (from [`Endpoint::path`]), `limit=1000`,
    /// with `query` parameters added.
    pub async fn get_page(
        &self,
        endpoint: Endpoint,
        path: &str,
        query: &[(&str, String)],
        cursor: Option<&str>,
    ) -> Result<Page, ApiError> {
        debug_assert_eq!(endpoint.shape, Shape::List);
        match self.get(endpoint, path, query, cursor).await? {
            Data::Page(page) => Ok(page),
            Data::Object(_) => unreachable!("a list endpoint is decoded as a page"),
        }
    }

    async fn get(
        &self,
        endpoint: Endpoint,
        path: &str,
        query: &[(&str, String)],
        cursor: Option<&str>,
    ) -> Result<Data, ApiError> {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{}", self.base.path(), path));
        if endpoint.shape == Shape::List {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &PAGE_LIMIT.to_string());
            for (name, value) in query {
                q.append_pair(name, value);
            }
            if let Some(c) = cursor {
                q.append_pair("cursor", c);
            }
        }
        // Attempts sent, and those that ended in a fault (429s are not faults).
        let (mut sends, mut faults) = (0u32, 0u32);
        loop {
            self.check(path)?;
            let deadline = self.deadline.map(|(at, _)| at);
            let Some((place, queued)) = self.gate.enter(&self.clock, &self.halt, deadline).await
            else {
                self.check(path)?;
                return Err(self.halted(path));
            };
            self.stats.record_limiter_wait(queued);
            self.record_pace();
            // Checked after the waits: a 401 or a stop meanwhile ends this request too.
            self.check(path)?;
            self.book_send(path).await?;
            watch::sending();
            #[cfg(any(test, feature = "test-support"))]
            self.permits.fetch_add(1, Ordering::Relaxed);
            sends += 1;
            self.stats.record_attempt(endpoint.template);
            let sent_at = self.clock.now();
            let timeout = self.timeout_at(sent_at);
            let answer = self.attempt(&url, endpoint, path, sends, timeout).await;
            drop(place);
            let failure = match answer {
                Ok(data) => {
                    self.gate.answered();
                    return Ok(data);
                }
                Err(mut f) => {
                    f.error.scrub(&self.scrubber);
                    f
                }
            };
            if failure.answered && failure.attempt != retry::Attempt::Status(429) {
                self.gate.answered();
            }
            if let Some(error) = self.never_reached(path, sends, &failure) {
                return Err(error);
            }
            if failure.attempt == retry::Attempt::TimedOut {
                let lost = self.clock.now().saturating_duration_since(sent_at);
                self.waited_ms
                    .fetch_add(lost.as_millis() as u64, Ordering::Relaxed);
                self.stats.record_timed_out(lost);
                self.check(path)?;
            }
            let wait = match retry::classify(failure.attempt) {
                Class::Final => {
                    if failure.error.is_fatal() {
                        self.halt.refuse(failure.error.clone());
                    }
                    return Err(failure.error);
                }
                Class::RateLimited => self.refused(endpoint, path, sent_at, failure)?,
                Class::Retry => {
                    faults += 1;
                    self.retry_wait(endpoint, path, faults, failure)?
                }
            };
            self.wait_until(path, wait).await?;
        }
    }

    /// Waits until `until`, or until the deadline, or until the run halts: fails the request
    /// in the last two cases.
    async fn wait_until(&self, path: &str, until: Instant) -> Result<(), ApiError> {
        let until = match self.deadline {
            Some((deadline, _)) => until.min(deadline),
            None => until,
        };
        if !self.clock.wait_until(until, &self.halt).await {
            return Err(self.halted(path));
        }
        self.check(path)
    }

    /// Fails the request at once when the run is halted or past its deadline.
    fn check(&self, path: &str) -> Result<(), ApiError> {
        if let Some((deadline, limit)) = self.deadline
            && self.clock.now() >= deadline
        {
            self.halt.stop(ApiError::Deadline {
                path: path.to_owned(),
                limit: limit.as_secs(),
            });
        }
        match self.halt.reason() {
            Some(_) => Err(self.halted(path)),
            None => Ok(()),
        }
    }

    /// The error of a request the halt ended: the refusal itself (so the run stops as on a 401),
    /// the deadline, else the stop, naming its cause.
    fn halted(&self, path: &str) -> ApiError {
        match self.halt.reason() {
            Some(refused @ (ApiError::Unauthorized { .. } | ApiError::Unreachable { .. })) => {
                refused.clone()
            }
            Some(ApiError::Deadline { limit, .. }) => ApiError::Deadline {
                path: path.to_owned(),
                limit: *limit,
            },
            Some(cause) => ApiError::Stopped {
                path: path.to_owned(),
                cause: Box::new(cause.clone()),
            },
            // A wait ends early only when a reason is set; the deadline is the one left.
            None => ApiError::Deadline {
                path: path.to_owned(),
                limit: self.deadline.map_or(0, |(_, limit)| limit.as_secs()),
            },
        }
    }

    /// The time an attempt sent at `now` may take: the request timeout, within the deadline.
    fn timeout_at(&self, now: Instant) -> Duration {
        match self.deadline {
            Some((deadline, _)) => self
                .timeout
                .min(deadline.saturating_duration_since(now))
                .max(Duration::from_millis(1)),
            None => self.timeout,
        }
    }

    fn waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }

    fn record_pace(&self) {
        self.stats
            .record_pace(&self.pace(), self.max_rate, self.max_in_flight);
    }

    /// A 429: every request pauses (see [`pace`]); returns when to try again, or stops the
    /// run when the pause would pass the wait budget.
    fn refused(
        &self,
        endpoint: Endpoint,
        path: &str,
        sent_at: Instant,
        failure: Failure,
    ) -> Result<Instant, ApiError> {
        // The run stopped while this request was in flight: nothing to wait for.
        if self.halt.reason().is_some() {
            return Err(self.halted(path));
        }
        let budget_left = self.policy.max_wait.saturating_sub(self.waited());
        let now = self.clock.now();
        let refusal = self
            .gate
            .refused(sent_at, now, failure.retry_after, budget_left);
        self.record_pace();
        match refusal {
            Refusal::Pause {
                asked,
                reason,
                added,
                until,
                cut,
            } => {
                self.waited_ms
                    .fetch_add(added.as_millis() as u64, Ordering::Relaxed);
                self.stats.record_rate_limited(endpoint.template, added);
                let why = match reason {
                    WaitReason::RetryAfter => "as its Retry-After asks",
                    WaitReason::Backoff if failure.retry_after.is_some() => {
                        "backing off, its Retry-After being shorter than the refusals before it call for"
                    }
                    WaitReason::Backoff => "backing off, no Retry-After given",
                };
                let pace = if cut {
                    let report = self.pace();
                    format!(
                        "; every request waits, then the rate is {:.1}/s, {} in flight at most",
                        report.rate, report.in_flight
                    )
                } else {
                    String::new()
                };
                info!(
                    "Fivetran asked to slow down (429 on GET /v1{path}): waiting {:.1} s, {why}{pace}",
                    asked.as_secs_f64()
                );
                Ok(until)
            }
            Refusal::OverBudget { asked, reason } => {
                let error = self.over_budget(path, asked, reason, failure.error);
                warn!("{error}");
                // Fivetran asked the account to wait: no request of the run may go before it.
                self.halt.stop(error.clone());
                Err(error)
            }
        }
    }

    /// The wait before retrying a fault, or the error when the request is out of attempts or
    /// the wait would pass the budget.
    fn retry_wait(
        &self,
        endpoint: Endpoint,
        path: &str,
        faults: u32,
        failure: Failure,
    ) -> Result<Instant, ApiError> {
        let jitter = rand::random::<f64>();
        let wait = match self
            .policy
            .next(faults, self.waited(), failure.retry_after, jitter)
        {
            Next::Wait(wait, _) => wait,
            Next::OutOfAttempts => return Err(failure.error),
            // Not logged here: the artifact's one line says how it ended.
            Next::OverBudget(wait, reason) => {
                return Err(self.over_budget(path, wait, reason, failure.error));
            }
        };
        self.waited_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
        self.stats.record_retry(endpoint.template, wait);
        // At debug level: a retry that works is no news, and one that does not ends in the
        // artifact's one line (`-v` shows each retry).
        debug!(
            "retrying GET /v1{path} in {:.1} s (attempt {faults} of {}): {}",
            wait.as_secs_f64(),
            self.policy.max_attempts,
            failure.error
        );
        Ok(self.clock.now() + wait)
    }

    fn over_budget(
        &self,
        path: &str,
        asked: Duration,
        reason: WaitReason,
        last: ApiError,
    ) -> ApiError {
        ApiError::WaitLimit {
            path: path.to_owned(),
            asked: asked.as_secs(),
            asker: match reason {
                WaitReason::RetryAfter => "Fivetran's Retry-After",
                WaitReason::Backoff => "the retry backoff",
            },
            limit: self.policy.max_wait.as_secs(),
            spent: self.waited().as_secs(),
            last: Box::new(last),
        }
    }

    /// Why a request at the reserve is not sent, when the gate said stop.
    fn why_stop(&self) -> &'static str {
        match self.quota.on_quota() {
            quota::OnQuota::Stop => "--on-quota stop ends the request here",
            quota::OnQuota::Slow => {
                "none of this run's requests of the last hour is left to free quota by leaving it"
            }
        }
    }

    /// Books the request against the hourly quota, holding it back while sending it would
    /// take the quota below the reserve (see [`quota`]); fails it when waiting cannot help or
    /// would pass `--max-wait`. Waits are taken one at a time: requests running at once wait
    /// out the same hour once, and the budget counts it once.
    async fn book_send(&self, path: &str) -> Result<(), ApiError> {
        loop {
            let stop = match self.quota.book_send(self.clock.now()) {
                Ok(()) => return Ok(()),
                Err(quota::Gate::Stop { remaining, reserve }) => {
                    (remaining, reserve, self.why_stop())
                }
                Err(_) => {
                    let _turn = self.quota_turn.lock().await;
                    match self.quota.gate(self.clock.now()) {
                        quota::Gate::Go => continue,
                        quota::Gate::Stop { remaining, reserve } => {
                            (remaining, reserve, self.why_stop())
                        }
                        quota::Gate::Wait(wait) => {
                            if self.waited().saturating_add(wait) > self.policy.max_wait {
                                let reserve = self.quota.reserve_requests();
                                (
                                    reserve,
                                    reserve,
                                    "waiting for it to free would pass --max-wait",
                                )
                            } else {
                                self.waited_ms
                                    .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
                                self.stats.record_reserve_wait(wait);
                                info!(
                                    "the hourly quota is down to the reserve left for other tools: waiting {:.0} s for this run's own requests to leave the rolling hour",
                                    wait.as_secs_f64()
                                );
                                self.wait_until(path, self.clock.now() + wait).await?;
                                continue;
                            }
                        }
                    }
                }
            };
            let error = ApiError::QuotaReserve {
                path: path.to_owned(),
                remaining: stop.0,
                reserve: stop.1,
                why: stop.2,
            };
            warn!("{error}");
            return Err(error);
        }
    }
}

#[cfg(test)]
mod tests;
