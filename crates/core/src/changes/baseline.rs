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
//!
//! Hashes prove a bundle is whole, not who wrote it: anyone who can write to `--out` can plant
//! a bundle that verifies. So a run that signs (`--sign-key`), or names a key with
//! `--public-key`, takes as its baseline only a bundle whose manifest, as verified, is signed
//! by one of those keys; an unsigned or otherwise signed candidate is passed over, and the
//! reason of an `unavailable` `changes.json` says so. The chosen baseline's manifest hash is
//! recorded.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tracing::debug;

use crate::evidence::bundle::{self, Earlier};
use crate::evidence::manifest;
use crate::evidence::sign::{SignError, TrustedKey};
use crate::files::{self, Digest, MAX_MANIFEST_BYTES};
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

/// A bundle chosen as the baseline, and the SHA-256 of the manifest it verified with (which
/// `changes.json` records, so the baseline is named by content, not only by name).
pub(super) struct Chosen {
    /// What is compared of it.
    pub snapshot: Snapshot<'static>,
    /// Lower-case hex SHA-256 of its `manifest.json`.
    pub manifest_sha256: String,
}

/// Why a candidate cannot be the baseline.
enum Unusable {
    /// It does not verify.
    Verify(VerifyError),
    /// Its signature is not by a trusted key, or it has none.
    Signature(SignError),
}

/// The baseline named by `--baseline`, or why it cannot be used (one line).
pub(super) fn explicit(
    dir: &Path,
    new: &Snapshot<'_>,
    trusted: &[TrustedKey],
) -> Result<Chosen, String> {
    // The directory's name only: the evidence must not carry local paths.
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let shown = printable(&name);
    let old = load(dir, trusted).map_err(|e| match e {
        Unusable::Verify(e) => format!(
            "the --baseline bundle {shown} does not verify: {}",
            problems(&e)
        ),
        Unusable::Signature(e) => format!(
            "the --baseline bundle {shown} is not signed by {}: {}",
            keys(trusted),
            e.reason()
        ),
    })?;
    check(&old.snapshot, new).map_err(|e| {
        format!(
            "the --baseline bundle {shown} cannot be compared: {}",
            e.reason()
        )
    })?;
    Ok(old)
}

/// The newest earlier bundle under `out_dir` that verifies, is comparable with `new` and, when
/// `trusted` names keys, is signed by one of them. Without one: `Err` with what the reason
/// should add, when candidates were passed over for their signature (the newest of them named).
pub(super) fn newest(
    out_dir: &Path,
    new: &Snapshot<'_>,
    trusted: &[TrustedKey],
) -> Result<Chosen, Option<String>> {
    let Some(account) = new.account_id.as_deref() else {
        return Err(None);
    };
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
    let mut not_signed: Vec<(String, String)> = Vec::new();
    for (_, _, dir) in candidates.into_iter().take(MAX_VERIFIED) {
        match load(&dir, trusted) {
            Ok(old) if check(&old.snapshot, new).is_ok() => return Ok(old),
            Ok(_) => debug!("baseline candidate {} is not comparable", dir.display()),
            Err(Unusable::Verify(e)) => debug!(
                "baseline candidate {} skipped: does not verify: {}",
                dir.display(),
                problems(&e)
            ),
            Err(Unusable::Signature(e)) => {
                debug!(
                    "baseline candidate {} skipped: not signed by {}: {}",
                    dir.display(),
                    keys(trusted),
                    e.reason()
                );
                let name = dir
                    .file_name()
                    .map(|n| printable(&n.to_string_lossy()))
                    .unwrap_or_default();
                not_signed.push((name, e.reason()));
            }
        }
    }
    Err(not_signed.first().map(|(name, why)| {
        format!(
            "; this run trusts only bundles signed by {}, and {} earlier bundle(s) that verify are not, the newest {name}: {why}",
            keys(trusted),
            not_signed.len()
        )
    }))
}

/// Verifies a candidate and, when `trusted` names keys, checks that the manifest it verified
/// with is signed by one of them.
fn load(dir: &Path, trusted: &[TrustedKey]) -> Result<Chosen, Unusable> {
    let verified = verify::verify(dir).map_err(Unusable::Verify)?;
    if !trusted.is_empty() {
        verified
            .check_signature(trusted)
            .map_err(Unusable::Signature)?;
    }
    let manifest_sha256 = Digest::of(&verified.manifest_bytes).sha256;
    let snapshot = Snapshot::from_verified(verified).map_err(Unusable::Verify)?;
    Ok(Chosen {
        snapshot,
        manifest_sha256,
    })
}

/// The trusted keys' fingerprints, for a reason.
fn keys(trusted: &[TrustedKey]) -> String {
    let all: Vec<String> = trusted.iter().map(TrustedKey::fingerprint).collect();
    all.join(" or ")
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
