//! BigQuery's REST API v2: one query job per statement, from Google's reference.
//!
//! - Authentication (Google's "Using OAuth 2.0 for Server to Server Applications"): a JWT
//!   signed RS256 with the service account's key (header `kid` = `private_key_id`; claims `iss`
//!   = `client_email`, `scope` = `bigquery.readonly`, `aud` = the key file's `token_uri`, `iat`,
//!   `exp` an hour later), posted form-encoded to `token_uri` with `grant_type` =
//!   `urn:ietf:params:oauth:grant-type:jwt-bearer`; the answer's `access_token` is sent as
//!   `Authorization: Bearer`, kept in memory for its `expires_in` less a margin, fetched again
//!   once when a request answers `401`. Assertion and token are registered with the scrubber.
//! - `jobs.query`: `POST /bigquery/v2/projects/{project}/queries` with `query`, `useLegacySql:
//!   false`, `parameterMode: NAMED` and `queryParameters` (`@p0`, `@p1`... as `STRING`s),
//!   `location`, `timeoutMs` (how long the request waits), `jobTimeoutMs` (the statement
//!   timeout), `maxResults` (rows per page) and a `requestId`, so a request sent again after a
//!   lost answer does not run the job twice.
//! - `jobComplete: false`: the job (`jobReference`) is polled with `jobs.getQueryResults`,
//!   `GET /bigquery/v2/projects/{project}/queries/{jobId}?location=...&timeoutMs=...`, for at
//!   most the statement timeout and a margin; a job the server no longer knows (`404`) has
//!   the statement submitted again, once. Further pages: the same call with `pageToken`.
//! - Rows are `rows[].f[].v`, every value a string or null (the statements read text).
//! - Errors are `{"error": {"code", "message", "errors": [{"reason"}]}}`: `400 invalidQuery`
//!   a SQL error; `401` the token; `403 accessDenied` a missing role (the detail names the
//!   two to grant); `403 rateLimitExceeded` / `quotaExceeded` rate limits, retried as a `429`
//!   is; `404 notFound` a dataset or table that is not there (the catalog of a dataset that is
//!   not there has no rows: a fact), or a job that expired; `500`/`503 backendError` retried.
//!   A job stopped at `jobTimeoutMs` is taken for a timeout by its reason `timeout` (inferred:
//!   the reference does not list the reason).

pub mod wire;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use super::http::Http;
use super::statements::{Row, Statement};
use super::{Net, WarehouseError};
use crate::client::retry::parse_retry_after;
use crate::credentials::AuditSource;
use crate::credentials::audit::rest::bigquery::BigQuery;
use crate::credentials::audit::rest::{KeyPair, RestAuth, bearer_header};
use wire::Failure;

/// How long one `jobs.query` or `jobs.getQueryResults` request waits for the job.
const WAIT: Duration = Duration::from_secs(10);
/// How much longer than the statement timeout a job is polled, at most (and at most the
/// statement timeout again: BigQuery stops the job itself at `jobTimeoutMs`).
const POLL_MARGIN: Duration = Duration::from_secs(30);
/// A cached token is fetched again this long before it expires (at most a quarter of its
/// life, so a short-lived token is not fetched for every request).
const TOKEN_MARGIN: Duration = Duration::from_secs(300);
/// The most pages of one statement's result (a server repeating itself is not followed).
const MAX_PAGES: usize = 100_000;

/// A client of one project's BigQuery.
pub struct Client {
    http: Http,
    root: Url,
    bq: BigQuery,
    key: KeyPair,
    statement_timeout: Duration,
    max_results: u32,
    /// The location jobs run in: as given, else the first job's.
    location: Mutex<Option<String>>,
    /// The access token in use and when to fetch another; the last assertion's `iat`.
    token: Mutex<(Option<(HeaderValue, Instant)>, i64)>,
}

/// The job was not known to the server any more.
struct Expired;

impl Client {
    /// A client for `source`, which must be a BigQuery source.
    pub fn new(source: &AuditSource, net: &Net) -> Result<Self, WarehouseError> {
        let settings = || WarehouseError::Query("the audit source has no BigQuery settings".into());
        let rest = source.rest.as_ref().ok_or_else(settings)?;
        let bq = rest.bigquery.clone().ok_or_else(settings)?;
        let RestAuth::KeyPair(key) = &rest.auth else {
            return Err(settings());
        };
        Ok(Self {
            http: Http::new(net)?,
            root: rest.url.clone(),
            location: Mutex::new(bq.location.clone()),
            bq,
            key: key.clone(),
            statement_timeout: source.statement_timeout,
            max_results: source.page_rows,
            token: Mutex::new((None, 0)),
        })
    }

    /// Limits each statement to `timeout`.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.statement_timeout = timeout;
    }

    /// Runs `statement`, handing each row of each page to `each`.
    pub async fn run(
        &self,
        statement: &Statement,
        each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
    ) -> Result<(), WarehouseError> {
        let tag = statement.tag;
        let mut resubmitted = false;
        loop {
            let mut body = self.submit(statement).await?;
            let job = body
                .pointer("/jobReference/jobId")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let Some(location) = body
                .pointer("/jobReference/location")
                .and_then(Value::as_str)
                && let Ok(mut known) = self.location.lock()
                && known.is_none()
            {
                *known = Some(location.to_owned());
            }
            if body.get("jobComplete") == Some(&Value::Bool(false)) {
                let job = job.as_deref().ok_or_else(|| {
                    WarehouseError::Query(format!("{tag}: an unfinished job without its id"))
                })?;
                body = match self.wait(job, tag).await {
                    Err(Expired) if !resubmitted => {
                        resubmitted = true;
                        continue;
                    }
                    Err(Expired) => {
                        return Err(WarehouseError::Query(format!(
                            "the job of {tag} expired twice while it was polled"
                        )));
                    }
                    Ok(result) => result?,
                };
            }
            return self.pages(body, job.as_deref(), tag, each).await;
        }
    }

    /// `jobs.query`; the catalog of a dataset that does not exist is an empty result.
    async fn submit(&self, statement: &Statement) -> Result<Value, WarehouseError> {
        let location = self.location();
        let mut body = wire::query_body(
            statement,
            location.as_deref(),
            duration_ms(WAIT.min(self.statement_timeout)),
            duration_ms(self.statement_timeout),
            self.max_results,
        );
        body["requestId"] = json!(request_id());
        let url = self.url(&["queries"]);
        let (status, bytes) = self
            .call(statement.tag, Method::POST, &url, Some(&body))
            .await?;
        if status == StatusCode::NOT_FOUND && statement.tag == "catalog" {
            return Ok(json!({"jobComplete": true, "rows": []}));
        }
        self.parse(status, &bytes, statement.tag)
    }

    /// Polls an unfinished job until it completes; `Err(Expired)` when the job is unknown.
    async fn wait(&self, job: &str, tag: &str) -> Result<Result<Value, WarehouseError>, Expired> {
        let limit = self.statement_timeout + POLL_MARGIN.min(self.statement_timeout);
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            if started.elapsed() > limit {
                return Ok(Err(WarehouseError::Timeout(format!(
                    "{tag} still running after {} s",
                    limit.as_secs()
                ))));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
            let url = self.results_url(job, None);
            let (status, bytes) = match self.call(tag, Method::GET, &url, None).await {
                Ok(answer) => answer,
                Err(e) => return Ok(Err(e)),
            };
            if status == StatusCode::NOT_FOUND {
                return Err(Expired);
            }
            match self.parse(status, &bytes, tag) {
                Ok(body) if body.get("jobComplete") == Some(&Value::Bool(false)) => {}
                other => return Ok(other),
            }
        }
    }

    /// Hands on the rows of a complete answer, then of each further page.
    async fn pages(
        &self,
        mut body: Value,
        job: Option<&str>,
        tag: &str,
        each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
    ) -> Result<(), WarehouseError> {
        let mut last: Option<String> = None;
        for page in 1..=MAX_PAGES {
            wire::hand_on(&mut body, tag, each)?;
            let Some(token) = body.get("pageToken").and_then(Value::as_str) else {
                return Ok(());
            };
            if last.as_deref() == Some(token) {
                return Err(WarehouseError::Query(format!(
                    "{tag}: the same page token twice (page {page})"
                )));
            }
            let job = job.ok_or_else(|| {
                WarehouseError::Query(format!("{tag}: a result in pages without a job id"))
            })?;
            let url = self.results_url(job, Some(token));
            last = Some(token.to_owned());
            let (status, bytes) = self.call(tag, Method::GET, &url, None).await?;
            if status == StatusCode::NOT_FOUND {
                return Err(WarehouseError::Dropped(format!(
                    "the result of {tag} expired before page {} was read",
                    page + 1
                )));
            }
            body = self.parse(status, &bytes, tag)?;
        }
        Err(WarehouseError::Query(format!(
            "{tag}: more than {MAX_PAGES} pages"
        )))
    }

    /// Sends a request with the access token through [`Http`] (429, 5xx and lost connections
    /// retried there): the token fetched again once on a `401`; a `403` that is a rate limit
    /// (`rateLimitExceeded`, `quotaExceeded`) paced as a 429 ([`Http::rate_limited`]) and sent
    /// again. The status and body of the first other answer.
    async fn call(
        &self,
        tag: &str,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Vec<u8>), WarehouseError> {
        let mut refreshed = false;
        let body = body.map(Value::to_string);
        loop {
            let auth = self.token(tag).await?;
            let sent_at = Instant::now();
            let response = self
                .http
                .send(tag, &mut |client, _| {
                    let mut request = client
                        .request(method.clone(), url.clone())
                        .header(ACCEPT, "application/json")
                        .header(AUTHORIZATION, auth.clone());
                    if let Some(body) = &body {
                        request = request
                            .header(CONTENT_TYPE, "application/json")
                            .body(body.clone());
                    }
                    Ok(request)
                })
                .await?;
            let wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
            let (status, bytes) = self.http.body(response, tag).await?;
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                // The token may have expired mid-run (or been revoked): fetch another, once.
                refreshed = true;
                self.forget_token();
                continue;
            }
            if status == StatusCode::FORBIDDEN && Failure::of(&bytes).is_rate_limit() {
                // A 429 in all but its status: the pause is the pace's, the wait the budget's.
                self.http.rate_limited(tag, sent_at, wait)?;
                continue;
            }
            return Ok((status, bytes));
        }
    }

    /// The JSON of a `200`, else what the error means.
    fn parse(&self, status: StatusCode, bytes: &[u8], tag: &str) -> Result<Value, WarehouseError> {
        if status == StatusCode::OK {
            // A 200 that is not JSON was cut short: read again, after the last row.
            return serde_json::from_slice(bytes).map_err(|_| {
                WarehouseError::Dropped(format!("the answer to {tag} was cut short"))
            });
        }
        let failure = Failure::of(bytes);
        let message = self.http.message(status, failure.text.as_deref());
        Err(match (status.as_u16(), failure.reason.as_str()) {
            (401, _) => WarehouseError::Auth(message),
            (403, _) => WarehouseError::Denied {
                object: tag.to_owned(),
                detail: format!(
                    "{message} (grant {} roles/bigquery.jobUser on project {} and roles/bigquery.dataViewer on the Platform Connector's dataset in project {})",
                    crate::text::printable(&self.bq.client_email),
                    crate::text::printable(&self.bq.project),
                    crate::text::printable(&self.bq.data_project),
                ),
            },
            (404, _) => WarehouseError::Missing(message),
            (_, "timeout") => WarehouseError::Timeout(format!("{message} (reading {tag})")),
            (500 | 502 | 503 | 504, _) => {
                WarehouseError::Unreachable(format!("{message}, after every retry (reading {tag})"))
            }
            _ => WarehouseError::Query(format!("{message} (reading {tag})")),
        })
    }

    /// The `Authorization` header: the cached access token, else one fetched now.
    async fn token(&self, tag: &str) -> Result<HeaderValue, WarehouseError> {
        let iat = {
            let cached = self
                .token
                .lock()
                .map_err(|_| WarehouseError::Query("the token cache is poisoned".into()))?;
            if let Some((header, renew)) = &cached.0
                && Instant::now() < *renew
            {
                return Ok(header.clone());
            }
            // An assertion made again is never the one refused: RS256 with PKCS#1 v1.5 is
            // deterministic, so within one second it would be the same.
            jiff::Timestamp::now().as_second().max(cached.1 + 1)
        };
        let assertion = wire::assertion(&self.key, &self.bq, iat).map_err(WarehouseError::Auth)?;
        self.http.scrubber().register(&assertion);
        let form = wire::token_form(&assertion);
        let endpoint = &self.bq.token_uri;
        let what = format!(
            "the token exchange with {}",
            endpoint.host_str().unwrap_or("")
        );
        let response = self
            .http
            .send(&what, &mut |client, _| {
                Ok(client
                    .post(endpoint.clone())
                    .header(ACCEPT, "application/json")
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form.to_string()))
            })
            .await?;
        let (status, bytes) = self.http.body(response, tag).await?;
        let bytes = zeroize::Zeroizing::new(bytes);
        if status != StatusCode::OK {
            let failure = Failure::of(&bytes);
            return Err(WarehouseError::Auth(format!(
                "{what} refused the service account's assertion: {}",
                self.http.message(status, failure.text.as_deref())
            )));
        }
        let mut answer: Value = serde_json::from_slice(&bytes)
            .map_err(|_| WarehouseError::Auth(format!("{what} answered no JSON")))?;
        let token = match answer.get_mut("access_token").map(Value::take) {
            Some(Value::String(t)) if !t.is_empty() => SecretString::from(t),
            _ => {
                return Err(WarehouseError::Auth(format!(
                    "{what} answered no access_token"
                )));
            }
        };
        let life = Duration::from_secs(
            answer
                .get("expires_in")
                .and_then(Value::as_u64)
                .unwrap_or(3600),
        );
        let header = bearer_header(&token, &mut self.http.scrubber());
        let renew = Instant::now() + life - TOKEN_MARGIN.min(life / 4);
        if let Ok(mut cached) = self.token.lock() {
            *cached = (Some((header.clone(), renew)), iat);
        }
        Ok(header)
    }

    /// Makes the next request fetch a new token (the last `iat` is kept).
    fn forget_token(&self) {
        if let Ok(mut cached) = self.token.lock() {
            cached.0 = None;
        }
    }

    fn location(&self) -> Option<String> {
        self.location.lock().ok().and_then(|l| l.clone())
    }

    /// `{root}/bigquery/v2/projects/{project}/` and `rest`, each part percent-encoded.
    fn url(&self, rest: &[&str]) -> Url {
        let mut url = self.root.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["bigquery", "v2", "projects", &self.bq.project])
                .extend(rest);
        }
        url
    }

    /// `jobs.getQueryResults` of `job`, at `page` when given.
    fn results_url(&self, job: &str, page: Option<&str>) -> Url {
        let mut url = self.url(&["queries", job]);
        {
            let mut query = url.query_pairs_mut();
            if let Some(l) = self.location() {
                query.append_pair("location", &l);
            }
            query
                .append_pair("timeoutMs", &duration_ms(WAIT).to_string())
                .append_pair("maxResults", &self.max_results.to_string());
            if let Some(p) = page {
                query.append_pair("pageToken", p);
            }
        }
        url
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A random request id (a version 4 UUID).
fn request_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
