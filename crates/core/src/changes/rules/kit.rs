//! What every rule is written with: the [`Pair`] of items of one id, the [`Subject`] a change
//! is about and the changes it records (added and removed items, plain fields, on/off flags,
//! config keys with the redaction rule, memberships), and dotted paths into an item.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::evidence::redact::MARKER;
use crate::vocab::{Artifact, NOTES_KEY};

use crate::changes::Change;

/// What a rule may need beyond the two items.
pub(in crate::changes) struct Ctx {
    /// The new bundle's start, for `system_key_expiring`.
    pub start: Option<Timestamp>,
}

/// One item id with the item in each bundle (at least one is there).
pub(in crate::changes) struct Pair<'a> {
    pub artifact: Artifact,
    pub id: &'a str,
    pub old: Option<&'a Value>,
    pub new: Option<&'a Value>,
}

/// Items by their string id; items deleted during their run count as absent.
fn index<'a>(items: &'a [Value], key: &str) -> BTreeMap<&'a str, &'a Value> {
    let mut map = BTreeMap::new();
    for item in items {
        let deleted = item
            .get(NOTES_KEY)
            .and_then(|n| n.get("deleted_during_run"))
            .is_some();
        if let (Some(id), false) = (item.get(key).and_then(Value::as_str), deleted) {
            map.entry(id).or_insert(item);
        }
    }
    map
}

/// The item a change is about.
pub(super) struct Subject<'a> {
    artifact: Artifact,
    id: &'a str,
    label: Option<String>,
}

impl<'a> Subject<'a> {
    /// The subject of a pair, labelled by `label_field` of the newest side.
    pub fn new(pair: &Pair<'a>, label_field: &str) -> Self {
        let label = pair
            .new
            .or(pair.old)
            .and_then(|item| item.get(label_field))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Self {
            artifact: pair.artifact,
            id: pair.id,
            label,
        }
    }

    /// Records a change.
    pub fn push(
        &self,
        out: &mut Vec<Change>,
        kind: &'static str,
        field: impl Into<String>,
        (before, after): (Value, Value),
    ) {
        self.push_noted(out, kind, field, (before, after), None);
    }

    /// Records a change with a note.
    pub fn push_noted(
        &self,
        out: &mut Vec<Change>,
        kind: &'static str,
        field: impl Into<String>,
        (before, after): (Value, Value),
        note: Option<&'static str>,
    ) {
        out.push(Change {
            kind,
            artifact: self.artifact,
            id: self.id.to_owned(),
            label: self.label.clone(),
            field: field.into(),
            before,
            after,
            note,
            audit: None,
        });
    }

    /// An added or removed item: one change on its headline field.
    pub fn lifecycle(
        &self,
        out: &mut Vec<Change>,
        pair: &Pair<'_>,
        (added, removed): (&'static str, &'static str),
        headline: &str,
    ) {
        match (pair.old, pair.new) {
            (None, Some(new)) => self.push(out, added, headline, (Value::Null, at(new, headline))),
            (Some(old), None) => {
                self.push(out, removed, headline, (at(old, headline), Value::Null))
            }
            _ => {}
        }
    }

    /// One `kind` change per field whose value differs.
    pub fn fields(
        &self,
        out: &mut Vec<Change>,
        (old, new): (&Value, &Value),
        kind: &'static str,
        fields: &[&str],
    ) {
        for field in fields {
            let (b, a) = (at(old, field), at(new, field));
            if b != a {
                self.push(out, kind, *field, (b, a));
            }
        }
    }

    /// A flag: `on` when it became true, `off` otherwise.
    pub fn toggle(
        &self,
        out: &mut Vec<Change>,
        (old, new): (&Value, &Value),
        field: &str,
        (on, off): (&'static str, &'static str),
    ) {
        let (b, a) = (at(old, field), at(new, field));
        if b != a {
            let kind = if a == Value::Bool(true) { on } else { off };
            self.push(out, kind, field, (b, a));
        }
    }

    /// One `kind` change per key of the `field` object added, removed or changed, under the
    /// redaction rule.
    pub fn config_keys(
        &self,
        out: &mut Vec<Change>,
        (old, new): (&Value, &Value),
        field: &str,
        kind: &'static str,
    ) {
        let empty = Map::new();
        let o = old.get(field).and_then(Value::as_object).unwrap_or(&empty);
        let n = new.get(field).and_then(Value::as_object).unwrap_or(&empty);
        let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
        for key in keys {
            let (b, a) = (value_of(o, key), value_of(n, key));
            if b == a {
                continue;
            }
            let path = format!("{field}.{}", segment(key));
            if !is_marker(b) && !is_marker(a) {
                self.push(out, kind, path, (b.clone(), a.clone()));
                continue;
            }
            // What can hold a secret shows as the marker; null, an empty string and a
            // boolean hold none and show as they are (an empty password that became set).
            let shown = |v: &Value| match v {
                Value::Number(_) => json!(MARKER),
                Value::String(s) if !s.is_empty() => json!(MARKER),
                other => other.clone(),
            };
            let (b, a) = (shown(b), shown(a));
            if b != a {
                self.push_noted(out, kind, path, (b, a), Some(REDACTED_NOTE));
            }
        }
    }

    /// Memberships listed under `list` (keyed by `key`), as granted, revoked, role changed.
    /// An unknown list (null: it could not be read) on either side is not compared.
    pub fn memberships(
        &self,
        out: &mut Vec<Change>,
        (old, new): (Option<&Value>, &Value),
        (list, key): (&str, &str),
        (granted, revoked, role_changed): (&'static str, &'static str, &'static str),
    ) {
        let Some(n) = new.get(list).and_then(Value::as_array) else {
            return;
        };
        let o = match old {
            None => &[][..],
            Some(old) => match old.get(list).and_then(Value::as_array) {
                Some(o) => o.as_slice(),
                None => return,
            },
        };
        let (o, n) = (index(o, key), index(n, key));
        let ids: BTreeSet<&str> = o.keys().chain(n.keys()).copied().collect();
        let role = |m: &Value| at(m, "role");
        for id in ids {
            let path = format!("{list}.{}", segment(id));
            match (o.get(id), n.get(id)) {
                (None, Some(m)) => self.push(out, granted, path, (Value::Null, role(m))),
                (Some(m), None) => self.push(out, revoked, path, (role(m), Value::Null)),
                (Some(b), Some(a)) if role(b) != role(a) => {
                    self.push(
                        out,
                        role_changed,
                        format!("{path}.role"),
                        (role(b), role(a)),
                    );
                }
                _ => {}
            }
        }
    }
}

/// The note on a config key whose value is redacted.
pub(super) const REDACTED_NOTE: &str =
    "the value is redacted: only its addition or removal can be seen, not a change of it";

fn value_of<'a>(map: &'a Map<String, Value>, key: &str) -> &'a Value {
    map.get(key).unwrap_or(&Value::Null)
}

fn is_marker(v: &Value) -> bool {
    v.as_str() == Some(MARKER)
}

/// The value at a dotted path of an item, null where absent.
pub(super) fn at(item: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(item, |v, key| v.get(key))
        .cloned()
        .unwrap_or(Value::Null)
}

/// A path segment: plain names as they are, anything else JSON-quoted, so that a dot in a
/// table name cannot be mistaken for a separator.
pub(super) fn segment(name: &str) -> Cow<'_, str> {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '$' | '@'));
    if plain {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(Value::String(name.to_owned()).to_string())
    }
}
