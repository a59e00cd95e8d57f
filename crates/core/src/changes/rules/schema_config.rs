//! A connection's `schema_config`: which schemas, tables and columns are synced or hashed, and
//! how new ones are handled.
//!
//! A schema or table absent from one side counts as not synced (a newly listed one that is
//! enabled is reported; a vanished one that was enabled is reported as disabled), and its
//! tables and columns are not compared one by one. A column
//! absent from one side has Fivetran's default: enabled and not hashed (the API lists only the
//! columns it has settings for). When either side has no schema config at all, nothing is
//! compared: it could not be read, or the connector type has none.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::kit::{Subject, segment};
use crate::changes::Change;

/// Schema-level settings reported as `schema_change_handling_changed`.
const HANDLING: [&str; 2] = ["schema_change_handling", "enable_new_by_default"];

/// Compares two `schema_config` objects.
pub(super) fn compare(s: &Subject<'_>, out: &mut Vec<Change>, (old, new): (&Value, &Value)) {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return;
    };
    for field in HANDLING {
        let (b, a) = (get(old, field), get(new, field));
        if b != a {
            s.push(
                out,
                "schema_change_handling_changed",
                format!("schema_config.{field}"),
                (b, a),
            );
        }
    }
    let flags = Flags { s };
    for (name, b, a) in children(old, new, "schemas") {
        let path = format!("schema_config.schemas.{}", segment(name));
        flags.flag(out, &path, (b, a), ("schema_enabled", "schema_disabled"));
        // A schema or table that appears or vanishes is one change; its tables and columns
        // are not listed one by one as if each had been switched.
        if b.is_empty() || a.is_empty() {
            continue;
        }
        for (name, b, a) in children(b, a, "tables") {
            let path = format!("{path}.tables.{}", segment(name));
            flags.flag(out, &path, (b, a), ("table_enabled", "table_disabled"));
            if b.is_empty() || a.is_empty() {
                continue;
            }
            for (name, b, a) in children(b, a, "columns") {
                let path = format!("{path}.columns.{}", segment(name));
                flags.column(out, &path, (b, a));
            }
        }
    }
}

struct Flags<'s, 'a> {
    s: &'s Subject<'a>,
}

impl Flags<'_, '_> {
    /// `enabled` of a schema or table (absent: not synced).
    fn flag(
        &self,
        out: &mut Vec<Change>,
        path: &str,
        (b, a): (&Map<String, Value>, &Map<String, Value>),
        (on, off): (&'static str, &'static str),
    ) {
        self.bool_field(out, path, "enabled", (b, a), false, (on, off));
    }

    /// `enabled` (absent: enabled) and `hashed` (absent: not hashed) of a column.
    fn column(
        &self,
        out: &mut Vec<Change>,
        path: &str,
        (b, a): (&Map<String, Value>, &Map<String, Value>),
    ) {
        let enabled = ("column_enabled", "column_disabled");
        self.bool_field(out, path, "enabled", (b, a), true, enabled);
        let hashed = ("column_hashed", "column_unhashed");
        self.bool_field(out, path, "hashed", (b, a), false, hashed);
    }

    /// Reports `on` or `off` when the effective value of `field` changed.
    fn bool_field(
        &self,
        out: &mut Vec<Change>,
        path: &str,
        field: &str,
        (b, a): (&Map<String, Value>, &Map<String, Value>),
        default: bool,
        (on, off): (&'static str, &'static str),
    ) {
        let (before, after) = (get(b, field), get(a, field));
        let effective = |v: &Value| v.as_bool().unwrap_or(default);
        if effective(&before) != effective(&after) {
            let kind = if effective(&after) { on } else { off };
            self.s
                .push(out, kind, format!("{path}.{field}"), (before, after));
        }
    }
}

fn get(map: &Map<String, Value>, key: &str) -> Value {
    map.get(key).cloned().unwrap_or(Value::Null)
}

/// A child's name with its object on each side.
type Child<'a> = (&'a str, &'a Map<String, Value>, &'a Map<String, Value>);

/// The union of the children under `key` of both sides, by name, with each side's object
/// (empty where absent).
fn children<'a>(
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
    key: &str,
) -> Vec<Child<'a>> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    let side = |m: &'a Map<String, Value>| m.get(key).and_then(Value::as_object);
    let (o, n) = (side(old), side(new));
    let names: BTreeSet<&'a String> = o
        .into_iter()
        .flat_map(|m| m.keys())
        .chain(n.into_iter().flat_map(|m| m.keys()))
        .collect();
    let child = |m: Option<&'a Map<String, Value>>, name: &str| {
        m.and_then(|m| m.get(name))
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY)
    };
    names
        .into_iter()
        .map(|name| (name.as_str(), child(o, name), child(n, name)))
        .collect()
}
