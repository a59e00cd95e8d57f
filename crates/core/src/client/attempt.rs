//! One attempt of a request: send it, read what comes back, and say what it ended with for the
//! retry decision ([`Failure`]). The quota figures of every answer go to the quota book and
//! steer the pace.

use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap};
use tracing::debug;
use url::Url;

use super::Client;
use super::body::{BodyError, Data, decode_answer, error_body, read_capped};
use super::error::ApiError;
use super::retry::{self, Attempt};
use crate::endpoints::Endpoint;
use crate::text::clean;

/// What one failed attempt leaves behind.
pub(super) struct Failure {
    pub(super) attempt: Attempt,
    pub(super) retry_after: Option<Duration>,
    pub(super) error: ApiError,
    /// Whether the server answered with a status (it is up and takes requests), as opposed to
    /// a transport failure.
    pub(super) answered: bool,
    /// Set when no connection could be made at all (DNS, refused, TLS handshake or an untrusted
    /// certificate, a connect timeout), as opposed to a connection that broke: before the
    /// server has ever answered, this ends the run at once (see `Client::never_reached`).
    pub(super) unreached: Option<Unreached>,
}

/// Why a connection could not be made.
pub(super) struct Unreached {
    /// The causes, without the URL (the error names the host and the endpoint).
    pub(super) cause: String,
    /// The server's TLS certificate is not trusted (a proxy that re-signs TLS, most likely).
    pub(super) certificate: bool,
}

impl Client {
    /// Sends one attempt of GET `url`, `sends` being how many this request has made, this one
    /// included; it may take `timeout`.
    pub(super) async fn attempt(
        &self,
        url: &Url,
        endpoint: Endpoint,
        path: &str,
        sends: u32,
        timeout: Duration,
    ) -> Result<Data, Failure> {
        let transport = |attempt: Attempt, message: String| Failure {
            attempt,
            retry_after: None,
            error: ApiError::Transport {
                path: path.to_owned(),
                attempts: sends,
                message,
            },
            answered: false,
            unreached: None,
        };
        debug!("GET {url}");
        let response = self
            .http
            .get(url.clone())
            .header(header::ACCEPT, endpoint.accept.header())
            .header(header::AUTHORIZATION, self.auth.clone())
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| {
                self.quota.unanswered();
                let text = describe(&e);
                let certificate = is_untrusted_certificate(&text);
                let unreached = (e.is_connect() || certificate).then(|| Unreached {
                    cause: causes(&e),
                    certificate,
                });
                let failure = if e.is_timeout() {
                    transport(Attempt::TimedOut, text)
                } else if certificate {
                    transport(
                        Attempt::Untrusted,
                        format!(
                            "{text}\nhint: the server's TLS certificate is not trusted; if a company proxy re-signs TLS, pass its CA certificate with --ca-cert PATH"
                        ),
                    )
                } else {
                    transport(Attempt::Transport, text)
                };
                Failure {
                    unreached,
                    ..failure
                }
            })?;
        self.reached();
        let status = response.status().as_u16();
        let (quota, remaining) = (
            header_u64(response.headers(), "x-rate-limit"),
            header_u64(response.headers(), "x-rate-limit-remaining"),
        );
        self.stats.observe_quota(quota, remaining);
        let now = self.clock.now();
        self.quota.observe(quota, remaining, now);
        self.gate.steer(self.quota.spare(now));
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
                    answered: true,
                    unreached: None,
                });
            }
            Err(BodyError::Read(e)) => {
                let kind = if e.is_timeout() {
                    Attempt::TimedOut
                } else {
                    Attempt::Transport
                };
                return Err(transport(kind, format!("body: {}", describe(&e))));
            }
        };
        if (200..300).contains(&status) {
            return decode_answer(body, endpoint.shape, &self.scrubber).map_err(|bad| {
                // Well-formed JSON of the wrong shape is what the server means: asking again
                // cannot change it. A body that is not JSON at all (empty, HTML, cut short)
                // may be a passing hiccup.
                let (attempt, note) = if bad.well_formed {
                    (
                        Attempt::WrongShape,
                        " (well-formed JSON of the wrong shape: not retried)",
                    )
                } else {
                    (Attempt::Undecodable, "")
                };
                Failure {
                    attempt,
                    answered: true,
                    ..transport(attempt, format!("undecodable answer: {}{note}", bad.why))
                }
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
                attempts: sends,
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
            answered: true,
            unreached: None,
        })
    }
}

/// Whether a connection error is a certificate the trust store does not accept (rustls says
/// "invalid peer certificate"; its causes are not public types, so the text is what is left).
fn is_untrusted_certificate(description: &str) -> bool {
    description.contains("invalid peer certificate")
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The causes of a reqwest error, without its own text (which names the URL): for a
/// connection that could not be made, "client error (Connect): dns error: ...".
fn causes(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    if parts.is_empty() {
        return describe(e);
    }
    clean(&parts.join(": "))
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
