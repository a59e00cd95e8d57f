//! The statements in BigQuery's GoogleSQL: the same intent as Snowflake's, in BigQuery's
//! words. Identifiers are backtick-quoted one part at a time (`` `project`.`dataset`.`log` ``,
//! a backtick or backslash in a name escaped with a backslash); values are named parameters
//! (`@p0`, `@p1`... in the order of [`Statement::params`], each bound as a `STRING` and
//! converted in SQL), so the fake and the client number them the same way.
//!
//! The catalog is the dataset's own `INFORMATION_SCHEMA.COLUMNS`, which lists what the service
//! account may see; it is joined to one row, so a dataset without the tables still answers one
//! row (with nulls), and a dataset that does not exist answers `404 notFound` (the client takes
//! it for no rows). Times are read with `FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', t, 'UTC')`
//! (`FORMAT_DATETIME` for a `DATETIME`, Fivetran's UTC wall clock); a `JSON` column as
//! `TO_JSON_STRING`; lengths with `BYTE_LENGTH`.

use super::{Builder, Dialect, Reads, Statement};
use crate::warehouse::Key;
use crate::warehouse::postgres::ACTOR_PATTERN;

/// `name` as one quoted part of a BigQuery path.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

/// BigQuery's format of a time as `YYYY-MM-DDTHH:MM:SS.ffffff`.
pub(super) const TIME_FORMAT: &str = "'%Y-%m-%dT%H:%M:%E6S'";

/// The catalog of dataset `dataset` of `project`: `dataset, table, column, data type` per
/// column of the Platform Connector's tables, one row of nulls but the first when it has none.
pub fn catalog(project: &str, dataset: &str) -> Statement {
    let mut b = Builder::new(Dialect::BigQuery, "catalog");
    b.sql("SELECT ").param(dataset.to_owned()).sql(&format!(
        ", c.table_name, c.column_name, c.data_type FROM UNNEST([1]) AS one \
             LEFT JOIN {}.{}.INFORMATION_SCHEMA.COLUMNS AS c \
             ON LOWER(c.table_name) IN ('log', 'audit_trail', 'user') ORDER BY 2, 3",
        ident(project),
        ident(dataset)
    ));
    b.done()
}

fn from(r: &Reads<'_>) -> String {
    format!(
        "{}.{}.{}",
        ident(r.project.unwrap_or_default()),
        ident(r.schema),
        ident(&r.info.stored_name)
    )
}

fn data_type<'r>(r: &'r Reads<'_>, column: &str) -> Option<&'r str> {
    r.info.column(column).map(|c| c.data_type.as_str())
}

fn col(r: &Reads<'_>, column: &str) -> String {
    ident(r.info.stored_column(column).unwrap_or(column))
}

/// A column as text; `NULL` when the table has no such column.
fn text(r: &Reads<'_>, column: &str) -> String {
    let Some(data_type) = data_type(r, column) else {
        return "CAST(NULL AS STRING)".to_owned();
    };
    let c = col(r, column);
    match data_type {
        "string" => c,
        "json" => format!("TO_JSON_STRING({c})"),
        "bool" | "boolean" => format!("CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END"),
        _ => format!("CAST({c} AS STRING)"),
    }
}

/// A JSON column as text, or null when longer than the bound; then its length.
fn bounded(r: &Reads<'_>, b: &mut Builder, column: &str, bound: u32) {
    let t = text(r, column);
    b.sql(&format!("CASE WHEN BYTE_LENGTH({t}) > CAST("))
        .param(bound.to_string())
        .sql(&format!(
            " AS INT64) THEN NULL ELSE {t} END, CAST(BYTE_LENGTH({t}) AS STRING)"
        ));
}

/// Whether the time column is a `DATETIME` (no zone) rather than a `TIMESTAMP`.
fn is_civil(r: &Reads<'_>) -> bool {
    r.table
        .time_column()
        .and_then(|c| data_type(r, c))
        .is_some_and(|t| t == "datetime")
}

fn time(r: &Reads<'_>) -> String {
    col(r, r.table.time_column().unwrap_or("time_stamp"))
}

/// `expr` (of the time column's type) as `YYYY-MM-DDTHH:MM:SS.ffffff` UTC.
fn formatted(r: &Reads<'_>, expr: &str) -> String {
    if is_civil(r) {
        format!("FORMAT_DATETIME({TIME_FORMAT}, {expr})")
    } else {
        format!("FORMAT_TIMESTAMP({TIME_FORMAT}, {expr}, 'UTC')")
    }
}

/// A marker bound to time `t`, as the time column's type.
fn time_param(r: &Reads<'_>, b: &mut Builder, t: jiff::Timestamp) {
    b.sql("CAST(");
    if is_civil(r) {
        b.param(t.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string())
            .sql(" AS DATETIME)");
    } else {
        b.param(t.strftime("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string())
            .sql(" AS TIMESTAMP)");
    }
}

fn id(r: &Reads<'_>) -> String {
    text(r, "id")
}

/// `WHERE` for the window, and rows after `after`.
fn window(r: &Reads<'_>, b: &mut Builder, span: crate::vocab::Window, after: Option<&Key>) {
    let t = time(r);
    b.sql(&format!(" WHERE {t} >= "));
    time_param(r, b, span.start);
    b.sql(&format!(" AND {t} < "));
    time_param(r, b, span.end);
    if let Some(key) = after {
        b.sql(&format!(" AND ({t} > "));
        time_param(r, b, key.at);
        b.sql(&format!(" OR ({t} = "));
        time_param(r, b, key.at);
        b.sql(&format!(" AND {} > ", id(r)))
            .param(key.id.clone())
            .sql("))");
    }
}

fn order(r: &Reads<'_>, b: &mut Builder) {
    b.sql(&format!(
        " ORDER BY {}, {} LIMIT {}",
        time(r),
        id(r),
        r.page_rows
    ));
}

/// See [`Reads::log`].
pub(super) fn log(
    r: &Reads<'_>,
    span: crate::vocab::Window,
    after: Option<&Key>,
    bound: u32,
) -> Statement {
    let connection = r.info.connection_column().unwrap_or("connection_id");
    let mut b = Builder::new(Dialect::BigQuery, "log");
    b.sql(&format!(
        "SELECT {}, {}, {}, {}, {}, ",
        id(r),
        formatted(r, &time(r)),
        text(r, connection),
        text(r, "event"),
        text(r, "message_event")
    ));
    bounded(r, &mut b, "message_data", bound);
    b.sql(&format!(", {} FROM {}", text(r, "sync_id"), from(r)));
    window(r, &mut b, span, after);
    b.sql(&format!(" AND {} LIKE ", text(r, "message_data")))
        .param(ACTOR_PATTERN.to_owned());
    order(r, &mut b);
    b.done()
}

/// See [`Reads::audit_trail`].
pub(super) fn audit_trail(
    r: &Reads<'_>,
    span: crate::vocab::Window,
    after: Option<&Key>,
    bound: u32,
) -> Statement {
    let mut b = Builder::new(Dialect::BigQuery, "audit_trail");
    b.sql(&format!(
        "SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, ",
        id(r),
        formatted(r, &time(r)),
        text(r, "user_id"),
        text(r, "action"),
        text(r, "interaction_method"),
        text(r, "primary_resource_type"),
        text(r, "primary_resource_id"),
        text(r, "secondary_resource_type"),
        text(r, "secondary_resource_id"),
    ));
    bounded(r, &mut b, "old_values", bound);
    b.sql(", ");
    bounded(r, &mut b, "new_values", bound);
    b.sql(&format!(" FROM {}", from(r)));
    window(r, &mut b, span, after);
    order(r, &mut b);
    b.done()
}

/// See [`Reads::users`].
pub(super) fn users(r: &Reads<'_>, after: Option<&str>) -> Statement {
    let mut b = Builder::new(Dialect::BigQuery, "user");
    b.sql(&format!(
        "SELECT {}, {}, {}, {}, {} FROM {}",
        id(r),
        text(r, "email"),
        text(r, "given_name"),
        text(r, "family_name"),
        text(r, "_fivetran_deleted"),
        from(r),
    ));
    if let Some(after) = after {
        b.sql(&format!(" WHERE {} > ", id(r)))
            .param(after.to_owned());
    }
    b.sql(&format!(" ORDER BY {} LIMIT {}", id(r), r.page_rows));
    b.done()
}

/// See [`Reads::earliest`].
pub(super) fn earliest(r: &Reads<'_>) -> Statement {
    let mut b = Builder::new(Dialect::BigQuery, "earliest");
    b.sql(&format!(
        "SELECT {} FROM {}",
        formatted(r, &format!("MIN({})", time(r))),
        from(r)
    ));
    b.done()
}

/// See [`Reads::count`].
pub(super) fn count(r: &Reads<'_>, span: crate::vocab::Window) -> Statement {
    let mut b = Builder::new(Dialect::BigQuery, "count");
    b.sql(&format!("SELECT CAST(COUNT(*) AS STRING) FROM {}", from(r)));
    window(r, &mut b, span, None);
    b.done()
}

/// What gives service account `member` what a read needs and nothing more, for an
/// administrator to run: `roles/bigquery.jobUser` on `project` (to run query jobs there; a
/// `gcloud` command, as SQL cannot grant on a project) and `roles/bigquery.dataViewer` on the
/// dataset `dataset` of `data_project` (BigQuery's `GRANT` statement: the tables and the
/// dataset's `INFORMATION_SCHEMA`, nothing else).
pub fn grants(project: &str, data_project: &str, dataset: &str, member: &str) -> Vec<String> {
    let shell = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let principal = format!("serviceAccount:{member}");
    vec![
        format!(
            "gcloud projects add-iam-policy-binding {} --member={} --role=roles/bigquery.jobUser",
            shell(project),
            shell(&principal)
        ),
        format!(
            "GRANT `roles/bigquery.dataViewer` ON SCHEMA {}.{} TO \"{}\";",
            ident(data_project),
            ident(dataset),
            principal.replace('\\', "\\\\").replace('"', "\\\"")
        ),
    ]
}

#[cfg(test)]
mod tests;
