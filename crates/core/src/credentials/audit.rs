//! The audit sources of an account, checked: warehouses holding the tables a Fivetran Platform
//! Connector writes (`[[audit_sources]]` in the vault file, see [`super::vault`]).
//!
//! Every problem is found here, before any request: a missing field, an unknown `kind` or
//! `tls`, a port out of range, a `ca_cert` that holds no certificate, and `tls = "disable"` to
//! a host that is not loopback without `allow_plaintext = true` (a password would cross the
//! network in the clear). Messages name the source by its number and never quote a value of
//! the file but the host, user and database, which are not secret.
//!
//! The password lives in a [`SecretString`] from the moment it is read;
//! [`AuditSource::pg_config`] is the only function that exposes it. The warehouses reached
//! over HTTPS (`snowflake`, `databricks`) are checked in [`rest`] and [`databricks`]; [`rest`]
//! holds their keys and tokens.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::vault::VaultAuditSource;

pub mod databricks;
pub mod rest;

pub use rest::{KeyPair, OAuthClient, Rest, RestAuth};

/// `statement_timeout` when not given: each statement (one page of rows) may run this long.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest `statement_timeout` accepted.
pub const MAX_STATEMENT_TIMEOUT: Duration = Duration::from_secs(3600);
/// `page_rows` when not given: rows fetched at a time.
pub const DEFAULT_PAGE_ROWS: u32 = 5_000;
/// The most `page_rows` accepted.
pub const MAX_PAGE_ROWS: u32 = 100_000;
/// A `ca_cert` file larger than this is not a certificate bundle.
const MAX_CA_BYTES: u64 = 1024 * 1024;
/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Which warehouse an audit source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// PostgreSQL (any of Fivetran's PostgreSQL destinations).
    Postgres,
    /// Amazon Redshift, over the PostgreSQL protocol.
    Redshift,
    /// Snowflake, through its SQL API (HTTPS).
    Snowflake,
    /// Google BigQuery, through its REST API v2 (HTTPS).
    BigQuery,
    /// Databricks, through its SQL Statement Execution API (HTTPS).
    Databricks,
}

impl Kind {
    /// The name in the vault file and the bundle.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Postgres => "postgres",
            Kind::Redshift => "redshift",
            Kind::Snowflake => "snowflake",
            Kind::BigQuery => "bigquery",
            Kind::Databricks => "databricks",
        }
    }

    /// Whether it is reached over HTTPS (its `rest` settings) rather than a database protocol.
    pub fn is_rest(self) -> bool {
        matches!(self, Kind::Snowflake | Kind::BigQuery | Kind::Databricks)
    }

    /// The port when none is given.
    pub fn default_port(self) -> u16 {
        match self {
            Kind::Postgres => 5432,
            Kind::Redshift => 5439,
            Kind::Snowflake | Kind::BigQuery | Kind::Databricks => 443,
        }
    }

    /// Whether a destination of Fivetran service `service` is this kind of warehouse.
    pub fn serves(self, service: &str) -> bool {
        match self {
            Kind::Postgres => service.contains("postgres"),
            Kind::Redshift => service.contains("redshift"),
            Kind::Snowflake => service.contains("snowflake"),
            // Fivetran's service id is `big_query`.
            Kind::BigQuery => service.contains("big_query") || service.contains("bigquery"),
            Kind::Databricks => service.contains("databricks"),
        }
    }
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS, the server's certificate checked against `ca_cert` (else the system's roots) and
    /// its name against `host`.
    VerifyFull,
    /// TLS, the certificate not checked (encrypted, but anyone in the path can pose as the
    /// server).
    Require,
    /// No TLS: loopback, or with `allow_plaintext`.
    Disable,
}

impl TlsMode {
    /// The name in the vault file and the bundle.
    pub fn name(self) -> &'static str {
        match self {
            TlsMode::VerifyFull => "verify-full",
            TlsMode::Require => "require",
            TlsMode::Disable => "disable",
        }
    }
}

/// A `ca_cert`: the file's name (as the vault gives it) and the certificates it holds.
#[derive(Clone)]
pub struct CaCert {
    /// The path as written in the vault file.
    pub path: String,
    /// The certificates, DER.
    pub certs: Vec<rustls::pki_types::CertificateDer<'static>>,
}

impl fmt::Debug for CaCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaCert")
            .field("path", &self.path)
            .field("certs", &self.certs.len())
            .finish()
    }
}

/// One audit source, checked. `Debug` hides the password.
#[derive(Clone)]
pub struct AuditSource {
    /// Its place in the file, from 1 (how messages name it).
    pub number: usize,
    /// Which warehouse.
    pub kind: Kind,
    /// The destination (group) id named, if any.
    pub destination: Option<String>,
    /// The host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The database.
    pub database: String,
    /// The user.
    pub user: String,
    /// The password (the PostgreSQL protocol only).
    password: Option<SecretString>,
    /// The schema named, if any (else the Platform Connector's).
    pub schema: Option<String>,
    /// How the connection is protected.
    pub tls: TlsMode,
    /// The CA to check the server's certificate against (`verify-full` only).
    pub ca_cert: Option<CaCert>,
    /// Whether plain text to a host that is not loopback was allowed.
    pub allow_plaintext: bool,
    /// How long one statement may run.
    pub statement_timeout: Duration,
    /// Rows fetched at a time.
    pub page_rows: u32,
    /// How a warehouse reached over HTTPS is found and authenticated (`None` for the
    /// PostgreSQL protocol).
    pub rest: Option<Rest>,
}

impl fmt::Debug for AuditSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditSource")
            .field("number", &self.number)
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
            .field("rest", &self.rest)
            .finish_non_exhaustive()
    }
}

impl AuditSource {
    /// How messages name it: `audit source 1 (postgres iru_reader@host:5432/analytics)`.
    pub fn label(&self) -> String {
        format!(
            "audit source {} ({} {}@{}:{}/{})",
            self.number,
            self.kind.name(),
            crate::text::printable(&self.user),
            crate::text::printable(&self.host),
            self.port,
            crate::text::printable(&self.database)
        )
    }

    /// Whether the host is this machine.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.host)
    }

    /// The connection settings of the PostgreSQL protocol, password included. This is the only
    /// place a warehouse password is exposed; TLS is set up by the caller
    /// (`warehouse::postgres`), which also decides the SSL mode from [`AuditSource::tls`].
    pub fn pg_config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.database)
            .password(
                self.password
                    .as_ref()
                    .map_or(&b""[..], |p| p.expose_secret().as_bytes()),
            )
            .application_name(crate::vocab::TOOL_NAME)
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .ssl_mode(match self.tls {
                TlsMode::Disable => tokio_postgres::config::SslMode::Disable,
                TlsMode::VerifyFull | TlsMode::Require => tokio_postgres::config::SslMode::Require,
            });
        config
    }
}

/// Why an audit source is not usable: the problem and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong (never a value of the file but the host, user or database).
    pub problem: String,
    /// How to fix it.
    pub hint: String,
}

pub(crate) fn problem(problem: impl Into<String>, hint: impl Into<String>) -> Problem {
    Problem {
        problem: problem.into(),
        hint: hint.into(),
    }
}

const FIELDS_HINT: &str = "each [[audit_sources]] needs kind, host, database, user and password (see the README, \"The audit trail\")";

/// Checks the `number`th (from 1) audit source as written; `dir` is the vault file's directory
/// (a relative `ca_cert` is read from there).
pub fn check(raw: VaultAuditSource, number: usize, dir: &Path) -> Result<AuditSource, Problem> {
    let required = |value: Option<String>, name: &str| -> Result<String, Problem> {
        let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
        if value.is_empty() {
            return Err(problem(format!("has no `{name}`"), FIELDS_HINT));
        }
        if value.chars().any(char::is_control) {
            return Err(problem(
                format!("has a `{name}` with a control character"),
                FIELDS_HINT,
            ));
        }
        Ok(value)
    };
    let kind = match required(raw.kind.clone(), "kind")?.as_str() {
        "postgres" => Kind::Postgres,
        "redshift" => Kind::Redshift,
        "snowflake" => Kind::Snowflake,
        "bigquery" => Kind::BigQuery,
        "databricks" => Kind::Databricks,
        _ => {
            return Err(problem(
                "has an unknown `kind`",
                "kind is \"postgres\", \"redshift\", \"snowflake\", \"bigquery\" or \"databricks\"",
            ));
        }
    };
    let common = common(&raw)?;
    if kind == Kind::BigQuery {
        return rest::bigquery::check(raw, number, dir, common);
    }
    if kind == Kind::Databricks {
        return databricks::check(raw, number, common);
    }
    if kind.is_rest() {
        return rest::check(raw, kind, number, dir, common);
    }
    unused(
        &[
            ("account", raw.account.is_some()),
            ("warehouse", raw.warehouse.is_some()),
            ("role", raw.role.is_some()),
            ("private_key_file", raw.private_key_file.is_some()),
            ("token", raw.token.is_some()),
            ("url", raw.url.is_some()),
            ("project", raw.project.is_some()),
            ("dataset", raw.dataset.is_some()),
            ("data_project", raw.data_project.is_some()),
            ("location", raw.location.is_some()),
            ("key_file", raw.key_file.is_some()),
            ("warehouse_id", raw.warehouse_id.is_some()),
            ("catalog", raw.catalog.is_some()),
            ("client_id", raw.client_id.is_some()),
            ("client_secret", raw.client_secret.is_some()),
        ],
        kind,
    )?;
    let host = required(raw.host, "host")?;
    let database = required(raw.database, "database")?;
    let user = required(raw.user, "user")?;
    let password = raw.password.unwrap_or_default();
    if password.is_empty() {
        return Err(problem("has no `password`", FIELDS_HINT));
    }
    let port = match raw.port {
        None => kind.default_port(),
        Some(p) => u16::try_from(p).ok().filter(|p| *p > 0).ok_or_else(|| {
            problem(
                "has a `port` that is not between 1 and 65535",
                format!("the default is {}", kind.default_port()),
            )
        })?,
    };
    let tls = match raw.tls.as_deref().map(str::trim) {
        None | Some("verify-full") => TlsMode::VerifyFull,
        Some("require") => TlsMode::Require,
        Some("disable") => TlsMode::Disable,
        Some(_) => {
            return Err(problem(
                "has an unknown `tls`",
                "tls is \"verify-full\" (the default), \"require\" or \"disable\"",
            ));
        }
    };
    let allow_plaintext = raw.allow_plaintext.unwrap_or(false);
    if tls == TlsMode::Disable && !is_loopback(&host) && !allow_plaintext {
        return Err(problem(
            format!(
                "has tls = \"disable\" for host {}, which is not loopback: the password and the audit trail would cross the network unencrypted",
                crate::text::printable(&host)
            ),
            "use tls = \"verify-full\" (with ca_cert for a private CA), or, if the network is trusted, also set allow_plaintext = true",
        ));
    }
    let ca_cert = match raw.ca_cert {
        None => None,
        Some(_) if tls != TlsMode::VerifyFull => {
            return Err(problem(
                format!("has a `ca_cert` with tls = \"{}\"", tls.name()),
                "ca_cert is what tls = \"verify-full\" checks the server against; use verify-full, or remove ca_cert",
            ));
        }
        Some(path) => Some(read_ca(&path, dir)?),
    };
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
        host,
        port,
        database,
        user,
        password: Some(SecretString::from(password)),
        schema,
        tls,
        ca_cert,
        allow_plaintext,
        statement_timeout,
        page_rows,
        rest: None,
    })
}

/// The fields every kind has.
pub(crate) struct Common {
    pub(crate) destination: Option<String>,
    pub(crate) schema: Option<String>,
    pub(crate) statement_timeout: Duration,
    pub(crate) page_rows: u32,
}

/// Checks the fields every kind has.
fn common(raw: &VaultAuditSource) -> Result<Common, Problem> {
    let destination = match raw.destination.clone() {
        None => None,
        Some(d) => {
            let d = d.trim().to_owned();
            let ok = (1..=128).contains(&d.len())
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(problem(
                    "has a `destination` that is not a destination id",
                    "give the destination's id as the Fivetran dashboard or `destinations.json` shows it (letters, digits and `_`)",
                ));
            }
            Some(d)
        }
    };
    let schema = match raw.schema.clone() {
        None => None,
        Some(s) => {
            let s = s.trim().to_owned();
            if s.is_empty() || s.len() > 63 || s.chars().any(char::is_control) {
                return Err(problem(
                    "has a `schema` that is not a schema name (1 to 63 bytes)",
                    "leave it out to read the schema the Platform Connector writes",
                ));
            }
            Some(s)
        }
    };
    let statement_timeout = match raw.statement_timeout {
        None => DEFAULT_STATEMENT_TIMEOUT,
        Some(s) => u64::try_from(s)
            .ok()
            .map(Duration::from_secs)
            .filter(|d| !d.is_zero() && *d <= MAX_STATEMENT_TIMEOUT)
            .ok_or_else(|| {
                problem(
                    format!(
                        "has a `statement_timeout` that is not 1 to {} seconds",
                        MAX_STATEMENT_TIMEOUT.as_secs()
                    ),
                    format!("the default is {}", DEFAULT_STATEMENT_TIMEOUT.as_secs()),
                )
            })?,
    };
    let page_rows = match raw.page_rows {
        None => DEFAULT_PAGE_ROWS,
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_PAGE_ROWS).contains(n))
            .ok_or_else(|| {
                problem(
                    format!("has a `page_rows` that is not 1 to {MAX_PAGE_ROWS}"),
                    format!("the default is {DEFAULT_PAGE_ROWS}"),
                )
            })?,
    };
    Ok(Common {
        destination,
        schema,
        statement_timeout,
        page_rows,
    })
}

/// Refuses the keys of other kinds that were given.
pub(crate) fn unused(keys: &[(&str, bool)], kind: Kind) -> Result<(), Problem> {
    if let Some((key, _)) = keys.iter().find(|(_, given)| *given) {
        return Err(problem(
            format!("has `{key}`, which kind \"{}\" does not use", kind.name()),
            "remove it, or check `kind` (see the README, \"The audit trail\", for each kind's keys)",
        ));
    }
    Ok(())
}

fn read_ca(path: &str, dir: &Path) -> Result<CaCert, Problem> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let full = dir.join(path);
    let bad = |what: String| {
        problem(
            format!("has a `ca_cert` {}: {what}", full.display()),
            "give a PEM file with one or more `-----BEGIN CERTIFICATE-----` blocks, relative to the vault file's directory or absolute",
        )
    };
    let meta = std::fs::metadata(&full).map_err(|e| bad(e.to_string()))?;
    if meta.len() > MAX_CA_BYTES {
        return Err(bad("larger than a certificate bundle can be".into()));
    }
    let pem = std::fs::read(&full).map_err(|e| bad(e.to_string()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("not a PEM certificate bundle ({e})")))?;
    if certs.is_empty() {
        return Err(bad("holds no certificate".into()));
    }
    Ok(CaCert {
        path: path.to_owned(),
        certs,
    })
}

pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests;
