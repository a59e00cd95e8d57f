//! A fake Databricks workspace on loopback: the SQL Statement Execution API 2.0 and the OAuth
//! token endpoint, written from Databricks' reference, serving a Platform Connector's tables
//! ([`Platform`]) for the audit-trail tests.
//!
//! From the reference (docs.databricks.com, "Statement Execution", "Authorize service
//! principal access with OAuth", "Errors"): `POST /api/2.0/sql/statements` with
//! `warehouse_id`, `statement`, `catalog`, `schema`, `parameters` (`name`, `value`, `type`;
//! `:name` in the text, a marker without a value failing `UNBOUND_SQL_PARAMETER`),
//! `wait_timeout` (`0s` or `5s` to `50s`), `on_wait_timeout` (`CONTINUE`, `CANCEL`),
//! `disposition` (`INLINE` only with `format` `JSON_ARRAY`); a `StatementResponse` with
//! `statement_id`, `status.state` (`PENDING`, `RUNNING`, `SUCCEEDED`, `FAILED` with
//! `status.error`, `CANCELED`, `CLOSED`: the result no longer available), `manifest` and
//! `result` (`data_array` of string-or-null values, `chunk_index`, `row_offset`, `row_count`,
//! `next_chunk_index`, `next_chunk_internal_link`: a path to join to the workspace); a failed
//! statement answers `200` with `FAILED`, not an HTTP error; `GET /api/2.0/sql/statements/{id}`
//! to poll, `GET .../result/chunks/{n}` for a chunk (its `ResultData`), `POST .../cancel`; a
//! statement in a terminal state is removed after 12 hours and then answers `404`; every HTTP
//! error is `{"error_code", "message"}` with the status. The codes per status (`400`
//! `INVALID_PARAMETER_VALUE`/`BAD_REQUEST`, `403` `PERMISSION_DENIED`, `404`
//! `RESOURCE_DOES_NOT_EXIST`, `429` `TOO_MANY_REQUESTS`, `503` `TEMPORARILY_UNAVAILABLE`) are
//! those of the SDKs' error classes, not a table of the reference.
//! `Authorization: Bearer` is checked exactly: the personal access token, or an access token
//! this fake issued and that has not expired. `POST /oidc/v1/token` takes
//! `grant_type=client_credentials&scope=all-apis`, form-encoded, with the client id and secret
//! by HTTP Basic, and answers `access_token`, `token_type` `Bearer`, `expires_in`, `scope`.
//!
//! Inferred, not documented: the `error_code` of a `FAILED` SQL error (`BAD_REQUEST`, the
//! error class in brackets at the start of its `message`, as `[TABLE_OR_VIEW_NOT_FOUND]`), the
//! message texts, the body of a `401` (`UNAUTHENTICATED`) and of the token endpoint's refusals
//! (OAuth's `invalid_client`, RFC 6749), the statement id's shape, and chunk sizes (the fake
//! splits by row count, [`Faults::chunk_rows`]). Tokens issued live [`Login::token_seconds`]
//! (an hour at Databricks). The statements are not run: see [`crate::platform::eval`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::platform::eval::{self, Failure, Quote};
use crate::platform::{Answer, Loopback, json_answer, truncated};
pub use crate::platform::{Platform, Table};

/// Who may use the workspace, and where the tables are.
#[derive(Debug, Clone, Default)]
pub struct Login {
    /// A personal access token.
    pub token: Option<String>,
    /// A service principal's OAuth client id and secret.
    pub client: Option<(String, String)>,
    /// How long an issued access token lives (`expires_in`).
    pub token_seconds: u64,
    /// The SQL warehouse's id.
    pub warehouse_id: String,
    /// The catalog holding [`Platform::schema`].
    pub catalog: String,
}

/// Misbehaviour, each counted down as it is served.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Statements answer `PENDING`, then `RUNNING`, for this many polls before their result.
    pub pending_polls: u32,
    /// Rows per chunk (0: one chunk).
    pub chunk_rows: usize,
    /// The next statement polled answers `CLOSED` (its result expired).
    pub close_next: bool,
    /// The next poll answers `404` (the statement is no longer known).
    pub forget_next: bool,
    /// The next chunk asked for answers `404`.
    pub expire_next_chunk: bool,
    /// The next requests answer with these statuses (`429`, `503`...), `Retry-After: 0`.
    pub statuses: VecDeque<u16>,
    /// Statements with this tag fail with a SQL error (`FAILED`).
    pub fail_on: Option<String>,
    /// Statements with this tag fail as a table that is not there (`TABLE_OR_VIEW_NOT_FOUND`).
    pub missing_on: Option<String>,
    /// Every statement answers `403` `PERMISSION_DENIED`.
    pub forbidden: bool,
    /// An issued access token is refused (`401`) after this many requests with it.
    pub token_uses: Option<u32>,
    /// The next answer holding rows is cut short.
    pub truncate_next: bool,
}

/// A request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `POST` or `GET`.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// The body (JSON, or the token endpoint's form).
    pub body: String,
    /// The bearer token (whole), to count distinct ones; empty for the token endpoint.
    pub token: String,
    /// The status answered.
    pub status: u16,
    /// The statement's state answered, if any.
    pub state: Option<String>,
}

struct Statement {
    rows: Vec<Vec<Option<String>>>,
    polls_left: u32,
    closed: bool,
}

#[derive(Default)]
struct State {
    login: Login,
    platform: Platform,
    faults: Faults,
    statements: HashMap<String, Statement>,
    /// Issued access tokens: when each expires, and its uses.
    issued: HashMap<String, (Instant, u32)>,
    next: u64,
    seen: Vec<Seen>,
}

/// The running fake.
pub struct FakeDatabricks {
    server: Loopback,
    state: Arc<Mutex<State>>,
}

impl FakeDatabricks {
    /// Starts it on 127.0.0.1 and a free port, on its own thread.
    pub fn start(login: Login, mut platform: Platform, faults: Faults) -> std::io::Result<Self> {
        eval::order(&mut platform);
        let state = Arc::new(Mutex::new(State {
            login,
            platform,
            faults,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        let server = Loopback::start(
            "fake-databricks",
            Arc::new(move |parts, body| handle(&shared, parts, body)),
        )?;
        Ok(Self { server, state })
    }

    /// The workspace URL to give as the audit source's `host`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.state).seen.clone()
    }

    /// Every access token issued so far.
    pub fn issued(&self) -> Vec<String> {
        lock(&self.state).issued.keys().cloned().collect()
    }

    /// Changes the faults while it runs.
    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut lock(&self.state).faults);
    }
}

/// Where an answer carries its statement's state from the route to [`Seen`].
const STATE_HEADER: &str = "x-fake-state";

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    json_answer(status, &json!({"error_code": code, "message": message}))
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
    let text = String::from_utf8_lossy(body).into_owned();
    let method = parts.method.as_str();
    let mut token = String::new();
    let mut answer = if (method, parts.uri.path()) == ("POST", "/oidc/v1/token") {
        issue(
            &mut state,
            &header("authorization"),
            &header("content-type"),
            &text,
        )
    } else {
        token = header("authorization")
            .strip_prefix("Bearer ")
            .unwrap_or_default()
            .to_owned();
        match authenticate(&mut state, &token) {
            Err(message) => error(401, "UNAUTHENTICATED", message),
            Ok(()) => route(&mut state, method, &target, &text),
        }
    };
    let status = answer.status().as_u16();
    // The state is noted for the tests, then taken off: Databricks sends no such header.
    let state_answered = answer
        .headers_mut()
        .remove(STATE_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_owned));
    state.seen.push(Seen {
        method: method.to_owned(),
        target,
        body: text,
        token,
        status,
        state: state_answered,
    });
    answer
}

/// The token endpoint: the client checked by HTTP Basic, the grant and scope by the form.
fn issue(state: &mut State, authorization: &str, content_type: &str, form: &str) -> Answer {
    let oauth = |status: u16, error: &str, description: &str| {
        json_answer(
            status,
            &json!({"error": error, "error_description": description}),
        )
    };
    let Some((id, secret)) = state.login.client.clone() else {
        return oauth(401, "invalid_client", "Client authentication failed");
    };
    let expected = format!("Basic {}", BASE64.encode(format!("{id}:{secret}")));
    if authorization != expected {
        return oauth(401, "invalid_client", "Client authentication failed");
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return oauth(400, "invalid_request", "Unsupported content type");
    }
    let mut fields: Vec<(&str, &str)> = form
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    fields.sort_unstable();
    if fields != [("grant_type", "client_credentials"), ("scope", "all-apis")] {
        return oauth(
            400,
            "invalid_request",
            "Expected grant_type=client_credentials and scope=all-apis",
        );
    }
    state.next += 1;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let token = format!("eyJfake.{:08x}.{nanos:x}", state.next);
    let life = state.login.token_seconds;
    state.issued.insert(
        token.clone(),
        (Instant::now() + Duration::from_secs(life), 0),
    );
    json_answer(
        200,
        &json!({"access_token": token, "token_type": "Bearer", "expires_in": life, "scope": "all-apis"}),
    )
}

fn authenticate(state: &mut State, token: &str) -> Result<(), &'static str> {
    if token.is_empty() {
        return Err("Credential was not sent or was of an unsupported type for this API.");
    }
    if state.login.token.as_deref() == Some(token) {
        return Ok(());
    }
    let limit = state.faults.token_uses;
    let Some((expires, uses)) = state.issued.get_mut(token) else {
        return Err("Invalid access token.");
    };
    *uses += 1;
    if Instant::now() >= *expires || limit.is_some_and(|n| *uses > n) {
        return Err("Token expired.");
    }
    Ok(())
}

fn route(state: &mut State, method: &str, target: &str, body: &str) -> Answer {
    if let Some(status) = state.faults.statuses.pop_front() {
        let code = match status {
            429 => "TOO_MANY_REQUESTS",
            503 => "TEMPORARILY_UNAVAILABLE",
            400 => "BAD_REQUEST",
            _ => "INTERNAL_ERROR",
        };
        return error(status, code, "The service is busy, retry later.");
    }
    if state.faults.forbidden {
        return error(
            403,
            "PERMISSION_DENIED",
            "User does not have CAN USE on warehouse.",
        );
    }
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let rest = path.strip_prefix("/api/2.0/sql/statements");
    let parts: Vec<&str> = rest
        .map(|r| r.split('/').filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    match (method, rest.is_some(), parts.as_slice()) {
        ("POST", true, []) => submit(state, body),
        ("GET", true, [id]) => poll(state, id),
        ("GET", true, [id, "result", "chunks", n]) => match n.parse::<usize>() {
            Ok(n) => chunk(state, id, n),
            Err(_) => error(400, "INVALID_PARAMETER_VALUE", "Invalid chunk index."),
        },
        ("POST", true, [id, "cancel"]) => {
            if state.statements.remove(*id).is_some() {
                json_answer(200, &json!({}))
            } else {
                error(404, "RESOURCE_DOES_NOT_EXIST", "Statement not found.")
            }
        }
        _ => error(404, "ENDPOINT_NOT_FOUND", "No API found for this path."),
    }
}

fn with_state(answer: Answer, state: &str) -> Answer {
    let mut answer = answer;
    if let Ok(v) = hyper::header::HeaderValue::from_str(state) {
        answer.headers_mut().insert(STATE_HEADER, v);
    }
    answer
}

fn status_answer(id: &str, state: &str, error: Option<(&str, String)>) -> Answer {
    let mut status = json!({"state": state});
    if let Some((code, message)) = error {
        status["error"] = json!({"error_code": code, "message": message});
    }
    with_state(
        json_answer(200, &json!({"statement_id": id, "status": status})),
        state,
    )
}

fn submit(state: &mut State, body: &str) -> Answer {
    let bad = |m: &str| error(400, "INVALID_PARAMETER_VALUE", m);
    let Ok(body) = serde_json::from_str::<Value>(body) else {
        return error(400, "MALFORMED_REQUEST", "Could not parse request object.");
    };
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    if field("warehouse_id") != state.login.warehouse_id {
        return bad("Warehouse is not found or the caller may not see it.");
    }
    let wait = field("wait_timeout");
    let seconds = wait.strip_suffix('s').and_then(|n| n.parse::<u32>().ok());
    if !seconds.is_some_and(|s| s == 0 || (5..=50).contains(&s)) {
        return bad("wait_timeout must be 0s or between 5s and 50s.");
    }
    if !matches!(field("on_wait_timeout"), "CONTINUE" | "CANCEL") {
        return bad("on_wait_timeout must be CONTINUE or CANCEL.");
    }
    if field("disposition") != "INLINE" || field("format") != "JSON_ARRAY" {
        return bad("This fake serves disposition INLINE with format JSON_ARRAY only.");
    }
    state.next += 1;
    let id = format!(
        "01ef{:04x}-0000-1a2b-9c8d-{:012x}",
        state.next % 0xffff,
        state.next
    );
    let statement = field("statement");
    let tagged = |t: &Option<String>| {
        t.as_deref()
            .is_some_and(|t| statement.starts_with(&format!("/* iru-fivetran {t} */")))
    };
    if field("catalog") != state.login.catalog {
        let message = format!(
            "[NO_SUCH_CATALOG_EXCEPTION] Catalog '{}' was not found.",
            field("catalog")
        );
        return status_answer(&id, "FAILED", Some(("BAD_REQUEST", message)));
    }
    let bindings = match bindings(statement, body.get("parameters")) {
        Ok(b) => b,
        Err(message) => return status_answer(&id, "FAILED", Some(("BAD_REQUEST", message))),
    };
    if tagged(&state.faults.fail_on) {
        let message = "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `message_data` cannot be resolved. SQLSTATE: 42703".to_owned();
        return status_answer(&id, "FAILED", Some(("BAD_REQUEST", message)));
    }
    let outcome = if tagged(&state.faults.missing_on) {
        eval::Outcome::Failed(Failure::Missing)
    } else {
        eval::eval(&state.platform, statement, &bindings, Quote::Backtick)
    };
    let rows = match outcome {
        eval::Outcome::Rows(rows) => rows,
        eval::Outcome::Failed(failure) => {
            let message = match failure {
                Failure::Syntax(what) => format!("[PARSE_SYNTAX_ERROR] Syntax error: {what}. SQLSTATE: 42601"),
                Failure::Missing => "[TABLE_OR_VIEW_NOT_FOUND] The table or view cannot be found. Verify the spelling and correctness of the schema and catalog. SQLSTATE: 42P01".to_owned(),
                Failure::Binding => "[INVALID_TYPED_LITERAL] The value of the typed literal is invalid. SQLSTATE: 42604".to_owned(),
            };
            return status_answer(&id, "FAILED", Some(("BAD_REQUEST", message)));
        }
    };
    let polls = state.faults.pending_polls;
    state.statements.insert(
        id.clone(),
        Statement {
            rows,
            polls_left: polls,
            closed: false,
        },
    );
    if polls > 0 {
        return status_answer(&id, "PENDING", None);
    }
    result(state, &id, 0)
}

/// The values of `parameters` in marker order (`:p1`, `:p2`...); every marker of the text
/// must have one, of type `STRING`.
fn bindings(statement: &str, parameters: Option<&Value>) -> Result<Vec<String>, String> {
    let mut given: HashMap<String, String> = HashMap::new();
    for p in parameters.and_then(Value::as_array).into_iter().flatten() {
        let (Some(name), Some(value)) = (p["name"].as_str(), p["value"].as_str()) else {
            return Err("[INVALID_PARAMETER] A parameter has no name or value.".into());
        };
        if p["type"].as_str().unwrap_or("STRING") != "STRING" {
            return Err("[INVALID_PARAMETER] This fake binds STRING parameters only.".into());
        }
        given.insert(name.to_owned(), value.to_owned());
    }
    let mut names = markers(statement);
    names.sort_by_key(|n| {
        n.trim_start_matches('p')
            .parse::<usize>()
            .unwrap_or(usize::MAX)
    });
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            given.get(&n).cloned().ok_or_else(|| {
                format!("[UNBOUND_SQL_PARAMETER] Found the unbound parameter: {n}. SQLSTATE: 42P02")
            })
        })
        .collect()
}

/// The named markers of `text` (`:name` outside string literals and quoted identifiers).
fn markers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut names = Vec::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(_) if c == '\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '`' => quote = Some(c),
            None if c == ':' => {
                let name: String = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .collect();
                if !name.is_empty() {
                    i += name.len();
                    names.push(name);
                }
            }
            None => {}
        }
        i += 1;
    }
    names
}

fn poll(state: &mut State, id: &str) -> Answer {
    if std::mem::take(&mut state.faults.forget_next) {
        state.statements.remove(id);
    }
    let close = std::mem::take(&mut state.faults.close_next);
    let Some(s) = state.statements.get_mut(id) else {
        return error(404, "RESOURCE_DOES_NOT_EXIST", "Statement not found.");
    };
    if close {
        s.closed = true;
    }
    if s.closed {
        return status_answer(id, "CLOSED", None);
    }
    if s.polls_left > 0 {
        s.polls_left -= 1;
        if s.polls_left > 0 {
            return status_answer(id, "RUNNING", None);
        }
    }
    result(state, id, 0)
}

/// The chunks of a statement's rows.
fn chunks(rows: &[Vec<Option<String>>], size: usize) -> Vec<&[Vec<Option<String>>]> {
    if size == 0 || rows.is_empty() {
        vec![rows]
    } else {
        rows.chunks(size).collect()
    }
}

/// Chunk `n` as `ResultData`.
fn result_data(id: &str, rows: &[Vec<Option<String>>], size: usize, n: usize) -> Option<Value> {
    let all = chunks(rows, size);
    let chunk = all.get(n)?;
    let mut data = json!({
        "chunk_index": n,
        "row_offset": all[..n].iter().map(|c| c.len()).sum::<usize>(),
        "row_count": chunk.len(),
        "data_array": chunk,
    });
    if n + 1 < all.len() {
        data["next_chunk_index"] = json!(n + 1);
        data["next_chunk_internal_link"] = json!(format!(
            "/api/2.0/sql/statements/{id}/result/chunks/{}",
            n + 1
        ));
    }
    Some(data)
}

/// A succeeded statement with its first chunk.
fn result(state: &mut State, id: &str, n: usize) -> Answer {
    let size = state.faults.chunk_rows;
    let Some(s) = state.statements.get(id) else {
        return error(404, "RESOURCE_DOES_NOT_EXIST", "Statement not found.");
    };
    let columns = s.rows.first().map_or(0, Vec::len);
    let chunk_count = chunks(&s.rows, size).len();
    let Some(data) = result_data(id, &s.rows, size, n) else {
        return error(400, "INVALID_PARAMETER_VALUE", "Chunk index out of range.");
    };
    let body = json!({
        "statement_id": id,
        "status": {"state": "SUCCEEDED"},
        "manifest": {
            "format": "JSON_ARRAY",
            "schema": {"column_count": columns},
            "total_chunk_count": chunk_count,
            "total_row_count": s.rows.len(),
            "truncated": false,
        },
        "result": data,
    });
    if std::mem::take(&mut state.faults.truncate_next) {
        return truncated(&body);
    }
    with_state(json_answer(200, &body), "SUCCEEDED")
}

fn chunk(state: &mut State, id: &str, n: usize) -> Answer {
    if std::mem::take(&mut state.faults.expire_next_chunk) {
        state.statements.remove(id);
    }
    let size = state.faults.chunk_rows;
    let Some(s) = state.statements.get(id) else {
        return error(404, "RESOURCE_DOES_NOT_EXIST", "Statement not found.");
    };
    if s.closed {
        return error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "The result is no longer available.",
        );
    }
    match result_data(id, &s.rows, size, n) {
        Some(data) if std::mem::take(&mut state.faults.truncate_next) => truncated(&data),
        Some(data) => json_answer(200, &data),
        None => error(400, "INVALID_PARAMETER_VALUE", "Chunk index out of range."),
    }
}
