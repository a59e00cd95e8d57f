//! The statements, in the two dialects of the PostgreSQL protocol. Each is fixed text: the only
//! parts that vary are identifiers from the catalog (schema, table and column names, always
//! double-quoted with `"` doubled) and, per column type, which fixed expression reads it. Every
//! value (window, key, size bound, pattern) is a `$n` parameter, bound as text and cast in SQL.
//!
//! Both dialects read every column as text, times as `to_char(..., 'YYYY-MM-DD"T"HH24:MI:SS.US')`
//! in UTC (`AT TIME ZONE 'UTC'` for `timestamp with time zone`; a `timestamp` without a zone is
//! Fivetran's UTC wall clock and read as it is), and compare times with the column's own type.
//! They differ in what text is: PostgreSQL `CAST(x AS text)`; Redshift, whose `text` is
//! `VARCHAR(256)`, `CAST(x AS VARCHAR(MAX))`, and `JSON_SERIALIZE(x)` for a `SUPER` column.
//! The PostgreSQL statements run against a real server in the tests; the Redshift ones are
//! built from the same parts and checked as text only.

use crate::warehouse::{Table, TableInfo};

/// Which statements a session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// Amazon Redshift.
    Redshift,
}

impl Dialect {
    /// Its name in the evidence.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Redshift => "redshift",
        }
    }
}

/// A statement and how many text parameters it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The SQL.
    pub text: String,
    /// `$1` to `$params`.
    pub params: usize,
}

/// `name` as a quoted identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The format of every time read.
const TIME_FORMAT: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.US'";

/// The pattern `LOG` rows are pre-selected with: `message_data` naming an `"actor"` (Fivetran's
/// dbt package selects user actions the same way, with `like '%actor%'`).
pub const ACTOR_PATTERN: &str = "%\"actor\"%";

/// The catalog: every column of the Platform Connector's tables in schema `$1`, with whether
/// the user may select from the table and use the schema (a table of a schema the user may not
/// use cannot be selected from, and naming it would fail, so it is not asked about). One row per column; a schema without
/// the tables gives one row with nulls; no row: no such schema.
pub fn catalog() -> Statement {
    Statement {
        text: "SELECT CAST(n.nspname AS VARCHAR(128)), CAST(c.relname AS VARCHAR(128)), \
               CAST(a.attname AS VARCHAR(128)), \
               CAST(format_type(a.atttypid, a.atttypmod) AS VARCHAR(256)), \
               CASE WHEN c.relname IS NULL THEN NULL \
                    WHEN NOT has_schema_privilege(n.nspname, 'USAGE') THEN 'false' \
                    WHEN has_table_privilege(quote_ident(n.nspname) || '.' || quote_ident(c.relname), 'SELECT') \
                    THEN 'true' ELSE 'false' END, \
               CASE WHEN has_schema_privilege(n.nspname, 'USAGE') THEN 'true' ELSE 'false' END \
               FROM pg_catalog.pg_namespace n \
               LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid \
                 AND c.relkind IN ('r', 'v', 'm', 'p', 'f') \
                 AND lower(c.relname) IN ('log', 'audit_trail', 'user') \
               LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid \
                 AND a.attnum > 0 AND NOT a.attisdropped \
               WHERE n.nspname = $1"
            .to_owned(),
        params: 1,
    }
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
}

impl Reads<'_> {
    fn from(&self) -> String {
        format!("{}.{}", ident(self.schema), ident(&self.info.stored_name))
    }

    fn data_type(&self, column: &str) -> Option<&str> {
        self.info.column(column).map(|c| c.data_type.as_str())
    }

    /// A column as text; `NULL` when the table has no such column.
    fn text(&self, column: &str) -> String {
        let Some(data_type) = self.data_type(column) else {
            return match self.dialect {
                Dialect::Postgres => "CAST(NULL AS text)".to_owned(),
                Dialect::Redshift => "CAST(NULL AS VARCHAR(MAX))".to_owned(),
            };
        };
        let col = ident(column);
        match (self.dialect, data_type) {
            (Dialect::Redshift, "super") => format!("JSON_SERIALIZE({col})"),
            (_, "boolean") => {
                format!("CASE WHEN {col} THEN 'true' WHEN NOT {col} THEN 'false' END")
            }
            (Dialect::Postgres, _) => format!("CAST({col} AS text)"),
            (Dialect::Redshift, _) => format!("CAST({col} AS VARCHAR(MAX))"),
        }
    }

    /// A JSON column as text, or null when longer than `$bound` bytes; then its length.
    fn bounded(&self, column: &str, bound: usize) -> String {
        let text = self.text(column);
        format!(
            "CASE WHEN octet_length({text}) > CAST(${bound} AS integer) THEN NULL ELSE {text} END, \
             CAST(octet_length({text}) AS VARCHAR(20))"
        )
    }

    fn time(&self) -> String {
        ident(self.table.time_column().unwrap_or("time_stamp"))
    }

    /// The time column in UTC, as a zone-less timestamp.
    fn utc(&self) -> String {
        if self.info.time_has_zone(self.table) {
            format!("({} AT TIME ZONE 'UTC')", self.time())
        } else {
            self.time()
        }
    }

    /// Parameter `$n` as a value of the time column's type.
    fn time_param(&self, n: usize) -> String {
        let ty = if self.info.time_has_zone(self.table) {
            "timestamptz"
        } else {
            "timestamp"
        };
        format!("CAST(${n} AS {ty})")
    }

    fn id(&self) -> String {
        self.text("id")
    }

    /// `WHERE` for the window `[$1, $2)`, and with `after`, rows after the key `($a, $a+1)`.
    fn window(&self, after: Option<usize>) -> String {
        let time = self.time();
        let mut clause = format!(
            "{time} >= {} AND {time} < {}",
            self.time_param(1),
            self.time_param(2)
        );
        if let Some(a) = after {
            clause.push_str(&format!(
                " AND ({time} > {t} OR ({time} = {t} AND {id} > ${b}))",
                t = self.time_param(a),
                id = self.id(),
                b = a + 1
            ));
        }
        clause
    }

    fn order(&self) -> String {
        format!("ORDER BY {}, {}", self.time(), self.id())
    }

    /// `LOG` rows of the window `[$1, $2)` whose `message_data` matches `$4`, the JSON bound
    /// `$3`; with `after`, only rows after the key `($5, $6)`. Columns: id, time,
    /// connection id, event, message_event, message_data (bounded), its length, sync_id.
    pub fn log(&self, after: bool) -> Statement {
        let connection = self.info.connection_column().unwrap_or("connection_id");
        let data = self.text("message_data");
        Statement {
            text: format!(
                "SELECT {id}, to_char({utc}, {TIME_FORMAT}), {connection}, {event}, {message_event}, \
                 {bounded}, {sync} FROM {from} WHERE {window} AND {data} LIKE $4 {order}",
                id = self.id(),
                utc = self.utc(),
                connection = self.text(connection),
                event = self.text("event"),
                message_event = self.text("message_event"),
                bounded = self.bounded("message_data", 3),
                sync = self.text("sync_id"),
                from = self.from(),
                window = self.window(after.then_some(5)),
                order = self.order(),
            ),
            params: if after { 6 } else { 4 },
        }
    }

    /// `AUDIT_TRAIL` rows of the window `[$1, $2)`, the JSON bound `$3`; with `after`, only
    /// rows after the key `($4, $5)`. Columns: id, time, user_id, action, interaction_method,
    /// the four resource columns, old_values and new_values (each bounded, with its length).
    pub fn audit_trail(&self, after: bool) -> Statement {
        Statement {
            text: format!(
                "SELECT {id}, to_char({utc}, {TIME_FORMAT}), {user}, {action}, {method}, {pt}, {pi}, \
                 {st}, {si}, {old}, {new} FROM {from} WHERE {window} {order}",
                id = self.id(),
                utc = self.utc(),
                user = self.text("user_id"),
                action = self.text("action"),
                method = self.text("interaction_method"),
                pt = self.text("primary_resource_type"),
                pi = self.text("primary_resource_id"),
                st = self.text("secondary_resource_type"),
                si = self.text("secondary_resource_id"),
                old = self.bounded("old_values", 3),
                new = self.bounded("new_values", 3),
                from = self.from(),
                window = self.window(after.then_some(4)),
                order = self.order(),
            ),
            params: if after { 5 } else { 3 },
        }
    }

    /// Every `USER` row: id, email, given_name, family_name, _fivetran_deleted.
    pub fn users(&self) -> Statement {
        Statement {
            text: format!(
                "SELECT {}, {}, {}, {}, {} FROM {} ORDER BY {}",
                self.id(),
                self.text("email"),
                self.text("given_name"),
                self.text("family_name"),
                self.text("_fivetran_deleted"),
                self.from(),
                self.id()
            ),
            params: 0,
        }
    }

    /// The earliest time of the table.
    pub fn earliest(&self) -> Statement {
        Statement {
            text: format!(
                "SELECT to_char(min({}), {TIME_FORMAT}) FROM {}",
                self.utc(),
                self.from()
            ),
            params: 0,
        }
    }

    /// How many rows lie in the window `[$1, $2)`.
    pub fn count(&self) -> Statement {
        Statement {
            text: format!(
                "SELECT CAST(count(*) AS VARCHAR(20)) FROM {} WHERE {}",
                self.from(),
                self.window(None)
            ),
            params: 2,
        }
    }

    /// How a time of this table is bound as a parameter: an RFC 3339 instant for a column
    /// with a zone, the UTC wall clock for one without.
    pub fn time_value(&self, t: jiff::Timestamp) -> String {
        if self.info.time_has_zone(self.table) {
            t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
        } else {
            t.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string()
        }
    }
}

/// The statements that give `user` what a read needs and nothing more: `USAGE` on the schema
/// and `SELECT` on the three tables (PostgreSQL: `CONNECT` on the database too). Printed by
/// `doctor` and the README for an administrator to run; never run by the collector.
/// Granting `audit_trail` where the table does not exist fails, so it is a statement of its
/// own, to leave out on plans without it.
pub fn grants(dialect: Dialect, database: &str, schema: &str, user: &str) -> Vec<String> {
    let (schema, user) = (ident(schema), ident(user));
    let mut grants = Vec::new();
    if dialect == Dialect::Postgres {
        grants.push(format!(
            "GRANT CONNECT ON DATABASE {} TO {user};",
            ident(database)
        ));
    }
    grants.push(format!("GRANT USAGE ON SCHEMA {schema} TO {user};"));
    grants.push(format!(
        "GRANT SELECT ON {schema}.{}, {schema}.{} TO {user};",
        ident("log"),
        ident("user")
    ));
    grants.push(format!(
        "GRANT SELECT ON {schema}.{} TO {user};",
        ident("audit_trail")
    ));
    grants
}

/// The statement that limits each statement of the transaction, `$1` in milliseconds.
pub const STATEMENT_TIMEOUT: &str = "SELECT set_config('statement_timeout', $1, true)";

#[cfg(test)]
mod tests;
