//! A BigQuery audit source (`kind = "bigquery"`), checked: the project its jobs run in, the
//! dataset and the project holding it, the location, and the service account whose key file
//! it authenticates with.
//!
//! The key file is Google's JSON service-account key (`type` = `service_account`,
//! `client_email`, `private_key`, `private_key_id`, `token_uri`). It is read as the vault file
//! is (a regular file, refused when group or others may read it, bounded in size, never
//! quoted); its private key goes into a [`KeyPair`] at once, so
//! [`KeyPair::sign_rs256`] stays the only function that exposes it. Other kinds of Google
//! credentials files are refused with what to make instead: a user's credentials
//! (`authorized_user`, from `gcloud auth application-default login`) and a workload identity
//! federation configuration (`external_account`) hold no key the collector can sign with.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use url::Url;
use zeroize::Zeroizing;

use super::super::{AuditSource, Common, Kind, Problem, TlsMode, problem, unused};
use super::{KeyProblem, Rest, RestAuth, api_root, parse_key, read_private_file};
use crate::credentials::audit::KeyPair;
use crate::credentials::vault::VaultAuditSource;

/// A key file larger than this is not one service-account key.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// The public endpoint of BigQuery's REST API.
pub const API_ROOT: &str = "https://bigquery.googleapis.com";

/// The hint for every problem with the fields.
const HINT: &str = "kind = \"bigquery\" needs project, key_file (a service-account key, JSON) and optionally dataset, data_project and location; see the README, \"BigQuery\"";

/// The hint for a key file the collector cannot use.
const KEY_HINT: &str = "give the JSON key of a service account (`gcloud iam service-accounts keys create key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com`), readable only by its owner (chmod 600), relative to the vault file's directory or absolute";

/// Where a BigQuery source's jobs run and what they read.
#[derive(Clone, PartialEq, Eq)]
pub struct BigQuery {
    /// The project jobs run in and are billed to.
    pub project: String,
    /// The project holding the dataset (`project` unless `data_project` says otherwise).
    pub data_project: String,
    /// Where jobs run (`US`, `EU`, a region), when given; else BigQuery's choice, which the
    /// first answer names.
    pub location: Option<String>,
    /// The service account (`client_email` of the key file).
    pub client_email: String,
    /// The id of its key (`private_key_id`, the JWT's `kid`).
    pub private_key_id: String,
    /// Where the signed assertion is exchanged for an access token (`token_uri`).
    pub token_uri: Url,
}

impl fmt::Debug for BigQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BigQuery")
            .field("project", &self.project)
            .field("data_project", &self.data_project)
            .field("location", &self.location)
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("token_uri", &self.token_uri.as_str())
            .finish()
    }
}

/// A service-account key file as Google writes it; the fields read, nothing else kept.
#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

/// What a service-account key file gives.
pub struct ServiceAccount {
    /// `client_email`.
    pub client_email: String,
    /// `private_key_id`.
    pub private_key_id: String,
    /// `token_uri`.
    pub token_uri: Url,
    /// `private_key`, checked.
    pub key: KeyPair,
}

/// Reads and checks the key file `path` (relative to `dir`).
pub fn read_key_file(path: &str, dir: &Path) -> Result<ServiceAccount, Problem> {
    let full = dir.join(path);
    let bad = |what: &str| {
        problem(
            format!("has a `key_file` {} that {what}", full.display()),
            KEY_HINT,
        )
    };
    let bytes = read_private_file(&full, "key_file", MAX_KEY_FILE_BYTES, KEY_HINT)?;
    // The parsed fields are not secret but `private_key`, zeroed when dropped.
    let file: KeyFile =
        serde_json::from_slice(&bytes).map_err(|_| bad("is not a JSON key file"))?;
    let private_key = file.private_key.map(Zeroizing::new);
    match file.kind.as_deref() {
        Some("service_account") => {}
        Some("authorized_user") => {
            return Err(problem(
                format!(
                    "has a `key_file` {} that holds a user's credentials (type authorized_user), not a service account's key",
                    full.display()
                ),
                "the collector runs unattended as a service account: create one, grant it the roles `doctor` prints, and give its JSON key (`gcloud iam service-accounts keys create key.json --iam-account=NAME@PROJECT.iam.gserviceaccount.com`)",
            ));
        }
        Some("external_account") => {
            return Err(problem(
                format!(
                    "has a `key_file` {} that is a workload identity federation configuration (type external_account), which holds no key",
                    full.display()
                ),
                "this version signs with a service account's own key: give that service account's JSON key file",
            ));
        }
        _ => {
            return Err(bad(
                "is not a service-account key (its `type` is not service_account)",
            ));
        }
    }
    let field = |value: Option<String>, name: &str| -> Result<String, Problem> {
        let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
        if value.is_empty() || value.len() > 255 || value.chars().any(char::is_control) {
            return Err(bad(&format!("has no usable `{name}`")));
        }
        Ok(value)
    };
    let client_email = field(file.client_email, "client_email")?;
    let private_key_id = field(file.private_key_id, "private_key_id")?;
    let token_uri = field(file.token_uri, "token_uri")?;
    let token_uri = Url::parse(&token_uri)
        .ok()
        .filter(|u| {
            let loopback = u.host_str().is_some_and(super::super::is_loopback);
            (u.scheme() == "https" || (u.scheme() == "http" && loopback))
                && u.username().is_empty()
                && u.password().is_none()
        })
        .ok_or_else(|| {
            bad("has a `token_uri` that is not an https URL (Google's is https://oauth2.googleapis.com/token)")
        })?;
    let Some(pem) = private_key else {
        return Err(bad("has no `private_key`"));
    };
    let key = parse_key(&pem, path).map_err(|why| match why {
        KeyProblem::Encrypted => problem(
            format!(
                "has a `key_file` {} whose private key is encrypted: the collector runs unattended and has no passphrase to give",
                full.display()
            ),
            "create a new key for the service account (`gcloud iam service-accounts keys create`): Google's JSON keys are not encrypted",
        ),
        KeyProblem::Unusable(what) => bad(&format!("`private_key` {what}")),
    })?;
    Ok(ServiceAccount {
        client_email,
        private_key_id,
        token_uri,
        key,
    })
}

/// Checks a BigQuery source.
pub(crate) fn check(
    raw: VaultAuditSource,
    number: usize,
    dir: &Path,
    common: Common,
) -> Result<AuditSource, Problem> {
    let kind = Kind::BigQuery;
    unused(
        &[
            ("host", raw.host.is_some()),
            ("port", raw.port.is_some()),
            ("database", raw.database.is_some()),
            ("user", raw.user.is_some()),
            ("password", raw.password.is_some()),
            ("tls", raw.tls.is_some()),
            ("ca_cert", raw.ca_cert.is_some()),
            ("allow_plaintext", raw.allow_plaintext.is_some()),
            ("account", raw.account.is_some()),
            ("warehouse", raw.warehouse.is_some()),
            ("role", raw.role.is_some()),
            ("private_key_file", raw.private_key_file.is_some()),
            ("token", raw.token.is_some()),
        ],
        kind,
    )?;
    if raw.schema.is_some() && raw.dataset.is_some() {
        return Err(problem(
            "has both `schema` and `dataset`",
            "keep `dataset` (BigQuery's word for a schema)",
        ));
    }
    let project = name(raw.project, "project", true, is_project)?.unwrap_or_default();
    let data_project =
        name(raw.data_project, "data_project", false, is_project)?.unwrap_or(project.clone());
    let location = name(raw.location, "location", false, |l| {
        l.len() <= 64 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })?;
    let dataset = name(raw.dataset, "dataset", false, |d| {
        d.len() <= 1024 && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })?;
    let Some(key_file) = raw.key_file.map(|k| k.trim().to_owned()) else {
        return Err(problem("has no `key_file`", HINT));
    };
    let account = read_key_file(&key_file, dir)?;
    let url = api_root(raw.url, API_ROOT.to_owned())?;
    let Common {
        destination,
        schema,
        statement_timeout,
        page_rows,
    } = common;
    Ok(AuditSource {
        number,
        kind,
        destination,
        host: url.host_str().unwrap_or_default().to_owned(),
        port: url.port_or_known_default().unwrap_or(443),
        database: data_project.clone(),
        user: account.client_email.clone(),
        password: None,
        schema: dataset.or(schema),
        tls: TlsMode::VerifyFull,
        ca_cert: None,
        allow_plaintext: false,
        statement_timeout,
        page_rows,
        rest: Some(Rest {
            url,
            account: String::new(),
            warehouse: None,
            role: None,
            auth: RestAuth::KeyPair(account.key),
            bigquery: Some(BigQuery {
                project,
                data_project,
                location,
                client_email: account.client_email,
                private_key_id: account.private_key_id,
                token_uri: account.token_uri,
            }),
        }),
    })
}

/// A project id: letters, digits, `-`, and `.` and `:` of a domain-scoped project.
fn is_project(p: &str) -> bool {
    p.len() <= 128
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':'))
}

/// A name of the vault entry, trimmed and checked by `ok`; `None` when absent and optional.
fn name(
    value: Option<String>,
    key: &str,
    required: bool,
    ok: impl Fn(&str) -> bool,
) -> Result<Option<String>, Problem> {
    let Some(value) = value.map(|v| v.trim().to_owned()) else {
        return if required {
            Err(problem(format!("has no `{key}`"), HINT))
        } else {
            Ok(None)
        };
    };
    if value.is_empty() || !ok(&value) {
        return Err(problem(
            format!(
                "has a `{key}` that is not a BigQuery {}",
                key.replace('_', " ")
            ),
            HINT,
        ));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests;
