//! `changes.json` during `collect`: the run's collected artifacts against the baseline, each
//! change explained by this run's audit trail ([`super::explain`]).
//!
//! No baseline found: `unavailable`, no items; the reason names `--out` by its last component
//! only, so the file does not depend on the machine's paths. An explicit `--baseline` that does not verify
//! or cannot be compared: `failed`, with the reason (the run goes on and exits 3). Artifacts
//! not whole on either side: `partial`, naming them. The envelope also holds `baseline`
//! (`{bundle_id, started_at, account_id}` or null) and `summary` (changes per kind).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};
use tracing::debug;

use crate::evidence::bundle::Bundle;
use crate::text::printable;
use crate::vocab::{Artifact, Collected, Status};

use super::{Baseline, Snapshot, baseline, compare, items, uncompared};

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
    let old = match input.baseline {
        Some(dir) => match baseline::explicit(dir, &new) {
            Ok(old) => old,
            Err(reason) => return outcome(Status::Failed, reason),
        },
        None => match baseline::newest(input.out_dir, &new) {
            Some(old) => old,
            None => {
                debug!("no baseline under {}", input.out_dir.display());
                return outcome(
                    Status::Unavailable,
                    format!(
                        "no earlier bundle of account {} with the same resources under {}",
                        printable(account),
                        out_dir_name(input.out_dir)
                    ),
                );
            }
        },
    };
    let mut changes = match compare(&old, &new) {
        Ok(changes) => changes,
        Err(e) => return outcome(Status::Failed, e.reason()),
    };
    super::explain::explain(&mut changes, &old, &new);
    let mut summary: BTreeMap<&str, usize> = BTreeMap::new();
    for change in &changes {
        *summary.entry(change.kind).or_default() += 1;
    }
    let skipped = uncompared(&old, &new);
    let (status, reason) = if skipped.is_empty() {
        (Status::Complete, None)
    } else {
        (
            Status::Partial,
            Some(format!(
                "not compared, incomplete in a bundle: {}",
                skipped.join(", ")
            )),
        )
    };
    Collected {
        items: items(&changes),
        status,
        reason,
        extra: extra(
            json!({
                "bundle_id": old.bundle_id,
                "started_at": old.started_at,
                "account_id": old.account_id,
            }),
            json!(summary),
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
        extra: extra(Value::Null, json!({})),
    }
}

fn extra(baseline: Value, summary: Value) -> Map<String, Value> {
    let mut extra = Map::new();
    extra.insert("baseline".into(), baseline);
    extra.insert("summary".into(), summary);
    extra
}
