//! How an artifact ends: its items written under its envelope, its status and reason, one log
//! line (or none under the progress bars), and the manifest entry it gets. Also the two
//! outcomes decided here rather than by a resource: left out by `--skip`, cut short by a
//! refusal.

use jiff::Timestamp;
use tracing::{debug, info, warn};

use iru_fivetran_core::client::ApiError;
use iru_fivetran_core::evidence::bundle::ItemSink;
use iru_fivetran_core::evidence::envelope;
use iru_fivetran_core::evidence::manifest::ArtifactEntry;
use iru_fivetran_core::files::{Digest, WriteError};
use iru_fivetran_core::vocab::{Artifact, Collected, Status, rfc3339};

use crate::progress;

/// An artifact `--skip` leaves out: unavailable by the operator's choice, no request made.
pub(super) fn left_out() -> Collected {
    Collected {
        status: Status::Unavailable,
        reason: Some(
            "left out by --skip: not read from the API in this run (the operator's setting, \
             recorded in the manifest's options.skip); this bundle holds no evidence of it"
                .to_owned(),
        ),
        ..Collected::default()
    }
}

/// The status of an artifact whose collection the key's refusal cut short: what its sink
/// holds is kept.
pub(super) fn cut_short(error: &ApiError, items: usize) -> Collected {
    Collected {
        status: if items == 0 {
            Status::Failed
        } else {
            Status::Partial
        },
        reason: Some(match error {
            ApiError::Unauthorized { .. } => {
                format!("stopped when Fivetran refused the key: {error}")
            }
            _ => format!("the run stopped: {error}"),
        }),
        ..Collected::default()
    }
}

/// An artifact written to the bundle's directory, not yet recorded in its sums.
pub(super) struct Sealed {
    pub(super) artifact: Artifact,
    pub(super) written: Digest,
    pub(super) entry: ArtifactEntry,
}

/// Finishes an artifact: `collected.items` (if any) join the items already in `sink`, the
/// file is written, and how it went is logged.
pub(super) fn seal(
    artifact: Artifact,
    account_id: Option<&str>,
    mut sink: ItemSink,
    mut collected: Collected,
) -> Result<Sealed, WriteError> {
    for item in std::mem::take(&mut collected.items) {
        sink.push(item);
    }
    let count = sink.count();
    let (status, reason) = (collected.status, collected.reason.clone());
    // The bars show each artifact as it ends: no line of its own then (`-v` shows it), but
    // one that did not end whole still gets its WARN line.
    let note = |line: String| {
        if progress::drawn() {
            debug!("{line}");
        } else {
            info!("{line}");
        }
    };
    match (&reason, status) {
        (None, Status::Complete) => note(format!("{}: {count} item(s)", artifact.name())),
        (Some(reason), Status::Unavailable) => {
            note(format!("{}: unavailable: {reason}", artifact.name()));
        }
        (reason, _) => warn!(
            "{}: {} with {count} item(s): {}",
            artifact.name(),
            status.name(),
            reason.as_deref().unwrap_or("no reason given")
        ),
    }
    let header = envelope(artifact, account_id, &rfc3339(Timestamp::now()), collected);
    let (written, redactions) = sink.finish(header)?;
    let entry = ArtifactEntry {
        resource: artifact.name(),
        kind: artifact.kind(),
        path: artifact.file_name(),
        sha256: written.sha256.clone(),
        bytes: written.bytes,
        count,
        status,
        reason,
        redactions,
    };
    Ok(Sealed {
        artifact,
        written,
        entry,
    })
}
