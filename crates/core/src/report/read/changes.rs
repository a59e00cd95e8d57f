//! `changes.json`: the baseline, the number of changes by category and the change log, in
//! the order the file lists them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Reader;
use crate::report::model::{ChangeRow, Changes, Part, Rows, State, display, text};

pub(super) fn read_changes(reader: &Reader, max_rows: usize) -> Part<Option<Changes>> {
    let mut rows = Rows::new(max_rows);
    let mut unexplained = Rows::new(max_rows);
    let mut categories: BTreeMap<String, u64> = BTreeMap::new();
    let mut index = 0;
    let (file, state, envelope) = reader.read("changes", |c| {
        let category = text(&c, "/category").unwrap_or_default();
        *categories.entry(category.clone()).or_default() += 1;
        let row = ChangeRow {
            index,
            category,
            kind: text(&c, "/kind").unwrap_or_default(),
            artifact: text(&c, "/artifact").unwrap_or_default(),
            subject: text(&c, "/label")
                .or_else(|| c.get("id").map(display))
                .unwrap_or_default(),
            field: text(&c, "/field").unwrap_or_default(),
            before: c.get("before").map(display).unwrap_or_default(),
            after: c.get("after").map(display).unwrap_or_default(),
            note: text(&c, "/note").unwrap_or_default(),
            who: who(c.get("audit").unwrap_or(&Value::Null)),
        };
        if text(&c, "/audit/status").as_deref() == Some("unexplained") {
            unexplained.push(row.clone());
        }
        rows.push(row);
        index += 1;
    });
    rows.trim();
    unexplained.trim();
    let data = matches!(state, State::Read { .. }).then(|| Changes {
        baseline_bundle: text(&envelope, "/baseline/bundle_id").unwrap_or_default(),
        baseline_started_at: text(&envelope, "/baseline/started_at").unwrap_or_default(),
        categories: categories.into_iter().collect(),
        not_compared: envelope
            .get("not_compared")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .take(64)
            .map(|n| {
                format!(
                    "{} ({} in the {} bundle)",
                    text(n, "/artifact").unwrap_or_default(),
                    text(n, "/status").unwrap_or_default(),
                    text(n, "/bundle").unwrap_or_default()
                )
            })
            .collect(),
        rows,
        unexplained,
    });
    Part { file, state, data }
}

/// Who made a change, from its `audit`: its events' actors (by email, else user id), `no audit
/// event` when unexplained, empty when the audit trail cannot tell.
fn who(audit: &Value) -> String {
    match text(audit, "/status").as_deref() {
        Some("explained") => {
            let mut actors: Vec<String> = audit
                .get("events")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| text(e, "/actor/email").or_else(|| text(e, "/actor/user_id")))
                .collect();
            actors.dedup();
            display(&Value::from(actors))
        }
        Some("unexplained") => "no audit event".to_owned(),
        _ => String::new(),
    }
}
