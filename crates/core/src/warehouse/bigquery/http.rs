//! How the BigQuery client sends a request, shaped like the shared warehouse sender
//! (`warehouse::http::Http`, which is being moved out of Snowflake's client) so that porting
//! to it is a swap of this file: `send` retries 429, 500, 502, 503, 504 and lost connections
//! (after `Retry-After`, else a doubling pause) and returns the first other response, or the
//! last one when the attempts run out; `body` reads an answer within its bound, gunzipped
//! when the server says so; `message` quotes server text scrubbed of every token registered.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::{CONTENT_ENCODING, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};

use crate::text::Scrubber;
use crate::warehouse::{Net, WarehouseError, quoted};

/// The largest body read (one page of rows).
pub const MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;
/// Attempts of one request on a 429, a 5xx or a lost connection.
pub const MAX_ATTEMPTS: u32 = 5;
/// The first pause between attempts, doubled each time, at most [`MAX_PAUSE`].
pub const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// The longest pause between attempts.
pub const MAX_PAUSE: Duration = Duration::from_secs(30);
/// How long one request may take (BigQuery holds a request for `timeoutMs`, at most about
/// 200 s; the client asks for less).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// The sender of one client.
pub struct Http {
    client: reqwest::Client,
    scrubber: Mutex<Scrubber>,
}

impl Http {
    /// A sender with the API client's extra roots, no redirects (one could carry the token
    /// elsewhere; the API does not redirect).
    pub fn new(net: &Net) -> Result<Self, WarehouseError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("iru-fivetran/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none());
        if !net.extra_roots.is_empty() {
            builder = builder.tls_certs_merge(net.extra_roots.iter().cloned());
        }
        let client = builder
            .build()
            .map_err(|e| WarehouseError::Tls(quoted(&e.to_string())))?;
        Ok(Self {
            client,
            scrubber: Mutex::new(Scrubber::default()),
        })
    }

    /// The scrubber, to register each token minted.
    pub fn scrubber(&self) -> MutexGuard<'_, Scrubber> {
        self.scrubber
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends the request `build` makes (again for each attempt, numbered from 1).
    pub async fn send(
        &self,
        tag: &str,
        build: impl Fn(&reqwest::Client, u32) -> Result<RequestBuilder, WarehouseError>,
    ) -> Result<Response, WarehouseError> {
        let mut pause = FIRST_PAUSE;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let wait = match build(&self.client, attempt)?.send().await {
                Ok(response) => {
                    let retryable =
                        matches!(response.status().as_u16(), 429 | 500 | 502 | 503 | 504);
                    if !retryable || attempt >= MAX_ATTEMPTS {
                        return Ok(response);
                    }
                    retry_after(&response).unwrap_or(pause)
                }
                Err(e) if attempt >= MAX_ATTEMPTS || e.is_builder() => {
                    return Err(self.transport(&e, tag));
                }
                Err(e) if e.is_connect() && attempt >= 2 => return Err(self.transport(&e, tag)),
                Err(_) => pause,
            };
            tokio::time::sleep(wait.min(MAX_PAUSE)).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// The status and body of `response`, read within [`MAX_BODY_BYTES`] and gunzipped when
    /// the server says so. A body cut short is [`WarehouseError::Dropped`].
    pub async fn body(
        &self,
        mut response: Response,
        tag: &str,
    ) -> Result<(StatusCode, Vec<u8>), WarehouseError> {
        let status = response.status();
        let gzip = response
            .headers()
            .get(CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
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
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > MAX_BODY_BYTES {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let text = self.scrubber().scrub(&chain(&e)).into_owned();
                    return Err(WarehouseError::Dropped(format!(
                        "{} (reading {tag})",
                        quoted(&text)
                    )));
                }
            }
        }
        if !gzip {
            return Ok((status, body));
        }
        use std::io::Read as _;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .take(MAX_BODY_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|_| {
                WarehouseError::Dropped(format!("the compressed answer to {tag} was cut short"))
            })?;
        if out.len() as u64 > MAX_BODY_BYTES {
            return Err(too_large());
        }
        Ok((status, out))
    }

    /// `HTTP <status>: <server text>`, the text scrubbed and cleaned (else the status alone).
    pub fn message(&self, status: StatusCode, text: Option<&str>) -> String {
        match text {
            Some(t) => {
                let scrubbed = self.scrubber().scrub(t).into_owned();
                format!("HTTP {}: {}", status.as_u16(), quoted(&scrubbed))
            }
            None => format!("HTTP {status}"),
        }
    }

    fn transport(&self, e: &reqwest::Error, tag: &str) -> WarehouseError {
        let text = self.scrubber().scrub(&chain(e)).into_owned();
        if e.is_connect() {
            WarehouseError::Unreachable(quoted(&text))
        } else if e.is_timeout() {
            WarehouseError::Timeout(format!("no answer while reading {tag}"))
        } else {
            WarehouseError::Dropped(format!("{} (reading {tag})", quoted(&text)))
        }
    }
}

/// `Retry-After` in seconds or as a date.
pub fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    at.duration_since(std::time::SystemTime::now()).ok()
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
