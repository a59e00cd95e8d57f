//! PostgreSQL and Redshift, over the PostgreSQL wire protocol (`tokio-postgres`).
//!
//! A [`Session`] is one connection, TLS as the source says ([`tls`]). [`Session::begin`] starts
//! the one read-only transaction a read happens in (PostgreSQL: `REPEATABLE READ, READ ONLY`,
//! so the passes over `AUDIT_TRAIL` and `LOG` see one snapshot; Redshift: its own serializable
//! transaction) and limits each statement with `set_config('statement_timeout', $1, true)`.
//! A read prepares its statement ([`sql`]) with every parameter typed `text`, binds it to a
//! portal, and fetches `page_rows` rows at a time, each row handed on as it is decoded: the
//! server sorts once, memory holds one row. Each fetch is also bounded on this side (the
//! statement timeout plus a margin), in case the server does not answer at all.

mod sql;
mod tls;

use std::time::Duration;

use futures::StreamExt as _;
use jiff::Timestamp;
use tokio::task::JoinHandle;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{IsolationLevel, NoTls, Row, Transaction};

use crate::credentials::AuditSource;
use crate::credentials::audit::Kind;
use crate::vocab::Window;

use super::rows::parse_time;
use super::{
    AuditTrailRow, Catalog, Column, Key, Limits, LogRow, Table, TableInfo, UserRow, WarehouseError,
    quoted,
};

pub use sql::{ACTOR_PATTERN, Dialect, Statement, grants};

/// How much longer than the statement timeout this side waits for a page.
const CLIENT_MARGIN: Duration = Duration::from_secs(15);

/// One connection.
pub struct Session {
    client: tokio_postgres::Client,
    connection: JoinHandle<()>,
    dialect: Dialect,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

impl Session {
    /// Connects (TLS as `source.tls` says) and checks the login.
    pub async fn open(source: &AuditSource) -> Result<Self, WarehouseError> {
        let config = source.pg_config();
        let connected = match tls::connector(source)? {
            Some(tls) => config
                .connect(tls)
                .await
                .map(|(c, conn)| (c, tokio::spawn(async move { drop(conn.await) }))),
            None => config
                .connect(NoTls)
                .await
                .map(|(c, conn)| (c, tokio::spawn(async move { drop(conn.await) }))),
        };
        let (client, connection) = connected.map_err(|e| classify(&e, Phase::Connect, ""))?;
        Ok(Self {
            client,
            connection,
            dialect: match source.kind {
                Kind::Redshift => Dialect::Redshift,
                _ => Dialect::Postgres,
            },
        })
    }

    /// `postgres` or `redshift`.
    pub fn dialect(&self) -> &'static str {
        self.dialect.name()
    }

    /// Starts the read-only transaction.
    pub async fn begin(&mut self, limits: Limits) -> Result<Reader<'_>, WarehouseError> {
        let dialect = self.dialect;
        let tx = match dialect {
            Dialect::Postgres => {
                self.client
                    .build_transaction()
                    .isolation_level(IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await
            }
            Dialect::Redshift => self.client.transaction().await,
        }
        .map_err(|e| classify(&e, Phase::Read, "the transaction"))?;
        let millis = limits.statement_timeout.as_millis().to_string();
        tx.query(sql::STATEMENT_TIMEOUT, &[&millis])
            .await
            .map_err(|e| classify(&e, Phase::Read, "the statement timeout"))?;
        Ok(Reader {
            tx,
            dialect,
            limits,
        })
    }
}

/// The read-only transaction of a [`Session`].
pub struct Reader<'a> {
    tx: Transaction<'a>,
    dialect: Dialect,
    limits: Limits,
}

/// Where an error happened, which says what a lost connection means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connect,
    Read,
}

impl Reader<'_> {
    /// See [`super::Reader::catalog`].
    pub async fn catalog(&self, schema: &str) -> Result<Catalog, WarehouseError> {
        let statement = sql::catalog();
        let mut catalog = Catalog {
            schema: schema.to_owned(),
            ..Catalog::default()
        };
        let params = [schema.to_owned()];
        self.fetch(&statement, &params, "the catalog", &mut |row| {
            let text = |i: usize| row.try_get::<_, Option<&str>>(i).ok().flatten();
            catalog.stored_schema = text(0).map(str::to_owned);
            catalog.usable = text(5) == Some("true");
            let (Some(table), Some(column), Some(data_type)) = (text(1), text(2), text(3)) else {
                return Ok(());
            };
            let Some(which) = Table::ALL
                .into_iter()
                .find(|t| t.name().eq_ignore_ascii_case(table))
            else {
                return Ok(());
            };
            let info = catalog.tables.entry(which).or_insert_with(|| TableInfo {
                stored_name: table.to_owned(),
                ..TableInfo::default()
            });
            info.selectable = text(4) == Some("true");
            info.columns.insert(
                column.to_ascii_lowercase(),
                Column {
                    data_type: data_type.to_ascii_lowercase(),
                    name: column.to_owned(),
                },
            );
            Ok(())
        })
        .await?;
        Ok(catalog)
    }

    /// See [`super::Reader::users`].
    pub async fn users(
        &self,
        catalog: &Catalog,
        each: &mut (dyn FnMut(UserRow) + Send),
    ) -> Result<bool, WarehouseError> {
        let reads = self.reads(catalog, Table::User)?;
        let mut seen = 0usize;
        let mut more = false;
        self.fetch(&reads.users(), &[], "user", &mut |row| {
            seen += 1;
            if seen > super::MAX_USERS {
                more = true;
                return Ok(());
            }
            let text = |i| text_at(row, i);
            if let Some(id) = text(0) {
                each(UserRow {
                    id,
                    email: text(1),
                    given_name: text(2),
                    family_name: text(3),
                    deleted: text(4).map(|d| d == "true"),
                });
            }
            Ok(())
        })
        .await?;
        Ok(more)
    }

    /// See [`super::Reader::earliest`].
    pub async fn earliest(
        &self,
        catalog: &Catalog,
        table: Table,
    ) -> Result<Option<Timestamp>, WarehouseError> {
        let reads = self.reads(catalog, table)?;
        let mut earliest = None;
        self.fetch(&reads.earliest(), &[], table.name(), &mut |row| {
            earliest = text_at(row, 0).map(|t| parse_time(&t)).transpose()?;
            Ok(())
        })
        .await?;
        Ok(earliest)
    }

    /// See [`super::Reader::count`].
    pub async fn count(
        &self,
        catalog: &Catalog,
        table: Table,
        span: Window,
    ) -> Result<u64, WarehouseError> {
        let reads = self.reads(catalog, table)?;
        let params = [reads.time_value(span.start), reads.time_value(span.end)];
        let mut count = 0;
        self.fetch(&reads.count(), &params, table.name(), &mut |row| {
            count = text_at(row, 0).and_then(|c| c.parse().ok()).unwrap_or(0);
            Ok(())
        })
        .await?;
        Ok(count)
    }

    /// See [`super::Reader::log`].
    pub async fn log(
        &self,
        catalog: &Catalog,
        span: Window,
        after: Option<&Key>,
        each: &mut (dyn FnMut(LogRow) + Send),
    ) -> Result<(), WarehouseError> {
        let reads = self.reads(catalog, Table::Log)?;
        let mut params = vec![
            reads.time_value(span.start),
            reads.time_value(span.end),
            self.limits.max_field_bytes.to_string(),
            ACTOR_PATTERN.to_owned(),
        ];
        if let Some(key) = after {
            params.push(reads.time_value(key.at));
            params.push(key.id.clone());
        }
        let statement = reads.log(after.is_some());
        self.fetch(&statement, &params, "log", &mut |row| {
            if let Some(row) = LogRow::decode(&|i| text_at(row, i))? {
                each(row);
            }
            Ok(())
        })
        .await
    }

    /// See [`super::Reader::audit_trail`].
    pub async fn audit_trail(
        &self,
        catalog: &Catalog,
        span: Window,
        after: Option<&Key>,
        each: &mut (dyn FnMut(AuditTrailRow) + Send),
    ) -> Result<(), WarehouseError> {
        let reads = self.reads(catalog, Table::AuditTrail)?;
        let mut params = vec![
            reads.time_value(span.start),
            reads.time_value(span.end),
            self.limits.max_field_bytes.to_string(),
        ];
        if let Some(key) = after {
            params.push(reads.time_value(key.at));
            params.push(key.id.clone());
        }
        let statement = reads.audit_trail(after.is_some());
        self.fetch(&statement, &params, "audit_trail", &mut |row| {
            if let Some(row) = AuditTrailRow::decode(&|i| text_at(row, i))? {
                each(row);
            }
            Ok(())
        })
        .await
    }

    /// See [`super::Reader::finish`].
    pub async fn finish(self) {
        // Nothing was written: rolling back only ends the transaction.
        let _ = self.tx.rollback().await;
    }

    /// The statements of `table`, which must be there, readable and whole.
    fn reads<'c>(
        &self,
        catalog: &'c Catalog,
        table: Table,
    ) -> Result<sql::Reads<'c>, WarehouseError> {
        let (schema, info) = super::readable(catalog, table)?;
        Ok(sql::Reads {
            dialect: self.dialect,
            schema,
            table,
            info,
        })
    }

    /// Runs `statement` with text `params` through a portal, `page_rows` rows at a time,
    /// handing each row to `each`.
    async fn fetch(
        &self,
        statement: &Statement,
        params: &[String],
        object: &str,
        each: &mut (dyn FnMut(&Row) -> Result<(), WarehouseError> + Send),
    ) -> Result<(), WarehouseError> {
        debug_assert_eq!(statement.params, params.len());
        let fail = |e: tokio_postgres::Error| classify(&e, Phase::Read, object);
        let types = vec![Type::TEXT; statement.params];
        let prepared = self
            .tx
            .prepare_typed(&statement.text, &types)
            .await
            .map_err(fail)?;
        let values: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let portal = self.tx.bind(&prepared, &values).await.map_err(fail)?;
        let page = i32::try_from(self.limits.page_rows).unwrap_or(i32::MAX);
        let wait = self.limits.statement_timeout + CLIENT_MARGIN;
        loop {
            let fetched = async {
                let rows = self
                    .tx
                    .query_portal_raw(&portal, page)
                    .await
                    .map_err(fail)?;
                futures::pin_mut!(rows);
                let mut n = 0;
                while let Some(row) = rows.next().await {
                    each(&row.map_err(fail)?)?;
                    n += 1;
                }
                Ok::<_, WarehouseError>(n)
            };
            let n = tokio::time::timeout(wait, fetched).await.map_err(|_| {
                WarehouseError::Timeout(format!(
                    "no answer for {} s while reading {object}",
                    wait.as_secs()
                ))
            })??;
            if n < page {
                return Ok(());
            }
        }
    }
}

fn text_at(row: &Row, i: usize) -> Option<String> {
    row.try_get::<_, Option<&str>>(i)
        .ok()
        .flatten()
        .map(str::to_owned)
}

/// What a `tokio-postgres` error means; `object` is what was being read.
fn classify(error: &tokio_postgres::Error, phase: Phase, object: &str) -> WarehouseError {
    use tokio_postgres::error::SqlState;
    if let Some(db) = error.as_db_error() {
        let detail = quoted(db.message());
        let code = db.code();
        return if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            WarehouseError::Auth(detail)
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            WarehouseError::Denied {
                object: object.to_owned(),
                detail,
            }
        } else if [
            SqlState::UNDEFINED_TABLE,
            SqlState::UNDEFINED_COLUMN,
            SqlState::INVALID_SCHEMA_NAME,
            SqlState::INVALID_CATALOG_NAME,
        ]
        .contains(code)
        {
            WarehouseError::Missing(detail)
        } else if *code == SqlState::QUERY_CANCELED {
            WarehouseError::Timeout(format!("{detail} (reading {object})"))
        } else if [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
        ]
        .contains(code)
        {
            WarehouseError::Dropped(detail)
        } else if *code == SqlState::TOO_MANY_CONNECTIONS {
            WarehouseError::Unreachable(detail)
        } else {
            WarehouseError::Query(format!("{detail} ({})", code.code()))
        };
    }
    let detail = chain(error);
    if let Some(tls) = tls_problem(error) {
        return WarehouseError::Tls(tls);
    }
    if error.to_string().contains("TLS") {
        return WarehouseError::Tls(detail);
    }
    match phase {
        Phase::Connect => WarehouseError::Unreachable(detail),
        Phase::Read if error.is_closed() || io_error(error) => WarehouseError::Dropped(detail),
        Phase::Read => WarehouseError::Query(detail),
    }
}

/// The error and its causes on one line, cleaned.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = e.source();
    }
    quoted(&parts.join(": "))
}

/// rustls's reason, if a TLS error is among the causes.
fn tls_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(quoted(&tls.to_string()));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(quoted(&tls.to_string()));
        }
        source = e.source();
    }
    None
}

fn io_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<std::io::Error>() {
            return true;
        }
        source = e.source();
    }
    false
}
