//! Warehouses reached over HTTPS (Snowflake's SQL API, BigQuery's REST API, Databricks'
//! Statement Execution API): the read, whatever the API. Each pass
//! is a series of statements, each at most `page_rows` rows in `(time, id)` order and
//! starting after the last row of the one before (keyset pages: a statement holds one page,
//! so memory holds one page, however the API splits it up). Each row is handed on as it is
//! decoded. The statements are [`super::statements`]. The API itself (authentication, the asynchronous path, partitions, errors) is the
//! [`Api`]'s business: one file per warehouse ([`super::snowflake`], [`super::bigquery`],
//! [`super::databricks`]).
//!
//! The APIs keep no transaction across requests: the passes do not share a snapshot as on
//! PostgreSQL. Rows the Platform Connector adds during a read lie after the window's end (the
//! last sync, read before), so the window's rows do not change under the read.

use jiff::Timestamp;

use super::bigquery;
use super::databricks;
use super::rows::parse_time;
use super::snowflake;
use super::statements as sql;
use super::{
    AuditTrailRow, Catalog, Column, Key, Limits, LogRow, Net, Table, TableInfo, UserRow,
    WarehouseError,
};
use crate::credentials::AuditSource;
use crate::vocab::Window;

pub use sql::{Dialect, Row, Statement};

/// The API a statement is run through.
pub enum Api {
    /// Snowflake's SQL API v2.
    Snowflake(snowflake::Client),
    /// BigQuery's REST API v2 (jobs.query, jobs.getQueryResults).
    BigQuery(bigquery::Client),
    /// Databricks' SQL Statement Execution API 2.0.
    Databricks(databricks::Client),
}

impl Api {
    async fn run(
        &self,
        statement: &Statement,
        each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
    ) -> Result<(), WarehouseError> {
        match self {
            Api::Snowflake(c) => c.run(statement, each).await,
            Api::BigQuery(c) => c.run(statement, each).await,
            Api::Databricks(c) => c.run(statement, each).await,
        }
    }
}

/// A session: the API, authenticated on first use.
pub struct Session {
    api: Api,
    dialect: Dialect,
    /// The project holding the schema, where the dialect names one (BigQuery).
    project: Option<String>,
}

impl Session {
    /// Prepares the API client of `source` (nothing is sent yet: the first statement, the
    /// catalog's, authenticates).
    pub fn open(source: &AuditSource, net: &Net) -> Result<Self, WarehouseError> {
        if source.kind == crate::credentials::audit::Kind::BigQuery {
            return Ok(Self {
                api: Api::BigQuery(bigquery::Client::new(source, net)?),
                dialect: Dialect::BigQuery,
                project: Some(source.database.clone()),
            });
        }
        if source.kind == crate::credentials::audit::Kind::Databricks {
            return Ok(Self {
                api: Api::Databricks(databricks::Client::new(source, net)?),
                dialect: Dialect::Databricks,
                project: None,
            });
        }
        let api = Api::Snowflake(snowflake::Client::new(source, net)?);
        Ok(Self {
            api,
            dialect: Dialect::Snowflake,
            project: None,
        })
    }

    /// The dialect's name.
    pub fn dialect(&self) -> &'static str {
        self.dialect.name()
    }

    /// The reads of this session, each statement limited by `limits`.
    pub fn begin(&mut self, limits: Limits) -> Reader<'_> {
        match &mut self.api {
            Api::Snowflake(c) => c.set_timeout(limits.statement_timeout),
            Api::BigQuery(c) => c.set_timeout(limits.statement_timeout),
            Api::Databricks(c) => c.set_timeout(limits.statement_timeout),
        }
        Reader {
            session: self,
            limits,
        }
    }
}

/// The reads of a [`Session`].
pub struct Reader<'a> {
    session: &'a Session,
    limits: Limits,
}

impl Reader<'_> {
    async fn run(
        &self,
        statement: &Statement,
        each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
    ) -> Result<(), WarehouseError> {
        self.session.api.run(statement, each).await
    }

    /// See [`super::Reader::catalog`].
    pub async fn catalog(&self, schema: &str) -> Result<Catalog, WarehouseError> {
        let mut catalog = Catalog {
            schema: schema.to_owned(),
            ..Catalog::default()
        };
        let statement = sql::catalog_in(
            self.session.dialect,
            self.session.project.as_deref(),
            schema,
        );
        self.run(&statement, &mut |row| {
            let text = |i: usize| row.get(i).cloned().flatten();
            let Some(stored) = text(0) else {
                return Ok(());
            };
            // Matched without regard to case; an exact match wins over another case.
            if catalog.stored_schema.is_none() || stored == schema {
                catalog.stored_schema = Some(stored);
            }
            // The catalog lists only what the role may see: listed is usable and readable.
            catalog.usable = true;
            let (Some(table), Some(column), Some(data_type)) = (text(1), text(2), text(3)) else {
                return Ok(());
            };
            let Some(which) = Table::ALL
                .into_iter()
                .find(|t| t.name().eq_ignore_ascii_case(&table))
            else {
                return Ok(());
            };
            let info = catalog.tables.entry(which).or_insert_with(|| TableInfo {
                stored_name: table.clone(),
                selectable: true,
                ..TableInfo::default()
            });
            info.columns.insert(
                column.to_ascii_lowercase(),
                Column {
                    data_type: data_type.to_ascii_lowercase(),
                    name: column,
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
        let mut after: Option<String> = None;
        loop {
            let mut rows = 0u32;
            let mut last = None;
            let statement = reads.users(after.as_deref());
            self.run(&statement, &mut |row| {
                rows += 1;
                let text = |i: usize| row.get(i).cloned().flatten();
                if let Some(id) = text(0) {
                    seen += 1;
                    if seen <= super::MAX_USERS {
                        each(UserRow {
                            id: id.clone(),
                            email: text(1),
                            given_name: text(2),
                            family_name: text(3),
                            deleted: text(4).map(|d| d == "true"),
                        });
                    }
                    last = Some(id);
                }
                Ok(())
            })
            .await?;
            if seen > super::MAX_USERS {
                return Ok(true);
            }
            if rows < self.limits.page_rows || last.is_none() {
                return Ok(false);
            }
            after = last;
        }
    }

    /// See [`super::Reader::earliest`].
    pub async fn earliest(
        &self,
        catalog: &Catalog,
        table: Table,
    ) -> Result<Option<Timestamp>, WarehouseError> {
        let reads = self.reads(catalog, table)?;
        let mut earliest = None;
        self.run(&reads.earliest(), &mut |row| {
            earliest = row
                .first()
                .cloned()
                .flatten()
                .map(|t| parse_time(&t))
                .transpose()?;
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
        let mut count = 0;
        self.run(&reads.count(span), &mut |row| {
            count = row
                .first()
                .cloned()
                .flatten()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
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
        let bound = self.limits.max_field_bytes;
        self.pages(|after| reads.log(span, after, bound), after, &mut |row| {
            let text = |i: usize| row.get(i).cloned().flatten();
            let Some(row) = LogRow::decode(&text)? else {
                return Ok(None);
            };
            let key = row.key.clone();
            each(row);
            Ok(Some(key))
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
        let bound = self.limits.max_field_bytes;
        self.pages(
            |after| reads.audit_trail(span, after, bound),
            after,
            &mut |row| {
                let text = |i: usize| row.get(i).cloned().flatten();
                let Some(row) = AuditTrailRow::decode(&text)? else {
                    return Ok(None);
                };
                let key = row.key.clone();
                each(row);
                Ok(Some(key))
            },
        )
        .await
    }

    /// Statements of `page` after the last key until one gives fewer than a page of rows.
    async fn pages(
        &self,
        page: impl Fn(Option<&Key>) -> Statement,
        after: Option<&Key>,
        each: &mut (dyn FnMut(Row) -> Result<Option<Key>, WarehouseError> + Send),
    ) -> Result<(), WarehouseError> {
        let mut after = after.cloned();
        loop {
            let mut rows = 0u32;
            let mut last = None;
            self.run(&page(after.as_ref()), &mut |row| {
                rows += 1;
                if let Some(key) = each(row)? {
                    last = Some(key);
                }
                Ok(())
            })
            .await?;
            match last {
                Some(key) if rows >= self.limits.page_rows => after = Some(key),
                _ => return Ok(()),
            }
        }
    }

    /// The statements of `table`, which must be there and whole.
    fn reads<'c>(
        &'c self,
        catalog: &'c Catalog,
        table: Table,
    ) -> Result<sql::Reads<'c>, WarehouseError> {
        let (schema, info) = super::readable(catalog, table)?;
        Ok(sql::Reads {
            dialect: self.session.dialect,
            schema,
            table,
            info,
            page_rows: self.limits.page_rows,
            project: self.session.project.as_deref(),
        })
    }
}
