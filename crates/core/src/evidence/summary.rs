//! `collect --summary-json PATH`: one JSON object describing how the run ended, for CI and
//! schedulers, written whatever the outcome (complete, partial, failed, usage error,
//! interrupted).
//!
//! It repeats, outside the bundle, what a pipeline needs without parsing the manifest: where
//! the bundle is (if any), the status and exit code, each artifact's status, count and reason,
//! the requests made, and the archive's SHA-256 and the signature's path when those were
//! asked for (the archive's hash cannot be inside the bundle, which is sealed before). Canonical
//! JSON (sorted keys), written atomically and `0600` like the bundle: it names files holding
//! personal data. It never holds the secret, nor anything the manifest would not.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;

use crate::evidence::manifest::ArtifactEntry;
use crate::evidence::render;
use crate::files::{self, WriteError};
use crate::vocab::{AccountInfo, Status};

/// The summary's schema id.
pub const SCHEMA: &str = "iru-fivetran/summary/v1";

/// How the run ended, as the summary says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SummaryStatus {
    /// A complete bundle (exit 0).
    Complete,
    /// A partial bundle (exit 3).
    Partial,
    /// The run failed (exit 1), or a bundle was written but its path could not be written
    /// to stdout or its archive could not be written.
    Failed,
    /// Flags, environment or credentials were refused before any request (exit 2).
    UsageError,
    /// A signal stopped the run (exit 129 SIGHUP, 130 SIGINT, 131 SIGQUIT, 143 SIGTERM);
    /// nothing was kept.
    Interrupted,
}

/// The summary document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Summary {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// How the run ended.
    pub status: SummaryStatus,
    /// The process's exit code.
    pub exit_code: u8,
    /// The error printed on stderr, if the run failed.
    pub error: Option<String>,
    /// The finished bundle directory; `null` when none was written.
    pub bundle: Option<String>,
    /// Where a failed run kept what it collected (`<bundle>.failed`), if anywhere.
    pub failed_bundle: Option<String>,
    /// Each artifact written, by name.
    pub artifacts: BTreeMap<&'static str, ArtifactSummary>,
    /// Each spreadsheet export of a finished bundle (`access.csv`, ...), by file name; empty
    /// when no bundle was finished.
    pub tables: BTreeMap<&'static str, TableSummary>,
    /// The account and the collecting key, as the manifest's `account` says them: whose key
    /// (user or system key), and `access`, what it may see (`scope` `narrow` or `unknown`:
    /// the bundle may not be the whole account). `null` when `/account/info` was not read.
    pub account: Option<AccountInfo>,
    /// Requests made; `null` when the run made none (a usage error).
    pub requests: Option<RequestSummary>,
    /// The archive, with `--archive` and a finished bundle.
    pub archive: Option<ArchiveSummary>,
    /// The manifest's signature, with `--sign-key` and a bundle (finished or failed).
    pub signature: Option<SignatureSummary>,
    /// When the run started, RFC 3339 UTC (the manifest's `started_at`).
    pub started_at: String,
    /// When the summary was written, RFC 3339 UTC.
    pub finished_at: String,
}

/// One artifact's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ArtifactSummary {
    /// Completeness.
    pub status: Status,
    /// Items in the file.
    pub count: usize,
    /// Why it is not complete.
    pub reason: Option<String>,
}

impl From<&ArtifactEntry> for ArtifactSummary {
    fn from(e: &ArtifactEntry) -> Self {
        Self {
            status: e.status,
            count: e.count,
            reason: e.reason.clone(),
        }
    }
}

/// One spreadsheet export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TableSummary {
    /// Rows, the header row not counted.
    pub rows: u64,
    /// SHA-256 of the file, lower-case hex (as in the manifest and `SHA256SUMS`).
    #[schemars(regex(pattern = "^[0-9a-f]{64}$"))]
    pub sha256: String,
}

/// Request counts, and the pace the run went at.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RequestSummary {
    /// Attempts sent, retries included.
    pub total: u64,
    /// Lowest `X-Rate-Limit-Remaining` seen, if Fivetran reported it.
    pub lowest_remaining: Option<u64>,
    /// 429 answers.
    pub rate_limited: u64,
    /// Times a 429 made the run slow down.
    pub slowdowns: u64,
    /// The rate in force at the end, requests per second (at most `--rate`).
    pub final_rate: f64,
    /// The lowest rate in force during the run.
    pub lowest_rate: f64,
}

/// The archive written beside the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ArchiveSummary {
    /// `<bundle>.tar.gz`.
    pub path: String,
    /// Lower-case hex SHA-256 of the archive.
    pub sha256: String,
}

/// The manifest's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SignatureSummary {
    /// `<bundle>/manifest.json.sig`.
    pub path: String,
    /// Fingerprint of the signing key's public half (`SHA256:...`).
    pub key_fingerprint: String,
}

impl Summary {
    /// An empty summary of a run that started at `started_at`; the caller fills in the rest.
    pub fn new(status: SummaryStatus, exit_code: u8, started_at: String) -> Self {
        Self {
            schema: SCHEMA,
            status,
            exit_code,
            error: None,
            bundle: None,
            failed_bundle: None,
            artifacts: BTreeMap::new(),
            tables: BTreeMap::new(),
            account: None,
            requests: None,
            archive: None,
            signature: None,
            finished_at: started_at.clone(),
            started_at,
        }
    }

    /// The canonical bytes written.
    pub fn to_bytes(&self) -> Vec<u8> {
        render(&serde_json::to_value(self).expect("a summary always serializes"))
    }

    /// Writes the summary to `path` atomically and `0600` ([`files::write_private`]: a new file
    /// under an unpredictable name beside it, then renamed).
    pub fn write(&self, path: &Path) -> Result<(), SummaryError> {
        let bytes = self.to_bytes();
        files::write_private(path, |out| std::io::Write::write_all(out, &bytes))
            .map(|_| ())
            .map_err(|e| SummaryError(e, path.to_owned()))
    }
}

/// The summary could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the run summary {}: {}\nhint: --summary-json needs a path in an existing, writable directory", .1.display(), .0.source)]
pub struct SummaryError(WriteError, std::path::PathBuf);

#[cfg(test)]
mod tests;
