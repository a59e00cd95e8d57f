//! The one HTTP sender of every warehouse reached over HTTPS (Snowflake, BigQuery,
//! Databricks): the reqwest client (timeouts, proxy from the environment, `--ca-cert` roots,
//! no redirects), and `send`, which retries what may pass under the Fivetran client's own
//! rules, so a warehouse that says "slow down" is treated as Fivetran is:
//! - **429** goes through the client's adaptive pace ([`crate::client::pace::Pace`]): every
//!   request of the source waits out one pause (`Retry-After`, else a backoff from 1 s), the
//!   rate is cut and grows back; a 429 spends no attempt, its waits are charged to the wait
//!   budget (`--max-wait`) alone, and a pause the budget cannot cover is not made.
//! - **500, 502, 503, 504 and lost connections** are retried under the client's
//!   [`Policy`] (`Retry-After` first, else capped exponential backoff with full jitter), at
//!   most [`Policy::max_attempts`] attempts, each wait charged to the same budget.
//! - Anything else is the caller's to read: an API's statuses mean different things.
//!
//! The budget is per source: the Fivetran client keeps its own. Bodies are read within
//! [`MAX_BODY_BYTES`] (and gunzipped when the server compressed them); every server text a
//! message quotes is scrubbed of the tokens registered with [`Http::scrubber`] first.

#[cfg(test)]
mod tests;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use reqwest::header::{CONTENT_ENCODING, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};

use super::{Net, WarehouseError, quoted};
use crate::client::pace::{Pace, Refusal};
use crate::client::retry::{Next, Policy, parse_retry_after};
use crate::text::Scrubber;

/// The largest body read (one page of rows, or one partition or chunk of it).
pub const MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;
/// How long one request may take (the APIs answer a synchronous request within 50 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// The most requests a second to one warehouse: statements go one at a time, so this only
/// bounds polls and partitions, and is where the pace starts from.
const MAX_RATE: f64 = 20.0;

/// The sender of one audit source.
pub struct Http {
    client: reqwest::Client,
    pace: Mutex<Pace>,
    policy: Policy,
    /// What the waits have cost so far, against `policy.max_wait`.
    waited: Mutex<Duration>,
    scrubber: Mutex<Scrubber>,
}

impl Http {
    /// A sender with `net`'s roots and wait budget.
    pub fn new(net: &Net) -> Result<Self, WarehouseError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("iru-fivetran/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // A redirect could carry a token elsewhere; none of the APIs redirects.
            .redirect(reqwest::redirect::Policy::none());
        if !net.extra_roots.is_empty() {
            builder = builder.tls_certs_merge(net.extra_roots.iter().cloned());
        }
        let client = builder
            .build()
            .map_err(|e| WarehouseError::Tls(quoted(&e.to_string())))?;
        let policy = Policy {
            max_wait: net.max_wait,
            ..Policy::default()
        };
        Ok(Self {
            client,
            pace: Mutex::new(Pace::new(MAX_RATE, 1, policy.base, policy.cap)),
            policy,
            waited: Mutex::new(Duration::ZERO),
            scrubber: Mutex::new(Scrubber::default()),
        })
    }

    /// The scrubber: register every token sent, so that no message quotes it.
    pub fn scrubber(&self) -> MutexGuard<'_, Scrubber> {
        self.scrubber.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pace(&self) -> MutexGuard<'_, Pace> {
        self.pace.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn waited(&self) -> MutexGuard<'_, Duration> {
        self.waited.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends the request `build` makes (called again for each attempt, numbered from 1, so
    /// each carries fresh headers), retrying 429, 500, 502, 503, 504 and lost connections as
    /// the module says. Returns the first other response, or the last one when the attempts
    /// run out; a wait the budget cannot cover is an error.
    pub async fn send(
        &self,
        tag: &str,
        build: &mut (
                 dyn FnMut(&reqwest::Client, u32) -> Result<RequestBuilder, WarehouseError> + Send
             ),
    ) -> Result<Response, WarehouseError> {
        let mut attempt = 0;
        let mut faults = 0;
        loop {
            attempt += 1;
            let sent_at = self.slot().await;
            let request = build(&self.client, attempt)?;
            let (retry_after, error) = match request.send().await {
                Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                    self.rate_limited(tag, sent_at, after(&response))?;
                    continue;
                }
                Ok(response) => {
                    self.pace().answered();
                    if !matches!(response.status().as_u16(), 500 | 502 | 503 | 504) {
                        return Ok(response);
                    }
                    (after(&response), Ok(response))
                }
                Err(e) if e.is_builder() => return Err(self.transport(&e, tag)),
                Err(e) if e.is_timeout() => {
                    // Time lost waiting for an answer counts against the budget too.
                    *self.waited() += sent_at.elapsed();
                    (None, Err(e))
                }
                // A host that refuses twice is down or wrong, not busy.
                Err(e) if e.is_connect() && attempt >= 2 => return Err(self.transport(&e, tag)),
                Err(e) => (None, Err(e)),
            };
            faults += 1;
            let waited = *self.waited();
            match self
                .policy
                .next(faults, waited, retry_after, rand::random::<f64>())
            {
                Next::Wait(wait, _) => {
                    *self.waited() += wait;
                    tokio::time::sleep(wait).await;
                }
                Next::OutOfAttempts => {
                    return error.map_err(|e| self.transport(&e, tag));
                }
                Next::OverBudget(wait, _) => return Err(self.over_budget(tag, wait)),
            }
        }
    }

    /// Waits for the pace's next send time; returns when the request goes.
    async fn slot(&self) -> Instant {
        loop {
            let slot = self.pace().reserve(Instant::now());
            if slot.at > Instant::now() {
                tokio::time::sleep_until(slot.at.into()).await;
            }
            let now = Instant::now();
            if self.pace().admit(&slot, now) {
                return now;
            }
        }
    }

    /// A rate limit the caller found in an answer [`Http::send`] returned, where the status
    /// alone does not say it (BigQuery answers `403` with reason `rateLimitExceeded` or
    /// `quotaExceeded`): paced as a 429 is, for the request sent at `sent_at`, its wait
    /// charged to the budget (an error when the budget cannot cover it); the caller sends the
    /// request again and the next [`Http::send`] waits for the pause.
    pub fn rate_limited(
        &self,
        tag: &str,
        sent_at: Instant,
        retry_after: Option<Duration>,
    ) -> Result<(), WarehouseError> {
        let left = self.policy.max_wait.saturating_sub(*self.waited());
        let jitter = rand::random::<f64>();
        let refusal = self
            .pace()
            .refused(sent_at, Instant::now(), retry_after, left, jitter);
        match refusal {
            Refusal::Pause { added, .. } => {
                *self.waited() += added;
                Ok(())
            }
            Refusal::OverBudget { asked, .. } => Err(self.over_budget(tag, asked)),
        }
    }

    fn over_budget(&self, tag: &str, asked: Duration) -> WarehouseError {
        WarehouseError::Unreachable(format!(
            "the warehouse asked to wait {} s before {tag}, more than is left of the {} s wait budget; hint: try later, or raise --max-wait",
            asked.as_secs(),
            self.policy.max_wait.as_secs()
        ))
    }

    /// Reads a response's body within [`MAX_BODY_BYTES`], gunzipped when the server says so.
    pub async fn body(
        &self,
        response: Response,
        tag: &str,
    ) -> Result<(StatusCode, Vec<u8>), WarehouseError> {
        let status = response.status();
        let gzip = response
            .headers()
            .get(CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let bytes = self.read_capped(response, tag).await?;
        let bytes = if gzip { gunzip(&bytes, tag)? } else { bytes };
        Ok((status, bytes))
    }

    async fn read_capped(&self, response: Response, tag: &str) -> Result<Vec<u8>, WarehouseError> {
        let too_large = || {
            WarehouseError::Query(format!(
                "the answer to {tag} is larger than {} MiB; hint: lower page_rows of this audit source",
                MAX_BODY_BYTES / (1024 * 1024)
            ))
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                WarehouseError::Dropped(format!("{} (reading {tag})", self.cleaned(&chain(&e))))
            })?;
            if body.len() as u64 + chunk.len() as u64 > MAX_BODY_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// `HTTP <status>: "<server text>"`, the text scrubbed and cleaned (the status alone
    /// without one).
    pub fn message(&self, status: StatusCode, text: Option<&str>) -> String {
        match text {
            Some(text) => format!("HTTP {}: {}", status.as_u16(), self.cleaned(text)),
            None => format!(
                "HTTP {}: {}",
                status.as_u16(),
                quoted(&format!("HTTP {status}"))
            ),
        }
    }

    /// `text` scrubbed of the registered tokens, quoted and cleaned.
    fn cleaned(&self, text: &str) -> String {
        quoted(&self.scrubber().scrub(text))
    }

    /// What a request that got no answer means.
    pub fn transport(&self, e: &reqwest::Error, tag: &str) -> WarehouseError {
        let text = self.cleaned(&chain(e));
        if e.is_connect() {
            WarehouseError::Unreachable(text)
        } else if e.is_timeout() {
            WarehouseError::Timeout(format!("no answer while reading {tag}"))
        } else {
            WarehouseError::Dropped(format!("{text} (reading {tag})"))
        }
    }
}

/// The response's `Retry-After`, seconds or an HTTP date.
fn after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, std::time::SystemTime::now())
}

fn gunzip(bytes: &[u8], tag: &str) -> Result<Vec<u8>, WarehouseError> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|_| {
            WarehouseError::Dropped(format!("the compressed answer to {tag} was cut short"))
        })?;
    if out.len() as u64 > MAX_BODY_BYTES {
        return Err(WarehouseError::Query(format!(
            "the answer to {tag} is larger than {} MiB uncompressed",
            MAX_BODY_BYTES / (1024 * 1024)
        )));
    }
    Ok(out)
}

/// Everything but RFC 3986's unreserved characters is encoded in a path segment.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A server's handle or id as a path segment (percent-encoded: it comes from the server).
pub fn segment(handle: &str) -> String {
    percent_encoding::utf8_percent_encode(handle, SEGMENT).to_string()
}

/// An error and its causes on one line.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}
