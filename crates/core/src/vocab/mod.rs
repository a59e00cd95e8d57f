//! The words every layer shares: which artifacts a bundle holds ([`Artifact`], [`Kind`]), how
//! complete each one and the run are ([`Status`], [`RunStatus`]), an artifact's items as they
//! are gathered ([`Collected`], handed item by item to a [`Sink`]), the sync-history
//! [`Window`], the account and key identity ([`AccountInfo`]), how items are ordered
//! ([`sort_items`]), the one form of a time in the bundle ([`rfc3339`], [`rfc3339_micros`]
//! where order within a second matters) and the audit-trail facts ([`audit`]).
//!
//! Plain data and pure functions: this module imports nothing else of the crate, so every
//! other module may import it.

mod account;
mod artifact;
pub mod audit;
mod status;

use jiff::Timestamp;
use serde_json::Value;

pub use account::{AccountInfo, KeyAccess, Scope};
pub use artifact::{Artifact, Kind};
pub use status::{Collected, RunStatus, Status, Window};

/// The tool's name, as the manifest gives it (the crates are named after it, not it).
pub const TOOL_NAME: &str = "iru-fivetran";

/// The key under which the collector puts its notes on an item.
pub const NOTES_KEY: &str = "_iru";

/// The string id of an item, if it has one.
pub fn id_of(item: &Value, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Sorts items by `key` (string), then by their JSON text, so order never depends on the API.
pub fn sort_items(items: &mut [Value], key: &str) {
    items.sort_by_cached_key(|v| (id_of(v, key), v.to_string()));
}

/// RFC 3339 UTC to the second: the form of every time the tool writes.
pub fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// RFC 3339 UTC with exactly six fractional digits: the form of a time read from a warehouse,
/// where order within a second matters (fixed width, so the text sorts as the time does).
pub fn rfc3339_micros(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Where an artifact's items go as they are gathered: the bundle's spill-to-disk writer in a
/// run, a plain list in tests. Producers push without checking each item; the writer reports
/// its own failures when the artifact is sealed.
pub trait Sink: Send {
    /// Takes one item; it is no longer needed by the caller.
    fn push(&mut self, item: Value);
    /// Items pushed so far.
    fn count(&self) -> usize;
    /// Why the sink takes no more items, once it is full; an item pushed then is dropped.
    /// Producers stop reading when it says so. `None` for a sink without a bound.
    fn full(&self) -> Option<&str> {
        None
    }
}

impl Sink for Vec<Value> {
    fn push(&mut self, item: Value) {
        Vec::push(self, item);
    }

    fn count(&self) -> usize {
        self.len()
    }
}
