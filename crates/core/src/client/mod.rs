//! The only place a request to Fivetran is made: authentication, the rate limiter, retries;
//! bounded body reads and the envelope check are in `body.rs`, a list's page in `page.rs`.
//! Every answer and every error is scrubbed of the secrets the client holds (`text::scrub`)
//! before it leaves this module.
//!
//! Every attempt, retries included, first waits on one `governor` limiter. Answers are decoded
//! into `serde_json::Value` so fields Fivetran adds later survive into the evidence.

mod body;
pub mod error;
mod page;
pub mod quota;
pub mod retry;
mod stats;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde_json::Value;
use tracing::{debug, info, warn};
use url::Url;

pub use body::decode;
pub use error::{ApiError, says_feature_not_enabled};
pub use page::{KNOWN_LIST_KEYS, MAX_DEPTH, Page};
pub use stats::{EndpointStats, Stats, StatsSnapshot};

use crate::credentials::Credentials;
use crate::endpoints::{Endpoint, Shape};
use crate::text::{Scrubber, clean};
use body::{BodyError, Data, decode_answer, error_body, read_capped};
use retry::{Attempt, Class, Next, Policy, WaitReason};

/// Whether the tool really sleeps when it has to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delays {
    /// Waits happen (normal use).
    Real,
    /// Waits are computed and reported but skipped (the test suite).
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
    /// Requests per second.
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
    /// Requests in flight at once, over every artifact (`--concurrency`).
    pub concurrency: usize,
}

/// A Fivetran API client for GET requests.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    auth: HeaderValue,
    /// The forms of the secret to remove from every answer and error.
    scrubber: Arc<Scrubber>,
    limiter: DefaultDirectRateLimiter,
    /// One permit per request in flight (`--concurrency`), held from the limiter to the end
    /// of the answer; never across a retry's wait.
    in_flight: tokio::sync::Semaphore,
    /// Attempts the limiter let through, so tests can check that every attempt went through it.
    #[cfg(any(test, feature = "test-support"))]
    permits: AtomicU64,
    /// Milliseconds the run has spent waiting on retries and 429s (counted even when waits
    /// are skipped in tests), against [`Policy::max_wait`].
    waited_ms: AtomicU64,
    max_body: u64,
    quota: quota::Quota,
    /// Held by the one request that waits for the quota; the others queue behind it.
    quota_turn: tokio::sync::Mutex<()>,
    /// Time skipped instead of waited (tests): added to the clock the quota book reads, so
    /// that a skipped wait still lets requests leave the rolling hour.
    skipped: Mutex<Duration>,
    /// Set by the first 401: every later request fails at once without being sent.
    halted: OnceLock<ApiError>,
    policy: Policy,
    delays: Delays,
    stats: Stats,
}

/// What one failed attempt leaves behind.
struct Failure {
    attempt: Attempt,
    retry_after: Option<Duration>,
    error: ApiError,
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
            .timeout(options.timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(options.timeout))
            // A redirect could carry the Authorization header elsewhere; Fivetran never redirects.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            base: options.api_url.clone(),
            auth,
            scrubber: Arc::new(scrubber),
            limiter: RateLimiter::direct(quota(options.rate)),
            in_flight: tokio::sync::Semaphore::new(options.concurrency.max(1)),
            #[cfg(any(test, feature = "test-support"))]
            permits: AtomicU64::new(0),
            waited_ms: AtomicU64::new(0),
            max_body: options.max_body,
            quota: quota::Quota::new(options.reserve, options.on_quota),
            quota_turn: tokio::sync::Mutex::new(()),
            skipped: Mutex::new(Duration::ZERO),
            halted: OnceLock::new(),
            policy: options.policy,
            delays: options.delays,
            stats: Stats::default(),
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The quota reserve in requests, for the quota reported so far.
    pub fn reserve_requests(&self) -> u64 {
        self.quota.reserve_requests()
    }

    /// How many times the rate limiter let an attempt through (equals attempts made). For tests
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
        let mut attempts = 0u32;
        loop {
            let slot = self
                .in_flight
                .acquire()
                .await
                .expect("the semaphore is never closed");
            let queued = Instant::now();
            self.limiter.until_ready().await;
            self.stats.record_limiter_wait(queued.elapsed());
            // Checked after the waits: a 401 answered meanwhile stops this request too.
            if let Some(refused) = self.halted.get() {
                return Err(refused.clone());
            }
            self.book_send(path).await?;
            #[cfg(any(test, feature = "test-support"))]
            self.permits.fetch_add(1, Ordering::Relaxed);
            attempts += 1;
            self.stats.record_attempt(endpoint.template);
            let answer = self.attempt(&url, endpoint, path, attempts).await;
            drop(slot);
            let failure = match answer {
                Ok(data) => return Ok(data),
                Err(mut f) => {
                    f.error.scrub(&self.scrubber);
                    f
                }
            };
            let class = retry::classify(failure.attempt);
            if class == Class::Final {
                if failure.error.is_fatal() {
                    let _ = self.halted.set(failure.error.clone());
                }
                return Err(failure.error);
            }
            let run_waited = Duration::from_millis(self.waited_ms.load(Ordering::Relaxed));
            let jitter = rand::random::<f64>();
            let (wait, reason) =
                match self
                    .policy
                    .next(attempts, run_waited, failure.retry_after, jitter)
                {
                    Next::Wait(wait, reason) => (wait, reason),
                    Next::OutOfAttempts => return Err(failure.error),
                    Next::OverBudget(wait, reason) => {
                        let error = ApiError::WaitLimit {
                            path: path.to_owned(),
                            asked: wait.as_secs(),
                            asker: match reason {
                                WaitReason::RetryAfter => "Fivetran's Retry-After",
                                WaitReason::Backoff => "the retry backoff",
                            },
                            limit: self.policy.max_wait.as_secs(),
                            last: Box::new(failure.error),
                        };
                        warn!("{error}");
                        return Err(error);
                    }
                };
            self.waited_ms
                .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
            let secs = wait.as_secs_f64();
            if class == Class::RateLimited {
                self.stats.record_rate_limited(endpoint.template, wait);
                let why = match reason {
                    WaitReason::RetryAfter => "as its Retry-After asks",
                    WaitReason::Backoff => "backing off, no Retry-After given",
                };
                info!(
                    "Fivetran asked to slow down (429 on GET /v1{path}): waiting {secs:.1} s, {why}"
                );
            } else {
                self.stats.record_retry(endpoint.template, wait);
                warn!(
                    "retrying GET /v1{path} in {secs:.1} s (attempt {attempts} of {}): {}",
                    self.policy.max_attempts, failure.error
                );
            }
            self.sleep(wait).await;
        }
    }

    async fn sleep(&self, wait: Duration) {
        match self.delays {
            Delays::Real => tokio::time::sleep(wait).await,
            Delays::Skip => {
                *self
                    .skipped
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) += wait;
                tokio::task::yield_now().await;
            }
        }
    }

    /// The clock the quota book reads: real time, plus any time skipped in tests.
    fn now(&self) -> Instant {
        Instant::now()
            + *self
                .skipped
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
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
            let stop = match self.quota.book_send(self.now()) {
                Ok(()) => return Ok(()),
                Err(quota::Gate::Stop { remaining, reserve }) => {
                    (remaining, reserve, self.why_stop())
                }
                Err(_) => {
                    let _turn = self.quota_turn.lock().await;
                    match self.quota.gate(self.now()) {
                        quota::Gate::Go => continue,
                        quota::Gate::Stop { remaining, reserve } => {
                            (remaining, reserve, self.why_stop())
                        }
                        quota::Gate::Wait(wait) => {
                            let waited =
                                Duration::from_millis(self.waited_ms.load(Ordering::Relaxed));
                            if waited.saturating_add(wait) > self.policy.max_wait {
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
                                self.sleep(wait).await;
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

    async fn attempt(
        &self,
        url: &Url,
        endpoint: Endpoint,
        path: &str,
        attempts: u32,
    ) -> Result<Data, Failure> {
        let transport = |message: String| Failure {
            attempt: Attempt::Transport,
            retry_after: None,
            error: ApiError::Transport {
                path: path.to_owned(),
                attempts,
                message,
            },
        };
        debug!("GET {url}");
        let response = self
            .http
            .get(url.clone())
            .header(header::ACCEPT, endpoint.accept.header())
            .header(header::AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .map_err(|e| {
                self.quota.unanswered();
                let text = describe(&e);
                if is_untrusted_certificate(&text) {
                    Failure {
                        attempt: Attempt::Untrusted,
                        retry_after: None,
                        error: ApiError::Transport {
                            path: path.to_owned(),
                            attempts,
                            message: format!(
                                "{text}\nhint: the server's TLS certificate is not trusted; if a company proxy re-signs TLS, pass its CA certificate with --ca-cert PATH"
                            ),
                        },
                    }
                } else {
                    transport(text)
                }
            })?;
        let status = response.status().as_u16();
        let (quota, remaining) = (
            header_u64(response.headers(), "x-rate-limit"),
            header_u64(response.headers(), "x-rate-limit-remaining"),
        );
        self.stats.observe_quota(quota, remaining);
        self.quota.observe(quota, remaining, self.now());
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
        let body = match read_capped(response, self.max_body).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return Err(Failure {
                    attempt: Attempt::Status(413),
                    retry_after: None,
                    error: ApiError::TooLarge {
                        path: path.to_owned(),
                        limit: self.max_body,
                    },
                });
            }
            Err(BodyError::Read(e)) => return Err(transport(format!("body: {}", describe(&e)))),
        };
        if (200..300).contains(&status) {
            return decode_answer(body, endpoint.shape, &self.scrubber).map_err(|why| Failure {
                attempt: Attempt::Undecodable,
                retry_after: None,
                error: ApiError::Transport {
                    path: path.to_owned(),
                    attempts,
                    message: format!("undecodable answer: {why}"),
                },
            });
        }
        let (code, message) = error_body(&body, &self.scrubber);
        let path = path.to_owned();
        let error = match status {
            401 => ApiError::Unauthorized { path, message },
            403 => ApiError::Forbidden {
                path,
                code: code.unwrap_or_else(|| "Forbidden".into()),
                message,
            },
            404 if code.as_deref().is_some_and(|c| c.starts_with("NotFound")) => {
                ApiError::NotFound {
                    path,
                    code: code.unwrap_or_default(),
                    message,
                }
            }
            _ => ApiError::Status {
                path,
                status,
                attempts,
                message: match code {
                    Some(code) => format!("{code}: {message}"),
                    None => message,
                },
            },
        };
        Err(Failure {
            attempt: Attempt::Status(status),
            retry_after,
            error,
        })
    }
}

fn quota(rate: f64) -> Quota {
    let period = Duration::from_secs_f64(1.0 / rate);
    // Allow a burst of up to one second's worth, so bursts never exceed the configured rate
    // averaged over any second.
    let burst = NonZeroU32::new(rate.floor().clamp(1.0, 1000.0) as u32).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// Whether a connection error is a certificate the trust store does not accept (rustls says
/// "invalid peer certificate"; its causes are not public types, so the text is what is left).
fn is_untrusted_certificate(description: &str) -> bool {
    description.contains("invalid peer certificate")
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// A reqwest error with its causes, without the URL (the caller names the endpoint).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    clean(&text)
}

#[cfg(test)]
mod tests;
