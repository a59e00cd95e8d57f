//! Artifacts computed from the bundle's collected artifacts: [`audit_coverage`] and
//! [`activity`]. They read the files already written, never change them, and are marked
//! `derived` in their envelope and in the manifest.

pub mod activity;
pub mod audit_coverage;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::evidence::bundle::Bundle;
use crate::resources::{Artifact, Collected, Status};

/// The envelopes of the artifacts a derived artifact is made from.
#[derive(Debug, Default)]
pub struct Sources(BTreeMap<Artifact, Value>);

impl Sources {
    /// Reads the given artifacts back from the bundle being written. One that was not written
    /// is simply absent (its status then reads as failed).
    pub fn load(bundle: &Bundle, artifacts: &[Artifact]) -> Self {
        let map = artifacts
            .iter()
            .filter_map(|&a| bundle.read_json(a.file_name()).map(|v| (a, v)))
            .collect();
        Self(map)
    }

    /// Builds sources from envelopes in memory (tests, and bundles read from disk).
    pub fn from_envelopes(envelopes: impl IntoIterator<Item = (Artifact, Value)>) -> Self {
        Self(envelopes.into_iter().collect())
    }

    /// The items of an artifact (empty if absent).
    pub fn items(&self, artifact: Artifact) -> &[Value] {
        self.0
            .get(&artifact)
            .and_then(|e| e.get("items"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// An artifact's status (`Failed` if absent or unreadable).
    pub fn status(&self, artifact: Artifact) -> Status {
        self.0
            .get(&artifact)
            .and_then(|e| e.get("status"))
            .and_then(|s| serde_json::from_value(s.clone()).ok())
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

/// Computes a derived artifact other than `changes`.
pub fn derive(artifact: Artifact, sources: &Sources) -> Collected {
    let collected = match artifact {
        Artifact::AuditCoverage => audit_coverage::derive(sources),
        Artifact::Activity => activity::derive(sources),
        other => unreachable!("{} is not derived here", other.name()),
    };
    mark_incomplete_sources(collected, sources, artifact.sources())
}

/// Makes an artifact built from other artifacts `partial` when one of them is not whole: it
/// cannot hold more than its sources did.
pub fn mark_incomplete_sources(
    mut collected: Collected,
    sources: &Sources,
    artifacts: &[Artifact],
) -> Collected {
    let missing = sources.incomplete(artifacts);
    let unreadable = artifacts
        .iter()
        .all(|&a| matches!(sources.status(a), Status::Failed | Status::Forbidden));
    if !artifacts.is_empty() && unreadable && collected.items.is_empty() {
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
