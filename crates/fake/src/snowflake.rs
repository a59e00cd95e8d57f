//! A fake Snowflake SQL API v2 on loopback, written from Snowflake's API reference, serving a
//! Platform Connector's tables ([`Platform`]) for the audit-trail tests.
//!
//! From the reference: `POST /api/v2/statements` (`statement`, `timeout`, `database`,
//! `warehouse`, `role`, `bindings` of `{"type", "value"}` numbered from `"1"`, `requestId` and
//! `retry` in the query); `200` with a `ResultSet` (`resultSetMetaData.partitionInfo`,
//! `data` of string-or-null values, `statementHandle`, `code` `090001`); `202` with a
//! `QueryStatus` (`code` `333334`, `statementHandle`, `statementStatusUrl`) polled with
//! `GET /api/v2/statements/{handle}`; further partitions with `?partition=N`; `422` with a
//! `QueryFailureStatus` (`code`, `sqlState`, `message`); `401`, `403`, `404`, `429`, `503`.
//! Authentication is checked exactly: `X-Snowflake-Authorization-Token-Type` `KEYPAIR_JWT`
//! with a JWT whose RS256 signature verifies against the user's public key and whose claims
//! are `iss` = `ACCOUNT.USER.SHA256:<base64 sha256 of the public key's DER>`, `sub` =
//! `ACCOUNT.USER`, `exp` at most an hour after `iat` and not past; or
//! `PROGRAMMATIC_ACCESS_TOKEN` with the token given. A `User-Agent` is required.
//!
//! Inferred, not documented: the exact `code` of each failure besides `002003` (an object that
//! does not exist or is not authorized) and the message texts; partition sizes (the fake splits
//! by row count, [`Faults::partition_rows`]). The statements are not run: see
//! [`crate::platform::eval`], shared with the fake Databricks.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as B64URL};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::platform::eval::{self, Failure, Quote};
use crate::platform::{Answer, Loopback, json_answer, truncated};
pub use crate::platform::{Platform, Table};

/// Who may use the API.
#[derive(Debug, Clone)]
pub struct Login {
    /// The account as JWTs name it (`ACME-PROD`).
    pub account: String,
    /// The user, upper case.
    pub user: String,
    /// The user's public key (SubjectPublicKeyInfo DER), for key-pair JWTs.
    pub public_key: Option<Vec<u8>>,
    /// A programmatic access token.
    pub token: Option<String>,
}

/// Misbehaviour, each counted down as it is served.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Statements answer `202` and need this many polls before their result.
    pub async_polls: u32,
    /// Rows per partition (0: one partition).
    pub partition_rows: usize,
    /// The first poll of a handle answers `404` (the handle expired).
    pub expire_first_handle: bool,
    /// The next requests answer with these statuses (`429`, `503`...), `Retry-After: 0`.
    pub statuses: VecDeque<u16>,
    /// The `Retry-After` of those statuses, in seconds, instead of 0.
    pub retry_after: Option<u64>,
    /// Statements with this tag fail with a SQL error (`422`).
    pub sql_error_on: Option<String>,
    /// Every statement answers `403`.
    pub forbidden: bool,
    /// A JWT is refused (`401`, expired) after this many requests with it.
    pub jwt_uses: Option<u32>,
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
    /// The JSON body of a `POST`.
    pub body: Option<Value>,
    /// The JWT's claims, when one was sent and verified.
    pub claims: Option<Value>,
    /// The token (whole), to count distinct ones.
    pub token: String,
    /// The status answered.
    pub status: u16,
}

struct Handle {
    rows: Vec<Vec<Option<String>>>,
    polls_left: u32,
    expire: bool,
}

#[derive(Default)]
struct State {
    login: Option<Login>,
    platform: Platform,
    faults: Faults,
    handles: HashMap<String, Handle>,
    next: u64,
    uses: HashMap<String, u32>,
    seen: Vec<Seen>,
}

/// The running fake.
pub struct FakeSnowflake {
    server: Loopback,
    state: Arc<Mutex<State>>,
}

impl FakeSnowflake {
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
            "fake-snowflake",
            Arc::new(move |parts, body| handle(&shared, parts, body)),
        )?;
        Ok(Self { server, state })
    }

    /// The API root to give as the audit source's `url`.
    pub fn url(&self) -> String {
        self.server.url()
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

fn failure(status: u16, code: &str, message: &str) -> Answer {
    json_answer(status, &json!({"code": code, "message": message}))
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
    let token = header("authorization")
        .strip_prefix("Bearer ")
        .unwrap_or_default()
        .to_owned();
    let body_json: Option<Value> = serde_json::from_slice(body).ok();
    let (answer, claims) = if header("user-agent").is_empty() {
        (
            failure(400, "391903", "User-Agent header is required."),
            None,
        )
    } else {
        match authenticate(
            &state,
            &header("x-snowflake-authorization-token-type"),
            &token,
        ) {
            Err(message) => (failure(401, "390144", &message), None),
            Ok(claims) => {
                let uses = state.uses.entry(token.clone()).or_default();
                *uses += 1;
                let used = *uses;
                if claims.is_some() && state.faults.jwt_uses.is_some_and(|n| used > n) {
                    (failure(401, "390318", "JWT token has expired."), claims)
                } else {
                    (
                        route(
                            &mut state,
                            parts.method.as_str(),
                            &target,
                            body_json.as_ref(),
                        ),
                        claims,
                    )
                }
            }
        }
    };
    let status = answer.status().as_u16();
    state.seen.push(Seen {
        method: parts.method.to_string(),
        target,
        body: body_json,
        claims,
        token,
        status,
    });
    answer
}

/// Checks the token; the JWT's claims when it was one.
fn authenticate(state: &State, kind: &str, token: &str) -> Result<Option<Value>, String> {
    let login = state.login.as_ref().ok_or("no login")?;
    match kind {
        "PROGRAMMATIC_ACCESS_TOKEN" => match &login.token {
            Some(t) if t == token => Ok(None),
            _ => Err("Programmatic access token is invalid.".into()),
        },
        "KEYPAIR_JWT" => {
            let key = login.public_key.as_ref().ok_or("JWT token is invalid.")?;
            verify_jwt(login, key, token).map(Some)
        }
        _ => Err("Unsupported Authorization token type.".into()),
    }
}

fn verify_jwt(login: &Login, spki: &[u8], token: &str) -> Result<Value, String> {
    let invalid = |why: &str| format!("JWT token is invalid ({why}).");
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("not three parts"));
    };
    let decode = |p: &str| -> Result<Value, String> {
        let bytes = B64URL.decode(p).map_err(|_| invalid("base64"))?;
        serde_json::from_slice(&bytes).map_err(|_| invalid("json"))
    };
    let header = decode(h)?;
    if header["alg"] != "RS256" || header["typ"] != "JWT" {
        return Err(invalid("header"));
    }
    let signature = B64URL.decode(s).map_err(|_| invalid("signature base64"))?;
    // aws-lc-rs reads the SubjectPublicKeyInfo as Snowflake stores it (RSA_PUBLIC_KEY).
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        spki,
    )
    .verify(format!("{h}.{c}").as_bytes(), &signature)
    .map_err(|_| invalid("signature"))?;
    let claims = decode(c)?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki);
    let qualified = format!("{}.{}", login.account, login.user);
    let iss = format!("{qualified}.SHA256:{}", BASE64.encode(digest.as_ref()));
    if claims["iss"] != iss.as_str() {
        return Err(invalid("iss"));
    }
    if claims["sub"] != qualified.as_str() {
        return Err(invalid("sub"));
    }
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err(invalid("iat or exp"));
    };
    let now = jiff::Timestamp::now().as_second();
    if exp - iat > 3600 || exp <= now || iat > now + 60 {
        return Err(invalid("lifetime"));
    }
    Ok(claims)
}

fn route(state: &mut State, method: &str, target: &str, body: Option<&Value>) -> Answer {
    if let Some(status) = state.faults.statuses.pop_front() {
        let mut answer = failure(status, "000000", "Service unavailable, retry later.");
        if let Some(secs) = state.faults.retry_after {
            answer
                .headers_mut()
                .insert("retry-after", hyper::header::HeaderValue::from(secs));
        }
        return answer;
    }
    if state.faults.forbidden {
        return failure(403, "390186", "Role is not authorized to use this API.");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match (method, path) {
        ("POST", "/api/v2/statements") => submit(state, body),
        ("GET", p) if p.starts_with("/api/v2/statements/") => {
            let raw = p.trim_start_matches("/api/v2/statements/");
            let handle = percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned();
            let partition = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("partition="))
                .and_then(|n| n.parse::<usize>().ok());
            status_of(state, &handle, partition)
        }
        _ => failure(404, "000404", "The requested endpoint is not found."),
    }
}

fn submit(state: &mut State, body: Option<&Value>) -> Answer {
    let Some(body) = body else {
        return failure(
            400,
            "390142",
            "Incoming request does not contain a valid payload.",
        );
    };
    let statement = body["statement"].as_str().unwrap_or_default();
    let mut bindings = Vec::new();
    for i in 1.. {
        match body["bindings"].get(i.to_string()) {
            Some(b) if b["type"] == "TEXT" => {
                bindings.push(b["value"].as_str().unwrap_or_default().to_owned());
            }
            Some(_) => return failure(422, "002049", "Bind variable type is not supported."),
            None => break,
        }
    }
    if statement.matches('?').count() != bindings.len() {
        return failure(422, "100132", "Number of bind variables does not match.");
    }
    let tag_failed = state
        .faults
        .sql_error_on
        .as_deref()
        .is_some_and(|t| statement.starts_with(&format!("/* iru-fivetran {t} */")));
    if tag_failed {
        return json_answer(
            422,
            &json!({"code": "000904", "sqlState": "42000",
                "message": "SQL compilation error: error line 1 at position 7\ninvalid identifier 'MESSAGE_DATA'"}),
        );
    }
    let rows = match eval::eval(&state.platform, statement, &bindings, Quote::Double) {
        eval::Outcome::Rows(rows) => rows,
        eval::Outcome::Failed(failure) => {
            let (code, message) = match failure {
                Failure::Syntax(what) => ("001003", format!("SQL compilation error: {what}")),
                Failure::Missing => (
                    "002003",
                    "SQL compilation error:\nObject does not exist or not authorized.".to_owned(),
                ),
                Failure::Binding => (
                    "100035",
                    "Timestamp '' is not recognized (a binding is missing or unreadable)"
                        .to_owned(),
                ),
            };
            return json_answer(
                422,
                &json!({"code": code, "sqlState": "42S02", "message": message}),
            );
        }
    };
    state.next += 1;
    let handle = format!(
        "01b2c3d4-0000-{:04x}-0000-{:012x}",
        state.next % 0xffff,
        state.next
    );
    let polls = state.faults.async_polls;
    let expire = std::mem::take(&mut state.faults.expire_first_handle);
    state.handles.insert(
        handle.clone(),
        Handle {
            rows,
            polls_left: polls,
            expire,
        },
    );
    if polls > 0 {
        return json_answer(
            202,
            &json!({"code": "333334", "message": "Asynchronous execution in progress. Use provided query id to perform query monitoring and management.",
                "statementHandle": handle, "statementStatusUrl": format!("/api/v2/statements/{handle}")}),
        );
    }
    result(state, &handle, 0)
}

fn status_of(state: &mut State, handle: &str, partition: Option<usize>) -> Answer {
    let Some(h) = state.handles.get_mut(handle) else {
        return failure(404, "000709", "Statement not found.");
    };
    if h.expire {
        state.handles.remove(handle);
        return failure(404, "000709", "Statement not found.");
    }
    if h.polls_left > 0 {
        h.polls_left -= 1;
        if h.polls_left > 0 {
            return json_answer(
                202,
                &json!({"code": "333334", "message": "Asynchronous execution in progress.", "statementHandle": handle}),
            );
        }
    }
    result(state, handle, partition.unwrap_or(0))
}

/// Partition `n` of a handle's result; the first carries the metadata.
fn result(state: &mut State, handle: &str, n: usize) -> Answer {
    let size = state.faults.partition_rows;
    let Some(h) = state.handles.get(handle) else {
        return failure(404, "000709", "Statement not found.");
    };
    let chunks: Vec<&[Vec<Option<String>>]> = if size == 0 || h.rows.is_empty() {
        vec![&h.rows[..]]
    } else {
        h.rows.chunks(size).collect()
    };
    let Some(chunk) = chunks.get(n) else {
        return failure(422, "000605", "Partition number is out of range.");
    };
    let data = json!(chunk);
    let body = if n == 0 {
        let info: Vec<Value> = chunks
            .iter()
            .map(|c| json!({"rowCount": c.len(), "uncompressedSize": json!(c).to_string().len()}))
            .collect();
        json!({
            "resultSetMetaData": {"numRows": h.rows.len(), "format": "jsonv2", "partitionInfo": info},
            "data": data,
            "code": "090001",
            "statementStatusUrl": format!("/api/v2/statements/{handle}"),
            "statementHandle": handle,
            "sqlState": "00000",
            "message": "Statement executed successfully.",
        })
    } else {
        json!({"data": data})
    };
    if std::mem::take(&mut state.faults.truncate_next) {
        return truncated(&body);
    }
    json_answer(200, &body)
}
