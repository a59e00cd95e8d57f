//! What comes back: bodies read with a cap on their size, the success envelope checked before
//! anything else touches `data`, and Fivetran's error envelope read for its code and message.

use futures::StreamExt as _;
use serde_json::Value;

use crate::endpoints::Shape;
use crate::text::clean;

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

/// Checks the success envelope and returns `data`: an object, and for lists one whose `items`
/// is an array and whose `next_cursor` is a string, null or missing. Public for the property
/// tests and the fuzz target: it is the first code that touches a body from the network.
pub fn decode(body: &[u8], shape: Shape) -> Result<Value, String> {
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
    if shape == Shape::List {
        if !data.get("items").is_some_and(Value::is_array) {
            return Err("`data.items` is not an array".into());
        }
        match data.get("next_cursor") {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(_) => return Err("`data.next_cursor` is not a string".into()),
        }
    }
    Ok(data)
}

/// The deepest nesting accepted in `data`. Fivetran's deepest objects (schema configs) are
/// about 8 levels; the bundle puts a value up to 2 levels deeper than the answer did, and
/// serde_json reads at most 128, so anything much deeper would make an artifact the tool (and
/// an auditor's JSON tools) cannot read back.
const MAX_DEPTH: usize = 64;

/// Nesting depth of a value; safe to recurse, since serde_json already capped it at 128.
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Fivetran's `code` and `message` from an error body, or a description of a body that is not
/// the error envelope (an HTML page from a proxy, an empty body).
pub(super) fn error_body(body: &[u8]) -> (Option<String>, String) {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        let text = |k: &str| map.get(k).and_then(Value::as_str).map(clean);
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
