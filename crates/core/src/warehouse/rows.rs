//! What a warehouse read gives back, whatever the warehouse: the catalog of the Platform
//! Connector's tables, and their rows as text.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::{WarehouseError, quoted};

/// A Platform Connector table the collector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    /// `LOG`: every event, user actions among them.
    Log,
    /// `AUDIT_TRAIL`: one row per user action (Enterprise and Business Critical plans).
    AuditTrail,
    /// `USER`: the account's people, deleted ones marked.
    User,
}

impl Table {
    /// Every table read.
    pub const ALL: [Table; 3] = [Table::Log, Table::AuditTrail, Table::User];

    /// The table's name as Fivetran writes it (lower case on the PostgreSQL protocol).
    pub fn name(self) -> &'static str {
        match self {
            Table::Log => "log",
            Table::AuditTrail => "audit_trail",
            Table::User => "user",
        }
    }

    /// The column that orders its rows in time, if it has one.
    pub fn time_column(self) -> Option<&'static str> {
        match self {
            Table::Log => Some("time_stamp"),
            Table::AuditTrail => Some("captured_at"),
            Table::User => None,
        }
    }

    /// The columns a read cannot do without (`LOG` needs one of `connection_id` and
    /// `connector_id` besides, see [`TableInfo::connection_column`]).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Table::Log => &["id", "time_stamp", "message_event", "message_data"],
            Table::AuditTrail => &["id", "captured_at", "user_id", "action"],
            Table::User => &["id", "email"],
        }
    }
}

/// One column: its name and its type as the warehouse names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The type, e.g. `timestamp with time zone`, `jsonb`, `text`, `super`, `variant`.
    pub data_type: String,
    /// The name as stored (its case kept, for quoting).
    pub name: String,
}

/// What the catalog says of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableInfo {
    /// The table's name as stored (its case kept, for quoting).
    pub stored_name: String,
    /// Whether the user may `SELECT` from it.
    pub selectable: bool,
    /// Its columns, by lower-case name.
    pub columns: BTreeMap<String, Column>,
}

impl TableInfo {
    /// The column of `name`, if the table has it.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.get(name)
    }

    /// The name of column `name` as stored, if the table has it.
    pub fn stored_column(&self, name: &str) -> Option<&str> {
        self.column(name).map(|c| c.name.as_str())
    }

    /// The required columns it lacks.
    pub fn missing(&self, table: Table) -> Vec<&'static str> {
        let mut missing: Vec<&'static str> = table
            .required()
            .iter()
            .copied()
            .filter(|c| self.column(c).is_none())
            .collect();
        if table == Table::Log && self.connection_column().is_none() {
            missing.push("connection_id (or connector_id)");
        }
        missing
    }

    /// `LOG`'s connection column: `connection_id`, or the older `connector_id`.
    pub fn connection_column(&self) -> Option<&'static str> {
        ["connection_id", "connector_id"]
            .into_iter()
            .find(|c| self.column(c).is_some())
    }

    /// Whether the time column holds instants (`timestamp with time zone`) rather than wall
    /// clock times, which Fivetran writes in UTC.
    pub fn time_has_zone(&self, table: Table) -> bool {
        table
            .time_column()
            .and_then(|c| self.column(c))
            .is_some_and(|c| c.data_type.contains("with time zone") || c.data_type == "timestamptz")
    }
}

/// What a schema holds of the Platform Connector's tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// The schema, as asked.
    pub schema: String,
    /// The schema as stored (for quoting), if it exists.
    pub stored_schema: Option<String>,
    /// Whether the user may use the schema.
    pub usable: bool,
    /// The tables found, by table.
    pub tables: BTreeMap<Table, TableInfo>,
}

impl Catalog {
    /// The table, if the schema has it.
    pub fn table(&self, table: Table) -> Option<&TableInfo> {
        self.tables.get(&table)
    }
}

/// Where a row stands in its table's order: its time, then its id. `LOG`'s primary key is
/// `(id, time_stamp)` and `AUDIT_TRAIL`'s is `id`, so a key names one row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// The row's time, to the microsecond.
    pub at: Timestamp,
    /// The row's id.
    pub id: String,
}

/// A JSON column's value as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// Null.
    Null,
    /// Its text.
    Text(String),
    /// Larger than the bound, so not transferred: its size in bytes.
    TooLarge(u64),
}

/// A `LOG` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    /// Time and id.
    pub key: Key,
    /// `connection_id` (or `connector_id`).
    pub connection_id: Option<String>,
    /// `event` (INFO, WARNING, ...).
    pub event: Option<String>,
    /// `message_event` (`edit_connection`, ...).
    pub message_event: Option<String>,
    /// `message_data`.
    pub message_data: Field,
    /// `sync_id`.
    pub sync_id: Option<String>,
}

/// An `AUDIT_TRAIL` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTrailRow {
    /// Time (`captured_at`) and id.
    pub key: Key,
    /// `user_id`.
    pub user_id: Option<String>,
    /// `action` (CREATE, EDIT, DELETE, ...).
    pub action: Option<String>,
    /// `interaction_method` (WEB_UI, API, SYSTEM, ...).
    pub interaction_method: Option<String>,
    /// `primary_resource_type`.
    pub primary_resource_type: Option<String>,
    /// `primary_resource_id`.
    pub primary_resource_id: Option<String>,
    /// `secondary_resource_type`.
    pub secondary_resource_type: Option<String>,
    /// `secondary_resource_id`.
    pub secondary_resource_id: Option<String>,
    /// `old_values`.
    pub old_values: Field,
    /// `new_values`.
    pub new_values: Field,
}

/// A `USER` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// `id`.
    pub id: String,
    /// `email`.
    pub email: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `_fivetran_deleted`.
    pub deleted: Option<bool>,
}

/// One row's columns as text, by position in the statement's select list.
pub(super) type Columns<'r> = &'r dyn Fn(usize) -> Option<String>;

impl LogRow {
    /// A `LOG` row from the columns every dialect's statement selects, in their order (`id`,
    /// time, connection, `event`, `message_event`, `message_data` and its size, `sync_id`);
    /// `None` without an id or a time.
    pub(super) fn decode(text: Columns<'_>) -> Result<Option<Self>, WarehouseError> {
        let (Some(id), Some(at)) = (text(0), text(1)) else {
            return Ok(None);
        };
        Ok(Some(LogRow {
            key: Key {
                at: parse_time(&at)?,
                id,
            },
            connection_id: text(2),
            event: text(3),
            message_event: text(4),
            message_data: field(text(5), text(6)),
            sync_id: text(7),
        }))
    }
}

impl AuditTrailRow {
    /// An `AUDIT_TRAIL` row from the columns every dialect's statement selects, in their
    /// order; `None` without an id or a time.
    pub(super) fn decode(text: Columns<'_>) -> Result<Option<Self>, WarehouseError> {
        let (Some(id), Some(at)) = (text(0), text(1)) else {
            return Ok(None);
        };
        Ok(Some(AuditTrailRow {
            key: Key {
                at: parse_time(&at)?,
                id,
            },
            user_id: text(2),
            action: text(3),
            interaction_method: text(4),
            primary_resource_type: text(5),
            primary_resource_id: text(6),
            secondary_resource_type: text(7),
            secondary_resource_id: text(8),
            old_values: field(text(9), text(10)),
            new_values: field(text(11), text(12)),
        }))
    }
}

/// A bounded JSON column: its text, or its size when it was too large to transfer.
fn field(text: Option<String>, length: Option<String>) -> Field {
    match (text, length.and_then(|l| l.parse::<u64>().ok())) {
        (Some(text), _) => Field::Text(text),
        (None, Some(bytes)) => Field::TooLarge(bytes),
        (None, None) => Field::Null,
    }
}

/// A time as the statements write it (`YYYY-MM-DDTHH:MM:SS.ffffff`, UTC).
pub(super) fn parse_time(text: &str) -> Result<Timestamp, WarehouseError> {
    format!("{text}Z")
        .parse()
        .map_err(|e| WarehouseError::Query(format!("unreadable time {}: {e}", quoted(text))))
}
