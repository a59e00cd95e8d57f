//! Redaction, applied to every item before anything reaches disk.
//!
//! - A string or number under a key that names a secret ([`is_secret_key`]: `password`,
//!   `api_key`, `apiKey`, `API-KEY`, `github_pat`, `blob_sas_url`, ...) becomes [`MARKER`], at any
//!   depth, however the key is cased or spelled; so does every string or number anywhere
//!   beneath such a key (`"credentials": {"json": "..."}`), except under a key that names an
//!   identifier ([`is_identifier_key`]: `bucket_name`, `s3_role_arn` under `aws_credentials`).
//!   Booleans, nulls and empty strings are kept: they hold no secret and are evidence
//!   (`is_private_key_set: true`, an empty password).
//! - A name/value pair whose name names a secret (`{"name": "Authorization", "value": "..."}`,
//!   `{"header": "X-API-Key", ...}`) has its value masked the same way.
//! - Any other string is searched for secrets by their shape (`shapes.rs`: private-key PEM
//!   blocks, JSON Web Tokens, a URL's password, webhook URLs, secret query parameters, `Bearer`
//!   credentials, header lines); each one found is replaced by [`MARKER`] inside the string.
//! - An environment variable of a list under `environment_vars` (`DBT_API_TOKEN=...`, as dbt
//!   projects hold them) keeps its name and has its value masked: `DBT_API_TOKEN=<redacted>`;
//!   one without `=` is masked whole.
//! - `connect_card` (a short-lived token and URL) is dropped from every item; `picture` is
//!   dropped from users (personal data, often a large base64 image).
//! - A connection's `schema_config` (connections only) is left alone: its keys are the names of the customer's
//!   schemas, tables and columns (data, not settings), and its values are flags such as
//!   `enabled`, `hashed` and `sync_mode`. A table called `api_tokens` is evidence to keep, and
//!   the endpoint returns no credentials.
//!
//! Which names are secrets and which identifiers, each with why, is in `names.rs`; what is
//! still not caught is listed in docs/reliability.md ("Redaction"). What was redacted is
//! recorded as generalized JSON paths with counts, never the values.

mod names;
mod shapes;

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use serde_json::Value;

use crate::vocab::Artifact;

pub use names::{is_identifier_key, is_secret_key};

/// The connection field whose keys are names of schemas, tables and columns.
const SCHEMA_CONFIG: &str = "schema_config";

/// What a redacted string becomes.
pub const MARKER: &str = "<redacted>";

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
                let pairs = pair_is_secret(obj);
                for (key, child) in obj.iter_mut().filter(|(k, _)| Some(k.as_str()) != skip) {
                    // An item's identifying field (`id`, `name`, the change log's `sort_key`)
                    // is never a secret, whatever its name or shape looks like.
                    if key == artifact.key() && child.is_string() {
                        continue;
                    }
                    path.push_str(&segment(key));
                    let secret = key != artifact.key() && child_is_secret(key, false, pairs);
                    let place = Place::under(key);
                    walk(child, &mut path, secret, place, counts);
                    path.truncate("$.items[*]".len());
                }
            }
            None => walk(item, &mut path, false, Place::Other, counts),
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

/// Where a value sits, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In a `reports` array: an element is a report.
    Reports,
    /// An object of a `reports` array.
    Report,
    /// In an `environment_vars` array: an element is `NAME=value`.
    Environment,
    /// A string of an `environment_vars` array.
    Variable,
    /// Anywhere else.
    Other,
}

impl Place {
    /// The place of the value under `key`.
    fn under(key: &str) -> Place {
        if names::holds_reports(key) {
            Place::Reports
        } else if names::holds_environment(key) {
            Place::Environment
        } else {
            Place::Other
        }
    }
}

/// Whether the value under `key` is secret: beneath a secret (`inherited`) unless `key` names
/// an identifier; else when `key` names a secret, or is the value of a pair whose name does.
fn child_is_secret(key: &str, inherited: bool, pair_is_secret: bool) -> bool {
    if is_identifier_key(key) {
        return false;
    }
    inherited || is_secret_key(key) || (pair_is_secret && names::is_pair_value(key))
}

/// Whether an object is a name/value pair whose name names a secret.
fn pair_is_secret(map: &serde_json::Map<String, Value>) -> bool {
    map.iter()
        .any(|(k, v)| names::is_pair_name(k) && v.as_str().is_some_and(names::names_a_secret))
        && map.keys().any(|k| names::is_pair_value(k))
}

fn walk(
    value: &mut Value,
    path: &mut String,
    secret: bool,
    place: Place,
    counts: &mut BTreeMap<(String, Action), u64>,
) {
    match value {
        Value::String(s) if secret && s.is_empty() => {}
        Value::String(_) | Value::Number(_) if secret => {
            *value = Value::String(MARKER.to_owned());
            *counts.entry((path.clone(), Action::Masked)).or_default() += 1;
        }
        Value::String(s) if place == Place::Variable && !s.is_empty() => {
            let masked = match s.split_once('=') {
                Some((name, value)) if !value.is_empty() => format!("{name}={MARKER}"),
                Some(_) => return,
                None => MARKER.to_owned(),
            };
            *s = masked;
            *counts.entry((path.clone(), Action::Masked)).or_default() += 1;
        }
        Value::String(s) => {
            if let Some(masked) = shapes::mask(s) {
                *s = masked;
                *counts.entry((path.clone(), Action::Masked)).or_default() += 1;
            }
        }
        Value::Object(map) => {
            let pairs = pair_is_secret(map);
            for (key, child) in map.iter_mut() {
                let len = path.len();
                path.push_str(&segment(key));
                let child_secret = if place == Place::Report && names::is_report_identifier_key(key)
                {
                    false
                } else {
                    child_is_secret(key, secret, pairs)
                };
                walk(child, path, child_secret, Place::under(key), counts);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            let len = path.len();
            path.push_str("[*]");
            let inner = match place {
                Place::Reports => Place::Report,
                Place::Environment => Place::Variable,
                _ => Place::Other,
            };
            for child in items {
                walk(child, path, secret, inner, counts);
            }
            path.truncate(len);
        }
        _ => {}
    }
}

/// The indentation of an item inside its artifact's `items` array.
const ITEM_INDENT: u64 = 4;

/// How many bytes `item` takes in its artifact's file once redacted: its pretty form, each of
/// its lines indented inside the envelope's `items`, and the separator before it. Exact, so
/// that an artifact can be bounded to what `verify` accepts before it is written.
pub fn written_len(artifact: Artifact, item: &Value) -> u64 {
    let mut copy = item.clone();
    Redactor::new(artifact).item(&mut copy);
    let mut counter = Counter::default();
    serde_json::to_writer_pretty(&mut counter, &copy).expect("a JSON value always serializes");
    counter.bytes + ITEM_INDENT * (counter.newlines + 1) + ",\n".len() as u64
}

/// Counts the bytes and newlines written to it.
#[derive(Default)]
struct Counter {
    bytes: u64,
    newlines: u64,
}

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes += buf.len() as u64;
        self.newlines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
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
