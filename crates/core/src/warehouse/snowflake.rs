//! Snowflake's SQL API v2: one statement per request, from the vendor's reference.
//!
//! - `POST /api/v2/statements?requestId=<uuid>` with `statement`, `timeout` (seconds),
//!   `database`, `warehouse` and `role` when named, and `bindings` (`"1": {"type": "TEXT",
//!   "value": ...}` for each `?`, in order). A resubmission after a lost answer, a 429 or a
//!   5xx carries the same `requestId` and `retry=true`, so Snowflake does not run it twice.
//! - Authentication: `Authorization: Bearer` with `X-Snowflake-Authorization-Token-Type`:
//!   `KEYPAIR_JWT` (a JWT signed RS256 by the user's key, `iss` = `ACCOUNT.USER.SHA256:<fp>`,
//!   `sub` = `ACCOUNT.USER`, expiring within the hour; minted here, cached until five minutes
//!   before it expires, minted again on a 401) or `PROGRAMMATIC_ACCESS_TOKEN`.
//! - `200`: a `ResultSet`, its first partition in `data`, the others listed in
//!   `resultSetMetaData.partitionInfo` and fetched with `GET /api/v2/statements/{handle}?partition=N`
//!   (gzip when the server says so). Every value is a string or null.
//! - `202`: still running; its `statementHandle` is polled with `GET /api/v2/statements/{handle}`
//!   until it answers otherwise, for at most the statement timeout and a margin. A handle the
//!   server no longer knows (`404`) has the statement submitted again, once.
//! - `408`: the statement timed out; `422`: it failed (`code`, `sqlState`, `message`: `002003`
//!   is an object that does not exist or is not authorized); `401`, `403`: the login or its
//!   rights; `429`, `500`, `502`, `503`, `504`: retried by [`Http`] under the Fivetran client's
//!   pace and retry rules.
//!
//! Server text is scrubbed of the tokens sent and cleaned before a message quotes it; a body
//! larger than [`super::http::MAX_BODY_BYTES`] is refused.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use url::Url;

pub(super) mod wire;

use super::http::{Http, segment};
use super::statements::{Row, Statement};
use super::{Net, WarehouseError};
use crate::credentials::AuditSource;
use crate::credentials::audit::rest::{KeyPair, RestAuth, bearer_header};
use wire::{hand_on, uuid};

/// How long a minted JWT is valid (Snowflake accepts one hour at most).
pub const JWT_LIFETIME: Duration = Duration::from_secs(59 * 60);
/// A cached JWT is minted again this long before it expires.
const JWT_MARGIN: Duration = Duration::from_secs(5 * 60);
/// How much longer than the statement timeout a statement is polled.
const POLL_MARGIN: Duration = Duration::from_secs(30);

/// A client of one account's SQL API.
pub struct Client {
    http: Http,
    root: Url,
    account: String,
    user: String,
    database: String,
    warehouse: Option<String>,
    role: Option<String>,
    auth: RestAuth,
    statement_timeout: Duration,
    /// The JWT in use, when to mint another, and its `iat`.
    token: Mutex<Option<(HeaderValue, Instant, i64)>>,
}

/// What one request came back with.
enum Answer {
    /// The body of a 200.
    Done(Value),
    /// A 202: the handle to poll.
    Running(String),
}

impl Client {
    /// A client for `source`, which must be a Snowflake source.
    pub fn new(source: &AuditSource, net: &Net) -> Result<Self, WarehouseError> {
        let rest = source.rest.as_ref().ok_or_else(|| {
            WarehouseError::Query("the audit source has no Snowflake settings".into())
        })?;
        Ok(Self {
            http: Http::new(net)?,
            root: rest.url.clone(),
            account: rest.account.clone(),
            user: source.user.to_ascii_uppercase(),
            database: source.database.clone(),
            warehouse: rest.warehouse.clone(),
            role: rest.role.clone(),
            auth: rest.auth.clone(),
            statement_timeout: crate::credentials::audit::DEFAULT_STATEMENT_TIMEOUT,
            token: Mutex::new(None),
        })
    }

    /// Limits each statement to `timeout`.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.statement_timeout = timeout;
    }

    /// Runs `statement`, handing each row of each partition to `each`.
    pub async fn run(
        &self,
        statement: &Statement,
        each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
    ) -> Result<(), WarehouseError> {
        let mut resubmitted = false;
        loop {
            let result = self.submit(statement).await?;
            let body = match result {
                Answer::Done(body) => body,
                Answer::Running(handle) => match self.poll(&handle, statement.tag).await {
                    Err(Expired) if !resubmitted => {
                        resubmitted = true;
                        continue;
                    }
                    Err(Expired) => {
                        return Err(WarehouseError::Query(format!(
                            "the statement handle of {} expired twice while polling",
                            statement.tag
                        )));
                    }
                    Ok(result) => result?,
                },
            };
            return self.rows(body, statement.tag, each).await;
        }
    }

    async fn submit(&self, statement: &Statement) -> Result<Answer, WarehouseError> {
        let mut bindings = Map::new();
        for (i, value) in statement.params.iter().enumerate() {
            bindings.insert((i + 1).to_string(), json!({"type": "TEXT", "value": value}));
        }
        let mut body = json!({
            "statement": statement.text,
            "timeout": self.statement_timeout.as_secs().max(1),
            "database": self.database,
            "bindings": bindings,
        });
        if let Some(w) = &self.warehouse {
            body["warehouse"] = json!(w);
        }
        if let Some(r) = &self.role {
            body["role"] = json!(r);
        }
        let request_id = uuid();
        let mut url = self.url("/api/v2/statements");
        url.query_pairs_mut().append_pair("requestId", &request_id);
        let response = self
            .send(Method::POST, &url, Some(&body), statement.tag, true)
            .await?;
        self.answer(response, statement.tag).await
    }

    /// Polls a running statement until it ends; `Err(Expired)` when the handle is unknown.
    async fn poll(
        &self,
        handle: &str,
        tag: &str,
    ) -> Result<Result<Value, WarehouseError>, Expired> {
        let limit = self.statement_timeout + POLL_MARGIN;
        let started = Instant::now();
        let mut pause = Duration::from_millis(200);
        let mut handle = handle.to_owned();
        loop {
            if started.elapsed() > limit {
                return Ok(Err(WarehouseError::Timeout(format!(
                    "{tag} still running after {} s",
                    limit.as_secs()
                ))));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
            let url = self.url(&format!("/api/v2/statements/{}", segment(&handle)));
            let response = match self.send(Method::GET, &url, None, tag, false).await {
                Ok(r) => r,
                Err(e) => return Ok(Err(e)),
            };
            if response.status() == StatusCode::NOT_FOUND {
                return Err(Expired);
            }
            match self.answer(response, tag).await {
                Ok(Answer::Done(body)) => return Ok(Ok(body)),
                Ok(Answer::Running(h)) => handle = h,
                Err(e) => return Ok(Err(e)),
            }
        }
    }

    /// Hands on the rows of a result set, partition after partition.
    async fn rows(
        &self,
        body: Value,
        tag: &str,
        each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
    ) -> Result<(), WarehouseError> {
        let partitions = body
            .pointer("/resultSetMetaData/partitionInfo")
            .and_then(Value::as_array)
            .map_or(1, Vec::len);
        let handle = body
            .get("statementHandle")
            .and_then(Value::as_str)
            .map(str::to_owned);
        hand_on(body, tag, each)?;
        for partition in 1..partitions {
            let handle = handle.as_deref().ok_or_else(|| {
                WarehouseError::Query(format!("{tag}: a result in partitions without a handle"))
            })?;
            let mut url = self.url(&format!("/api/v2/statements/{}", segment(handle)));
            url.query_pairs_mut()
                .append_pair("partition", &partition.to_string());
            let response = self.send(Method::GET, &url, None, tag, false).await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Err(WarehouseError::Dropped(format!(
                    "the result of {tag} expired before partition {partition} was read"
                )));
            }
            match self.answer(response, tag).await? {
                Answer::Done(body) => hand_on(body, tag, each)?,
                Answer::Running(_) => {
                    return Err(WarehouseError::Query(format!(
                        "{tag}: partition {partition} answered 202"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Sends a request through [`Http`] (which retries 429, 5xx and lost connections),
    /// minting a token when needed, and once more with a new JWT after a 401.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        tag: &str,
        is_submit: bool,
    ) -> Result<reqwest::Response, WarehouseError> {
        let body = body.map(Value::to_string);
        let mut reminted = false;
        loop {
            let response = self
                .http
                .send(tag, &mut |client, attempt| {
                    let (auth, kind) = self.authorization()?;
                    let mut url = url.clone();
                    if is_submit && attempt > 1 {
                        url.query_pairs_mut().append_pair("retry", "true");
                    }
                    let mut request = client
                        .request(method.clone(), url)
                        .header(ACCEPT, "application/json")
                        .header("Authorization", auth)
                        .header("X-Snowflake-Authorization-Token-Type", kind);
                    if let Some(body) = &body {
                        request = request
                            .header(CONTENT_TYPE, "application/json")
                            .body(body.clone());
                    }
                    Ok(request)
                })
                .await?;
            if response.status() == StatusCode::UNAUTHORIZED
                && !reminted
                && matches!(self.auth, RestAuth::KeyPair(_))
            {
                // A JWT may expire mid-run (or a clock differ): mint another, once.
                reminted = true;
                self.forget_token();
                continue;
            }
            return Ok(response);
        }
    }

    /// What a response means.
    async fn answer(
        &self,
        response: reqwest::Response,
        tag: &str,
    ) -> Result<Answer, WarehouseError> {
        let (status, bytes) = self.http.body(response, tag).await?;
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        let message = || self.message(body.as_ref(), status);
        match status.as_u16() {
            200 => body.map(Answer::Done).ok_or_else(|| {
                // A 200 that is not JSON was cut short: read again, after the last row.
                WarehouseError::Dropped(format!("the answer to {tag} was cut short"))
            }),
            202 => body
                .as_ref()
                .and_then(|b| b.get("statementHandle"))
                .and_then(Value::as_str)
                .map(|h| Answer::Running(h.to_owned()))
                .ok_or_else(|| {
                    WarehouseError::Query(format!("{tag}: a 202 without a statement handle"))
                }),
            401 => Err(WarehouseError::Auth(message())),
            403 => Err(WarehouseError::Denied {
                object: tag.to_owned(),
                detail: message(),
            }),
            408 => Err(WarehouseError::Timeout(format!(
                "{} (reading {tag})",
                message()
            ))),
            422 => {
                let code = body
                    .as_ref()
                    .and_then(|b| b.get("code"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Err(match code {
                    // SQL compilation error: an object does not exist or is not authorized.
                    "002003" | "002043" => WarehouseError::Missing(message()),
                    // Insufficient privileges.
                    "003001" => WarehouseError::Denied {
                        object: tag.to_owned(),
                        detail: message(),
                    },
                    _ => WarehouseError::Query(format!("{} (reading {tag})", message())),
                })
            }
            429 | 500 | 502 | 503 | 504 => Err(WarehouseError::Unreachable(format!(
                "{} after every attempt (reading {tag})",
                message()
            ))),
            _ => Err(WarehouseError::Query(format!(
                "{} (reading {tag})",
                message()
            ))),
        }
    }

    /// The server's message (its `code` and `message`), scrubbed and cleaned, else the status.
    fn message(&self, body: Option<&Value>, status: StatusCode) -> String {
        let text = body
            .and_then(|b| b.get("message"))
            .and_then(Value::as_str)
            .map(|m| {
                let code = body
                    .and_then(|b| b.get("code"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if code.is_empty() {
                    m.to_owned()
                } else {
                    format!("{m} (code {code})")
                }
            });
        self.http.message(status, text.as_deref())
    }

    /// The `Authorization` header and the token type.
    fn authorization(&self) -> Result<(HeaderValue, &'static str), WarehouseError> {
        let mut scrubber = self.http.scrubber();
        match &self.auth {
            RestAuth::Token(_) => {
                let header = self
                    .auth
                    .static_token(&mut scrubber)
                    .ok_or_else(|| WarehouseError::Auth("no token".into()))?;
                Ok((header, "PROGRAMMATIC_ACCESS_TOKEN"))
            }
            RestAuth::Client(_) => Err(WarehouseError::Auth(
                "an OAuth client is not a Snowflake credential".into(),
            )),
            RestAuth::KeyPair(key) => {
                let mut cached = self.token.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some((header, renew, _)) = cached.as_ref()
                    && Instant::now() < *renew
                {
                    return Ok((header.clone(), "KEYPAIR_JWT"));
                }
                // A JWT minted again is never the string refused: RS256 with PKCS#1 v1.5 is
                // deterministic, so within one second it would be the same token.
                let mut iat = jiff::Timestamp::now().as_second();
                if let Some((_, _, last)) = cached.as_ref() {
                    iat = iat.max(last + 1);
                }
                let at = jiff::Timestamp::from_second(iat)
                    .map_err(|e| WarehouseError::Auth(e.to_string()))?;
                let jwt = mint(key, &self.account, &self.user, at).map_err(WarehouseError::Auth)?;
                let header = bearer_header(&jwt, &mut scrubber);
                *cached = Some((
                    header.clone(),
                    Instant::now() + JWT_LIFETIME - JWT_MARGIN,
                    iat,
                ));
                Ok((header, "KEYPAIR_JWT"))
            }
        }
    }

    /// Makes the next request mint a new JWT (the last `iat` is kept).
    fn forget_token(&self) {
        if let Ok(mut cached) = self.token.lock()
            && let Some(entry) = cached.as_mut()
        {
            entry.1 = Instant::now();
        }
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.root.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        url
    }
}

/// The handle was not known to the server any more.
struct Expired;

/// A Snowflake key-pair JWT for `account`.`user`, issued at `now`.
pub fn mint(
    key: &KeyPair,
    account: &str,
    user: &str,
    now: jiff::Timestamp,
) -> Result<SecretString, String> {
    let header = B64URL.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let qualified = format!("{account}.{user}");
    let iat = now.as_second();
    let claims = json!({
        "iss": format!("{qualified}.{}", key.fingerprint),
        "sub": qualified,
        "iat": iat,
        "exp": iat + JWT_LIFETIME.as_secs() as i64,
    });
    let input = format!("{header}.{}", B64URL.encode(claims.to_string()));
    let signature = key.sign_rs256(input.as_bytes())?;
    Ok(SecretString::from(format!(
        "{input}.{}",
        B64URL.encode(signature)
    )))
}
