//! A Databricks audit source (`kind = "databricks"`), checked: the workspace (`host`, its URL,
//! HTTPS), the SQL warehouse the statements run on (`warehouse_id`), where the Platform
//! Connector writes (`catalog`, the source's database; `schema`), and one credential: a
//! personal access token (`token`) or a service principal's OAuth client (`client_id` and
//! `client_secret`, machine to machine). `user` is optional: the principal the `GRANT`
//! statements name (else the client id).
//!
//! The token and the client secret live in [`SecretString`]s from the moment they are read;
//! the token is exposed only by [`super::rest::bearer_header`], the secret only by
//! [`super::rest::OAuthClient::basic_header`].

use secrecy::SecretString;
use url::Url;

use super::rest::{OAuthClient, Rest, RestAuth};
use super::{AuditSource, Common, Kind, Problem, TlsMode, problem, unused};
use crate::credentials::vault::VaultAuditSource;

const HINT: &str = "kind = \"databricks\" needs host (the workspace URL), warehouse_id, catalog and either token or client_id with client_secret (schema and user are optional); see the README, \"Databricks\"";

/// Checks a Databricks source as written.
pub(crate) fn check(
    raw: VaultAuditSource,
    number: usize,
    common: Common,
) -> Result<AuditSource, Problem> {
    let kind = Kind::Databricks;
    unused(
        &[
            ("port", raw.port.is_some()),
            ("database", raw.database.is_some()),
            ("password", raw.password.is_some()),
            ("tls", raw.tls.is_some()),
            ("ca_cert", raw.ca_cert.is_some()),
            ("allow_plaintext", raw.allow_plaintext.is_some()),
            ("account", raw.account.is_some()),
            ("warehouse", raw.warehouse.is_some()),
            ("role", raw.role.is_some()),
            ("private_key_file", raw.private_key_file.is_some()),
            ("url", raw.url.is_some()),
        ],
        kind,
    )?;
    let name = |value: Option<String>, key: &str| -> Result<Option<String>, Problem> {
        let Some(value) = value.map(|v| v.trim().to_owned()) else {
            return Ok(None);
        };
        // Names reach a request body and messages: printable, of a sane length.
        if value.is_empty() || value.len() > 255 || value.chars().any(char::is_control) {
            return Err(problem(
                format!("has a `{key}` that is not a name (1 to 255 printable characters)"),
                HINT,
            ));
        }
        Ok(Some(value))
    };
    let required = |value: Option<String>, key: &str| -> Result<String, Problem> {
        name(value, key)?.ok_or_else(|| problem(format!("has no `{key}`"), HINT))
    };
    let url = workspace(&required(raw.host, "host")?)?;
    let warehouse_id = required(raw.warehouse_id, "warehouse_id")?;
    // The id goes into a request body only, but is an id: letters and digits as the UI shows.
    if !warehouse_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(problem(
            "has a `warehouse_id` that is not a SQL warehouse id",
            "give the id from the SQL warehouse's Connection details (e.g. 1234567890abcdef)",
        ));
    }
    let catalog = required(raw.catalog, "catalog")?;
    let user = name(raw.user, "user")?;
    let secret = |value: Option<String>, key: &str| -> Result<Option<SecretString>, Problem> {
        match value.map(|v| v.trim().to_owned()) {
            None => Ok(None),
            Some(v) if v.is_empty() || v.chars().any(char::is_control) => Err(problem(
                format!("has an empty or unprintable `{key}`"),
                HINT,
            )),
            Some(v) => Ok(Some(SecretString::from(v))),
        }
    };
    let token = secret(raw.token, "token")?;
    let client_id = name(raw.client_id, "client_id")?;
    let client_secret = secret(raw.client_secret, "client_secret")?;
    let auth = match (token, client_id, client_secret) {
        (Some(token), None, None) => RestAuth::Token(token),
        (None, Some(id), Some(secret)) => RestAuth::Client(OAuthClient::new(id, secret)),
        (Some(_), _, _) => {
            return Err(problem(
                "has both `token` and `client_id`/`client_secret`",
                "keep one: a personal access token (token), or a service principal's OAuth secret (client_id and client_secret)",
            ));
        }
        (None, Some(_), None) => {
            return Err(problem("has `client_id` but no `client_secret`", HINT));
        }
        (None, None, Some(_)) => {
            return Err(problem("has `client_secret` but no `client_id`", HINT));
        }
        (None, None, None) => {
            return Err(problem(
                "has neither `token` nor `client_id` and `client_secret`",
                HINT,
            ));
        }
    };
    // The principal the grants name: the user given, else the service principal.
    let user = user
        .or_else(|| match &auth {
            RestAuth::Client(c) => Some(c.id.clone()),
            _ => None,
        })
        .unwrap_or_default();
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
        database: catalog,
        user,
        password: None,
        schema,
        tls: TlsMode::VerifyFull,
        ca_cert: None,
        allow_plaintext: false,
        statement_timeout,
        page_rows,
        rest: Some(Rest {
            url,
            account: String::new(),
            warehouse: Some(warehouse_id),
            role: None,
            auth,
            bigquery: None,
        }),
    })
}

/// The workspace URL: `https://` and a host (a bare host name is taken as HTTPS), or `http://`
/// to this machine (a test's fake); no path, credentials or query.
pub fn workspace(host: &str) -> Result<Url, Problem> {
    let hint = "host is the workspace URL, e.g. https://dbc-a1b2c3d4-e5f6.cloud.databricks.com or https://adb-1234567890123456.7.azuredatabricks.net";
    let text = if host.contains("://") {
        host.to_owned()
    } else {
        format!("https://{host}")
    };
    let url = Url::parse(&text).map_err(|_| problem("has a `host` that is not a URL", hint))?;
    let loopback = url.host_str().is_some_and(super::is_loopback);
    if !(url.scheme() == "https" || (url.scheme() == "http" && loopback))
        || url.host_str().is_none()
    {
        return Err(problem(
            "has a `host` that is not https (plain http is accepted only to this machine)",
            hint,
        ));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.path().trim_end_matches('/').is_empty()
    {
        return Err(problem(
            "has a `host` with a path, credentials or a query in it",
            hint,
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests;
