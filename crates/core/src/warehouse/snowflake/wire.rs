//! What crosses the wire to and from Snowflake's SQL API, as plain functions: a result's rows
//! handed on, bodies read within their bound (and gunzipped when the server compressed them),
//! `Retry-After`, a handle as a path segment, a request id, an error's causes on one line.
//! Databricks' client (`super::super::databricks`) uses them too, until both send through
//! one HTTP sender.

use std::time::Duration;

use futures::StreamExt as _;
use reqwest::header::RETRY_AFTER;
use serde_json::Value;

use super::MAX_BODY_BYTES;
use crate::warehouse::statements::Row;
use crate::warehouse::{WarehouseError, quoted};

/// Hands on the rows of one partition's `data`.
pub(in crate::warehouse) fn hand_on(
    body: Value,
    tag: &str,
    each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
) -> Result<(), WarehouseError> {
    let Value::Object(mut body) = body else {
        return Err(WarehouseError::Query(format!(
            "{tag}: an answer that is not an object"
        )));
    };
    let data = match body.remove("data") {
        Some(Value::Array(rows)) => rows,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            return Err(WarehouseError::Query(format!(
                "{tag}: `data` is not a list of rows"
            )));
        }
    };
    for row in data {
        let Value::Array(values) = row else {
            return Err(WarehouseError::Query(format!(
                "{tag}: a row that is not a list"
            )));
        };
        let row = values
            .into_iter()
            .map(|v| match v {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s)),
                _ => Err(WarehouseError::Query(format!(
                    "{tag}: a value that is not a string"
                ))),
            })
            .collect::<Result<Row, _>>()?;
        each(row)?;
    }
    Ok(())
}

pub(in crate::warehouse) async fn read_capped(
    response: reqwest::Response,
    tag: &str,
) -> Result<Vec<u8>, WarehouseError> {
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
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            WarehouseError::Dropped(format!("{} (reading {tag})", quoted(&chain(&e))))
        })?;
        if body.len() as u64 + chunk.len() as u64 > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(in crate::warehouse) fn gunzip(bytes: &[u8], tag: &str) -> Result<Vec<u8>, WarehouseError> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|_| {
            WarehouseError::Dropped(format!("the compressed answer to {tag} was cut short"))
        })?;
    if out.len() as u64 > MAX_BODY_BYTES {
        return Err(WarehouseError::Query(format!(
            "the answer to {tag} is larger than {} MiB uncompressed",
            MAX_BODY_BYTES / (1024 * 1024)
        )));
    }
    Ok(out)
}

pub(in crate::warehouse) fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    at.duration_since(std::time::SystemTime::now()).ok()
}

/// Everything but RFC 3986's unreserved characters is encoded in a path segment.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A handle as a path segment (percent-encoded: it comes from the server).
pub(in crate::warehouse) fn segment(handle: &str) -> String {
    percent_encoding::utf8_percent_encode(handle, SEGMENT).to_string()
}

/// A random (version 4) UUID.
pub(in crate::warehouse) fn uuid() -> String {
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

pub(in crate::warehouse) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
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
