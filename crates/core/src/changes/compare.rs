//! Pairing the items of two snapshots, and the rules every artifact shares: added and removed
//! items, plain fields, on/off flags, config keys (with the redaction rule) and memberships.

use std::cmp::Ordering;
use std::fmt;

use jiff::Timestamp;
use serde_json::Value;

use crate::text::printable;
use crate::vocab::{Artifact, NOTES_KEY};

use super::rules::{Ctx, Pair, compared_artifacts, rule};
use super::snapshot::LoadError;
use super::{Change, Snapshot};

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

/// A compared artifact that is not whole in one of the bundles, left out of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCompared {
    /// The artifact.
    pub artifact: Artifact,
    /// Its status in that bundle (`partial`, `forbidden`, `failed`).
    pub status: String,
    /// `old` or `new`: the bundle in which it is not whole.
    pub bundle: &'static str,
}

impl fmt::Display for NotCompared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} in the {} bundle)",
            self.artifact.name(),
            self.status,
            self.bundle
        )
    }
}

/// The compared artifacts that are not whole in one of the bundles, each once per bundle;
/// they are left out of the comparison.
pub fn not_compared(old: &Snapshot<'_>, new: &Snapshot<'_>) -> Vec<NotCompared> {
    let mut out = Vec::new();
    for artifact in compared_artifacts() {
        for (bundle, snapshot) in [("old", old), ("new", new)] {
            if let Some(status) = snapshot.status(artifact)
                && !status.is_whole()
            {
                let status = serde_json::to_value(status).unwrap_or(Value::Null);
                let status = status.as_str().unwrap_or("unknown").to_owned();
                out.push(NotCompared {
                    artifact,
                    status,
                    bundle,
                });
            }
        }
    }
    out
}

/// [`not_compared`] as `name (status in the old/new bundle)`.
pub fn uncompared(old: &Snapshot<'_>, new: &Snapshot<'_>) -> Vec<String> {
    not_compared(old, new)
        .iter()
        .map(ToString::to_string)
        .collect()
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

#[cfg(test)]
mod tests;
