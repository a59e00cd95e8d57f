//! The vault file's text: one account at the top level (`api_key`, `api_secret`, optionally
//! `api_url` and `audit_sources`), or named accounts under `profiles` (`[profiles.NAME]` in
//! TOML, an object of objects in JSON). A file holding both forms is refused: which one was
//! meant cannot be told. Each account may list the warehouses its audit trail is read from
//! (`[[audit_sources]]`, `[[profiles.NAME.audit_sources]]`, an array of objects in JSON), read
//! here as written ([`VaultAuditSource`]) and checked by `credentials::audit`.
//!
//! Errors name the problem and at most a line and column, never a value from the file. A
//! profile name is quoted only once it has passed [`ProfileName::parse`]; an unknown key never is.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// The longest profile name accepted.
pub const MAX_PROFILE_NAME: usize = 64;

/// A profile name: 1 to [`MAX_PROFILE_NAME`] ASCII letters, digits, `_` or `-`. Checked before
/// it reaches a message, a log line or the manifest, since it comes from a file or a flag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileName(String);

impl ProfileName {
    /// The name, if it is one.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=MAX_PROFILE_NAME).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Self(raw.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One account's entry, as written in the file (untrimmed, unchecked: see
/// `credentials::build`). `Debug` hides the key and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct VaultAccount {
    /// `api_key`.
    pub api_key: String,
    /// `api_secret`.
    pub api_secret: String,
    /// `api_url`, if given (checked later, like `--api-url`).
    pub api_url: Option<String>,
    /// `audit_sources`, in the file's order (none when absent).
    pub audit_sources: Vec<VaultAuditSource>,
}

impl fmt::Debug for VaultAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultAccount")
            .field("api_key", &"[redacted]")
            .field("api_secret", &"[redacted]")
            .field("api_url", &self.api_url)
            .field("audit_sources", &self.audit_sources)
            .finish()
    }
}

/// One `[[audit_sources]]` entry as written: a warehouse holding a Platform Connector's tables.
/// Unchecked (see `credentials::audit`); `Debug` hides the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct VaultAuditSource {
    /// `kind`: `postgres`, `redshift`, `snowflake`, `bigquery` or `databricks`.
    pub kind: Option<String>,
    /// `destination`: the destination (group) id whose Platform Connector wrote the tables.
    pub destination: Option<String>,
    /// `host`.
    pub host: Option<String>,
    /// `port`.
    pub port: Option<i64>,
    /// `database`.
    pub database: Option<String>,
    /// `user`.
    pub user: Option<String>,
    /// `password`.
    pub password: Option<String>,
    /// `schema`: where the tables are, when not the Platform Connector's own schema.
    pub schema: Option<String>,
    /// `tls`: `verify-full`, `require` or `disable`.
    pub tls: Option<String>,
    /// `ca_cert`: a PEM file, relative to the vault file's directory.
    pub ca_cert: Option<String>,
    /// `allow_plaintext`: lets `tls = "disable"` reach a host that is not loopback.
    pub allow_plaintext: Option<bool>,
    /// `statement_timeout`: seconds each statement may run.
    pub statement_timeout: Option<i64>,
    /// `page_rows`: rows fetched at a time.
    pub page_rows: Option<i64>,
    /// `account`: the Snowflake account identifier.
    pub account: Option<String>,
    /// `warehouse`: the Snowflake virtual warehouse the statements run on.
    pub warehouse: Option<String>,
    /// `role`: the Snowflake role the statements run as.
    pub role: Option<String>,
    /// `private_key_file`: an unencrypted PKCS#8 (or PKCS#1) RSA key, PEM, relative to the
    /// vault file's directory (Snowflake key-pair authentication).
    pub private_key_file: Option<String>,
    /// `token`: a Snowflake programmatic access token (instead of a key pair).
    pub token: Option<String>,
    /// `url`: the API's root when not the kind's public one (private link, a test's fake).
    pub url: Option<String>,
    /// `project`: the Google Cloud project BigQuery jobs run in (and are billed to).
    pub project: Option<String>,
    /// `dataset`: the BigQuery dataset holding the tables (BigQuery's word for `schema`).
    pub dataset: Option<String>,
    /// `data_project`: the project holding `dataset`, when not `project`.
    pub data_project: Option<String>,
    /// `location`: where BigQuery runs the jobs (`US`, `EU`, a region).
    pub location: Option<String>,
    /// `key_file`: a Google service-account key file (JSON), relative to the vault file's
    /// directory.
    pub key_file: Option<String>,
    /// `warehouse_id`: the Databricks SQL warehouse the statements run on.
    pub warehouse_id: Option<String>,
    /// `catalog`: the Databricks (Unity Catalog) catalog the Platform Connector writes to.
    pub catalog: Option<String>,
    /// `client_id`: a Databricks service principal's OAuth client id (machine-to-machine).
    pub client_id: Option<String>,
    /// `client_secret`: that service principal's OAuth secret.
    pub client_secret: Option<String>,
}

impl fmt::Debug for VaultAuditSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultAuditSource")
            .field("kind", &self.kind)
            .field("destination", &self.destination)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &"[redacted]")
            .field("schema", &self.schema)
            .field("tls", &self.tls)
            .field("ca_cert", &self.ca_cert)
            .field("allow_plaintext", &self.allow_plaintext)
            .field("statement_timeout", &self.statement_timeout)
            .field("page_rows", &self.page_rows)
            .field("account", &self.account)
            .field("warehouse", &self.warehouse)
            .field("role", &self.role)
            .field("private_key_file", &self.private_key_file)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("url", &self.url)
            .field("project", &self.project)
            .field("dataset", &self.dataset)
            .field("data_project", &self.data_project)
            .field("location", &self.location)
            .field("key_file", &self.key_file)
            .field("warehouse_id", &self.warehouse_id)
            .field("catalog", &self.catalog)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// What a vault file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vault {
    /// One account, at the top level.
    Single(VaultAccount),
    /// Named accounts under `profiles`, at least one.
    Profiles(BTreeMap<ProfileName, VaultAccount>),
}

/// A value of the file, whichever the syntax.
enum Node {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Node>),
    Table(Vec<(String, Node)>),
    Other,
}

impl Node {
    fn from_toml(v: toml::Value) -> Self {
        match v {
            toml::Value::String(s) => Node::Str(s),
            toml::Value::Integer(i) => Node::Int(i),
            toml::Value::Boolean(b) => Node::Bool(b),
            toml::Value::Array(a) => Node::List(a.into_iter().map(Self::from_toml).collect()),
            toml::Value::Table(t) => Node::Table(
                t.into_iter()
                    .map(|(k, v)| (k, Self::from_toml(v)))
                    .collect(),
            ),
            _ => Node::Other,
        }
    }

    fn from_json(v: serde_json::Value) -> Self {
        match v {
            serde_json::Value::String(s) => Node::Str(s),
            serde_json::Value::Number(n) => n.as_i64().map_or(Node::Other, Node::Int),
            serde_json::Value::Bool(b) => Node::Bool(b),
            serde_json::Value::Array(a) => Node::List(a.into_iter().map(Self::from_json).collect()),
            serde_json::Value::Object(m) => Node::Table(
                m.into_iter()
                    .map(|(k, v)| (k, Self::from_json(v)))
                    .collect(),
            ),
            _ => Node::Other,
        }
    }
}

const ACCOUNT_KEYS: [&str; 4] = ["api_key", "api_secret", "api_url", AUDIT_SOURCES];
const AUDIT_SOURCES: &str = "audit_sources";
/// The keys of an audit source entry.
const SOURCE_KEYS: [&str; 28] = [
    "kind",
    "destination",
    "host",
    "port",
    "database",
    "user",
    "password",
    "schema",
    "tls",
    "ca_cert",
    "allow_plaintext",
    "statement_timeout",
    "page_rows",
    "account",
    "warehouse",
    "role",
    "private_key_file",
    "token",
    "url",
    "project",
    "dataset",
    "data_project",
    "location",
    "key_file",
    "warehouse_id",
    "catalog",
    "client_id",
    "client_secret",
];
const PROFILES: &str = "profiles";

/// Reads a vault file's text (TOML, or JSON when it starts with `{`). Public for the property
/// tests and the fuzz target.
pub fn parse_vault(text: &str) -> Result<Vault, String> {
    let top = if text.trim_start().starts_with('{') {
        // serde_json keeps the last of two equal keys without a word; `Unique` refuses them at
        // any depth, and keeps values out of its message.
        if let Err(e) = serde_json::from_str::<Unique>(text)
            && e.to_string().starts_with(DUPLICATE)
        {
            return Err(format!(
                "names a key twice (line {}, column {})",
                e.line(),
                e.column()
            ));
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        match Node::from_json(value) {
            Node::Table(t) => t,
            _ => return Err("is not a JSON object".into()),
        }
    } else {
        // toml refuses a repeated key or table itself.
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(" at line {line}")
                })
                .unwrap_or_default();
            format!("is not valid TOML{at}")
        })?;
        table
            .into_iter()
            .map(|(k, v)| (k, Node::from_toml(v)))
            .collect()
    };
    let (profiles, account): (Vec<_>, Vec<_>) = top.into_iter().partition(|(k, _)| k == PROFILES);
    match profiles.into_iter().next() {
        None => account_from(account, "", &Locator { text, profile: None }).map(Vault::Single),
        Some(_) if !account.is_empty() => Err(
            "has both top-level keys and `profiles`; keep one form (move the top-level account into a profile such as `default`)"
                .into(),
        ),
        Some((_, Node::Table(entries))) => profiles_from(entries, text),
        Some(_) => Err("has `profiles` that is not a table of named profiles".into()),
    }
}

fn profiles_from(entries: Vec<(String, Node)>, text: &str) -> Result<Vault, String> {
    if entries.is_empty() {
        return Err("has an empty `profiles` table".into());
    }
    let mut profiles = BTreeMap::new();
    for (raw, node) in entries {
        // Not quoted: a secret pasted where a name goes would be printed.
        let name = ProfileName::parse(&raw).ok_or_else(|| {
            format!(
                "has a profile name that is not 1 to {MAX_PROFILE_NAME} letters, digits, `_` or `-`"
            )
        })?;
        let Node::Table(fields) = node else {
            return Err(format!("has profile `{name}` that is not a table"));
        };
        let locator = Locator {
            text,
            profile: Some(name.as_str()),
        };
        let account = account_from(fields, &format!(" in profile `{name}`"), &locator)?;
        profiles.insert(name, account);
    }
    Ok(Vault::Profiles(profiles))
}

/// Where in the file's text an account's fields are, to name the line of a key the message
/// cannot quote.
struct Locator<'a> {
    text: &'a str,
    /// The profile the account is under; `None` for the top level.
    profile: Option<&'a str>,
}

impl Locator<'_> {
    /// The line a key of this account is written on (TOML `key =`, bare or quoted, in the
    /// account's table; JSON `"key":` after the profile's name), if it can be found.
    fn line_of(&self, key: &str) -> Option<usize> {
        let json = self.text.trim_start().starts_with('{');
        let quoted = serde_json::Value::String(key.to_owned()).to_string();
        let mut in_table = self.profile.is_none();
        let mut seen_profile = self.profile.is_none();
        for (n, line) in self.text.lines().enumerate() {
            let t = line.trim_start();
            if json {
                if let Some(profile) = self.profile
                    && !seen_profile
                {
                    let name = serde_json::Value::String(profile.to_owned()).to_string();
                    seen_profile =
                        t.contains(&format!("{name}:")) || t.contains(&format!("{name} :"));
                    if !seen_profile {
                        continue;
                    }
                }
                if let Some(at) = t.find(&quoted)
                    && t[at + quoted.len()..].trim_start().starts_with(':')
                {
                    return Some(n + 1);
                }
                continue;
            }
            if let Some(header) = t.strip_prefix('[') {
                let header = header.trim_end().trim_end_matches(']').trim();
                in_table = match self.profile {
                    None => false,
                    Some(p) => {
                        header == format!("profiles.{p}") || header == format!("profiles.\"{p}\"")
                    }
                };
                continue;
            }
            if !in_table {
                continue;
            }
            let rest = t
                .strip_prefix(key)
                .or_else(|| t.strip_prefix(quoted.as_str()))
                .or_else(|| t.strip_prefix(&format!("'{key}'")));
            if rest.is_some_and(|r| r.trim_start().starts_with('=')) {
                return Some(n + 1);
            }
        }
        None
    }
}

/// One account from its fields; `at` says where (` in profile `x``) for messages.
fn account_from(
    fields: Vec<(String, Node)>,
    at: &str,
    locator: &Locator<'_>,
) -> Result<VaultAccount, String> {
    let mut found: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut audit_sources = Vec::new();
    for (k, v) in fields {
        let Some(&known) = ACCOUNT_KEYS.iter().find(|n| **n == k) else {
            // The name is not repeated: a secret pasted where a key name goes would be printed.
            let others = if at.is_empty() {
                ", api_url and profiles"
            } else {
                " and api_url"
            };
            let line = locator
                .line_of(&k)
                .map(|n| format!(" at line {n}"))
                .unwrap_or_default();
            return Err(format!(
                "has a key other than api_key, api_secret{others}{at}{line}; remove it (an account may also hold audit_sources)"
            ));
        };
        match v {
            Node::List(entries) if known == AUDIT_SOURCES => {
                for (n, entry) in entries.into_iter().enumerate() {
                    audit_sources.push(audit_source_from(entry, n + 1, at)?);
                }
            }
            _ if known == AUDIT_SOURCES => {
                return Err(format!(
                    "has `audit_sources` that is not a list of tables{at} (write [[audit_sources]] once per source)"
                ));
            }
            Node::Str(s) => {
                found.insert(known, s);
            }
            _ => return Err(format!("has `{known}` that is not a string{at}")),
        }
    }
    let mut take = |k: &str| found.remove(k);
    match (take("api_key"), take("api_secret"), take("api_url")) {
        (Some(api_key), Some(api_secret), api_url) => Ok(VaultAccount {
            api_key,
            api_secret,
            api_url,
            audit_sources,
        }),
        (None, _, _) => Err(format!("has no `api_key`{at}")),
        (_, None, _) => Err(format!("has no `api_secret`{at}")),
    }
}

/// The `n`th (from 1) audit source of an account; `at` says which account, for messages.
/// Only a key's name from [`SOURCE_KEYS`] is ever quoted, never a value.
fn audit_source_from(node: Node, n: usize, at: &str) -> Result<VaultAuditSource, String> {
    let Node::Table(fields) = node else {
        return Err(format!("has audit source {n}{at} that is not a table"));
    };
    let mut source = VaultAuditSource::default();
    for (k, v) in fields {
        let Some(&key) = SOURCE_KEYS.iter().find(|name| **name == k) else {
            return Err(format!(
                "has audit source {n}{at} with a key other than {}; remove it",
                SOURCE_KEYS.join(", ")
            ));
        };
        let wrong = |what: &str| format!("has audit source {n}{at} whose `{key}` is not {what}");
        match (key, v) {
            ("port" | "statement_timeout" | "page_rows", Node::Int(i)) => {
                let slot = match key {
                    "port" => &mut source.port,
                    "statement_timeout" => &mut source.statement_timeout,
                    _ => &mut source.page_rows,
                };
                *slot = Some(i);
            }
            ("port" | "statement_timeout" | "page_rows", _) => return Err(wrong("an integer")),
            ("allow_plaintext", Node::Bool(b)) => source.allow_plaintext = Some(b),
            ("allow_plaintext", _) => return Err(wrong("true or false")),
            (_, Node::Str(s)) => {
                let slot = match key {
                    "kind" => &mut source.kind,
                    "destination" => &mut source.destination,
                    "host" => &mut source.host,
                    "database" => &mut source.database,
                    "user" => &mut source.user,
                    "password" => &mut source.password,
                    "schema" => &mut source.schema,
                    "tls" => &mut source.tls,
                    "account" => &mut source.account,
                    "warehouse" => &mut source.warehouse,
                    "role" => &mut source.role,
                    "private_key_file" => &mut source.private_key_file,
                    "token" => &mut source.token,
                    "url" => &mut source.url,
                    "project" => &mut source.project,
                    "dataset" => &mut source.dataset,
                    "data_project" => &mut source.data_project,
                    "location" => &mut source.location,
                    "key_file" => &mut source.key_file,
                    "warehouse_id" => &mut source.warehouse_id,
                    "catalog" => &mut source.catalog,
                    "client_id" => &mut source.client_id,
                    "client_secret" => &mut source.client_secret,
                    _ => &mut source.ca_cert,
                };
                *slot = Some(s);
            }
            _ => return Err(wrong("a string")),
        }
    }
    Ok(source)
}

/// Start of the message [`Unique`] fails with.
const DUPLICATE: &str = "duplicate field";

/// Any JSON value whose objects, at every depth, name each key once.
struct Unique;

impl<'de> serde::Deserialize<'de> for Unique {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key) {
                return Err(serde::de::Error::custom(DUPLICATE));
            }
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }
}

#[cfg(test)]
mod tests;
