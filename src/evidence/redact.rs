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

use crate::resources::Artifact;

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
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_key_names() {
        for key in [
            "password",
            "PassWord",
            "db_password",
            "client_secret",
            "clientSecret",
            "api_key",
            "apiKey",
            "API-KEY",
            "token",
            "access_token",
            "refreshToken",
            "private_key",
            "privateKey",
            "passphrase",
            "credentials",
            "credentials_json",
            "key",
            "primary_key",
            "signing_keys",
            "aws_secret_access_key",
            "access_key_id",
            "Authorization",
            "connection_string",
            "connectionString",
            "set_cookie",
        ] {
            assert!(is_secret_key(key), "{key} should be secret");
        }
        for key in [
            "public_key",
            "host",
            "user",
            "auth",
            "port",
            "email",
            "hashed",
            "monkey_business",
            "name",
            "keystone",
        ] {
            assert!(!is_secret_key(key), "{key} should not be secret");
        }
    }

    #[test]
    fn masks_strings_at_any_depth_and_records_paths() {
        let mut items = vec![
            json!({
                "id": "a",
                "config": {"host": "h", "password": "PLANTED", "port": 5432, "pin_code": "",
                           "passcode": 1234, "secret_set": true, "token_hint": null,
                           "credentials": {"json": "PLANTED", "kind": "sa", "ttl": 30},
                           "is_private_key_set": true, "tokens": ["PLANTED", "PLANTED"]},
                "connect_card": {"token": "PLANTED", "uri": "https://x"},
            }),
            json!({"id": "b", "config": {"password": "******"}, "Weird Key!": {"Secret": "PLANTED"}}),
        ];
        let record = redact_items(Artifact::Connections, &mut items);
        let text = serde_json::to_string(&items).expect("json");
        assert!(!text.contains("PLANTED"), "{text}");
        assert_eq!(items[0]["config"]["host"], "h");
        assert_eq!(items[0]["config"]["port"], 5432);
        assert_eq!(
            items[0]["config"]["credentials"]["ttl"], MARKER,
            "numbers too"
        );
        assert_eq!(
            items[0]["config"]["passcode"], 1234,
            "not a secret-named key"
        );
        assert_eq!(items[0]["config"]["secret_set"], true, "booleans kept");
        assert!(items[0]["config"]["token_hint"].is_null(), "nulls kept");
        assert_eq!(items[0]["config"]["is_private_key_set"], true);
        assert_eq!(items[0]["config"]["password"], MARKER);
        assert!(items[0].get("connect_card").is_none());
        assert_eq!(record.len(), 7, "{record:?}");
        assert!(record.contains(&Redaction {
            path: "$.items[*].config.password".into(),
            action: Action::Masked,
            count: 2
        }));
        assert!(record.contains(&Redaction {
            path: "$.items[*].config.tokens[*]".into(),
            action: Action::Masked,
            count: 2
        }));
        assert!(record.contains(&Redaction {
            path: "$.items[*].connect_card".into(),
            action: Action::Dropped,
            count: 1
        }));
        assert!(record.contains(&Redaction {
            path: "$.items[*][\"Weird Key!\"].Secret".into(),
            action: Action::Masked,
            count: 1
        }));
    }

    #[test]
    fn schema_config_names_are_data_not_secrets() {
        let config = json!({"schemas": {"billing": {"tables": {"card_tokens": {
            "enabled": true, "sync_mode": "SOFT_DELETE", "name_in_destination": "card_tokens",
            "columns": {"password_hash": {"enabled": false, "hashed": true}}}}}}});
        let mut items = vec![json!({"id": "c", "config": {"password": "PLANTED"},
                                    "schema_config": config.clone()})];
        let record = redact_items(Artifact::Connections, &mut items);
        assert_eq!(items[0]["schema_config"], config);
        assert_eq!(items[0]["config"]["password"], MARKER);
        assert_eq!(record.len(), 1, "{record:?}");
    }

    #[test]
    fn an_items_own_key_field_is_never_masked() {
        let mut items = vec![json!({"sort_key": "0/users/u1", "field": "x", "api_key": "s"})];
        let record = redact_items(Artifact::Changes, &mut items);
        assert_eq!(items[0]["sort_key"], "0/users/u1");
        assert_eq!(items[0]["api_key"], MARKER);
        assert_eq!(record.len(), 1);
    }

    #[test]
    fn empty_secrets_stay_visible() {
        let mut items = vec![json!({"id": "a", "config": {"password": ""}})];
        let record = redact_items(Artifact::Destinations, &mut items);
        assert_eq!(
            items[0]["config"]["password"], "",
            "an empty password is evidence"
        );
        assert!(record.is_empty());
    }

    #[test]
    fn schema_config_is_skipped_for_connections_only() {
        let mut items = vec![json!({"id": "x", "schema_config": {"token": "PLANTED"}})];
        redact_items(Artifact::Webhooks, &mut items);
        assert_eq!(items[0]["schema_config"]["token"], MARKER);
    }

    #[test]
    fn picture_is_dropped_from_users_only() {
        let mut users = vec![json!({"id": "u", "picture": "data:image/png;base64,AAAA"})];
        redact_items(Artifact::Users, &mut users);
        assert!(users[0].get("picture").is_none());
        let mut teams = vec![json!({"id": "t", "picture": "p"})];
        redact_items(Artifact::Teams, &mut teams);
        assert_eq!(teams[0]["picture"], "p");
    }
}
