//! The only place a query is sent to a customer's warehouse: reading the tables a Fivetran
//! Platform Connector writes there (`LOG`, `AUDIT_TRAIL`, `USER`). One file per kind of
//! warehouse ([`postgres`]: PostgreSQL and Redshift, over the PostgreSQL protocol;
//! [`snowflake`]: Snowflake's SQL API over HTTPS; [`bigquery`]: BigQuery's REST API;
//! [`databricks`]: Databricks' Statement Execution API over HTTPS; all read through [`rest`],
//! the part of a read over HTTPS every such API shares, in the dialects of [`statements`],
//! every request sent by [`http`] under the Fivetran client's pace and retry rules).
//!
//! Whatever the kind, a read is the same intent:
//! - one read-only transaction (over HTTPS, read-only statements without one), each
//!   statement under a time limit;
//! - fixed statements: table and column names are quoted identifiers from the catalog, every
//!   value (window, key, bounds) a bound parameter, never text formatted into SQL;
//! - rows in `(time, id)` order, fetched a bounded page at a time and handed on one row at a
//!   time ([`Key`] is where a read resumes after a dropped connection);
//! - every value read as text, a JSON column larger than [`Limits::max_field_bytes`] not
//!   transferred at all ([`Field::TooLarge`]), so memory stays bounded whatever a row holds.
//!
//! What the rows mean (user actions, actors, de-duplication) is `crate::audit`'s business; this
//! module only reads.

pub mod bigquery;
pub mod databricks;
pub mod http;
pub mod postgres;
pub mod rest;
mod rows;
pub mod snowflake;
pub mod statements;

use std::fmt;

use jiff::Timestamp;

use crate::credentials::AuditSource;
use crate::text::clean;
use crate::vocab::Window;

pub use rows::{AuditTrailRow, Catalog, Column, Field, Key, LogRow, Table, TableInfo, UserRow};

/// What every request over HTTPS shares with the Fivetran client: certificates trusted
/// besides the system's (`--ca-cert`, for a proxy that re-signs TLS) and the wait budget
/// (`--max-wait`, spent by each source on its own). The proxy comes from the environment, as
/// for the API client.
#[derive(Debug, Clone)]
pub struct Net {
    /// The extra roots.
    pub extra_roots: Vec<reqwest::Certificate>,
    /// The most one source may spend waiting on `Retry-After` and backoffs.
    pub max_wait: std::time::Duration,
}

impl Default for Net {
    /// No extra roots; the default `--max-wait`.
    fn default() -> Self {
        Self {
            extra_roots: Vec::new(),
            max_wait: crate::client::retry::DEFAULT_MAX_WAIT,
        }
    }
}

/// The bounds of one read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rows fetched at a time.
    pub page_rows: u32,
    /// A JSON value (`message_data`, `old_values`, `new_values`) larger than this many bytes is
    /// not transferred.
    pub max_field_bytes: u32,
    /// How long one statement (one page) may run.
    pub statement_timeout: std::time::Duration,
}

/// The largest JSON value read: 1 MiB.
pub const MAX_FIELD_BYTES: u32 = 1024 * 1024;

/// The most `USER` rows read (an account has far fewer people).
pub const MAX_USERS: usize = 100_000;

impl Limits {
    /// The limits an audit source asks for.
    pub fn of(source: &AuditSource) -> Self {
        Self {
            page_rows: source.page_rows,
            max_field_bytes: MAX_FIELD_BYTES,
            statement_timeout: source.statement_timeout,
        }
    }
}

/// What went wrong with a warehouse. Messages are lowercase, never hold a password, and quote
/// the server's own words only cleaned of control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarehouseError {
    /// The server could not be reached (name, refused, timeout).
    Unreachable(String),
    /// The TLS handshake failed (certificate, name, no TLS on the server).
    Tls(String),
    /// The server refused the user or password.
    Auth(String),
    /// The user may not read a table (or use the schema).
    Denied {
        /// The table (or schema) refused.
        object: String,
        /// The server's words.
        detail: String,
    },
    /// A schema, table or column the read needs is not there.
    Missing(String),
    /// A statement ran longer than the time limit.
    Timeout(String),
    /// The connection was lost mid-read.
    Dropped(String),
    /// Anything else the server answered.
    Query(String),
}

impl WarehouseError {
    /// Whether reading again on a new connection may succeed (a dropped connection).
    pub fn is_retryable(&self) -> bool {
        matches!(self, WarehouseError::Dropped(_))
    }

    /// What the operator can do, if anything.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            WarehouseError::Unreachable(_) => {
                "check host and port in the vault file, and that this machine may reach the warehouse (firewall, VPN, allow-list)"
            }
            WarehouseError::Tls(_) => {
                "check tls and ca_cert in the vault file: with verify-full, ca_cert must hold the CA that signed the server's certificate, and host must be a name in it"
            }
            WarehouseError::Auth(_) => {
                "check user and password of this audit source in the vault file (Snowflake: user, account, and private_key_file whose public key is set on the user with ALTER USER ... SET RSA_PUBLIC_KEY, or token; BigQuery: key_file, the JSON key of a service account whose key is not disabled or deleted)"
            }
            WarehouseError::Denied { .. } => {
                "grant the reader SELECT on the Platform Connector's tables; `iru-fivetran doctor` prints the statements"
            }
            WarehouseError::Missing(_) => {
                "check database and schema in the vault file (the schema the Platform Connector writes, fivetran_metadata by default); `iru-fivetran doctor` lists what it finds"
            }
            WarehouseError::Timeout(_) => {
                "raise statement_timeout of this audit source, or run when the warehouse is less busy"
            }
            WarehouseError::Dropped(_) | WarehouseError::Query(_) => return None,
        })
    }

    /// Whether the user may not read what was asked (an artifact is `forbidden` when every
    /// failure is this).
    pub fn is_denied(&self) -> bool {
        matches!(self, WarehouseError::Denied { .. })
    }
}

impl fmt::Display for WarehouseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarehouseError::Unreachable(d) => write!(f, "cannot reach the warehouse: {d}"),
            WarehouseError::Tls(d) => write!(f, "the TLS handshake with the warehouse failed: {d}"),
            WarehouseError::Auth(d) => write!(f, "the warehouse refused the login: {d}"),
            WarehouseError::Denied { object, detail } => {
                write!(f, "permission denied on {object}: {detail}")
            }
            WarehouseError::Missing(d) => write!(f, "not found in the warehouse: {d}"),
            WarehouseError::Timeout(d) => write!(f, "a statement timed out: {d}"),
            WarehouseError::Dropped(d) => write!(f, "the connection was lost: {d}"),
            WarehouseError::Query(d) => write!(f, "the warehouse answered an error: {d}"),
        }
    }
}

impl std::error::Error for WarehouseError {}

/// The statements that give the reader of `source` what a read of `schema` needs and nothing
/// more, in its warehouse's dialect: printed by `doctor` and the README, never run.
pub fn grants(source: &AuditSource, schema: &str) -> Vec<String> {
    use crate::credentials::audit::Kind;
    match (source.kind, &source.rest) {
        // Fivetran creates Snowflake objects unquoted, so they are stored in upper case (the
        // API names the schema in lower case).
        (Kind::Snowflake, Some(rest)) => statements::grants(
            statements::Dialect::Snowflake,
            &source.database.to_ascii_uppercase(),
            &schema.to_ascii_uppercase(),
            &source.user,
            rest.role.as_deref().unwrap_or("IRU_AUDIT_READER"),
            rest.warehouse.as_deref().unwrap_or("COMPUTE_WH"),
        ),
        (Kind::BigQuery, Some(rest)) => match &rest.bigquery {
            Some(bq) => statements::grants(
                statements::Dialect::BigQuery,
                &bq.data_project,
                schema,
                &bq.client_email,
                "",
                &bq.project,
            ),
            None => Vec::new(),
        },
        (Kind::Databricks, Some(rest)) => statements::grants(
            statements::Dialect::Databricks,
            &source.database,
            schema,
            &source.user,
            "",
            rest.warehouse.as_deref().unwrap_or_default(),
        ),
        (Kind::Redshift, _) => postgres::grants(
            postgres::Dialect::Redshift,
            &source.database,
            schema,
            &source.user,
        ),
        _ => postgres::grants(
            postgres::Dialect::Postgres,
            &source.database,
            schema,
            &source.user,
        ),
    }
}

/// Server text as a message may quote it: control characters escaped, length capped.
fn quoted(text: &str) -> String {
    clean(text)
}

/// The stored schema name and the catalog's entry of `table`, which must be there and have
/// every column the reads need; otherwise what is missing, named. Shared by every kind of
/// warehouse, so the same gap reads the same whichever source it is found in.
fn readable(catalog: &Catalog, table: Table) -> Result<(&str, &TableInfo), WarehouseError> {
    let schema = catalog
        .stored_schema
        .as_deref()
        .ok_or_else(|| WarehouseError::Missing(format!("schema {}", quoted(&catalog.schema))))?;
    let info = catalog.table(table).ok_or_else(|| {
        WarehouseError::Missing(format!(
            "table {} in schema {}",
            table.name(),
            quoted(&catalog.schema)
        ))
    })?;
    let missing = info.missing(table);
    if !missing.is_empty() {
        return Err(WarehouseError::Missing(format!(
            "column {} of table {} in schema {}",
            missing.join(", "),
            table.name(),
            quoted(&catalog.schema)
        )));
    }
    Ok((schema, info))
}

/// An open connection to an audit source's warehouse.
pub enum Session {
    /// PostgreSQL or Redshift.
    Postgres(postgres::Session),
    /// A warehouse reached over HTTPS (boxed: its client is the larger).
    Rest(Box<rest::Session>),
}

/// The read-only transaction all of one read happens in.
pub enum Reader<'a> {
    /// PostgreSQL or Redshift.
    Postgres(postgres::Reader<'a>),
    /// A warehouse reached over HTTPS.
    Rest(rest::Reader<'a>),
}

impl Session {
    /// Connects to the warehouse of `source` (TLS as it says; over HTTPS, with `net`).
    pub async fn open(source: &AuditSource, net: &Net) -> Result<Self, WarehouseError> {
        if source.kind.is_rest() {
            return rest::Session::open(source, net).map(|s| Session::Rest(Box::new(s)));
        }
        postgres::Session::open(source).await.map(Session::Postgres)
    }

    /// Starts the read-only transaction, each statement limited to `limits.statement_timeout`.
    pub async fn begin(&mut self, limits: Limits) -> Result<Reader<'_>, WarehouseError> {
        match self {
            Session::Postgres(s) => s.begin(limits).await.map(Reader::Postgres),
            Session::Rest(s) => Ok(Reader::Rest(s.begin(limits))),
        }
    }

    /// Which statements this session runs (`postgres` or `redshift`), for the evidence.
    pub fn dialect(&self) -> &'static str {
        match self {
            Session::Postgres(s) => s.dialect(),
            Session::Rest(s) => s.dialect(),
        }
    }
}

impl Reader<'_> {
    /// What `schema` holds of the Platform Connector's tables, and what the user may read.
    pub async fn catalog(&self, schema: &str) -> Result<Catalog, WarehouseError> {
        match self {
            Reader::Postgres(r) => r.catalog(schema).await,
            Reader::Rest(r) => r.catalog(schema).await,
        }
    }

    /// Every `USER` row (at most [`MAX_USERS`]); returns whether there were more.
    pub async fn users(
        &self,
        catalog: &Catalog,
        each: &mut (dyn FnMut(UserRow) + Send),
    ) -> Result<bool, WarehouseError> {
        match self {
            Reader::Postgres(r) => r.users(catalog, each).await,
            Reader::Rest(r) => r.users(catalog, each).await,
        }
    }

    /// The time of the earliest row of `table`, if it has any.
    pub async fn earliest(
        &self,
        catalog: &Catalog,
        table: Table,
    ) -> Result<Option<Timestamp>, WarehouseError> {
        match self {
            Reader::Postgres(r) => r.earliest(catalog, table).await,
            Reader::Rest(r) => r.earliest(catalog, table).await,
        }
    }

    /// How many rows of `table` lie in `span`.
    pub async fn count(
        &self,
        catalog: &Catalog,
        table: Table,
        span: Window,
    ) -> Result<u64, WarehouseError> {
        match self {
            Reader::Postgres(r) => r.count(catalog, table, span).await,
            Reader::Rest(r) => r.count(catalog, table, span).await,
        }
    }

    /// The `LOG` rows in `span` whose `message_data` mentions `"actor"` (the rows a user
    /// action can be), after `after` if given, in `(time, id)` order.
    pub async fn log(
        &self,
        catalog: &Catalog,
        span: Window,
        after: Option<&Key>,
        each: &mut (dyn FnMut(LogRow) + Send),
    ) -> Result<(), WarehouseError> {
        match self {
            Reader::Postgres(r) => r.log(catalog, span, after, each).await,
            Reader::Rest(r) => r.log(catalog, span, after, each).await,
        }
    }

    /// The `AUDIT_TRAIL` rows in `span`, after `after` if given, in `(time, id)` order.
    pub async fn audit_trail(
        &self,
        catalog: &Catalog,
        span: Window,
        after: Option<&Key>,
        each: &mut (dyn FnMut(AuditTrailRow) + Send),
    ) -> Result<(), WarehouseError> {
        match self {
            Reader::Postgres(r) => r.audit_trail(catalog, span, after, each).await,
            Reader::Rest(r) => r.audit_trail(catalog, span, after, each).await,
        }
    }

    /// Ends the transaction (nothing was written; it is rolled back).
    pub async fn finish(self) {
        match self {
            Reader::Postgres(r) => r.finish().await,
            Reader::Rest(_) => {}
        }
    }
}

#[cfg(test)]
mod tests;
