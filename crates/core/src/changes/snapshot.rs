//! A bundle as [`super::compare`] sees it: account, start, the selection of collected
//! resources, the status of each collected artifact that has comparison rules, and where to
//! read that artifact's items when its turn comes.
//!
//! Items are not kept: an account with thousands of connections (each with its schema config)
//! makes artifacts of hundreds of megabytes, so [`Snapshot::load`] reads one artifact when
//! it is compared, and the comparison drops it before reading the next. Memory then holds at
//! most one artifact of each bundle, never the whole bundle.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::evidence::bundle::Bundle;
use crate::verify::{Verified, VerifyError};
use crate::vocab::{Artifact, Kind, Status};

use super::rules::compared_artifacts;

/// What is compared of one bundle. `'b` is the borrow of the bundle being written, when the
/// snapshot reads from it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot<'b> {
    /// The account id.
    pub account_id: Option<String>,
    /// The bundle directory's name (none for the bundle being written).
    pub bundle_id: Option<String>,
    /// When the run started, RFC 3339 UTC.
    pub started_at: Option<String>,
    /// Every selected artifact name, as the manifest's `options.resources`.
    pub resources: Vec<String>,
    /// The vault profile whose key collected it (`options.profile`), if any: an earlier
    /// bundle is a baseline only if the same profile (or none) collected it, since two keys
    /// of one account may see different things.
    pub profile: Option<String>,
    /// The `status` of each compared collected artifact whose envelope could be read, read
    /// once when the snapshot is made (an artifact missing here is unselected or failed).
    pub(super) statuses: BTreeMap<Artifact, Status>,
    /// Where the items of the artifacts in `statuses` are read from.
    pub(super) source: Source<'b>,
    /// Tests only: where each load is recorded, to see when and how much is held.
    #[cfg(test)]
    pub(super) watch: Option<Watch>,
}

/// Where a snapshot reads an artifact's items from when it is compared.
#[derive(Debug, Clone)]
pub(super) enum Source<'b> {
    /// Items held in memory: unit tests, and snapshots made from a manifest alone (which
    /// hold none). Shared, so a load hands them out without copying them.
    Memory(BTreeMap<Artifact, Arc<[Value]>>),
    /// A verified bundle and the file of each artifact; every read re-checks the file
    /// against the digest it verified with, since it could have changed since.
    Verified {
        /// The bundle that verified.
        bundle: Verified,
        /// The file name of each artifact in `statuses`.
        paths: BTreeMap<Artifact, String>,
    },
    /// The bundle being written, read back one item at a time.
    Written(&'b Bundle),
}

impl Default for Source<'_> {
    fn default() -> Self {
        Source::Memory(BTreeMap::new())
    }
}

/// Why an artifact whose status was read could not be read again when it was compared.
#[derive(Debug)]
pub enum LoadError {
    /// A file of a verified bundle no longer reads as it verified (it changed, or vanished).
    Verified(VerifyError),
    /// A file of the bundle being written can no longer be read back.
    Written {
        /// The file name.
        name: &'static str,
    },
    /// The items of an artifact are not in key order, which every bundle's files are: the
    /// comparison pairs them as they stream, so it cannot go on.
    Unsorted {
        /// The file name.
        name: &'static str,
    },
}

impl LoadError {
    /// What went wrong on one line, without the bundle's path (for `changes.json`, which
    /// must not carry local paths).
    pub fn reason(&self) -> String {
        match self {
            LoadError::Verified(e) => {
                let all: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
                all.join("; ")
            }
            LoadError::Written { name } => format!("{name}: cannot be read back"),
            LoadError::Unsorted { name } => {
                format!("{name}: items are not sorted by their key, as a bundle's are")
            }
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Verified(e) => write!(f, "{e}"),
            LoadError::Written { .. } | LoadError::Unsorted { .. } => f.write_str(&self.reason()),
        }
    }
}

impl std::error::Error for LoadError {}

/// Whether a manifest entry or envelope `kind` says collected; bundles written before the
/// field existed do not say, and then the artifact's own kind decides.
fn is_collected(artifact: Artifact, kind: Option<&str>) -> bool {
    kind.map_or(artifact.kind() == Kind::Collected, |k| k == "collected")
}

/// An envelope's `status`; `Failed` when it has none that reads.
fn status_of(status: Option<&Value>) -> Status {
    status
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or(Status::Failed)
}

/// An envelope's items, taken out of it (none when `items` is not a list).
#[cfg(test)]
fn items_of(envelope: Value) -> Vec<Value> {
    match envelope {
        Value::Object(mut fields) => match fields.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

impl<'b> Snapshot<'b> {
    /// Reads a verified bundle: the status of each compared collected artifact. Each file is
    /// read now, an item at a time (re-checked against its verified digest, items dropped), so one
    /// that no longer reads fails here, like any verification problem, before anything is
    /// compared; its items are read again, streamed, by `stream` when compared.
    pub fn from_verified(verified: Verified) -> Result<Self, VerifyError> {
        let mut statuses = BTreeMap::new();
        let mut paths = BTreeMap::new();
        for entry in &verified.artifacts {
            let Some(artifact) = Artifact::from_name(&entry.resource) else {
                continue;
            };
            if !is_collected(
                artifact,
                Some(entry.kind.as_str()).filter(|k| !k.is_empty()),
            ) || !compared_artifacts().any(|a| a == artifact)
            {
                continue;
            }
            let envelope = verified.stream_items(&entry.path, drop)?;
            if is_collected(artifact, envelope.get("kind").and_then(Value::as_str)) {
                statuses.insert(artifact, status_of(envelope.get("status")));
                paths.insert(artifact, entry.path.clone());
            }
        }
        Ok(Self {
            account_id: verified.account_id().map(str::to_owned),
            bundle_id: verified.bundle_id().map(str::to_owned),
            started_at: verified.started_at().map(str::to_owned),
            profile: None,
            resources: verified
                .resources()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            statuses,
            source: Source::Verified {
                bundle: verified,
                paths,
            },
            #[cfg(test)]
            watch: None,
        })
    }

    /// Reads the status of each compared artifact of the bundle being written, streaming
    /// its file without keeping the items; `load` reads them back when compared.
    pub fn from_bundle(
        bundle: &'b Bundle,
        account_id: Option<&str>,
        resources: &[&str],
        started_at: Option<String>,
        written: &[(Artifact, Status)],
    ) -> Self {
        // The run knows the status of each artifact it wrote: no file is read for it.
        let statuses = compared_artifacts()
            .filter(|a| resources.contains(&a.name()))
            .filter_map(|a| written.iter().find(|(w, _)| *w == a).map(|&(_, s)| (a, s)))
            .collect();
        Self {
            account_id: account_id.map(str::to_owned),
            bundle_id: None,
            started_at,
            profile: None,
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
            statuses,
            source: Source::Written(bundle),
            #[cfg(test)]
            watch: None,
        }
    }

    /// The selected names of collected artifacts (derived ones do not change what is
    /// compared; names this version does not know are kept, so they must match too).
    pub fn selection(&self) -> BTreeSet<String> {
        self.resources
            .iter()
            .filter(|name| Artifact::from_name(name).is_none_or(|a| a.kind() == Kind::Collected))
            .cloned()
            .collect()
    }

    /// An artifact's status: `None` when it was not selected, `Failed` when it was but its
    /// file is missing or has no readable status.
    pub fn status(&self, artifact: Artifact) -> Option<Status> {
        if let Some(status) = self.statuses.get(&artifact) {
            return Some(*status);
        }
        self.resources
            .iter()
            .any(|r| r == artifact.name())
            .then_some(Status::Failed)
    }

    /// Reads an artifact's items now, one at a time, handing each to `each` (none when its
    /// envelope was not read: its status says why). Nothing of the artifact is kept: the
    /// comparison pairs items as they stream from both bundles.
    pub(super) fn stream(
        &self,
        artifact: Artifact,
        each: &mut dyn FnMut(Value),
    ) -> Result<(), LoadError> {
        #[cfg(test)]
        self.record_load(artifact);
        if !self.statuses.contains_key(&artifact) {
            return Ok(());
        }
        match &self.source {
            Source::Memory(items) => {
                let items = items.get(&artifact).cloned();
                for item in items.iter().flat_map(|i| i.iter()) {
                    each(item.clone());
                }
                Ok(())
            }
            Source::Verified { bundle, paths } => match paths.get(&artifact) {
                Some(path) => bundle
                    .stream_items(path, each)
                    .map(drop)
                    .map_err(LoadError::Verified),
                None => Ok(()),
            },
            Source::Written(bundle) => {
                let name = artifact.file_name();
                bundle
                    .for_each_item(name, each)
                    .map(drop)
                    .ok_or(LoadError::Written { name })
            }
        }
    }
}

impl Snapshot<'_> {
    /// Reads the bundle's `audit_trail.json`, if it has one, an item at a time (re-checked
    /// against its verified digest for a verified bundle), and returns its envelope's other
    /// fields; `None` when there is none or it cannot be read (items handed over before a
    /// failure must then be disregarded).
    pub fn audit_trail(
        &self,
        each: &mut dyn FnMut(Value),
    ) -> Option<serde_json::Map<String, Value>> {
        let name = Artifact::AuditTrail.file_name();
        match &self.source {
            Source::Memory(items) => {
                let items = items.get(&Artifact::AuditTrail)?;
                for item in items.iter() {
                    each(item.clone());
                }
                Some(serde_json::Map::new())
            }
            Source::Verified { bundle, .. } => {
                let entry = bundle
                    .artifacts
                    .iter()
                    .find(|a| a.resource == Artifact::AuditTrail.name())?;
                bundle.stream_items(&entry.path, each).ok()
            }
            Source::Written(bundle) => bundle.for_each_item(name, each),
        }
    }
}

/// Tests only: one load, as `(which snapshot, artifact, how many other artifacts of the same
/// snapshot were still held outside it at that moment)`.
#[cfg(test)]
pub(super) type Load = (&'static str, Artifact, usize);

/// Tests only: a log of loads shared by the snapshots of a comparison.
#[cfg(test)]
#[derive(Debug, Clone)]
pub(super) struct Watch {
    /// `old` or `new`, as the log names this snapshot.
    pub which: &'static str,
    /// Every load, in order.
    pub log: Arc<std::sync::Mutex<Vec<Load>>>,
}

#[cfg(test)]
impl Snapshot<'_> {
    /// Sets (or removes) an artifact's envelope in an in-memory snapshot: its status and items.
    pub(super) fn set_envelope(&mut self, artifact: Artifact, envelope: Option<Value>) {
        let Source::Memory(items) = &mut self.source else {
            panic!("only in-memory snapshots are edited");
        };
        match envelope {
            Some(envelope) => {
                self.statuses
                    .insert(artifact, status_of(envelope.get("status")));
                items.insert(artifact, items_of(envelope).into());
            }
            None => {
                self.statuses.remove(&artifact);
                items.remove(&artifact);
            }
        }
    }

    /// Records a load in the watch log, with the number of other in-memory artifacts still
    /// held outside the snapshot (their handle counted more than once).
    fn record_load(&self, artifact: Artifact) {
        let Some(watch) = &self.watch else { return };
        let held = match &self.source {
            Source::Memory(items) => items
                .iter()
                .filter(|(a, v)| **a != artifact && Arc::strong_count(v) > 1)
                .count(),
            _ => 0,
        };
        watch
            .log
            .lock()
            .expect("the watch log is not poisoned")
            .push((watch.which, artifact, held));
    }
}
