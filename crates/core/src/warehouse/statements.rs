//! The statements sent to warehouses reached over HTTPS, in each one's dialect (Snowflake,
//! Databricks; BigQuery's GoogleSQL in [`bigquery`]). The same intent as the PostgreSQL
//! protocol's (`postgres/sql.rs`): fixed text whose only varying parts are identifiers from the
//! catalog (quoted: Snowflake `"`, `"` doubled; Databricks `` ` ``, `` ` `` doubled) and, per
//! column type, which fixed expression reads it; every value (window, key, size bound,
//! pattern) a bound parameter (Snowflake `?`, bound in order as `TEXT`; Databricks `:p1`,
//! `:p2`... named by [`param_name`], bound as `STRING`; BigQuery `@p0`, `@p1`...; converted in
//! SQL). The page size is the one number written into the text: a `u32` from the vault file,
//! not data.
//!
//! Each statement starts with a comment naming what it reads (`/* iru-fivetran log */`), so a
//! warehouse administrator can tell the collector's statements in the query history (and the
//! tests' fake answers by it).
//!
//! Snowflake: the database and schema are the request's context (`database`, `schema` in the
//! body), so the catalog is the current database's `INFORMATION_SCHEMA`, which lists only what
//! the role may see. Times are read as `TO_VARCHAR(..., 'YYYY-MM-DD"T"HH24:MI:SS.FF6')` in UTC
//! (`CONVERT_TIMEZONE('UTC', x)` for `TIMESTAMP_TZ` and `TIMESTAMP_LTZ`; a `TIMESTAMP_NTZ` is
//! Fivetran's UTC wall clock, read as it is); a `VARIANT` as `TO_JSON`; lengths with
//! `OCTET_LENGTH`.
//!
//! Databricks: the catalog and schema are the request's context (`catalog`, `schema`), so the
//! catalog is the current catalog's `information_schema` (Unity Catalog lists only what the
//! principal may see). Times are read as `date_format(..., 'yyyy-MM-dd\'T\'HH:mm:ss.SSSSSS')`:
//! a `TIMESTAMP` (an instant, shown in the session's time zone) first through
//! `to_utc_timestamp(x, current_timezone())`, so the text is UTC whatever the session's zone;
//! a `TIMESTAMP_NTZ` as it is. `VARIANT`, `STRUCT`, `ARRAY` and `MAP` as `to_json`; lengths
//! with `octet_length`.

use crate::warehouse::postgres::ACTOR_PATTERN;
use crate::warehouse::{Key, Table, TableInfo};

/// Which statements a session over HTTPS runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Snowflake SQL.
    Snowflake,
    /// BigQuery's GoogleSQL ([`bigquery`]).
    BigQuery,
    /// Databricks SQL.
    Databricks,
}

impl Dialect {
    /// Its name in the evidence.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Snowflake => "snowflake",
            Dialect::BigQuery => "bigquery",
            Dialect::Databricks => "databricks",
        }
    }

    /// `name` as this dialect's quoted identifier.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Snowflake => ident(name),
            Dialect::BigQuery => bigquery::ident(name),
            Dialect::Databricks => format!("`{}`", name.replace('`', "``")),
        }
    }

    /// A time expression as `YYYY-MM-DDTHH:MM:SS.ffffff` text.
    fn time_text(self, expr: &str) -> String {
        match self {
            Dialect::Snowflake => format!("TO_VARCHAR({expr}, {TIME_FORMAT})"),
            Dialect::BigQuery => {
                format!("FORMAT_TIMESTAMP({}, {expr}, 'UTC')", bigquery::TIME_FORMAT)
            }
            Dialect::Databricks => format!("date_format({expr}, {SPARK_TIME_FORMAT})"),
        }
    }

    /// A number expression as text.
    fn number_text(self, expr: &str) -> String {
        match self {
            Dialect::Snowflake => format!("TO_VARCHAR({expr})"),
            Dialect::BigQuery | Dialect::Databricks => format!("CAST({expr} AS STRING)"),
        }
    }
}

/// The name of the `i`th (from 0) parameter of a Databricks statement (`:p1` in the text).
pub fn param_name(i: usize) -> String {
    format!("p{}", i + 1)
}

/// One row as an API gives it: every value text or null.
pub type Row = Vec<Option<String>>;

/// A statement and its parameters, in the order of their markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// What it reads (the tag in its leading comment): `catalog`, `user`, `earliest`, `count`,
    /// `log`, `audit_trail`.
    pub tag: &'static str,
    /// The SQL.
    pub text: String,
    /// The values of its markers, in order, all text.
    pub params: Vec<String>,
}

/// `name` as a quoted identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

const TIME_FORMAT: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.FF6'";
/// The same format as a Databricks (Spark) datetime pattern.
const SPARK_TIME_FORMAT: &str = "'yyyy-MM-dd\\'T\\'HH:mm:ss.SSSSSS'";

/// A statement being written: its text and its parameters in marker order.
struct Builder {
    dialect: Dialect,
    tag: &'static str,
    text: String,
    params: Vec<String>,
}

impl Builder {
    fn new(dialect: Dialect, tag: &'static str) -> Self {
        Self {
            dialect,
            tag,
            text: format!("/* iru-fivetran {tag} */ "),
            params: Vec::new(),
        }
    }

    fn sql(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// A marker bound to `value`.
    fn param(&mut self, value: String) -> &mut Self {
        match self.dialect {
            Dialect::Snowflake => self.text.push('?'),
            Dialect::BigQuery => self.text.push_str(&format!("@p{}", self.params.len())),
            Dialect::Databricks => {
                self.text.push(':');
                self.text.push_str(&param_name(self.params.len()));
            }
        }
        self.params.push(value);
        self
    }

    fn done(self) -> Statement {
        Statement {
            tag: self.tag,
            text: self.text,
            params: self.params,
        }
    }
}

/// The catalog of schema `schema` (matched without regard to case: Fivetran's Snowflake
/// schemas are upper case, the API names them in lower case): one row per column of the
/// Platform Connector's tables, `schema, table, column, data type`; a schema without them gives
/// one row with nulls; no row, no such schema (or none the role may use).
pub fn catalog(dialect: Dialect, schema: &str) -> Statement {
    catalog_in(dialect, None, schema)
}

/// [`catalog`], of a schema in `project` where the dialect names one (BigQuery: the project
/// holding the dataset).
pub fn catalog_in(dialect: Dialect, project: Option<&str>, schema: &str) -> Statement {
    if dialect == Dialect::BigQuery {
        return bigquery::catalog(project.unwrap_or_default(), schema);
    }
    // Snowflake and Databricks both name the catalog's views and columns so (identifiers are
    // case-insensitive in both).
    let mut b = Builder::new(dialect, "catalog");
    b.sql(
        "SELECT s.SCHEMA_NAME, c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE \
         FROM INFORMATION_SCHEMA.SCHEMATA s \
         LEFT JOIN INFORMATION_SCHEMA.COLUMNS c ON c.TABLE_SCHEMA = s.SCHEMA_NAME \
         AND UPPER(c.TABLE_NAME) IN ('LOG', 'AUDIT_TRAIL', 'USER') \
         WHERE UPPER(s.SCHEMA_NAME) = UPPER(",
    )
    .param(schema.to_owned())
    .sql(") ORDER BY 2, 3");
    b.done()
}

/// The statements of one table of one schema.
pub struct Reads<'a> {
    /// The dialect.
    pub dialect: Dialect,
    /// The schema as stored.
    pub schema: &'a str,
    /// The table.
    pub table: Table,
    /// What the catalog says of it.
    pub info: &'a TableInfo,
    /// Rows per statement, at most.
    pub page_rows: u32,
    /// The project holding the schema, where the dialect names one (BigQuery).
    pub project: Option<&'a str>,
}

impl Reads<'_> {
    fn from(&self) -> String {
        format!(
            "{}.{}",
            self.dialect.ident(self.schema),
            self.dialect.ident(&self.info.stored_name)
        )
    }

    fn data_type(&self, column: &str) -> Option<&str> {
        self.info.column(column).map(|c| c.data_type.as_str())
    }

    /// The column as stored (its case kept), quoted.
    fn col(&self, column: &str) -> String {
        self.dialect
            .ident(self.info.stored_column(column).unwrap_or(column))
    }

    /// A column as text; `NULL` when the table has no such column.
    fn text(&self, column: &str) -> String {
        let databricks = self.dialect == Dialect::Databricks;
        let Some(data_type) = self.data_type(column) else {
            return if databricks {
                "CAST(NULL AS STRING)"
            } else {
                "CAST(NULL AS VARCHAR)"
            }
            .to_owned();
        };
        let col = self.col(column);
        // Databricks names a complex type with its parameters (`struct<...>`, `array<...>`).
        let complex = |t: &str| {
            ["variant", "struct", "array", "map"]
                .iter()
                .any(|p| t.starts_with(p))
        };
        match data_type {
            "boolean" => format!("CASE WHEN {col} THEN 'true' WHEN NOT {col} THEN 'false' END"),
            t if databricks && complex(t) => format!("to_json({col})"),
            _ if databricks => format!("CAST({col} AS STRING)"),
            "variant" | "object" | "array" => format!("TO_JSON({col})"),
            _ => format!("TO_VARCHAR({col})"),
        }
    }

    /// A JSON column as text, or null when longer than the bound; then its length.
    fn bounded(&self, b: &mut Builder, column: &str, bound: u32) {
        let text = self.text(column);
        let (number, close) = match self.dialect {
            Dialect::Snowflake => ("TO_NUMBER(", ")"),
            Dialect::Databricks => ("CAST(", " AS BIGINT)"),
            Dialect::BigQuery => ("CAST(", " AS INT64)"),
        };
        b.sql(&format!("CASE WHEN OCTET_LENGTH({text}) > {number}"))
            .param(bound.to_string())
            .sql(&format!(
                "{close} THEN NULL ELSE {text} END, {}",
                self.dialect.number_text(&format!("OCTET_LENGTH({text})"))
            ));
    }

    fn has_zone(&self) -> bool {
        let data_type = self.table.time_column().and_then(|c| self.data_type(c));
        match self.dialect {
            Dialect::Snowflake => data_type
                .is_some_and(|t| t.starts_with("timestamp_tz") || t.starts_with("timestamp_ltz")),
            // A Databricks TIMESTAMP is an instant; TIMESTAMP_NTZ a wall clock.
            Dialect::Databricks => data_type == Some("timestamp"),
            // A BigQuery TIMESTAMP is an instant; DATETIME a wall clock.
            Dialect::BigQuery => data_type == Some("timestamp"),
        }
    }

    fn time(&self) -> String {
        self.col(self.table.time_column().unwrap_or("time_stamp"))
    }

    fn utc(&self) -> String {
        match (self.dialect, self.has_zone()) {
            (_, false) => self.time(),
            (Dialect::Snowflake, true) => format!("CONVERT_TIMEZONE('UTC', {})", self.time()),
            // Shown in the session's zone, whatever it is, as the UTC wall clock.
            (Dialect::Databricks, true) => {
                format!("to_utc_timestamp({}, current_timezone())", self.time())
            }
            // An instant, formatted in UTC where it is read as text (`time_text`).
            (Dialect::BigQuery, true) => self.time(),
        }
    }

    /// A marker bound to time `t`, as the time column's type.
    fn time_param(&self, b: &mut Builder, t: jiff::Timestamp) {
        if self.dialect == Dialect::Databricks {
            let (text, cast) = if self.has_zone() {
                (t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"), "TIMESTAMP")
            } else {
                (t.strftime("%Y-%m-%d %H:%M:%S%.6f"), "TIMESTAMP_NTZ")
            };
            b.sql("CAST(")
                .param(text.to_string())
                .sql(&format!(" AS {cast})"));
            return;
        }
        if self.has_zone() {
            b.sql("TO_TIMESTAMP_TZ(")
                .param(t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
                .sql(")");
        } else {
            b.sql("TO_TIMESTAMP_NTZ(")
                .param(t.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string())
                .sql(")");
        }
    }

    fn id(&self) -> String {
        self.text("id")
    }

    /// `WHERE` for the window, and rows after `after`.
    fn window(&self, b: &mut Builder, span: crate::vocab::Window, after: Option<&Key>) {
        let time = self.time();
        b.sql(&format!(" WHERE {time} >= "));
        self.time_param(b, span.start);
        b.sql(&format!(" AND {time} < "));
        self.time_param(b, span.end);
        if let Some(key) = after {
            b.sql(&format!(" AND ({time} > "));
            self.time_param(b, key.at);
            b.sql(&format!(" OR ({time} = "));
            self.time_param(b, key.at);
            b.sql(&format!(" AND {} > ", self.id()))
                .param(key.id.clone())
                .sql("))");
        }
    }

    fn order(&self, b: &mut Builder) {
        b.sql(&format!(
            " ORDER BY {}, {} LIMIT {}",
            self.time(),
            self.id(),
            self.page_rows
        ));
    }

    /// A page of `LOG` rows of `span` naming an actor, after `after`. Columns: id, time,
    /// connection id, event, message_event, message_data (bounded), its length, sync_id.
    pub fn log(&self, span: crate::vocab::Window, after: Option<&Key>, bound: u32) -> Statement {
        if self.dialect == Dialect::BigQuery {
            return bigquery::log(self, span, after, bound);
        }
        let connection = self.info.connection_column().unwrap_or("connection_id");
        let mut b = Builder::new(self.dialect, "log");
        b.sql(&format!(
            "SELECT {}, {}, {}, {}, {}, ",
            self.id(),
            self.dialect.time_text(&self.utc()),
            self.text(connection),
            self.text("event"),
            self.text("message_event")
        ));
        self.bounded(&mut b, "message_data", bound);
        b.sql(&format!(", {} FROM {}", self.text("sync_id"), self.from()));
        self.window(&mut b, span, after);
        b.sql(&format!(" AND {} LIKE ", self.text("message_data")))
            .param(ACTOR_PATTERN.to_owned());
        self.order(&mut b);
        b.done()
    }

    /// A page of `AUDIT_TRAIL` rows of `span`, after `after`. Columns: id, time, user_id,
    /// action, interaction_method, the four resource columns, old_values and new_values (each
    /// bounded, with its length).
    pub fn audit_trail(
        &self,
        span: crate::vocab::Window,
        after: Option<&Key>,
        bound: u32,
    ) -> Statement {
        if self.dialect == Dialect::BigQuery {
            return bigquery::audit_trail(self, span, after, bound);
        }
        let mut b = Builder::new(self.dialect, "audit_trail");
        b.sql(&format!(
            "SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, ",
            self.id(),
            self.dialect.time_text(&self.utc()),
            self.text("user_id"),
            self.text("action"),
            self.text("interaction_method"),
            self.text("primary_resource_type"),
            self.text("primary_resource_id"),
            self.text("secondary_resource_type"),
            self.text("secondary_resource_id"),
        ));
        self.bounded(&mut b, "old_values", bound);
        b.sql(", ");
        self.bounded(&mut b, "new_values", bound);
        b.sql(&format!(" FROM {}", self.from()));
        self.window(&mut b, span, after);
        self.order(&mut b);
        b.done()
    }

    /// A page of `USER` rows after id `after`: id, email, given_name, family_name,
    /// _fivetran_deleted.
    pub fn users(&self, after: Option<&str>) -> Statement {
        if self.dialect == Dialect::BigQuery {
            return bigquery::users(self, after);
        }
        let mut b = Builder::new(self.dialect, "user");
        b.sql(&format!(
            "SELECT {}, {}, {}, {}, {} FROM {}",
            self.id(),
            self.text("email"),
            self.text("given_name"),
            self.text("family_name"),
            self.text("_fivetran_deleted"),
            self.from(),
        ));
        if let Some(id) = after {
            b.sql(&format!(" WHERE {} > ", self.id()))
                .param(id.to_owned());
        }
        b.sql(&format!(" ORDER BY {} LIMIT {}", self.id(), self.page_rows));
        b.done()
    }

    /// The earliest time of the table.
    pub fn earliest(&self) -> Statement {
        if self.dialect == Dialect::BigQuery {
            return bigquery::earliest(self);
        }
        let mut b = Builder::new(self.dialect, "earliest");
        b.sql(&format!(
            "SELECT {} FROM {}",
            self.dialect.time_text(&format!("MIN({})", self.utc())),
            self.from()
        ));
        b.done()
    }

    /// How many rows lie in `span`.
    pub fn count(&self, span: crate::vocab::Window) -> Statement {
        if self.dialect == Dialect::BigQuery {
            return bigquery::count(self, span);
        }
        let mut b = Builder::new(self.dialect, "count");
        b.sql(&format!(
            "SELECT {} FROM {}",
            self.dialect.number_text("COUNT(*)"),
            self.from()
        ));
        self.window(&mut b, span, None);
        b.done()
    }
}

/// What gives `user`'s role what a read needs and nothing more, printed by `doctor` and the
/// README for an administrator to run; never run by the collector. Snowflake grants to roles:
/// a role of its own for the reader, `USAGE` on the warehouse, the database and the schema,
/// `SELECT` on the three tables (`AUDIT_TRAIL` on its own line, to leave out on plans without
/// it), and the role granted to the user as its default.
///
/// BigQuery ([`bigquery::grants`]) grants to the service account `user`: `database` is the
/// project holding the dataset `schema`, `warehouse` the project its jobs run in; `role` is not
/// used (BigQuery's roles are predefined).
pub fn grants(
    dialect: Dialect,
    database: &str,
    schema: &str,
    user: &str,
    role: &str,
    warehouse: &str,
) -> Vec<String> {
    if dialect == Dialect::BigQuery {
        return bigquery::grants(warehouse, database, schema, user);
    }
    if dialect == Dialect::Databricks {
        return databricks_grants(database, schema, user, warehouse);
    }
    let (db, role_id, user_id) = (ident(database), ident(role), ident(user));
    let schema_id = format!("{db}.{}", ident(schema));
    vec![
        format!("CREATE ROLE IF NOT EXISTS {role_id};"),
        format!(
            "GRANT USAGE ON WAREHOUSE {} TO ROLE {role_id};",
            ident(warehouse)
        ),
        format!("GRANT USAGE ON DATABASE {db} TO ROLE {role_id};"),
        format!("GRANT USAGE ON SCHEMA {schema_id} TO ROLE {role_id};"),
        format!(
            "GRANT SELECT ON TABLE {schema_id}.{} TO ROLE {role_id};",
            ident("LOG")
        ),
        format!(
            "GRANT SELECT ON TABLE {schema_id}.{} TO ROLE {role_id};",
            ident("USER")
        ),
        format!(
            "GRANT SELECT ON TABLE {schema_id}.{} TO ROLE {role_id};",
            ident("AUDIT_TRAIL")
        ),
        format!("GRANT ROLE {role_id} TO USER {user_id};"),
        format!("ALTER USER {user_id} SET DEFAULT_ROLE = {role_id};"),
    ]
}

/// Databricks (Unity Catalog) grants to the principal directly (a user, a service principal by
/// its application id, or a group): `USE CATALOG` and `USE SCHEMA` to reach the schema,
/// `SELECT` on the three tables (`audit_trail` on its own line). Using the SQL warehouse is a
/// workspace permission (`CAN USE`), not a SQL grant: the last line says where it is given.
fn databricks_grants(catalog: &str, schema: &str, principal: &str, warehouse: &str) -> Vec<String> {
    let d = Dialect::Databricks;
    let to = if principal.is_empty() {
        d.ident("<the token's user or service principal>")
    } else {
        d.ident(principal)
    };
    let catalog_id = d.ident(catalog);
    let schema_id = format!("{catalog_id}.{}", d.ident(schema));
    let mut grants = vec![
        format!("GRANT USE CATALOG ON CATALOG {catalog_id} TO {to};"),
        format!("GRANT USE SCHEMA ON SCHEMA {schema_id} TO {to};"),
    ];
    for table in ["log", "user", "audit_trail"] {
        grants.push(format!(
            "GRANT SELECT ON TABLE {schema_id}.{} TO {to};",
            d.ident(table)
        ));
    }
    grants.push(format!(
        "-- and CAN USE on SQL warehouse {}: SQL Warehouses > the warehouse > Permissions, add {to} with Can use",
        crate::text::printable(warehouse)
    ));
    grants
}
pub mod bigquery;

#[cfg(test)]
mod tests;
