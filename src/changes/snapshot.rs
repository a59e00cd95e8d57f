//! A bundle as [`super::compare`] sees it: account, start, the selection of collected
//! resources and the envelopes of the collected artifacts that have comparison rules.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::evidence::bundle::Bundle;
use crate::resources::{Artifact, Kind, Status};
use crate::verify::{Verified, VerifyError};

use super::compare::compared_artifacts;

/// What is compared of one bundle.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The account id.
    pub account_id: Option<String>,
    /// The bundle directory's name (none for the bundle being written).
    pub bundle_id: Option<String>,
    /// When the run started, RFC 3339 UTC.
    pub started_at: Option<String>,
    /// Every selected artifact name, as the manifest's `options.resources`.
    pub resources: Vec<String>,
    /// The envelopes of the collected artifacts that are compared.
    pub envelopes: BTreeMap<Artifact, Value>,
}

/// Whether a manifest entry or envelope `kind` says collected; bundles written before the
/// field existed do not say, and then the artifact's own kind decides.
fn is_collected(artifact: Artifact, kind: Option<&str>) -> bool {
    kind.map_or(artifact.kind() == Kind::Collected, |k| k == "collected")
}

impl Snapshot {
    /// Reads a verified bundle (each artifact re-checked against its verified digest).
    pub fn from_verified(verified: &Verified) -> Result<Self, VerifyError> {
        let mut envelopes = BTreeMap::new();
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
            let envelope = verified.read_json(&entry.path)?;
            if is_collected(artifact, envelope.get("kind").and_then(Value::as_str)) {
                envelopes.insert(artifact, envelope);
            }
        }
        Ok(Self {
            account_id: verified.account_id().map(str::to_owned),
            bundle_id: verified.bundle_id().map(str::to_owned),
            started_at: verified.started_at().map(str::to_owned),
            resources: verified
                .resources()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            envelopes,
        })
    }

    /// Reads the collected artifacts of the bundle being written.
    pub fn from_bundle(
        bundle: &Bundle,
        account_id: Option<&str>,
        resources: &[&str],
        started_at: Option<String>,
    ) -> Self {
        let envelopes = compared_artifacts()
            .filter(|a| resources.contains(&a.name()))
            .filter_map(|a| bundle.read_json(a.file_name()).map(|v| (a, v)))
            .collect();
        Self {
            account_id: account_id.map(str::to_owned),
            bundle_id: None,
            started_at,
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
            envelopes,
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

    /// The items of an artifact (empty if absent).
    pub fn items(&self, artifact: Artifact) -> &[Value] {
        self.envelopes
            .get(&artifact)
            .and_then(|e| e.get("items"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// An artifact's status: `None` when it was not selected, `Failed` when it was but its
    /// file is missing or has no readable status.
    pub fn status(&self, artifact: Artifact) -> Option<Status> {
        if let Some(envelope) = self.envelopes.get(&artifact) {
            let status = envelope
                .get("status")
                .and_then(|s| serde_json::from_value(s.clone()).ok());
            return Some(status.unwrap_or(Status::Failed));
        }
        self.resources
            .iter()
            .any(|r| r == artifact.name())
            .then_some(Status::Failed)
    }
}
