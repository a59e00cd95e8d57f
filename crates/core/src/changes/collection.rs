//! `changes.json` during `collect`: the run's collected artifacts against the baseline, each
//! change explained by this run's audit trail ([`super::explain`]).
//!
//! No baseline found: `unavailable`, no items; the reason names `--out` by its last component
//! only, so the file does not depend on the machine's paths. An explicit `--baseline` that does not verify
//! or cannot be compared: `failed`, with the reason (the run goes on and exits 3). An artifact
//! not whole on either side is left out and named in `not_compared` (`{artifact, status,
//! bundle}`); it marks that artifact, not the whole file, which stays `complete`: the artifact's
//! own status already says it is incomplete (and, in this run, makes the run partial), and an
//! artifact incomplete only in the baseline is nothing the operator can act on tonight. The
//! envelope also holds `baseline` (`{bundle_id, started_at, account_id, manifest_sha256}` or
//! null) and `summary` (changes per kind). A run with trusted keys (`--sign-key`, `--public-key`) takes only a baseline signed
//! by one of them; see [`baseline`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};
use tracing::debug;

use crate::evidence::bundle::Bundle;
use crate::text::printable;
use crate::vocab::{Artifact, Collected, Status};

use super::{Baseline, Snapshot, baseline, compare, items, not_compared};

/// Computes `changes.json` for a collection: `current` is the bundle being written and
/// `written` its artifacts so far, with their statuses.
pub fn for_collection(
    current: &Bundle,
    written: &[(Artifact, Status)],
    input: &Baseline<'_>,
) -> Collected {
    let mut new = Snapshot::from_bundle(
        current,
        input.account_id,
        input.resources,
        Some(input.started_at.to_owned()),
        written,
    );
    new.profile = input.profile.map(str::to_owned);
    let Some(account) = input.account_id else {
        return outcome(
            Status::Unavailable,
            "the account id of this run is unknown, so no earlier bundle can be matched".into(),
        );
    };
    let chosen = match input.baseline {
        Some(dir) => match baseline::explicit(dir, &new, input.trusted_keys) {
            Ok(chosen) => chosen,
            Err(reason) => return outcome(Status::Failed, reason),
        },
        None => match baseline::newest(input.out_dir, &new, input.trusted_keys) {
            Ok(chosen) => chosen,
            Err(more) => {
                debug!("no baseline under {}", input.out_dir.display());
                return outcome(
                    Status::Unavailable,
                    format!(
                        "no earlier bundle of account {} with the same resources under {}{}",
                        printable(account),
                        out_dir_name(input.out_dir),
                        more.unwrap_or_default()
                    ),
                );
            }
        },
    };
    let old = &chosen.snapshot;
    let mut changes = match compare(old, &new) {
        Ok(changes) => changes,
        Err(e) => return outcome(Status::Failed, e.reason()),
    };
    super::explain::explain(&mut changes, old, &new);
    let mut summary: BTreeMap<&str, usize> = BTreeMap::new();
    for change in &changes {
        *summary.entry(change.kind).or_default() += 1;
    }
    let skipped: Vec<Value> = not_compared(old, &new)
        .into_iter()
        .map(|n| json!({"artifact": n.artifact.name(), "status": n.status, "bundle": n.bundle}))
        .collect();
    Collected {
        items: items(&changes),
        status: Status::Complete,
        reason: None,
        extra: extra(
            json!({
                "bundle_id": old.bundle_id,
                "started_at": old.started_at,
                "account_id": old.account_id,
                "manifest_sha256": chosen.manifest_sha256,
            }),
            json!(summary),
            Value::Array(skipped),
        ),
    }
}

/// `--out` as the reason shows it: its last component, not the whole path, so that the file
/// does not depend on where the run happened (two runs over the same data give the same
/// files) and no local path of the collecting machine reaches the evidence.
fn out_dir_name(out_dir: &Path) -> String {
    let name = out_dir.file_name().map_or_else(
        || out_dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!("--out {}", printable(&name))
}

fn outcome(status: Status, reason: String) -> Collected {
    Collected {
        items: Vec::new(),
        status,
        reason: Some(reason),
        extra: extra(Value::Null, json!({}), json!([])),
    }
}

fn extra(baseline: Value, summary: Value, not_compared: Value) -> Map<String, Value> {
    let mut extra = Map::new();
    extra.insert("baseline".into(), baseline);
    extra.insert("summary".into(), summary);
    extra.insert("not_compared".into(), not_compared);
    extra
}
