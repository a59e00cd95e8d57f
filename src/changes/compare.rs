//! Pairing the items of two snapshots, and the rules every artifact shares: added and removed
//! items, plain fields, on/off flags, config keys (with the redaction rule) and memberships.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::evidence::redact::MARKER;
use crate::text::printable;
use crate::vocab::{Artifact, NOTES_KEY};

use super::snapshot::LoadError;
use super::{Change, Snapshot, access, settings};

/// Why two bundles cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotComparable {
    /// A bundle does not name its account.
    AccountUnknown {
        /// `old` or `new`.
        which: &'static str,
    },
    /// The bundles are of different accounts.
    AccountDiffers {
        /// The old bundle's account id.
        old: String,
        /// The new bundle's account id.
        new: String,
    },
    /// The bundles collected different artifacts.
    ResourcesDiffer {
        /// Collected only in the old bundle.
        only_old: Vec<String>,
        /// Collected only in the new bundle.
        only_new: Vec<String>,
    },
}

impl NotComparable {
    /// The reason on one line, without the hint (for `changes.json`'s `reason`).
    pub fn reason(&self) -> String {
        let names = |v: &[String]| {
            if v.is_empty() {
                "none".to_owned()
            } else {
                printable(&v.join(", "))
            }
        };
        match self {
            NotComparable::AccountUnknown { which } => {
                format!("the {which} bundle does not name its account")
            }
            NotComparable::AccountDiffers { old, new } => format!(
                "the bundles are of different accounts: {} and {}",
                printable(old),
                printable(new)
            ),
            NotComparable::ResourcesDiffer { only_old, only_new } => format!(
                "the bundles collected different resources: only in the old one: {}; only in the new one: {}",
                names(only_old),
                names(only_new)
            ),
        }
    }
}

impl fmt::Display for NotComparable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\nhint: compare two bundles of the same account collected with the same --resources",
            self.reason()
        )
    }
}

impl std::error::Error for NotComparable {}

/// Why [`compare`] gave no changes.
#[derive(Debug)]
pub enum CompareError {
    /// The bundles are of different accounts or selections.
    NotComparable(NotComparable),
    /// An artifact could not be read again when its turn came (its status was read when the
    /// snapshot was made, its items are read only now).
    Unreadable {
        /// `old` or `new`.
        which: &'static str,
        /// What went wrong.
        error: LoadError,
    },
}

impl CompareError {
    /// The reason on one line, without hint or local path (for `changes.json`'s `reason`).
    pub fn reason(&self) -> String {
        match self {
            CompareError::NotComparable(e) => e.reason(),
            CompareError::Unreadable { which, error } => format!(
                "the {which} bundle could not be read again: {}",
                error.reason()
            ),
        }
    }
}

impl fmt::Display for CompareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompareError::NotComparable(e) => write!(f, "{e}"),
            CompareError::Unreadable { which, error } => {
                write!(f, "the {which} bundle could not be read again: {error}")
            }
        }
    }
}

impl std::error::Error for CompareError {}

/// Refuses bundles of different accounts or different collected-resource selections.
pub fn check(old: &Snapshot<'_>, new: &Snapshot<'_>) -> Result<(), NotComparable> {
    let (Some(o), Some(n)) = (&old.account_id, &new.account_id) else {
        let which = if old.account_id.is_none() {
            "old"
        } else {
            "new"
        };
        return Err(NotComparable::AccountUnknown { which });
    };
    if o != n {
        return Err(NotComparable::AccountDiffers {
            old: o.clone(),
            new: n.clone(),
        });
    }
    let (a, b) = (old.selection(), new.selection());
    if a != b {
        return Err(NotComparable::ResourcesDiffer {
            only_old: a.difference(&b).cloned().collect(),
            only_new: b.difference(&a).cloned().collect(),
        });
    }
    Ok(())
}

/// The compared artifacts that are not whole in one of the bundles, as
/// `name (status in the old/new bundle)`; they are left out of the comparison.
pub fn uncompared(old: &Snapshot<'_>, new: &Snapshot<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for artifact in compared_artifacts() {
        for (which, snapshot) in [("old", old), ("new", new)] {
            if let Some(status) = snapshot.status(artifact)
                && !status.is_whole()
            {
                let status = serde_json::to_value(status).unwrap_or(Value::Null);
                let status = status.as_str().unwrap_or("unknown").to_owned();
                out.push(format!(
                    "{} ({status} in the {which} bundle)",
                    artifact.name()
                ));
            }
        }
    }
    out
}

/// Compares two snapshots of one account; changes come sorted by [`Change::sort_key`].
///
/// Artifacts are read one at a time from both bundles, compared, and dropped before the next
/// is read, so memory holds one artifact of each bundle (plus the changes found), however
/// large the account.
pub fn compare(old: &Snapshot<'_>, new: &Snapshot<'_>) -> Result<Vec<Change>, CompareError> {
    check(old, new).map_err(CompareError::NotComparable)?;
    let ctx = Ctx {
        start: new
            .started_at
            .as_deref()
            .and_then(|t| t.parse::<Timestamp>().ok()),
    };
    let mut out = Vec::new();
    for artifact in compared_artifacts() {
        let whole = |s: &Snapshot<'_>| s.status(artifact).is_some_and(|st| st.is_whole());
        let Some(rule) = rule(artifact) else { continue };
        if !whole(old) || !whole(new) {
            continue;
        }
        compare_streams(artifact, old, new, &mut |pair| rule(pair, &ctx, &mut out))?;
    }
    out.sort_by_cached_key(|c| (c.sort_key(), c.to_json().to_string()));
    Ok(out)
}

/// What a rule may need beyond the two items.
pub(super) struct Ctx {
    /// The new bundle's start, for `system_key_expiring`.
    pub start: Option<Timestamp>,
}

type Rule = fn(&Pair<'_>, &Ctx, &mut Vec<Change>);

fn rule(artifact: Artifact) -> Option<Rule> {
    Some(match artifact {
        Artifact::Users => access::user,
        Artifact::Teams => access::team,
        Artifact::Roles => access::role,
        Artifact::SystemKeys => access::system_key,
        Artifact::Groups => settings::group,
        Artifact::Destinations => settings::destination,
        Artifact::Connections => settings::connection,
        Artifact::Webhooks => settings::webhook,
        Artifact::LogServices => settings::log_service,
        Artifact::PrivateLinks | Artifact::ProxyAgents | Artifact::HybridDeploymentAgents => {
            settings::agent
        }
        _ => return None,
    })
}

/// The artifacts that have comparison rules, in bundle order.
pub(super) fn compared_artifacts() -> impl Iterator<Item = Artifact> {
    Artifact::ALL.into_iter().filter(|a| rule(*a).is_some())
}

/// One item id with the item in each bundle (at least one is there).
pub(super) struct Pair<'a> {
    pub artifact: Artifact,
    pub id: &'a str,
    pub old: Option<&'a Value>,
    pub new: Option<&'a Value>,
}

/// Streams one artifact from both snapshots (each read on its own thread, a few items ahead)
/// and hands every pair of items with the same id to `each`, in id order. Memory holds a few
/// items of each side, whatever the size of the artifact.
fn compare_streams(
    artifact: Artifact,
    old: &Snapshot<'_>,
    new: &Snapshot<'_>,
    each: &mut dyn FnMut(&Pair<'_>),
) -> Result<(), CompareError> {
    /// Items read ahead of the comparison, per side.
    const AHEAD: usize = 64;
    std::thread::scope(|scope| {
        let (old_tx, old_rx) = std::sync::mpsc::sync_channel::<Value>(AHEAD);
        let (new_tx, new_rx) = std::sync::mpsc::sync_channel::<Value>(AHEAD);
        // A send fails once the comparison stopped early; the rest is read and dropped.
        let old_reader = scope.spawn(move || {
            old.stream(artifact, &mut |item| drop(old_tx.send(item)))
                .map_err(|error| CompareError::Unreadable {
                    which: "old",
                    error,
                })
        });
        let new_reader = scope.spawn(move || {
            new.stream(artifact, &mut |item| drop(new_tx.send(item)))
                .map_err(|error| CompareError::Unreadable {
                    which: "new",
                    error,
                })
        });
        let merged = merge(
            artifact,
            Keyed::new(artifact, "old", old_rx.into_iter()),
            Keyed::new(artifact, "new", new_rx.into_iter()),
            each,
        );
        let unsorted = |which| CompareError::Unreadable {
            which,
            error: LoadError::Unsorted {
                name: artifact.file_name(),
            },
        };
        // Reading errors first: a file that changed can also look unsorted.
        old_reader.join().expect("a reader never panics")?;
        new_reader.join().expect("a reader never panics")?;
        merged.map_err(unsorted)
    })
}

/// Pairs two id-ordered streams: an id on one side only pairs with nothing.
fn merge(
    artifact: Artifact,
    mut old: Keyed<impl Iterator<Item = Value>>,
    mut new: Keyed<impl Iterator<Item = Value>>,
    each: &mut dyn FnMut(&Pair<'_>),
) -> Result<(), &'static str> {
    let (mut o, mut n) = (old.next()?, new.next()?);
    loop {
        let order = match (&o, &n) {
            (None, None) => return Ok(()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        let (id, old_item, new_item) = match order {
            Ordering::Less => {
                let (id, item) = o.take().expect("some");
                (id, Some(item), None)
            }
            Ordering::Greater => {
                let (id, item) = n.take().expect("some");
                (id, None, Some(item))
            }
            Ordering::Equal => {
                let (id, a) = o.take().expect("some");
                let (_, b) = n.take().expect("some");
                (id, Some(a), Some(b))
            }
        };
        each(&Pair {
            artifact,
            id: &id,
            old: old_item.as_ref(),
            new: new_item.as_ref(),
        });
        if o.is_none() {
            o = old.next()?;
        }
        if n.is_none() {
            n = new.next()?;
        }
    }
}

/// The items of one side with a string id, in id order; items deleted during their run count
/// as absent, and of items sharing an id the first counts (as a bundle never has two).
struct Keyed<I> {
    key: &'static str,
    items: I,
    last: Option<String>,
    /// `old` or `new`, for the error.
    which: &'static str,
}

impl<I: Iterator<Item = Value>> Keyed<I> {
    fn new(artifact: Artifact, which: &'static str, items: I) -> Self {
        Self {
            key: artifact.key(),
            items,
            last: None,
            which,
        }
    }

    /// The next (id, item); `Err` (naming the side) when ids go backwards.
    fn next(&mut self) -> Result<Option<(String, Value)>, &'static str> {
        for item in self.items.by_ref() {
            let deleted = item
                .get(NOTES_KEY)
                .and_then(|n| n.get("deleted_during_run"))
                .is_some();
            let Some(id) = item.get(self.key).and_then(Value::as_str) else {
                continue;
            };
            if deleted {
                continue;
            }
            match self.last.as_deref().map(|last| id.cmp(last)) {
                Some(Ordering::Less) => return Err(self.which),
                Some(Ordering::Equal) => continue,
                _ => {}
            }
            let id = id.to_owned();
            self.last = Some(id.clone());
            return Ok(Some((id, item)));
        }
        Ok(None)
    }
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

#[cfg(test)]
mod tests;
