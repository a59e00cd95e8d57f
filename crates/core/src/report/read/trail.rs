//! `audit_trail.json`: one line per audit source and per destination, the people by how many
//! actions they made, and the timeline in the file's order.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Reader;
use crate::report::model::{ActionRow, Part, PersonRow, Rows, State, Trail, display, list, text};

pub(super) fn read_trail(reader: &Reader, max_rows: usize) -> Part<Option<Trail>> {
    let mut timeline = Rows::new(max_rows);
    // Person → (user id, active, actions): one entry per person, not per action.
    let mut people: BTreeMap<String, (String, bool, u64)> = BTreeMap::new();
    let (file, state, envelope) = reader.read("audit_trail", |a| {
        let actor = a.get("actor").unwrap_or(&Value::Null);
        let person = text(actor, "/email")
            .or_else(|| text(actor, "/user_id"))
            .unwrap_or_else(|| "(unknown)".into());
        let entry = people.entry(person.clone()).or_insert_with(|| {
            (
                text(actor, "/user_id").unwrap_or_default(),
                actor.get("active") == Some(&Value::Bool(true)),
                0,
            )
        });
        entry.2 += 1;
        let resource = a.get("resource").unwrap_or(&Value::Null);
        timeline.push(ActionRow {
            at: text(&a, "/at").unwrap_or_default(),
            id: text(&a, "/id").unwrap_or_default(),
            actor: person,
            action: text(&a, "/event")
                .or_else(|| text(&a, "/action"))
                .unwrap_or_default(),
            resource: [
                text(resource, "/type"),
                text(resource, "/name").or_else(|| text(resource, "/id")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
            method: text(&a, "/method").unwrap_or_default(),
        });
    });
    timeline.trim();
    let mut rows = Rows::new(max_rows);
    for (person, (user_id, active, actions)) in people {
        rows.push(PersonRow {
            rank: std::cmp::Reverse(actions),
            person,
            user_id,
            active: if active { "yes" } else { "no" }.into(),
        });
    }
    rows.trim();
    let data = matches!(state, State::Read { .. }).then(|| Trail {
        sources: list(&envelope, "sources").iter().map(source_line).collect(),
        destinations: list(&envelope, "destinations")
            .iter()
            .map(|d| {
                format!(
                    "{} ({}): {}, {}",
                    text(d, "/name").unwrap_or_default(),
                    text(d, "/destination").unwrap_or_default(),
                    text(d, "/coverage").unwrap_or_default(),
                    text(d, "/reason").unwrap_or_default()
                )
            })
            .collect(),
        people: rows,
        timeline,
    });
    Part { file, state, data }
}

/// One audit source on one line.
fn source_line(s: &Value) -> String {
    let window = |k: &str| {
        s.get(k)
            .filter(|w| !w.is_null())
            .map(|w| {
                format!(
                    "{} to {}",
                    text(w, "/start").unwrap_or_default(),
                    text(w, "/end").unwrap_or_default()
                )
            })
            .unwrap_or_else(|| "nothing".into())
    };
    let count = |k: &str| s.get(k).and_then(Value::as_u64).unwrap_or(0);
    let mut line = format!(
        "audit source {} ({} {}@{}/{}, Platform Connector {}, schema {}): {}; window asked {}, covered {}; {} rows read, {} actions kept, {} system actions",
        s.get("source").map(display).unwrap_or_default(),
        text(s, "/kind").unwrap_or_default(),
        text(s, "/user").unwrap_or_default(),
        text(s, "/host").unwrap_or_default(),
        text(s, "/database").unwrap_or_default(),
        text(s, "/platform_connector").unwrap_or_else(|| "none".into()),
        text(s, "/schema").unwrap_or_default(),
        text(s, "/status").unwrap_or_default(),
        window("window_asked"),
        window("window_covered"),
        count("rows_read"),
        count("items_kept"),
        count("system_actions"),
    );
    if let Some(reason) = text(s, "/reason") {
        line.push_str(&format!("; {reason}"));
    }
    line
}
