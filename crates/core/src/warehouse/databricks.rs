//! Databricks' SQL Statement Execution API 2.0: one statement per request, from the vendor's
//! reference.
//!
//! - `POST /api/2.0/sql/statements` with `warehouse_id`, `statement`, `catalog` (and `schema`
//!   when the vault names one), `parameters` (`{"name": "p1", "value": ..., "type":
//!   "STRING"}` for each `:p1`...), `wait_timeout` (5 to 50 s), `on_wait_timeout: CONTINUE`,
//!   `disposition: INLINE` and `format: JSON_ARRAY`.
//! - Authentication: `Authorization: Bearer` with a personal access token, or with an OAuth
//!   access token a service principal gets from `POST /oidc/v1/token` (client credentials,
//!   HTTP Basic; cached until shortly before `expires_in`, fetched again once on a 401): see
//!   `databricks/oauth.rs`.
//! - `200` with `status.state`: `PENDING` or `RUNNING` is polled with
//!   `GET /api/2.0/sql/statements/{statement_id}` for at most the statement timeout and a
//!   margin (then cancelled: `POST .../cancel`); `SUCCEEDED` carries the first chunk in
//!   `result.data_array` (every value a string or null) and the next one's path in
//!   `result.next_chunk_internal_link`, fetched from the workspace until absent; `FAILED`
//!   carries `status.error` (`error_code`, `message`: `TABLE_OR_VIEW_NOT_FOUND` is a table
//!   that is not there); `CANCELED`; `CLOSED`: the result is gone (submitted again, once,
//!   before any row was read; after, the read resumes from its last row).
//! - `400` (`INVALID_PARAMETER_VALUE`, `BAD_REQUEST`), `401`, `403` (`PERMISSION_DENIED`), `404`
//!   (a statement or chunk no longer known), `429` and `503` (paced and retried by
//!   [`Http`]), each with Databricks' `error_code` and `message`.
//!
//! Server text is scrubbed of the tokens sent and cleaned before a message quotes it.

mod oauth;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use url::Url;

use super::http::{Http, segment};
use super::snowflake::wire::hand_on;
use super::statements::{Row, Statement, param_name};
use super::{Net, WarehouseError};
use crate::credentials::AuditSource;
use oauth::{Credential, error_text};

pub use oauth::SCOPE;

/// How much longer than the statement timeout a statement is polled, at most (and at most the
/// timeout again: a short timeout is not stretched thirtyfold).
const POLL_MARGIN: Duration = Duration::from_secs(30);
/// The longest a submission waits for its result before answering (the API allows 50 s).
const MAX_WAIT: u64 = 30;

/// A client of one workspace's Statement Execution API.
pub struct Client {
    sender: Http,
    credential: Credential,
    root: Url,
    warehouse_id: String,
    catalog: String,
    schema: Option<String>,
    statement_timeout: Duration,
}

/// What a statement came to.
enum Outcome {
    /// `SUCCEEDED`: the answer holding the first chunk.
    Succeeded(Value),
    /// `CLOSED`, or a statement no longer known: its result is gone.
    Gone,
}

impl Client {
    /// A client for `source`, which must be a Databricks source.
    pub fn new(source: &AuditSource, net: &Net) -> Result<Self, WarehouseError> {
        let rest = source.rest.as_ref().ok_or_else(|| {
            WarehouseError::Query("the audit source has no Databricks settings".into())
        })?;
        Ok(Self {
            sender: Http::new(net)?,
            credential: Credential::new(rest.auth.clone(), &rest.url),
            root: rest.url.clone(),
            warehouse_id: rest.warehouse.clone().unwrap_or_default(),
            catalog: source.database.clone(),
            schema: source.schema.clone(),
            statement_timeout: crate::credentials::audit::DEFAULT_STATEMENT_TIMEOUT,
        })
    }

    /// Limits each statement to `timeout`.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.statement_timeout = timeout;
    }

    /// Runs `statement`, handing each row of each chunk to `each`.
    pub async fn run(
        &self,
        statement: &Statement,
        each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
    ) -> Result<(), WarehouseError> {
        let tag = statement.tag;
        let mut resubmitted = false;
        let first = loop {
            match self.execute(statement).await? {
                Outcome::Succeeded(body) => break body,
                Outcome::Gone if !resubmitted => resubmitted = true,
                Outcome::Gone => {
                    return Err(WarehouseError::Query(format!(
                        "the result of {tag} was closed twice before it could be read"
                    )));
                }
            }
        };
        let mut result = first.get("result").cloned().unwrap_or(Value::Null);
        let mut chunk = 0usize;
        loop {
            let link = result
                .get("next_chunk_internal_link")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let data = match &mut result {
                Value::Object(r) => r.remove("data_array").unwrap_or(Value::Null),
                _ => Value::Null,
            };
            hand_on(json!({ "data": data }), tag, each)?;
            let Some(link) = link else {
                return Ok(());
            };
            chunk += 1;
            result = self.chunk(&link, tag, chunk).await?;
        }
    }

    /// Submits `statement` and waits for it to end.
    async fn execute(&self, statement: &Statement) -> Result<Outcome, WarehouseError> {
        let tag = statement.tag;
        let parameters: Vec<Value> = statement
            .params
            .iter()
            .enumerate()
            .map(|(i, v)| json!({"name": param_name(i), "value": v, "type": "STRING"}))
            .collect();
        let wait = self.statement_timeout.as_secs().clamp(5, MAX_WAIT);
        let mut body = json!({
            "warehouse_id": self.warehouse_id,
            "statement": statement.text,
            "catalog": self.catalog,
            "parameters": parameters,
            "wait_timeout": format!("{wait}s"),
            "on_wait_timeout": "CONTINUE",
            "disposition": "INLINE",
            "format": "JSON_ARRAY",
        });
        if let Some(schema) = &self.schema {
            body["schema"] = json!(schema);
        }
        let text = body.to_string();
        let url = self.url("/api/2.0/sql/statements");
        let (status, answer) = self
            .request(tag, |http| {
                http.post(url.clone())
                    .header(CONTENT_TYPE, "application/json")
                    .body(text.clone())
            })
            .await?;
        let answer = self.answer(status, &answer, tag, Place::Submit)?;
        let started = Instant::now();
        let limit = self.statement_timeout + POLL_MARGIN.min(self.statement_timeout);
        let mut pause = Duration::from_millis(200);
        let mut answer = answer;
        loop {
            let state = answer
                .pointer("/status/state")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let id = answer
                .get("statement_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            match state.as_str() {
                "SUCCEEDED" => return Ok(Outcome::Succeeded(answer)),
                "CLOSED" => return Ok(Outcome::Gone),
                "FAILED" => return Err(self.failed(&answer, tag)),
                "CANCELED" => {
                    return Err(WarehouseError::Query(format!(
                        "the statement of {tag} was canceled in the warehouse (by an administrator, or the warehouse's own timeout)"
                    )));
                }
                "PENDING" | "RUNNING" if !id.is_empty() => {}
                _ => {
                    return Err(WarehouseError::Query(format!(
                        "{tag}: an answer without a known state or statement id"
                    )));
                }
            }
            if started.elapsed() > limit {
                self.cancel(&id, tag).await;
                return Err(WarehouseError::Timeout(format!(
                    "{tag} still running after {} s",
                    limit.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
            let url = self.url(&format!("/api/2.0/sql/statements/{}", segment(&id)));
            let (status, body) = self.request(tag, |http| http.get(url.clone())).await?;
            if status == StatusCode::NOT_FOUND {
                return Ok(Outcome::Gone);
            }
            answer = self.answer(status, &body, tag, Place::Poll)?;
        }
    }

    /// The chunk at `link` (its `result` object).
    async fn chunk(&self, link: &str, tag: &str, n: usize) -> Result<Value, WarehouseError> {
        // The link comes from the server: only a path of this API, joined to the workspace, so
        // the token never goes elsewhere.
        let safe = link.starts_with("/api/2.0/sql/statements/")
            && !link.contains("..")
            && link
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./?=&%".contains(&b));
        let url = self
            .root
            .join(link)
            .ok()
            .filter(|u| safe && u.host_str() == self.root.host_str())
            .ok_or_else(|| {
                WarehouseError::Query(format!("{tag}: a next chunk link that is not this API's"))
            })?;
        let (status, body) = self.request(tag, |http| http.get(url.clone())).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(WarehouseError::Dropped(format!(
                "the result of {tag} expired before chunk {n} was read"
            )));
        }
        self.answer(status, &body, tag, Place::Chunk)
    }

    /// Asks the warehouse to stop a statement no longer waited for (its answer is not needed).
    async fn cancel(&self, id: &str, tag: &str) {
        let url = self.url(&format!("/api/2.0/sql/statements/{}/cancel", segment(id)));
        let _ = self.request(tag, |http| http.post(url.clone())).await;
    }

    /// Sends a request with the credential; an OAuth client's refused token is replaced once.
    async fn request(
        &self,
        tag: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync,
    ) -> Result<(StatusCode, Vec<u8>), WarehouseError> {
        let mut refreshed = false;
        loop {
            let auth = self.credential.header(&self.sender).await?;
            let response = self
                .sender
                .send(tag, &mut |http, _| {
                    Ok(build(http).header("Authorization", auth.clone()))
                })
                .await?;
            if response.status() == StatusCode::UNAUTHORIZED
                && self.credential.refreshable()
                && !refreshed
            {
                // The access token expired mid-run (or was revoked): fetch another, once.
                refreshed = true;
                self.credential.forget();
                continue;
            }
            return self.sender.body(response, tag).await;
        }
    }

    /// What an answer means: its body when it is a statement or chunk, else the error.
    fn answer(
        &self,
        status: StatusCode,
        body: &[u8],
        tag: &str,
        place: Place,
    ) -> Result<Value, WarehouseError> {
        if status == StatusCode::OK {
            return serde_json::from_slice(body).map_err(|_| {
                // A 200 that is not JSON was cut short: read again, after the last row.
                WarehouseError::Dropped(format!("the answer to {tag} was cut short"))
            });
        }
        let (code, text) = error_text(body);
        let message = self.sender.message(status, text.as_deref());
        Err(match status.as_u16() {
            401 => WarehouseError::Auth(message),
            403 => WarehouseError::Denied {
                object: tag.to_owned(),
                detail: message,
            },
            404 if place == Place::Submit => WarehouseError::Query(format!(
                "{message} (reading {tag}); hint: check host and warehouse_id of this audit source"
            )),
            500 | 502 | 503 | 504 => {
                WarehouseError::Unreachable(format!("{message} after retries (reading {tag})"))
            }
            _ if code.as_deref() == Some("PERMISSION_DENIED") => WarehouseError::Denied {
                object: tag.to_owned(),
                detail: message,
            },
            _ => WarehouseError::Query(format!("{message} (reading {tag})")),
        })
    }

    /// The error of a `FAILED` statement.
    fn failed(&self, answer: &Value, tag: &str) -> WarehouseError {
        let field = |k: &str| {
            answer
                .pointer(&format!("/status/error/{k}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let (code, text) = (field("error_code"), field("message"));
        let shown = self.sender.message(
            StatusCode::OK,
            Some(&if code.is_empty() {
                text.to_owned()
            } else {
                format!("{text} ({code})")
            }),
        );
        let shown = format!("FAILED {}", shown.trim_start_matches("HTTP 200: "));
        // Databricks names the error class in brackets at the start of the message.
        let class = |c: &str| code == c || text.contains(&format!("[{c}]"));
        if class("TABLE_OR_VIEW_NOT_FOUND") || class("SCHEMA_NOT_FOUND") {
            WarehouseError::Missing(shown)
        } else if class("PERMISSION_DENIED") || class("INSUFFICIENT_PERMISSIONS") {
            WarehouseError::Denied {
                object: tag.to_owned(),
                detail: shown,
            }
        } else {
            WarehouseError::Query(format!("{shown} (reading {tag})"))
        }
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.root.clone();
        url.set_path(path);
        url
    }
}

/// Which request an answer is to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Submit,
    Poll,
    Chunk,
}
