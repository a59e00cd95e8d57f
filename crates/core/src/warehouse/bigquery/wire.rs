//! What crosses the wire to and from BigQuery, as plain functions: a statement's request body,
//! the rows of an answer handed on, an error body read into what it means, the service
//! account's signed assertion.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::credentials::audit::KeyPair;
use crate::credentials::audit::rest::bigquery::BigQuery;
use crate::warehouse::WarehouseError;
use crate::warehouse::statements::{Row, Statement};

/// The scope asked for: read-only BigQuery.
pub const SCOPE: &str = "https://www.googleapis.com/auth/bigquery.readonly";
/// How long an assertion is valid (Google accepts one hour at most).
pub const ASSERTION_LIFETIME: i64 = 3600;

/// The body of `jobs.query` for `statement`: GoogleSQL, its `@pN` parameters named and bound
/// as `STRING`s, the job's location and time limit, at most `max_results` rows per page.
pub fn query_body(
    statement: &Statement,
    location: Option<&str>,
    wait_ms: u64,
    job_timeout_ms: u64,
    max_results: u32,
) -> Value {
    let parameters: Vec<Value> = statement
        .params
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "name": format!("p{i}"),
                "parameterType": {"type": "STRING"},
                "parameterValue": {"value": v},
            })
        })
        .collect();
    let mut body = json!({
        "query": statement.text,
        "useLegacySql": false,
        "parameterMode": "NAMED",
        "queryParameters": parameters,
        "timeoutMs": wait_ms,
        "jobTimeoutMs": job_timeout_ms.to_string(),
        "maxResults": max_results,
    });
    if let Some(l) = location {
        body["location"] = json!(l);
    }
    body
}

/// Hands on the rows of an answer (`rows[].f[].v`, each a string or null).
pub fn hand_on(
    body: &mut Value,
    tag: &str,
    each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
) -> Result<(), WarehouseError> {
    let rows = match body.get_mut("rows").map(Value::take) {
        Some(Value::Array(rows)) => rows,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            return Err(WarehouseError::Query(format!(
                "{tag}: `rows` is not a list of rows"
            )));
        }
    };
    for row in rows {
        let Some(Value::Array(cells)) = row.get("f").cloned() else {
            return Err(WarehouseError::Query(format!(
                "{tag}: a row without its cells (`f`)"
            )));
        };
        let row = cells
            .into_iter()
            .map(|cell| match cell.get("v") {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(WarehouseError::Query(format!(
                    "{tag}: a value that is not a string"
                ))),
            })
            .collect::<Result<Row, _>>()?;
        each(row)?;
    }
    Ok(())
}

/// What an error body says: `error.code`, the first `error.errors[].reason`, `error.message`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The first reason given (`invalidQuery`, `accessDenied`, `notFound`...), if any.
    pub reason: String,
    /// The message, with the reason when there is one.
    pub text: Option<String>,
}

impl Failure {
    /// Reads an error body (BigQuery's `{"error": {...}}`, or the token endpoint's
    /// `{"error": "...", "error_description": "..."}`).
    pub fn of(body: &[u8]) -> Self {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return Self::default();
        };
        if let Some(kind) = value.get("error").and_then(Value::as_str) {
            let description = value
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Self {
                reason: kind.to_owned(),
                text: Some(format!("{description} ({kind})")),
            };
        }
        let error = &value["error"];
        let reason = error["errors"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let message = error["message"].as_str().map(|m| {
            if reason.is_empty() {
                m.to_owned()
            } else {
                format!("{m} ({reason})")
            }
        });
        Self {
            reason,
            text: message,
        }
    }

    /// Whether it is one of BigQuery's rate limits, answered with `403` (retried as a 429).
    pub fn is_rate_limit(&self) -> bool {
        matches!(self.reason.as_str(), "rateLimitExceeded" | "quotaExceeded")
    }
}

/// The service account's assertion for the token endpoint, issued at `iat` (seconds): an
/// RS256 JWT (`kid` the key's id) whose claims are `iss` = the service account, `scope`, `aud`
/// = the token endpoint, `iat` and `exp` an hour later.
pub fn assertion(key: &KeyPair, bq: &BigQuery, iat: i64) -> Result<Zeroizing<String>, String> {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": bq.private_key_id});
    let claims = json!({
        "iss": bq.client_email,
        "scope": SCOPE,
        "aud": bq.token_uri.as_str(),
        "iat": iat,
        "exp": iat + ASSERTION_LIFETIME,
    });
    let input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let signature = key.sign_rs256(input.as_bytes())?;
    Ok(Zeroizing::new(format!(
        "{input}.{}",
        B64URL.encode(signature)
    )))
}

/// The form posted to the token endpoint for `assertion`.
pub fn token_form(assertion: &str) -> Zeroizing<String> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
        .append_pair("assertion", assertion);
    Zeroizing::new(form.finish())
}
