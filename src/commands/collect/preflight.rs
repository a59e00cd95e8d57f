//! What `collect` (and `demo`, which runs it) checks before it starts a run, after the flags
//! and the environment have been read: that `--out` is not a bundle nor inside one, and that
//! the process may open enough files. Each refusal is a usage error (exit 2): nothing has been
//! created and no request made, and only a change of flags or of the shell's limits helps.

use std::path::{Path, PathBuf};

use iru_fivetran_core::evidence::bundle::SHA256SUMS;
use iru_fivetran_core::evidence::manifest;
use iru_fivetran_core::text::printable;

/// Why a run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// `--out` is a bundle, or a directory inside one.
    #[error(
        "--out {out} {where_}: a run writes its bundle inside --out, and a file added to a bundle makes it fail verification\nhint: give the directory that holds the bundles, e.g. --out {parent}",
        out = printable(&out.display().to_string()),
        where_ = if *exact {
            "is a bundle (it holds manifest.json and SHA256SUMS)".to_owned()
        } else {
            format!("is inside the bundle {}", printable(&bundle.display().to_string()))
        },
        parent = printable(&bundle.parent().unwrap_or(Path::new(".")).display().to_string()),
    )]
    OutInBundle {
        /// `--out` as given.
        out: PathBuf,
        /// The bundle it is or is inside, resolved.
        bundle: PathBuf,
        /// Whether `--out` is the bundle itself.
        exact: bool,
    },
    /// The process may not open the files a run needs.
    #[error(
        "too few file descriptors: a run with --concurrency {concurrency} needs {needed} free and this process could open only {free} (ulimit -n)\nhint: raise the limit in the shell or service that starts iru-fivetran, e.g. `ulimit -n 1024`, or lower --concurrency"
    )]
    Descriptors {
        /// `--concurrency` (the largest of the profiles').
        concurrency: usize,
        /// Descriptors needed.
        needed: usize,
        /// Descriptors found free.
        free: usize,
    },
}

/// Refuses an `--out` that is a bundle or lies inside one: a directory holding both
/// `manifest.json` and `SHA256SUMS`, at `--out` or above it.
pub fn out_dir(out: &Path) -> Result<(), Refused> {
    // The deepest part of `--out` that exists (a missing --out is created under it).
    let existing = out
        .ancestors()
        .map(|a| {
            if a.as_os_str().is_empty() {
                Path::new(".")
            } else {
                a
            }
        })
        .find(|a| a.is_dir());
    let Some(resolved) = existing.and_then(|a| a.canonicalize().ok()) else {
        return Ok(());
    };
    match resolved.ancestors().find(|dir| is_bundle(dir)) {
        Some(bundle) => Err(Refused::OutInBundle {
            out: out.to_owned(),
            bundle: bundle.to_owned(),
            exact: out.canonicalize().is_ok_and(|o| o == bundle),
        }),
        None => Ok(()),
    }
}

/// Whether `dir` holds what every bundle (finished or `.failed`) holds.
fn is_bundle(dir: &Path) -> bool {
    [manifest::FILE_NAME, SHA256SUMS]
        .iter()
        .all(|name| dir.join(name).symlink_metadata().is_ok())
}

/// Descriptors a run needs free besides the standard streams: the runtime and its signal
/// pipe, up to `--concurrency` connections in flight and as many idle in the pool, one spill
/// file per artifact collected at once and one file being written, and room for DNS lookups
/// and reading the TLS roots. Measured: a run at the default `--concurrency 8` peaks near 36.
pub fn descriptors_needed(concurrency: usize) -> usize {
    32 + 2 * concurrency
}

/// Refuses to start when fewer than [`descriptors_needed`] files can be opened: a run short of
/// them fails half-way (or, setting up signals, panics) and cannot clean up after itself.
/// Counted by opening pipes until there are enough or none more can be made, then closing
/// them all.
pub fn descriptors(concurrency: usize) -> Result<(), Refused> {
    let needed = descriptors_needed(concurrency);
    let free = free_descriptors(needed);
    if free < needed {
        return Err(Refused::Descriptors {
            concurrency,
            needed,
            free,
        });
    }
    Ok(())
}

/// How many descriptors could be opened, up to `wanted`.
fn free_descriptors(wanted: usize) -> usize {
    let mut held = Vec::with_capacity(wanted.div_ceil(2));
    while held.len() * 2 < wanted {
        match std::io::pipe() {
            Ok(pair) => held.push(pair),
            // Out of descriptors (EMFILE, ENFILE): what was opened is the count.
            Err(_) => break,
        }
    }
    held.len() * 2
}

#[cfg(test)]
mod tests;
