//! Redaction, applied to every item before anything reaches disk.
//!
//! - A string or number under a key that names a secret becomes [`MARKER`], at any depth,
//!   however the key is cased or spelled (`api_key`, `apiKey`, `API-KEY`); so does every string
//!   or number anywhere beneath such a key (`"credentials": {"json": "..."}`). Booleans, nulls
//!   and empty strings are kept: they hold no secret and are evidence (`is_private_key_set:
//!   true`, an empty password).
//! - `connect_card` (a short-lived token and URL) is dropped from every item; `picture` is
//!   dropped from users (personal data, often a large base64 image).
//! - A connection's `schema_config` (connections only) is left alone: its keys are the names of the customer's
//!   schemas, tables and columns (data, not settings), and its values are flags such as
//!   `enabled`, `hashed` and `sync_mode`. A table called `api_tokens` is evidence to keep, and
//!   the endpoint returns no credentials.
//!
//! What was redacted is recorded as generalized JSON paths with counts, never the values.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::vocab::Artifact;

/// The connection field whose keys are names of schemas, tables and columns.
const SCHEMA_CONFIG: &str = "schema_config";

/// What a redacted string becomes.
pub const MARKER: &str = "<redacted>";

/// Fragments that make a key name a secret, matched against the key lower-cased with every
/// character but letters and digits removed (`client_secret` → `clientsecret`).
const SECRET_WORDS: [&str; 12] = [
    "password",
    "passwd",
    "secret",
    "token",
    "passphrase",
    "credential",
    "privatekey",
    "apikey",
    "accesskey",
    "authorization",
    "connectionstring",
    "cookie",
];

/// Whether a key names a secret. Besides [`SECRET_WORDS`], any key ending in `key` or `keys`
/// (`key`, `primary_key`, `signingKey`) counts, except public keys, which are evidence.
pub fn is_secret_key(key: &str) -> bool {
    let norm: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if SECRET_WORDS.iter().any(|w| norm.contains(w)) {
        return true;
    }
    let stem = norm.strip_suffix('s').unwrap_or(&norm);
    stem.ends_with("key") && !stem.ends_with("publickey")
}

/// What happened at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The value was replaced by `<redacted>`.
    Masked,
    /// The field was removed.
    Dropped,
}

/// One generalized path and how often it was redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Redaction {
    /// JSONPath-like, array indices as `[*]`, e.g. `$.items[*].config.password`.
    pub path: String,
    /// Masked or dropped.
    pub action: Action,
    /// How many values.
    pub count: u64,
}

/// Redacts every item of an artifact in place and returns what was redacted, sorted by path.
pub fn redact_items(artifact: Artifact, items: &mut [Value]) -> Vec<Redaction> {
    let mut redactor = Redactor::new(artifact);
    for item in items.iter_mut() {
        redactor.item(item);
    }
    redactor.finish()
}

/// Redacts the items of one artifact one at a time (as they are written) and counts what it
/// did, so that no item waits in memory for the others.
#[derive(Debug)]
pub struct Redactor {
    artifact: Artifact,
    counts: BTreeMap<(String, Action), u64>,
}

impl Redactor {
    /// A redactor for the items of `artifact`.
    pub fn new(artifact: Artifact) -> Self {
        Self {
            artifact,
            counts: BTreeMap::new(),
        }
    }

    /// Redacts one item in place.
    pub fn item(&mut self, item: &mut Value) {
        let (artifact, counts) = (self.artifact, &mut self.counts);
        if let Some(obj) = item.as_object_mut() {
            let mut drop = |key: &str| {
                if obj.remove(key).is_some() {
                    *counts
                        .entry((format!("$.items[*]{}", segment(key)), Action::Dropped))
                        .or_default() += 1;
                }
            };
            drop("connect_card");
            if artifact == Artifact::Users {
                drop("picture");
            }
        }
        let mut path = String::from("$.items[*]");
        match item.as_object_mut() {
            Some(obj) => {
                let skip = (artifact == Artifact::Connections).then_some(SCHEMA_CONFIG);
                for (key, child) in obj.iter_mut().filter(|(k, _)| Some(k.as_str()) != skip) {
                    path.push_str(&segment(key));
                    // An item's identifying field (`id`, `name`, the change log's `sort_key`)
                    // is never a secret, whatever its name looks like.
                    let secret = key != artifact.key() && is_secret_key(key);
                    walk(child, &mut path, secret, counts);
                    path.truncate("$.items[*]".len());
                }
            }
            None => walk(item, &mut path, false, counts),
        }
    }

    /// What was redacted, sorted by path.
    pub fn finish(self) -> Vec<Redaction> {
        self.counts
            .into_iter()
            .map(|((path, action), count)| Redaction {
                path,
                action,
                count,
            })
            .collect()
    }
}

fn walk(
    value: &mut Value,
    path: &mut String,
    secret: bool,
    counts: &mut BTreeMap<(String, Action), u64>,
) {
    match value {
        Value::String(s) if secret && s.is_empty() => {}
        Value::String(_) | Value::Number(_) if secret => {
            *value = Value::String(MARKER.to_owned());
            *counts.entry((path.clone(), Action::Masked)).or_default() += 1;
        }
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let len = path.len();
                path.push_str(&segment(key));
                walk(child, path, secret || is_secret_key(key), counts);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            let len = path.len();
            path.push_str("[*]");
            for child in items {
                walk(child, path, secret, counts);
            }
            path.truncate(len);
        }
        _ => {}
    }
}

/// `.key` for plain keys, `["key"]` (JSON-escaped) for anything else.
fn segment(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!(".{key}")
    } else {
        format!("[{}]", Value::String(key.to_owned()))
    }
}

#[cfg(test)]
mod tests;
