//! A Platform Connector's tables as a fake warehouse holds them ([`Platform`], [`Table`]), and
//! the answers to the collector's statements from them ([`eval`]): shared by the fakes of the
//! warehouses reached over HTTPS (`snowflake`, `bigquery`), which evaluate the same tagged
//! statements in their own dialects.

pub mod eval;

/// One table: its name and columns as the warehouse stores them, its rows as text.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The name, e.g. `LOG` (Snowflake) or `log` (BigQuery).
    pub name: String,
    /// `(name, data type)`, e.g. `("TIME_STAMP", "TIMESTAMP_TZ")` or `("time_stamp",
    /// "TIMESTAMP")`.
    pub columns: Vec<(String, String)>,
    /// The rows, values in column order: times as `YYYY-MM-DDTHH:MM:SS.ffffff` (UTC), JSON as
    /// its text, flags `true` or `false`.
    pub rows: Vec<Vec<Option<String>>>,
    /// Left out of the catalog and of every statement (a table the plan does not have, or the
    /// reader may not see).
    pub hidden: bool,
}

/// The Platform Connector's schema (a BigQuery dataset).
#[derive(Debug, Clone, Default)]
pub struct Platform {
    /// The schema, as stored (`FIVETRAN_METADATA`, `fivetran_metadata`).
    pub schema: String,
    /// Its tables.
    pub tables: Vec<Table>,
}
