//! What the report shows of the evidence of trust, code and secrets: approved certificates and
//! SSH host keys, transformations and the dbt projects behind them, secrets managers and
//! connector SDK packages. Each is a plain listing: a few counts and one row per item.

use super::{Part, Rows};

/// One row of a listing: its key (the file's own order) and its cells in column order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListRow {
    /// The item's key in its file (`sort_key`, `id`): rows are shown in that order.
    pub key: String,
    /// Each cell's text and whether it is an identifier or hash (shown as code).
    pub cells: Vec<(String, bool)>,
}

/// One artifact as a listing.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Counts and facts of the whole artifact, whatever the rows shown.
    pub facts: Vec<(&'static str, String)>,
    pub rows: Rows<ListRow>,
}

/// The six artifacts of the "Trust, code and secrets" section.
#[derive(Debug, Clone)]
pub struct Code {
    pub certificates: Part<Listing>,
    pub fingerprints: Part<Listing>,
    pub transformations: Part<Listing>,
    pub projects: Part<Listing>,
    pub managers: Part<Listing>,
    pub packages: Part<Listing>,
}
