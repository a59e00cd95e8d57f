//! `connections.json`: the connections table, the charts of connections by state and by sync
//! frequency, and how many connections each destination has.

use std::collections::HashMap;

use serde_json::Value;

use super::Reader;
use crate::report::model::{Chart, ConnectionRow, Part, Rows, Tally, clip, flag, text};

type ConnectionsRead = (
    Part<Rows<ConnectionRow>>,
    Chart,
    Chart,
    HashMap<String, u64>,
);

/// The order of connection states in the chart; others follow alphabetically.
fn state_order(state: &str) -> u8 {
    match state {
        "connected" => 0,
        "incomplete" => 1,
        "broken" => 2,
        "paused" => 3,
        _ => 4,
    }
}

/// A connection's `sync_frequency`, in the order the chart shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Frequency {
    /// Minutes: a number, or a string of digits (Fivetran's spec lists `"1440"`; version-2
    /// answers carry `1440`).
    Minutes(i64),
    /// Set, but not a number of minutes: shown as given.
    Other(String),
    /// Absent or null.
    #[default]
    NotSet,
}

impl Frequency {
    fn of(value: Option<&Value>) -> Frequency {
        match value {
            None | Some(Value::Null) => Frequency::NotSet,
            Some(Value::Number(n)) => n
                .as_i64()
                .map_or_else(|| Frequency::Other(n.to_string()), Frequency::Minutes),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map_or_else(|_| Frequency::Other(s.clone()), Frequency::Minutes),
            Some(other) => Frequency::Other(other.to_string()),
        }
    }

    fn label(&self) -> String {
        match self {
            Frequency::Minutes(m) => frequency_label(Some(*m)),
            Frequency::Other(text) => format!("{} (not minutes)", clip(text)),
            Frequency::NotSet => frequency_label(None),
        }
    }
}

/// `every 6 h` for 360 minutes.
fn frequency_label(minutes: Option<i64>) -> String {
    match minutes {
        None => "not set".into(),
        Some(m) if m > 0 && m % 1440 == 0 => format!("every {} day(s)", m / 1440),
        Some(m) if m > 0 && m % 60 == 0 => format!("every {} h", m / 60),
        Some(m) => format!("every {m} min"),
    }
}

pub(super) fn read_connections(
    reader: &Reader,
    group_label: &dyn Fn(&str) -> String,
    max_rows: usize,
) -> ConnectionsRead {
    let mut rows = Rows::new(max_rows);
    let mut states: Tally<(u8, String)> = Tally::default();
    let mut frequencies: Tally<Frequency> = Tally::default();
    let mut per_destination: HashMap<String, u64> = HashMap::new();
    let (file, state, _) = reader.read("connections", |c| {
        let group = text(&c, "/group_id").unwrap_or_default();
        let state = if flag(&c, "paused") == Some(true) {
            "paused".to_owned()
        } else {
            text(&c, "/status/setup_state").unwrap_or_else(|| "unknown".into())
        };
        let frequency = Frequency::of(c.get("sync_frequency"));
        states.add((state_order(&state), state.clone()));
        frequencies.add(frequency.clone());
        *per_destination.entry(group.clone()).or_default() += 1;
        rows.push(ConnectionRow {
            destination: group_label(&group),
            schema: text(&c, "/schema").unwrap_or_default(),
            id: text(&c, "/id").unwrap_or_default(),
            service: text(&c, "/service").unwrap_or_default(),
            state,
            sync_state: text(&c, "/status/sync_state").unwrap_or_default(),
            frequency: frequency.label(),
            succeeded_at: text(&c, "/succeeded_at").unwrap_or_default(),
            failed_at: text(&c, "/failed_at").unwrap_or_default(),
        });
    });
    rows.trim();
    (
        Part {
            file,
            state,
            data: rows,
        },
        states.chart("Connections by state".into(), |(_, s)| s.clone()),
        frequencies.chart("Connections by sync frequency".into(), Frequency::label),
        per_destination,
    )
}

#[cfg(test)]
mod tests;
