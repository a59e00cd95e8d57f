//! What the bundle states about its audit trail, per audit source and per destination: the
//! window asked and covered, what was read, every gap and why. `audit_trail.json`'s envelope
//! and the manifest carry the same facts ([`AuditFacts`]); `crate::audit` computes them.

use serde::{Deserialize, Serialize};

use super::Status;

/// The audit-trail facts of a bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditFacts {
    /// One entry per audit source of the vault entry, in the file's order.
    pub sources: Vec<SourceFacts>,
    /// One entry per destination of the account: whether its audit trail was read.
    pub destinations: Vec<DestinationCoverage>,
}

/// A time span, start inclusive, end exclusive, RFC 3339 UTC with microseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Span {
    /// Start (inclusive).
    pub start: String,
    /// End (exclusive).
    pub end: String,
}

/// A part of the window asked that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Gap {
    /// Start (inclusive).
    pub start: String,
    /// End (exclusive).
    pub end: String,
    /// Why, in words.
    pub reason: String,
}

/// What one table gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TableFacts {
    /// Whether the schema has the table.
    pub present: bool,
    /// Whether it was read to the end of the window.
    pub read: bool,
    /// Rows read (for `log`, the rows whose `message_data` names an `"actor"`).
    pub rows_read: u64,
    /// The time up to which it was read (exclusive), when it was read at all.
    pub covered_to: Option<String>,
}

/// The tables of one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tables {
    /// `LOG`.
    pub log: TableFacts,
    /// `AUDIT_TRAIL` (absent on plans without it, which is not a failure).
    pub audit_trail: TableFacts,
    /// `USER`.
    pub user: TableFacts,
}

/// One audit source: where it is (never its password), what it was matched to, and what was
/// read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SourceFacts {
    /// Its place among the vault entry's audit sources, from 1.
    pub source: usize,
    /// `postgres` or `redshift`.
    pub kind: String,
    /// Which statements were run (`postgres` or `redshift`), once connected.
    pub statements: Option<String>,
    /// The host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The database.
    pub database: String,
    /// The user (the password is never recorded).
    pub user: String,
    /// `verify-full`, `require` or `disable`.
    pub tls: String,
    /// Whether `tls = "disable"` to a host that is not loopback was allowed.
    pub allow_plaintext: bool,
    /// The destination (group) id of the Platform Connector matched, if any.
    pub destination: Option<String>,
    /// The Platform Connector (connection id) whose tables were read, if one matched.
    pub platform_connector: Option<String>,
    /// Whether that Platform Connector writes the whole account's logs.
    pub account_level: bool,
    /// The schema read.
    pub schema: Option<String>,
    /// The Platform Connector's last successful sync, RFC 3339 UTC (where the window ends).
    pub last_sync: Option<String>,
    /// How complete the source's reading is.
    pub status: Status,
    /// Why it is not complete.
    pub reason: Option<String>,
    /// Where the window's start came from: `since` (`--since`), or `previous_bundle`.
    pub window_from: Option<String>,
    /// The earlier bundle whose covered window this one continues, if any.
    pub previous_bundle: Option<String>,
    /// The window asked: from its start to the Platform Connector's last sync.
    pub window_asked: Option<Span>,
    /// The part of it read in full (from its start), or none.
    pub window_covered: Option<Span>,
    /// Every part of the window asked not read, with why.
    pub gaps: Vec<Gap>,
    /// The earliest `LOG` row the warehouse holds (its retention), RFC 3339 UTC.
    pub earliest_row: Option<String>,
    /// Each table.
    pub tables: Tables,
    /// Rows read from all tables.
    pub rows_read: u64,
    /// Items kept in `audit_trail.json`.
    pub items_kept: u64,
    /// System actions (actor `fivetran`, or no user): counted, not listed.
    pub system_actions: u64,
    /// `LOG` rows shown as the `AUDIT_TRAIL` item of the same action, not twice.
    pub merged_from_log: u64,
    /// Rows another source had already given (an account-level and a destination
    /// Platform Connector hold the same actions).
    pub repeated_in_other_sources: u64,
    /// Rows kept although a value could not be read (too large, not JSON): see `_iru`.
    pub incomplete_rows: u64,
    /// Times the connection was lost mid-read and reading resumed from the last row read.
    pub reconnects: u32,
}

/// Whether one destination's audit trail was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DestinationCoverage {
    /// The destination (group) id.
    pub destination: String,
    /// Its group's name, if known.
    pub name: Option<String>,
    /// Its Platform Connectors (connection ids), own and account-level.
    pub platform_connectors: Vec<String>,
    /// `read`, `partial`, `failed` or `not_read`.
    #[schemars(extend("enum" = ["read", "partial", "failed", "not_read"]))]
    pub coverage: String,
    /// The audit sources that read it.
    pub sources: Vec<usize>,
    /// Why, in words.
    pub reason: String,
}
