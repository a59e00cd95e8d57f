//! What comes back: bodies read with a cap on their size, the success envelope checked before
//! anything else touches `data` (a list's page in `page.rs`, without building its tree), and
//! Fivetran's error envelope read for its code and message. Every piece of text taken from a
//! body is scrubbed of the secrets the client holds here, where it enters.

use std::sync::Arc;

use futures::StreamExt as _;
use serde_json::Value;

use super::page::{self, MAX_DEPTH, Page};
use crate::endpoints::Shape;
use crate::text::{Scrubber, clean};

/// Why a body was not read.
pub(super) enum BodyError {
    /// Over the limit (announced or read).
    TooLarge,
    /// The connection failed mid-body.
    Read(reqwest::Error),
}

/// Reads a body, refusing to hold more than `limit` bytes.
pub(super) async fn read_capped(
    response: reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge);
    }
    let capacity = response.content_length().unwrap_or(0).min(1 << 20) as usize;
    let mut body = Vec::with_capacity(capacity);
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(BodyError::Read)?;
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A decoded answer: an object endpoint's `data`, or one page of a list.
pub(super) enum Data {
    /// `data` of an object endpoint, scrubbed.
    Object(Value),
    /// A page; its items are scrubbed as they are parsed.
    Page(Page),
}

/// Why an answer was not decoded, and whether it was well-formed JSON (of the wrong shape:
/// what the server means, not retried) or not JSON at all (empty, HTML, cut short: a hiccup).
pub(super) struct Undecodable {
    pub(super) why: String,
    pub(super) well_formed: bool,
}

/// Decodes an answer of `shape`, scrubbing what it holds with `scrubber`.
pub(super) fn decode_answer(
    body: Vec<u8>,
    shape: Shape,
    scrubber: &Arc<Scrubber>,
) -> Result<Data, Undecodable> {
    match shape {
        Shape::List => page::decode_page_checked(body, Arc::clone(scrubber))
            .map(Data::Page)
            .map_err(|(why, well_formed)| Undecodable { why, well_formed }),
        Shape::Object => match decode_object(&body) {
            Ok(mut data) => {
                scrubber.scrub_value(&mut data);
                Ok(Data::Object(data))
            }
            Err(why) => Err(Undecodable {
                why,
                well_formed: serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok(),
            }),
        },
    }
}

/// Checks the success envelope and returns `data`: an object, and for lists one whose `items`
/// is an array and whose `next_cursor` is a string, null or missing. Public for the property
/// tests and the fuzz target: it runs the checks the client runs on every body (for a list,
/// those of its page decoder), then builds the tree the client never builds for a page.
pub fn decode(body: &[u8], shape: Shape) -> Result<Value, String> {
    match shape {
        Shape::List => {
            page::decode_page(body.to_vec(), Arc::new(Scrubber::default())).map(Page::into_data)
        }
        Shape::Object => decode_object(body),
    }
}

fn decode_object(body: &[u8]) -> Result<Value, String> {
    let mut envelope: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let data = envelope
        .get_mut("data")
        .map(Value::take)
        .ok_or("no `data` in the answer")?;
    if !data.is_object() {
        return Err("`data` is not an object".into());
    }
    if depth(&data) > MAX_DEPTH {
        return Err(format!(
            "`data` is nested more than {MAX_DEPTH} levels deep"
        ));
    }
    Ok(data)
}

/// Nesting depth of a value; safe to recurse, since serde_json already capped it at 128.
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Fivetran's `code` and `message` from an error body, or a description of a body that is not
/// the error envelope (an HTML page from a proxy, an empty body). Both are scrubbed of every
/// secret `scrubber` holds before they are cut to length, so that a cut never leaves part of
/// one behind.
pub(super) fn error_body(body: &[u8], scrubber: &Scrubber) -> (Option<String>, String) {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        let text = |k: &str| {
            map.get(k)
                .and_then(Value::as_str)
                .map(|s| clean(&scrubber.scrub(s)))
        };
        if let Some(message) = text("message") {
            return (text("code"), message);
        }
        return (text("code"), "no message".into());
    }
    if body.is_empty() {
        (None, "empty body".into())
    } else {
        (None, format!("non-JSON body of {} bytes", body.len()))
    }
}
