//! `destinations.json`: one row per destination, labelled with its group's name and carrying
//! what was read before it: its number of connections and its audit-trail verdict.

use std::collections::HashMap;

use super::Reader;
use crate::report::model::{DestinationRow, Part, Rows, text};

/// The destinations table; `per_destination` and `verdicts` are by group id, from
/// `connections.json` and `audit_coverage.json`.
pub(super) fn read_destinations(
    reader: &Reader,
    group_label: &dyn Fn(&str) -> String,
    per_destination: &HashMap<String, u64>,
    verdicts: &HashMap<String, String>,
    max_rows: usize,
) -> Part<Rows<DestinationRow>> {
    let mut destinations = Rows::new(max_rows);
    let (file, state, _) = reader.read("destinations", |d| {
        let id = text(&d, "/id").unwrap_or_default();
        let group = text(&d, "/group_id").unwrap_or_else(|| id.clone());
        destinations.push(DestinationRow {
            name: group_label(&group),
            service: text(&d, "/service").unwrap_or_default(),
            region: text(&d, "/region").unwrap_or_default(),
            setup_status: text(&d, "/setup_status").unwrap_or_default(),
            connections: per_destination.get(&group).copied().unwrap_or(0),
            audit: verdicts.get(&group).cloned().unwrap_or_default(),
            id,
        });
    });
    destinations.trim();
    Part {
        file,
        state,
        data: destinations,
    }
}
