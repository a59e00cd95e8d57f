//! `findings.json`: every check with its status, what it proves and cannot, and its subjects
//! (each table capped), the subjects' other fields joined into one detail line.

use serde_json::Value;

use super::Reader;
use crate::report::model::{Finding, Part, Rows, Subject, clip, display, list, prose, text};

pub(super) fn read_findings(reader: &Reader, max_rows: usize) -> Part<Vec<Finding>> {
    let mut findings = Vec::new();
    let (file, state, _) = reader.read("findings", |f| {
        let mut subjects = Rows::new(max_rows);
        for (index, s) in list(&f, "items").iter().enumerate() {
            let detail = s
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| !matches!(k.as_str(), "id" | "label"))
                        .map(|(k, v)| format!("{}: {}", clip(k), display(v)))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            subjects.push(Subject {
                index,
                label: s.get("label").map(display).unwrap_or_default(),
                id: s.get("id").map(display).unwrap_or_default(),
                detail: clip(&detail),
            });
        }
        subjects.trim();
        findings.push(Finding {
            id: text(&f, "/id").unwrap_or_default(),
            title: text(&f, "/title").unwrap_or_default(),
            status: text(&f, "/status").unwrap_or_default(),
            count: f.get("count").and_then(Value::as_u64).unwrap_or(0),
            proves: prose(&f, "/proves").unwrap_or_default(),
            cannot_prove: prose(&f, "/cannot_prove").unwrap_or_default(),
            subjects,
        });
    });
    Part {
        file,
        state,
        data: findings,
    }
}
