//! A fake BigQuery REST API v2 and Google OAuth 2.0 token endpoint on loopback, written from
//! Google's references, serving a Platform Connector's dataset ([`Platform`]) for the
//! audit-trail tests.
//!
//! From the documentation ("Using OAuth 2.0 for Server to Server Applications", `jobs.query`,
//! `jobs.getQueryResults`, "Error messages"):
//! - `POST /token`, form-encoded, `grant_type` = `urn:ietf:params:oauth:grant-type:jwt-bearer`
//!   and `assertion`: a JWT whose header is `alg` RS256, `typ` JWT, `kid` the key's id, whose
//!   RS256 signature verifies against the service account's public key, and whose claims are
//!   exactly `iss` (the service account), `scope`, `aud` (this endpoint), `iat` and `exp` (at
//!   most an hour after `iat`, not past); answered `{"access_token", "expires_in",
//!   "token_type": "Bearer"}`, or `400` `{"error": "invalid_grant", "error_description"}`.
//! - `POST /bigquery/v2/projects/{project}/queries` (`query`, `useLegacySql`, `parameterMode`
//!   `NAMED`, `queryParameters` of `{name, parameterType: {type}, parameterValue: {value}}`,
//!   `location`, `timeoutMs`, `jobTimeoutMs`, `maxResults`, `requestId`), answered with a
//!   `QueryResponse`: `jobReference` (`projectId`, `jobId`, `location`), `jobComplete`, and
//!   when complete `schema`, `totalRows`, `rows` of `{"f": [{"v": ...}]}` and `pageToken`
//!   while rows remain. `GET /bigquery/v2/projects/{project}/queries/{jobId}` with `location`,
//!   `timeoutMs`, `maxResults` and `pageToken` polls the job and pages its rows.
//! - Errors as `{"error": {"code", "message", "errors": [{"reason", "message", "domain"}],
//!   "status"}}`: `400 invalidQuery`, `401` (`authError`), `403 accessDenied`,
//!   `403 rateLimitExceeded` / `quotaExceeded`, `404 notFound`, `500`/`503 backendError`.
//!
//! Inferred, not documented: the message texts; how many rows a page holds below
//! `maxResults` (the documentation only says a response is also limited in bytes: the fake
//! caps pages at [`Faults::page_rows`]); how long a job stays known (it expires when
//! [`Faults::expire_first_job`] says); that a `requestId` seen again answers the same job.
//! The statements are not run: see [`crate::platform::eval`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use serde_json::{Value, json};

mod token;

use crate::platform::eval::{self, Failure, Quote};
use crate::platform::{Answer, Loopback, json_answer, truncated};
pub use crate::platform::{Platform, Table};
use token::{authorized, exchange, form};

/// The scope the collector must ask for.
pub const SCOPE: &str = "https://www.googleapis.com/auth/bigquery.readonly";

/// Who may use the API, and where the dataset is.
#[derive(Debug, Clone)]
pub struct Login {
    /// The service account (`client_email`).
    pub client_email: String,
    /// The key's id (`private_key_id`, the JWT's `kid`).
    pub private_key_id: String,
    /// The service account's public key (SubjectPublicKeyInfo DER).
    pub public_key: Vec<u8>,
    /// The project jobs run in.
    pub project: String,
    /// The project holding the dataset.
    pub data_project: String,
    /// The location of the dataset (and so of the jobs).
    pub location: String,
}

/// Misbehaviour, each counted down as it is served.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// `expires_in` of each token issued (0: 3599 seconds); the token is refused after it.
    pub token_lifetime: u64,
    /// A token is refused (`401`) after this many requests with it.
    pub token_uses: Option<u32>,
    /// Jobs answer `jobComplete: false` this many times before their rows.
    pub incomplete_polls: u32,
    /// The first poll of the first job answers `404` (the job expired).
    pub expire_first_job: bool,
    /// Rows per page at most, whatever `maxResults` asks (0: `maxResults` alone).
    pub page_rows: usize,
    /// The next API requests answer with these statuses and reasons (`(403,
    /// "rateLimitExceeded")`, `(503, "backendError")`...).
    pub statuses: VecDeque<(u16, &'static str)>,
    /// Statements with this tag fail with `400 invalidQuery`.
    pub sql_error_on: Option<String>,
    /// Every statement answers `403 accessDenied`.
    pub forbidden: bool,
    /// The next `200` with rows is cut short.
    pub truncate_next: bool,
}

/// A request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `POST` or `GET`.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// The JSON body of a query.
    pub body: Option<Value>,
    /// The assertion's header and claims, at the token endpoint, when it verified.
    pub assertion: Option<(Value, Value)>,
    /// The bearer token sent, or the assertion posted (whole), to count distinct ones.
    pub token: String,
    /// The status answered.
    pub status: u16,
}

struct Job {
    rows: Vec<Vec<Option<String>>>,
    polls_left: u32,
    expire: bool,
}

struct Issued {
    until: Instant,
    uses: u32,
}

#[derive(Default)]
struct State {
    login: Option<Login>,
    platform: Platform,
    faults: Faults,
    jobs: HashMap<String, Job>,
    requests: HashMap<String, String>,
    tokens: HashMap<String, Issued>,
    next: u64,
    seen: Vec<Seen>,
}

/// The running fake.
pub struct FakeBigQuery {
    server: Loopback,
    state: Arc<Mutex<State>>,
}

impl FakeBigQuery {
    /// Starts it on 127.0.0.1 and a free port, on its own thread.
    pub fn start(login: Login, mut platform: Platform, faults: Faults) -> std::io::Result<Self> {
        eval::order(&mut platform);
        let state = Arc::new(Mutex::new(State {
            login: Some(login),
            platform,
            faults,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        let server = Loopback::start(
            "fake-bigquery",
            Arc::new(move |parts, body| handle(&shared, parts, body)),
        )?;
        Ok(Self { server, state })
    }

    /// The API root to give as the audit source's `url`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The token endpoint to write as the key file's `token_uri`.
    pub fn token_uri(&self) -> String {
        format!("{}/token", self.server.url())
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.state).seen.clone()
    }

    /// Changes the faults while it runs.
    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut lock(&self.state).faults);
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Google's error body.
fn failure(status: u16, reason: &str, message: &str) -> Answer {
    let code = match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        _ => "UNAVAILABLE",
    };
    json_answer(
        status,
        &json!({"error": {"code": status, "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": code}}),
    )
}

fn handle(state: &Mutex<State>, parts: &hyper::http::request::Parts, body: &Bytes) -> Answer {
    let mut state = lock(state);
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(String::new, |p| p.as_str().to_owned());
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let method = parts.method.to_string();
    let mut seen = Seen {
        method: method.clone(),
        target: target.clone(),
        body: None,
        assertion: None,
        token: String::new(),
        status: 0,
    };
    let answer = if method == "POST" && parts.uri.path() == "/token" {
        let form = form(body);
        seen.token = form.get("assertion").cloned().unwrap_or_default();
        let audience = format!("http://{}/token", header("host"));
        let (answer, checked) = exchange(&mut state, &header("content-type"), &audience, &form);
        seen.assertion = checked;
        answer
    } else {
        seen.token = header("authorization")
            .strip_prefix("Bearer ")
            .unwrap_or_default()
            .to_owned();
        seen.body = serde_json::from_slice(body).ok();
        match authorized(&mut state, &seen.token) {
            Err(message) => failure(401, "authError", &message),
            Ok(()) => route(&mut state, &method, &target, seen.body.as_ref()),
        }
    };
    seen.status = answer.status().as_u16();
    state.seen.push(seen);
    answer
}

fn route(state: &mut State, method: &str, target: &str, body: Option<&Value>) -> Answer {
    if let Some((status, reason)) = state.faults.statuses.pop_front() {
        let message = match reason {
            "rateLimitExceeded" => {
                "Exceeded rate limits: too many api requests per user per method for this user_method."
            }
            "quotaExceeded" => {
                "Quota exceeded: Your project exceeded quota for concurrent queries."
            }
            _ => "Error encountered during execution. Retrying may solve the problem.",
        };
        return failure(status, reason, message);
    }
    let Some(login) = state.login.clone() else {
        return failure(500, "internalError", "no login");
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let jobs = format!("/bigquery/v2/projects/{}/queries", login.project);
    if state.faults.forbidden {
        return failure(
            403,
            "accessDenied",
            &format!(
                "Access Denied: Project {}: User does not have bigquery.jobs.create permission in project {}.",
                login.project, login.project
            ),
        );
    }
    match method {
        "POST" if path == jobs => submit(state, &login, body),
        "GET" if path.starts_with(&format!("{jobs}/")) => {
            let job = path[jobs.len() + 1..].to_owned();
            let params: HashMap<&str, String> = query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| {
                    (
                        k,
                        percent_encoding::percent_decode_str(v)
                            .decode_utf8_lossy()
                            .into_owned(),
                    )
                })
                .collect();
            if params.get("location").is_some_and(|l| *l != login.location) {
                return failure(
                    404,
                    "notFound",
                    &format!("Not found: Job {}:{job}", login.project),
                );
            }
            results(state, &login, &job, &params)
        }
        _ => failure(404, "notFound", "Not found: URL"),
    }
}

fn submit(state: &mut State, login: &Login, body: Option<&Value>) -> Answer {
    let invalid = |m: &str| failure(400, "invalid", m);
    let Some(body) = body else {
        return invalid("Invalid JSON payload received.");
    };
    if body["useLegacySql"] != false || body["parameterMode"] != "NAMED" {
        return invalid("Named parameters are not supported in legacy SQL.");
    }
    if body
        .get("location")
        .is_some_and(|l| *l != login.location.as_str())
    {
        return failure(
            404,
            "notFound",
            &format!(
                "Not found: Dataset {}:{} was not found in location {}",
                login.data_project,
                state.platform.schema,
                body["location"].as_str().unwrap_or_default()
            ),
        );
    }
    if !body["jobTimeoutMs"].is_string() || body["maxResults"].as_u64().is_none() {
        return invalid("Invalid jobTimeoutMs or maxResults.");
    }
    if let Some(id) = body["requestId"].as_str()
        && let Some(job) = state.requests.get(id).cloned()
    {
        return first_answer(state, login, &job, body["maxResults"].as_u64());
    }
    let query = body["query"].as_str().unwrap_or_default();
    let mut bindings = Vec::new();
    for (i, p) in body["queryParameters"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if p["name"] != format!("p{i}").as_str() || p["parameterType"] != json!({"type": "STRING"})
        {
            return failure(
                400,
                "invalidQuery",
                "Query parameter is not of the expected form.",
            );
        }
        bindings.push(
            p["parameterValue"]["value"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let markers = query.matches("@p").count();
    if markers != bindings.len() || (0..bindings.len()).any(|i| !query.contains(&format!("@p{i}")))
    {
        return failure(400, "invalidQuery", "Query parameter not found.");
    }
    let dataset = format!("`{}`.`{}`.", login.data_project, state.platform.schema);
    if !query.contains(&dataset) {
        return failure(
            404,
            "notFound",
            &format!(
                "Not found: Dataset {}:{} was not found in location {}",
                login.data_project, state.platform.schema, login.location
            ),
        );
    }
    let tag_failed = state
        .faults
        .sql_error_on
        .as_deref()
        .is_some_and(|t| query.starts_with(&format!("/* iru-fivetran {t} */")));
    if tag_failed {
        return failure(
            400,
            "invalidQuery",
            "Unrecognized name: message_data at [1:120]",
        );
    }
    // The shared evaluation knows a table by `dataset`.`table`: the project before it was
    // checked above.
    let local = query.replace(&format!("`{}`.", login.data_project), "");
    let rows = match eval::eval(&state.platform, &local, &bindings, Quote::Backtick) {
        eval::Outcome::Rows(rows) => rows,
        eval::Outcome::Failed(Failure::Missing) => {
            return failure(
                404,
                "notFound",
                &format!(
                    "Not found: Table {}:{} was not found in location {}",
                    login.data_project, state.platform.schema, login.location
                ),
            );
        }
        eval::Outcome::Failed(Failure::Syntax(message)) => {
            return failure(400, "invalidQuery", &format!("Syntax error: {message}"));
        }
        eval::Outcome::Failed(Failure::Binding) => {
            return failure(
                400,
                "invalidQuery",
                "Could not cast literal to type TIMESTAMP",
            );
        }
    };
    state.next += 1;
    let job = format!("job_iru{:08x}", state.next);
    let expire = std::mem::take(&mut state.faults.expire_first_job);
    state.jobs.insert(
        job.clone(),
        Job {
            rows,
            polls_left: state.faults.incomplete_polls,
            expire,
        },
    );
    if let Some(id) = body["requestId"].as_str() {
        state.requests.insert(id.to_owned(), job.clone());
    }
    first_answer(state, login, &job, body["maxResults"].as_u64())
}

fn reference(login: &Login, job: &str) -> Value {
    json!({"projectId": login.project, "jobId": job, "location": login.location})
}

/// What `jobs.query` answers for a job: not complete yet, or its first page.
fn first_answer(state: &mut State, login: &Login, job: &str, max: Option<u64>) -> Answer {
    let running = state.jobs.get(job).is_some_and(|j| j.polls_left > 0);
    if running {
        return json_answer(
            200,
            &json!({"kind": "bigquery#queryResponse", "jobReference": reference(login, job), "jobComplete": false}),
        );
    }
    page(state, login, job, 0, max, "bigquery#queryResponse")
}

fn results(state: &mut State, login: &Login, job: &str, params: &HashMap<&str, String>) -> Answer {
    let gone = || {
        failure(
            404,
            "notFound",
            &format!("Not found: Job {}:{}.{job}", login.project, login.location),
        )
    };
    let Some(j) = state.jobs.get_mut(job) else {
        return gone();
    };
    if j.expire {
        state.jobs.remove(job);
        return gone();
    }
    if j.polls_left > 0 {
        j.polls_left -= 1;
        if j.polls_left > 0 {
            return json_answer(
                200,
                &json!({"kind": "bigquery#getQueryResultsResponse", "jobReference": reference(login, job), "jobComplete": false}),
            );
        }
    }
    let start = match params.get("pageToken") {
        None => 0,
        Some(t) => match t
            .strip_prefix(&format!("{job}:"))
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => return failure(400, "invalid", "Invalid page token."),
        },
    };
    let max = params.get("maxResults").and_then(|m| m.parse().ok());
    page(
        state,
        login,
        job,
        start,
        max,
        "bigquery#getQueryResultsResponse",
    )
}

/// The rows of `job` from `start`, at most `max` (and [`Faults::page_rows`]).
fn page(
    state: &mut State,
    login: &Login,
    job: &str,
    start: usize,
    max: Option<u64>,
    kind: &str,
) -> Answer {
    let cap = state.faults.page_rows;
    let Some(j) = state.jobs.get(job) else {
        return failure(404, "notFound", "Not found: Job");
    };
    let mut size = max.map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
    if cap > 0 {
        size = size.min(cap);
    }
    let end = start.saturating_add(size.max(1)).min(j.rows.len());
    let rows: Vec<Value> = j
        .rows
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|r| json!({"f": r.iter().map(|v| json!({"v": v})).collect::<Vec<_>>()}))
        .collect();
    let width = j.rows.first().map_or(0, Vec::len);
    let fields: Vec<Value> = (0..width)
        .map(|i| json!({"name": format!("f{i}_"), "type": "STRING", "mode": "NULLABLE"}))
        .collect();
    let mut body = json!({
        "kind": kind,
        "schema": {"fields": fields},
        "jobReference": reference(login, job),
        "totalRows": j.rows.len().to_string(),
        "rows": rows,
        "totalBytesProcessed": "0",
        "jobComplete": true,
        "cacheHit": false,
    });
    if end < j.rows.len() {
        body["pageToken"] = json!(format!("{job}:{end}"));
    }
    if !rows.is_empty() && std::mem::take(&mut state.faults.truncate_next) {
        return truncated(&body);
    }
    json_answer(200, &body)
}
