//! `audit_coverage.json`: the audit-trail statement, the verdicts, the account-wide exports
//! and the per-destination table, plus every destination's verdict for the destinations
//! table.

use std::collections::HashMap;

use serde_json::Value;

use super::Reader;
use crate::report::model::{
    Audit, AuditRow, Part, Rows, State, clip, display, flag, list, prose, text,
};

/// `audit_coverage.json`, and every destination's verdict by id (for the destinations table,
/// whose rows are not necessarily the ones this table keeps).
pub(super) fn read_audit(
    reader: &Reader,
    group_label: &dyn Fn(&str) -> String,
    max_rows: usize,
) -> (Part<Option<Audit>>, HashMap<String, String>) {
    let mut rows = Rows::new(max_rows);
    let mut by_id = HashMap::new();
    let (file, state, envelope) = reader.read("audit_coverage", |d| {
        let id = text(&d, "/id").unwrap_or_default();
        if let Some(verdict) = text(&d, "/verdict") {
            by_id.insert(id.clone(), verdict);
        }
        rows.push(AuditRow {
            name: text(&d, "/name").unwrap_or_else(|| group_label(&id)),
            service: text(&d, "/destination_service").unwrap_or_default(),
            verdict: text(&d, "/verdict").unwrap_or_default(),
            reason: text(&d, "/reason").unwrap_or_default(),
            id,
        });
    });
    rows.trim();
    let data = matches!(state, State::Read { .. }).then(|| {
        let verdicts = envelope
            .get("verdicts")
            .and_then(Value::as_object)
            .map(|v| {
                v.iter()
                    .map(|(k, n)| (clip(k), n.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        Audit {
            verdicts,
            account_level: account_level(envelope.get("account_level").unwrap_or(&Value::Null)),
            statement: prose(&envelope, "/audit_trail").unwrap_or_default(),
            rows,
        }
    });
    (Part { file, state, data }, by_id)
}

/// The account-wide exports of the audit coverage, one line each.
fn account_level(level: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(log) = level.get("log_service").filter(|l| !l.is_null()) {
        lines.push(format!(
            "account log service {} ({}): {}, {}",
            text(log, "/id").unwrap_or_default(),
            text(log, "/service").unwrap_or_default(),
            if flag(log, "enabled") == Some(true) {
                "enabled"
            } else {
                "not enabled"
            },
            text(log, "/setup_state").unwrap_or_else(|| "setup state unknown".into()),
        ));
    }
    for p in list(level, "platform_connectors") {
        lines.push(format!(
            "platform connector {} (schema {}): {}, last success {}",
            text(p, "/id").unwrap_or_default(),
            text(p, "/schema").unwrap_or_default(),
            text(p, "/sync_state").unwrap_or_default(),
            text(p, "/succeeded_at").unwrap_or_else(|| "never".into()),
        ));
    }
    for w in list(level, "webhooks") {
        lines.push(format!(
            "account webhook {} ({}) to {}: {}",
            text(w, "/id").unwrap_or_default(),
            if flag(w, "active") == Some(true) {
                "active"
            } else {
                "inactive"
            },
            text(w, "/url").unwrap_or_default(),
            display(w.get("events").unwrap_or(&Value::Null)),
        ));
    }
    lines
}
