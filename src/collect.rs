//! `iru-fivetran collect`: read the account, write the bundle.
//!
//! Order: create the temporary bundle directory (so an unwritable `--out` fails before any
//! request), read `/account/info` (its id names the bundle), collect each selected artifact in
//! turn, then write the manifest and `SHA256SUMS` and rename the directory into place.

use std::path::PathBuf;

use jiff::Timestamp;
use tracing::{info, warn};

use crate::changes;
use crate::client::{self, ApiError, Client, StatsSnapshot};
use crate::config::Config;
use crate::derive::{self, Sources};
use crate::evidence::bundle::{Bundle, WriteError};
use crate::evidence::manifest::{
    self, ArtifactEntry, EndpointEntry, Manifest, Requests, RunStatus, Tool,
};
use crate::evidence::{envelope, redact, render};
use crate::resources::{self, AccountInfo, Artifact, Collected, Ctx, Kind, Status};

/// A finished run.
#[derive(Debug)]
pub struct Outcome {
    /// The bundle directory.
    pub bundle: PathBuf,
    /// Complete or partial.
    pub status: RunStatus,
}

/// A run that could not produce a bundle (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The output could not be written; the temporary directory was removed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Fivetran refused the key. What was collected before, if anything, is kept.
    #[error("{error}{}", kept_note(kept))]
    Refused {
        /// The 401.
        error: ApiError,
        /// Where the collected part is kept.
        kept: Option<PathBuf>,
    },
    /// Not one artifact could be read.
    #[error("no artifact could be collected; first failure: {first}{}", kept_note(&Some(kept.clone())))]
    NothingCollected {
        /// The first artifact's reason.
        first: String,
        /// Where the manifest of the attempt is kept.
        kept: PathBuf,
    },
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot set up the HTTP client: {0}")]
    Client(reqwest::Error),
}

fn kept_note(kept: &Option<PathBuf>) -> String {
    kept.as_ref()
        .map(|p| {
            format!(
                "\nnote: what was collected before the failure is kept, marked failed, in {}",
                p.display()
            )
        })
        .unwrap_or_default()
}

/// RFC 3339 UTC to the second: the form of every time in the bundle.
fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Runs a collection.
pub async fn run(config: &Config) -> Result<Outcome, RunError> {
    // The sync-history window ends when the run starts: both are the same instant.
    let started = config.window.end;
    let stamp = started.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut bundle = Bundle::create(&config.out_dir, &stamp)?;
    let options = client::Options {
        api_url: config.api_url.clone(),
        rate: config.rate,
        delays: config.delays,
        policy: client::retry::Policy {
            max_wait: config.max_wait,
            ..client::retry::Policy::default()
        },
        timeout: client::REQUEST_TIMEOUT,
        max_body: client::MAX_BODY_BYTES,
        extra_roots: config.extra_roots.clone(),
    };
    let client = match Client::new(&options, &config.credentials) {
        Ok(c) => c,
        Err(e) => {
            bundle.discard();
            return Err(RunError::Client(e));
        }
    };
    info!(
        "collecting from {} with {}, at most {} requests/s, {} at once",
        config.api_url,
        config.credentials.source(),
        config.rate,
        config.concurrency
    );
    let ctx = Ctx {
        client: &client,
        fan_out: config.concurrency,
        window: config.window,
    };
    let mut run = Run {
        config,
        started,
        account: AccountInfo::default(),
        entries: Vec::new(),
    };
    let account = match resources::collect_account(&ctx).await {
        Ok((collected, info)) => {
            run.account = info;
            collected
        }
        Err(error) => {
            bundle.discard();
            return Err(RunError::Refused { error, kept: None });
        }
    };
    let base_name = format!(
        "fivetran-{}-{stamp}",
        file_name_safe(run.account.account_id.as_deref())
    );
    if let Err(e) = run.write(&mut bundle, Artifact::Account, account) {
        bundle.discard();
        return Err(e.into());
    }
    for &artifact in config.artifacts.iter().filter(|a| **a != Artifact::Account) {
        let produced = match artifact {
            Artifact::SyncHistory => {
                let sources = Sources::load(&bundle, artifact.sources());
                let connections = sources.items(Artifact::Connections);
                resources::sync_history::collect(&ctx, connections)
                    .await
                    .map(|c| derive::mark_incomplete_sources(c, &sources, artifact.sources()))
            }
            Artifact::Changes => Ok(changes::for_collection(&changes::CollectionInput {
                out_dir: &config.out_dir,
                baseline: config.baseline.as_deref(),
                account_id: run.account.account_id.as_deref(),
                resources: &run.resource_names(),
                started_at: &rfc3339(run.started),
                current: &bundle,
            })),
            a if a.kind() == Kind::Derived => {
                Ok(derive::derive(a, &Sources::load(&bundle, a.sources())))
            }
            a => resources::collect(&ctx, a).await,
        };
        let collected = match produced {
            Ok(c) => c,
            Err(error) => {
                let stats = client.stats().snapshot();
                let kept = bundle.keep_failed(&base_name, manifest::FILE_NAME, |bundle_id| {
                    let manifest = run.manifest(
                        bundle_id,
                        &stats,
                        RunStatus::Failed,
                        Some(error.to_string()),
                    );
                    render_json(&manifest)
                });
                return Err(RunError::Refused {
                    error,
                    kept: Some(kept),
                });
            }
        };
        if let Err(e) = run.write(&mut bundle, artifact, collected) {
            bundle.discard();
            return Err(e.into());
        }
    }
    let status = run.status();
    if status == RunStatus::Failed {
        let first = run
            .entries
            .iter()
            .find_map(|e| e.reason.clone())
            .unwrap_or_default();
        let stats = client.stats().snapshot();
        let kept = bundle.keep_failed(&base_name, manifest::FILE_NAME, |bundle_id| {
            let error = Some("no artifact could be collected".to_owned());
            render_json(&run.manifest(bundle_id, &stats, status, error))
        });
        return Err(RunError::NothingCollected { first, kept });
    }
    let stats = client.stats().snapshot();
    info!(
        "{} requests ({} retries, {} rate-limited), lowest remaining quota {}",
        stats.requests,
        stats.retries,
        stats.rate_limited,
        stats
            .lowest_remaining
            .map_or_else(|| "not reported".to_owned(), |r| r.to_string())
    );
    let path = bundle.finish(&base_name, manifest::FILE_NAME, |bundle_id| {
        render_json(&run.manifest(bundle_id, &stats, status, None))
    })?;
    Ok(Outcome {
        bundle: path,
        status,
    })
}

/// State of one run, for the manifest.
struct Run<'a> {
    config: &'a Config,
    started: Timestamp,
    account: AccountInfo,
    entries: Vec<ArtifactEntry>,
}

impl Run<'_> {
    /// Redacts, renders and writes one artifact, and logs how it went.
    fn write(
        &mut self,
        bundle: &mut Bundle,
        artifact: Artifact,
        mut collected: Collected,
    ) -> Result<(), WriteError> {
        let redactions = redact::redact_items(artifact, &mut collected.items);
        let (status, reason, count) = (
            collected.status,
            collected.reason.clone(),
            collected.items.len(),
        );
        match (&reason, status) {
            (None, Status::Complete) => info!("{}: {count} item(s)", artifact.name()),
            (Some(reason), Status::Unavailable) => {
                info!("{}: unavailable: {reason}", artifact.name());
            }
            (reason, _) => warn!(
                "{}: {} with {count} item(s): {}",
                artifact.name(),
                status.name(),
                reason.as_deref().unwrap_or("no reason given")
            ),
        }
        let value = envelope(
            artifact,
            self.account.account_id.as_deref(),
            &rfc3339(Timestamp::now()),
            collected,
        );
        let written = bundle.write(artifact.file_name(), &render(&value))?;
        self.entries.push(ArtifactEntry {
            resource: artifact.name(),
            kind: artifact.kind(),
            path: artifact.file_name(),
            sha256: written.sha256,
            bytes: written.bytes,
            count,
            status,
            reason,
            redactions,
        });
        Ok(())
    }

    /// The names of the selected artifacts, in bundle order.
    fn resource_names(&self) -> Vec<&'static str> {
        self.config.artifacts.iter().map(|a| a.name()).collect()
    }

    /// Complete when every artifact is whole; failed when no collected artifact could be read
    /// at all (each failed or forbidden); partial otherwise.
    fn status(&self) -> RunStatus {
        let unreadable =
            |e: &&ArtifactEntry| matches!(e.status, Status::Failed | Status::Forbidden);
        let collected: Vec<&ArtifactEntry> = self
            .entries
            .iter()
            .filter(|e| e.kind == Kind::Collected)
            .collect();
        if self.entries.iter().all(|e| e.status.is_whole()) {
            RunStatus::Complete
        } else if collected.iter().all(unreadable) {
            RunStatus::Failed
        } else {
            RunStatus::Partial
        }
    }

    fn manifest(
        &self,
        bundle_id: &str,
        stats: &StatsSnapshot,
        status: RunStatus,
        error: Option<String>,
    ) -> Manifest {
        Manifest {
            schema: manifest::SCHEMA,
            tool: Tool::current(),
            bundle_id: bundle_id.to_owned(),
            account: self.account.clone(),
            started_at: rfc3339(self.started),
            finished_at: rfc3339(Timestamp::now()),
            options: manifest::Options {
                resources: self.resource_names(),
                since: rfc3339(self.config.window.start),
                api_url: self.config.api_url.to_string(),
                rate: self.config.rate,
                max_wait_secs: self.config.max_wait.as_secs(),
                concurrency: self.config.concurrency,
            },
            status,
            error,
            requests: Requests::from(stats),
            artifacts: self.entries.clone(),
            endpoints: EndpointEntry::from_stats(stats),
            not_available_from_api: manifest::limitations(),
        }
    }
}

fn render_json(manifest: &Manifest) -> Vec<u8> {
    render(&serde_json::to_value(manifest).expect("the manifest always serializes"))
}

/// An account id as a file-name part: `[A-Za-z0-9_-]` kept, anything else `_`, at most 64
/// characters; `unknown` when there is none.
pub fn file_name_safe(id: Option<&str>) -> String {
    let safe: String = id
        .unwrap_or_default()
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() {
        "unknown".into()
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_become_safe_file_name_parts() {
        assert_eq!(file_name_safe(Some("acc_example-01")), "acc_example-01");
        assert_eq!(file_name_safe(Some("../../etc")), "______etc");
        assert_eq!(file_name_safe(Some("a b/c\n")), "a_b_c_");
        assert_eq!(file_name_safe(Some("")), "unknown");
        assert_eq!(file_name_safe(None), "unknown");
        assert_eq!(file_name_safe(Some(&"x".repeat(500))).len(), 64);
        assert_eq!(file_name_safe(Some("é")), "_");
    }
}
