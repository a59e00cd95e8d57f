//! The bundle: normalized, redacted JSON files, a manifest and `SHA256SUMS`.
//!
//! [`redact`] cleans items, [`render`] turns an artifact into its canonical bytes (sorted keys,
//! items sorted by id, two-space indent, trailing newline), [`csv`] makes the spreadsheet exports, [`bundle`] writes files atomically
//! under a temporary directory and renames it into place, [`manifest`] describes the run,
//! [`sign`] signs the manifest (`--sign-key`). Beside the bundle: [`archive`] (`--archive`) and
//! [`summary`] (`--summary-json`).

pub mod archive;
pub mod bundle;
pub mod csv;
pub mod manifest;
pub mod redact;
pub mod sign;
pub mod summary;

use serde_json::{Map, Value, json};

use crate::vocab::{Artifact, Collected, sort_items};

/// The schema id of an artifact file, versioned.
pub fn schema_id(artifact: Artifact) -> String {
    format!("iru-fivetran/{}/v1", artifact.name())
}

/// Builds an artifact's envelope, its items sorted by the artifact's key.
pub fn envelope(
    artifact: Artifact,
    account_id: Option<&str>,
    collected_at: &str,
    collected: Collected,
) -> Value {
    let Collected {
        mut items,
        status,
        reason,
        extra,
    } = collected;
    sort_items(&mut items, artifact.key());
    let mut envelope = json!({
        "schema": schema_id(artifact),
        "resource": artifact.name(),
        "kind": artifact.kind(),
        "account_id": account_id,
        "collected_at": collected_at,
        "status": status,
        "reason": reason,
        "count": items.len(),
        "items": items,
    });
    if let Value::Object(map) = &mut envelope {
        for (key, value) in extra {
            // The common fields win: an artifact cannot redefine them.
            map.entry(key).or_insert(value);
        }
    }
    envelope
}

/// The canonical bytes of a JSON value: keys sorted at every level, pretty-printed, newline at
/// the end. Sorting is done here, not left to `serde_json`'s map type, so that a dependency
/// turning on `preserve_order` cannot change the output.
pub fn render(value: &Value) -> Vec<u8> {
    let mut bytes =
        serde_json::to_vec_pretty(&sorted(value)).expect("a JSON value always serializes");
    bytes.push(b'\n');
    bytes
}

pub(crate) fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::with_capacity(map.len());
            for k in keys {
                out.insert(k.clone(), sorted(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
