//! How Databricks' client sends: one private sender shaped like the warehouses' shared HTTP
//! sender (`send(tag, build)`, `body`, `message`, `scrubber`), so that moving to it is a swap;
//! and the workspace's credential, a personal access token or an OAuth access token fetched
//! with the client-credentials grant and cached.
//!
//! A request is retried on 429, 500, 502, 503 and 504 (after `Retry-After`, else a growing
//! pause) and on a lost connection, a bounded number of times; the first other answer, or the
//! last one, is returned. Every token sent is registered with the scrubber first, so no
//! server text quotes it.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use reqwest::{RequestBuilder, Response, StatusCode};
use secrecy::SecretString;
use serde_json::Value;
use url::Url;

use crate::credentials::audit::rest::{RestAuth, bearer_header};
use crate::text::Scrubber;
use crate::warehouse::snowflake::wire::{chain, gunzip, read_capped, retry_after};
use crate::warehouse::{Net, WarehouseError, quoted};

/// Attempts of one request on a 429, a 5xx or a lost connection.
pub const MAX_ATTEMPTS: u32 = 5;
/// The first pause between attempts, doubled each time, at most [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// How long one request may take (a statement waits at most 50 s before answering).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// An OAuth access token is fetched again this long before it expires (at most a quarter of
/// its life).
const TOKEN_MARGIN: Duration = Duration::from_secs(5 * 60);
/// The scope asked for: the workspace's REST APIs (Databricks has no narrower scope for SQL).
pub const SCOPE: &str = "all-apis";

/// The sender of one workspace's requests.
pub struct Sender {
    client: reqwest::Client,
    scrubber: Mutex<Scrubber>,
}

impl Sender {
    /// A sender trusting `net`'s extra roots; it never follows a redirect (which could carry
    /// the token elsewhere).
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

    /// Sends the request `build` makes (given the attempt, from 1), retrying as the module
    /// says.
    pub async fn send(
        &self,
        tag: &str,
        build: impl Fn(&reqwest::Client, u32) -> Result<RequestBuilder, WarehouseError>,
    ) -> Result<Response, WarehouseError> {
        let mut attempt = 0;
        let mut pause = FIRST_PAUSE;
        loop {
            attempt += 1;
            let request = build(&self.client, attempt)?.header(ACCEPT, "application/json");
            let wait = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retryable = matches!(status, 429 | 500 | 502 | 503 | 504);
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

    /// The status and body of `response`, read within its bound (gunzipped when the server
    /// says so).
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
        let bytes = read_capped(response, tag).await?;
        let bytes = if gzip { gunzip(&bytes, tag)? } else { bytes };
        Ok((status, bytes))
    }

    /// `HTTP <status>: <server text>`, the text scrubbed and cleaned (the status alone
    /// without one).
    pub fn message(&self, status: StatusCode, text: Option<&str>) -> String {
        let text = text.map_or_else(
            || format!("HTTP {status}"),
            |t| self.scrubber().scrub(t).into_owned(),
        );
        format!("HTTP {}: {}", status.as_u16(), quoted(&text))
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

/// Databricks' error object: `error_code` and `message` (the same shape from every service),
/// or OAuth's `error` and `error_description` from the token endpoint.
pub fn error_text(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
    let code = field("error_code").or_else(|| field("error"));
    let message = field("message").or_else(|| field("error_description"));
    let text = match (&code, message) {
        (Some(c), Some(m)) => Some(format!("{m} ({c})")),
        (Some(c), None) => Some(c.clone()),
        (None, m) => m,
    };
    (code, text)
}

/// The workspace's credential and the OAuth access token in use.
pub struct Credential {
    auth: RestAuth,
    token_url: Url,
    /// The access token and when to fetch another.
    cached: Mutex<Option<(HeaderValue, Instant)>>,
}

impl Credential {
    /// The credential `auth` of the workspace at `root`.
    pub fn new(auth: RestAuth, root: &Url) -> Self {
        let mut token_url = root.clone();
        token_url.set_path("/oidc/v1/token");
        Self {
            auth,
            token_url,
            cached: Mutex::new(None),
        }
    }

    /// Whether a refused token may be replaced by fetching another (an OAuth client's).
    pub fn refreshable(&self) -> bool {
        matches!(self.auth, RestAuth::Client(_))
    }

    /// Makes the next request fetch a new access token.
    pub fn forget(&self) {
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The `Authorization` header: the personal access token, or a cached access token (one
    /// fetched first when none is, or it is about to expire).
    pub async fn header(&self, sender: &Sender) -> Result<HeaderValue, WarehouseError> {
        let client = match &self.auth {
            RestAuth::Client(c) => c,
            RestAuth::Token(_) => {
                return self
                    .auth
                    .static_token(&mut sender.scrubber())
                    .ok_or_else(|| WarehouseError::Auth("no token".into()));
            }
            RestAuth::KeyPair(_) => {
                return Err(WarehouseError::Auth(
                    "a key pair is not a Databricks credential; hint: give token, or client_id and client_secret".into(),
                ));
            }
        };
        if let Some((header, renew)) = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            && Instant::now() < *renew
        {
            return Ok(header.clone());
        }
        let tag = "the OAuth token";
        let basic = client.basic_header(&mut sender.scrubber());
        let response = sender
            .send(tag, |http, _| {
                Ok(http
                    .post(self.token_url.clone())
                    .header("Authorization", basic.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(format!("grant_type=client_credentials&scope={SCOPE}")))
            })
            .await?;
        let (status, body) = sender.body(response, tag).await?;
        if !status.is_success() {
            let (_, text) = error_text(&body);
            let message = sender.message(status, text.as_deref());
            return Err(match status.as_u16() {
                400 | 401 | 403 => WarehouseError::Auth(format!(
                    "{message} from the token endpoint /oidc/v1/token"
                )),
                429 | 500..=599 => WarehouseError::Unreachable(format!(
                    "{message} from the token endpoint after {MAX_ATTEMPTS} attempts"
                )),
                _ => WarehouseError::Query(format!(
                    "{message} from the token endpoint /oidc/v1/token"
                )),
            });
        }
        let value: Value = serde_json::from_slice(&body).map_err(|_| {
            WarehouseError::Dropped("the token endpoint's answer was cut short".into())
        })?;
        let token = value
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                WarehouseError::Auth("the token endpoint gave no access_token".into())
            })?;
        let token = SecretString::from(token.to_owned());
        let life = Duration::from_secs(
            value
                .get("expires_in")
                .and_then(Value::as_u64)
                .unwrap_or(3600),
        );
        let header = bearer_header(&token, &mut sender.scrubber());
        let renew = Instant::now() + life - TOKEN_MARGIN.min(life / 4);
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((header.clone(), renew));
        Ok(header)
    }
}
