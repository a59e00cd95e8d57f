//! Artifacts computed from the bundle's collected artifacts: [`audit_coverage`], [`activity`],
//! [`access`], [`findings`], and `changes.json` ([`crate::changes`]). They read the files
//! already written, never change them, and are marked `derived` in their envelope and in the
//! manifest. [`produce`] is the one way a run makes any of them.

pub mod access;
pub mod activity;
pub mod audit_coverage;
pub mod findings;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::changes;
use crate::evidence::bundle::Bundle;
use crate::vocab::{Artifact, Collected, Sink, Status};

/// One source artifact as read back: its status, and the items the reader chose to keep.
#[derive(Debug, Default)]
struct Loaded {
    status: Option<Status>,
    items: Vec<Value>,
}

/// The artifacts a derived artifact is made from: their statuses, and as many of their items
/// as it needs.
#[derive(Debug, Default)]
pub struct Sources(BTreeMap<Artifact, Loaded>);

/// Source items handed over one at a time: `each(artifact, f)` calls `f` on every item of
/// `artifact`.
pub type Each<'a> = &'a mut dyn FnMut(Artifact, &mut dyn FnMut(&Value));

/// What to keep of a source item while loading: the item (whole, or only the fields needed),
/// or `None` to leave it out. Keeping less keeps memory flat on big accounts.
pub type Keep<'a> = &'a dyn Fn(Artifact, Value) -> Option<Value>;

impl Sources {
    /// Reads the given artifacts back from the bundle being written, an item at a time,
    /// keeping what `keep` returns. One that was not written is simply absent (its status then
    /// reads as failed).
    pub fn load(bundle: &Bundle, artifacts: &[Artifact], keep: Keep<'_>) -> Self {
        let mut sources = Self::default();
        for &artifact in artifacts {
            let mut items = Vec::new();
            if sources.read(bundle, artifact, |item| items.extend(keep(artifact, item)))
                && let Some(loaded) = sources.0.get_mut(&artifact)
            {
                loaded.items = items;
            }
        }
        sources
    }

    /// Reads one artifact back from the bundle being written, handing each item to `each` as
    /// it is parsed and keeping none of them, and records the artifact's status. Returns
    /// whether the whole file was read: when it was not (not written, or unreadable) the
    /// artifact stays absent, its status reads as failed, and the caller should disregard
    /// the items it was handed, as [`Sources::load`] does.
    ///
    /// This lets a derived artifact fold its sources into what it needs as they stream past,
    /// instead of holding a projection of every item ([`Keep`]).
    pub fn read(&mut self, bundle: &Bundle, artifact: Artifact, each: impl FnMut(Value)) -> bool {
        match bundle.for_each_item(artifact.file_name(), each) {
            Some(fields) => {
                self.0.insert(artifact, Loaded::new(&fields, Vec::new()));
                true
            }
            None => {
                self.0.remove(&artifact);
                false
            }
        }
    }

    /// Sources known by their statuses only (the run knows them; no file is read).
    pub fn from_statuses(statuses: impl IntoIterator<Item = (Artifact, Status)>) -> Self {
        let map = statuses
            .into_iter()
            .map(|(a, status)| {
                let loaded = Loaded {
                    status: Some(status),
                    items: Vec::new(),
                };
                (a, loaded)
            })
            .collect();
        Self(map)
    }

    /// Builds sources from envelopes in memory.
    #[cfg(test)]
    pub fn from_envelopes(envelopes: impl IntoIterator<Item = (Artifact, Value)>) -> Self {
        let map = envelopes
            .into_iter()
            .map(|(artifact, mut envelope)| {
                let items = match envelope.get_mut("items").map(Value::take) {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                };
                let fields = match envelope {
                    Value::Object(fields) => fields,
                    _ => Map::new(),
                };
                (artifact, Loaded::new(&fields, items))
            })
            .collect();
        Self(map)
    }

    /// The items kept of an artifact (empty if absent).
    pub fn items(&self, artifact: Artifact) -> &[Value] {
        self.0.get(&artifact).map_or(&[], |l| l.items.as_slice())
    }

    /// Takes the items kept of an artifact out (empty if absent); its status stays.
    pub fn take_items(&mut self, artifact: Artifact) -> Vec<Value> {
        self.0
            .get_mut(&artifact)
            .map(|l| std::mem::take(&mut l.items))
            .unwrap_or_default()
    }

    /// An artifact's status (`Failed` if absent or unreadable).
    pub fn status(&self, artifact: Artifact) -> Status {
        self.0
            .get(&artifact)
            .and_then(|l| l.status)
            .unwrap_or(Status::Failed)
    }

    /// The sources that are not whole, as `name (status)`, for a derived artifact's reason.
    pub fn incomplete(&self, artifacts: &[Artifact]) -> Vec<String> {
        artifacts
            .iter()
            .filter(|&&a| !self.status(a).is_whole())
            .map(|&a| format!("{} ({})", a.name(), self.status(a).name()))
            .collect()
    }
}

impl Loaded {
    fn new(fields: &Map<String, Value>, items: Vec<Value>) -> Self {
        let status = fields
            .get("status")
            .and_then(|s| serde_json::from_value(s.clone()).ok());
        Self { status, items }
    }
}

/// What a derived artifact is made from: the bundle being written (its sources stream back
/// from its files) and what the run knows.
pub struct Inputs<'a> {
    /// The bundle being written.
    pub bundle: &'a Bundle,
    /// Each artifact written so far, with its status.
    pub written: &'a [(Artifact, Status)],
    /// What `findings.json` measures against.
    pub findings: findings::Params,
    /// What `changes.json` looks for its baseline with.
    pub changes: changes::Baseline<'a>,
}

/// Makes the derived artifact `artifact`. Its items go to `sink`, or come back in
/// [`Collected::items`]; the caller seals both into the file.
pub fn produce(artifact: Artifact, inputs: &Inputs<'_>, sink: &mut dyn Sink) -> Collected {
    match artifact {
        Artifact::AuditCoverage => audit_coverage::produce(inputs),
        Artifact::Activity => activity::produce(inputs, sink),
        Artifact::Access => access::produce(inputs, sink),
        Artifact::Findings => findings::produce(inputs),
        Artifact::Changes => {
            changes::for_collection(inputs.bundle, inputs.written, &inputs.changes)
        }
        other => unreachable!("{} is not derived", other.name()),
    }
}

/// A derived artifact built an item at a time: its sources come through [`Each`], its items
/// go to the `FnMut`, and it returns its status and reason.
type DeriveStreaming = fn(Each<'_>, &mut dyn FnMut(Value)) -> (Status, Option<String>);

/// Reads the sources of a streaming derived artifact back from the bundle, an item at a time,
/// and hands its items to `sink`; its status says whether its sources were whole.
fn produce_streaming(
    artifact: Artifact,
    inputs: &Inputs<'_>,
    sink: &mut dyn Sink,
    derive_streaming: DeriveStreaming,
) -> Collected {
    let statuses = Sources::from_statuses(inputs.written.iter().copied());
    let mut each = |a: Artifact, f: &mut dyn FnMut(&Value)| {
        inputs.bundle.for_each_item(a.file_name(), |item| f(&item));
    };
    let (status, reason) = derive_streaming(&mut each, &mut |item| sink.push(item));
    let collected = Collected {
        status,
        reason,
        ..Collected::default()
    };
    mark_incomplete_sources(collected, sink.count(), &statuses, artifact.sources())
}

/// Makes an artifact built from other artifacts `partial` when one of them is not whole: it
/// cannot hold more than its sources did.
pub fn mark_incomplete_sources(
    mut collected: Collected,
    produced: usize,
    sources: &Sources,
    artifacts: &[Artifact],
) -> Collected {
    let missing = sources.incomplete(artifacts);
    let unreadable = artifacts
        .iter()
        .all(|&a| matches!(sources.status(a), Status::Failed | Status::Forbidden));
    if !artifacts.is_empty() && unreadable && produced == 0 {
        // Nothing to build from: this is a failure, not a partial result.
        collected.status = Status::Failed;
        collected.reason = Some(format!(
            "nothing to build from: {} could not be read",
            missing.join(", ")
        ));
        return collected;
    }
    if !missing.is_empty() && collected.status.is_whole() {
        collected.status = Status::Partial;
        let text = format!("built from incomplete sources: {}", missing.join(", "));
        collected.reason = Some(match collected.reason.take() {
            Some(r) => format!("{text}; {r}"),
            None => text,
        });
    }
    collected
}
