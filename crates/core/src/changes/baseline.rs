//! Choosing the bundle `changes.json` compares against: `--baseline` if given, else the newest
//! earlier bundle of the same account with the same collected resources under `--out`.
//!
//! Candidates are directories named `fivetran-<account id as a file-name part>-<stamp>` or
//! `...-<stamp>-<N>` (never `*.failed`, never the temporary `.iru-fivetran-*` ones, never
//! symlinks). At most [`MAX_SCANNED`] directory entries are looked at and [`MAX_CANDIDATES`]
//! names, newest first; their manifests are read (bounded) to keep those of this account and
//! selection started no later than this run; they are then verified newest first, by
//! manifest `started_at` and the `-N` suffix, until one verifies. Each skipped candidate gets
//! a `debug!` line saying why.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tracing::debug;

use crate::evidence::bundle::{self, Earlier};
use crate::evidence::manifest;
use crate::files::{self, MAX_MANIFEST_BYTES};
use crate::text::printable;
use crate::verify::{self, VerifyError};

use super::Snapshot;
use super::compare::check;

/// Directory entries of `--out` looked at, at most.
pub const MAX_SCANNED: usize = 100_000;
/// Candidate bundle names examined, newest first, at most.
pub const MAX_CANDIDATES: usize = 1_000;
/// Candidates fully verified, at most (each verification hashes a whole bundle).
pub const MAX_VERIFIED: usize = 50;

/// The baseline named by `--baseline`, or why it cannot be used (one line).
pub(super) fn explicit(dir: &Path, new: &Snapshot<'_>) -> Result<Snapshot<'static>, String> {
    // The directory's name only: the evidence must not carry local paths.
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let shown = printable(&name);
    let old = load(dir).map_err(|e| {
        format!(
            "the --baseline bundle {shown} does not verify: {}",
            problems(&e)
        )
    })?;
    check(&old, new).map_err(|e| {
        format!(
            "the --baseline bundle {shown} cannot be compared: {}",
            e.reason()
        )
    })?;
    Ok(old)
}

/// The newest earlier bundle under `out_dir` that verifies and is comparable with `new`.
pub(super) fn newest(out_dir: &Path, new: &Snapshot<'_>) -> Option<Snapshot<'static>> {
    let account = new.account_id.as_deref()?;
    let mut names = bundle::earlier(out_dir, Some(account), MAX_SCANNED);
    names.truncate(MAX_CANDIDATES);
    let mut candidates: Vec<(String, u32, PathBuf)> = names
        .into_iter()
        .filter_map(|Earlier { n, name, .. }| {
            let dir = out_dir.join(&name);
            let started_at = screen(&dir, new)?;
            Some((started_at, n, dir))
        })
        .collect();
    candidates.sort_by(|a, b| (&b.0, b.1).cmp(&(&a.0, a.1)));
    for (_, _, dir) in candidates.into_iter().take(MAX_VERIFIED) {
        match load(&dir) {
            Ok(old) if check(&old, new).is_ok() => return Some(old),
            Ok(_) => debug!("baseline candidate {} is not comparable", dir.display()),
            Err(e) => debug!(
                "baseline candidate {} skipped: does not verify: {}",
                dir.display(),
                problems(&e)
            ),
        }
    }
    None
}

fn load(dir: &Path) -> Result<Snapshot<'static>, VerifyError> {
    Snapshot::from_verified(verify::verify(dir)?)
}

fn problems(e: &VerifyError) -> String {
    let all: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
    all.join("; ")
}

/// Reads a candidate's manifest (unverified, bounded) and returns its `started_at` if it is
/// of this account and selection and started no later than this run.
fn screen(dir: &Path, new: &Snapshot<'_>) -> Option<String> {
    let skip = |why: &str| {
        debug!("baseline candidate {} skipped: {why}", dir.display());
        None
    };
    let Ok(bytes) = files::read_bounded(&dir.join(manifest::FILE_NAME), MAX_MANIFEST_BYTES) else {
        return skip("no readable manifest");
    };
    let Ok(m) = serde_json::from_slice::<Value>(&bytes) else {
        return skip("manifest is not JSON");
    };
    let text = |p: &str| m.pointer(p).and_then(Value::as_str).map(str::to_owned);
    if text("/schema").as_deref() != Some(manifest::SCHEMA) {
        return skip("not a manifest of this tool");
    }
    let peek = Snapshot {
        account_id: text("/account/account_id"),
        started_at: text("/started_at"),
        resources: m
            .pointer("/options/resources")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        ..Snapshot::default()
    };
    if let Err(e) = check(&peek, new) {
        return skip(&e.reason());
    }
    if text("/options/profile") != new.profile {
        return skip("collected with another vault profile");
    }
    let started_at = peek.started_at?;
    if new.started_at.as_ref().is_some_and(|now| &started_at > now) {
        return skip("started after this run");
    }
    Some(started_at)
}
