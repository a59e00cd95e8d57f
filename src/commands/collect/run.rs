//! One collection: read the account, write the bundle.
//!
//! Order: create the temporary bundle directory (so an unwritable `--out` fails before any
//! request), read `/account/info` (its id names the bundle), announce the quota, read what the
//! key may see (`resources::key_access`), collect the artifacts read straight from the API side
//! by side, then those made from others in order (sync history, certificates, fingerprints,
//! the audit trail from the warehouses of the vault's audit sources) and the derived
//! artifacts, then the spreadsheet exports, and last the manifest and `SHA256SUMS`, renaming
//! the directory into place. Every early return drops the [`Bundle`], which removes its temporary
//! directory: nothing half-written is left behind.

use std::path::PathBuf;

use jiff::Timestamp;
use serde_json::Value;
use tracing::info;

use iru_fivetran_core::audit;
use iru_fivetran_core::changes;
use iru_fivetran_core::client::{ApiError, Client, Stats, StatsSnapshot, watching};
use iru_fivetran_core::derive::{self, Sources};
use iru_fivetran_core::evidence::bundle::{self, Bundle, ItemSink};
use iru_fivetran_core::evidence::manifest::{self, ArtifactEntry, TableEntry};
use iru_fivetran_core::files::WriteError;
use iru_fivetran_core::resources::{self, Ctx};
use iru_fivetran_core::verify;
use iru_fivetran_core::vocab::audit::AuditFacts;
use iru_fivetran_core::vocab::{
    AccountInfo, Artifact, Collected, Kind, RunStatus, Status, rfc3339,
};

use crate::config::Config;
use crate::progress::{Progress, ticking};

use super::manifest::{render_json, write_tables};
use super::quota;
use super::seal::{Sealed, cut_short, left_out, seal};

/// A finished run.
#[derive(Debug)]
pub struct Outcome {
    /// The bundle directory.
    pub bundle: PathBuf,
    /// Complete or partial.
    pub status: RunStatus,
    /// Each artifact as the manifest records it (for the end-of-run table).
    pub artifacts: Vec<ArtifactEntry>,
    /// Each spreadsheet export as the manifest records it.
    pub tables: Vec<TableEntry>,
}

/// A run that could not produce a bundle (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The output could not be written; the temporary directory was removed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Fivetran refused the key, or could not be reached at all before it ever answered (the
    /// error says which). What was collected before, if anything, is kept; a run stopped by
    /// its first request read nothing and keeps nothing.
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

impl RunError {
    /// Where a failed run kept what it collected (`<bundle>.failed`), if it kept anything.
    pub fn kept(&self) -> Option<&std::path::Path> {
        match self {
            RunError::Refused { kept, .. } => kept.as_deref(),
            RunError::NothingCollected { kept, .. } => Some(kept),
            RunError::Write(_) | RunError::Client(_) => None,
        }
    }
}

/// What a run did, whatever its outcome, for the run summary (`--summary-json`).
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    /// The artifacts written, in the order they were.
    pub artifacts: Vec<ArtifactEntry>,
    /// The client's counters at the end; `None` if the client was never built.
    pub requests: Option<StatsSnapshot>,
    /// The account and the collecting key's identity and access, once `/account/info` was
    /// read.
    pub account: Option<AccountInfo>,
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

/// Runs a collection.
pub async fn run(config: &Config) -> Result<Outcome, RunError> {
    run_recording(config).await.0
}

/// Runs a collection and records what it did, also when it fails.
pub async fn run_recording(config: &Config) -> (Result<Outcome, RunError>, RunRecord) {
    let mut record = RunRecord::default();
    let result = collect(config, &mut record).await;
    (result, record)
}

async fn collect(config: &Config, record: &mut RunRecord) -> Result<Outcome, RunError> {
    let progress = Progress::start();
    let result = collect_with(config, record, &progress).await;
    // Whatever the outcome: the table or the error that follows is printed below no bar.
    progress.finish();
    result
}

async fn collect_with(
    config: &Config,
    record: &mut RunRecord,
    progress: &Progress,
) -> Result<Outcome, RunError> {
    // The sync-history window ends when the run starts: both are the same instant.
    let started = config.window.end;
    let stamp = bundle::stamp(started);
    // The client first: if it cannot be built (TLS roots unreadable), nothing was created.
    let client =
        Client::new(&config.client_options(), &config.credentials).map_err(RunError::Client)?;
    let mut bundle = Bundle::create(&config.out_dir, &stamp)?;
    if let Some(key) = &config.sign_key {
        info!("the manifest will be signed with key {}", key.fingerprint());
        bundle.sign_manifest_with(key.clone());
    }
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
        tables: Vec::new(),
        audit: None,
        stats: client.stats(),
        record,
    };
    let (account, info) = resources::collect_account(&ctx)
        .await
        .map_err(|error| RunError::Refused { error, kept: None })?;
    run.account = info;
    let base_name = bundle::base_name(run.account.account_id.as_deref(), &stamp);
    quota::announce(&client, config, run.account.account_id.as_deref());
    let access = resources::key_access(&ctx, &run.account)
        .await
        .map_err(|error| RunError::Refused { error, kept: None })?;
    run.account.access = Some(access);
    run.write(&mut bundle, Artifact::Account, account)?;

    let mut refused = collect_from_api(&mut run, &mut bundle, &ctx, progress).await?;
    if refused.is_none() {
        refused = produce_in_order(&mut run, &mut bundle, &ctx, progress).await?;
    }
    // The spreadsheet exports, from the artifacts now final.
    if refused.is_none() {
        write_tables(&mut bundle, &mut run.tables)?;
    }
    let path = seal_bundle(&run, bundle, &base_name, refused, &client)?;
    Ok(Outcome {
        bundle: path,
        status: run.status(),
        artifacts: run.entries.clone(),
        tables: run.tables.clone(),
    })
}

/// Collects the artifacts read straight from the API, all at once: the client's
/// `--concurrency` bounds the requests in flight across them, so the pipe stays full from the
/// first request to the last instead of draining at each artifact's end. Returns the key's
/// refusal, if one cut the run short.
async fn collect_from_api(
    run: &mut Run<'_>,
    bundle: &mut Bundle,
    ctx: &Ctx<'_>,
    progress: &Progress,
) -> Result<Option<ApiError>, WriteError> {
    let account_id = run.account.account_id.clone();
    let at_once: Vec<Artifact> = run
        .config
        .artifacts
        .iter()
        .copied()
        .filter(|a| {
            a.kind() == Kind::Collected && a.sources().is_empty() && *a != Artifact::Account
        })
        .collect();
    let shared: &Bundle = bundle;
    let skipped = &run.config.skip;
    let all_at_once = futures::future::join_all(at_once.iter().map(|&artifact| {
        let account_id = account_id.as_deref();
        let line = progress.artifact(artifact.name(), true);
        async move {
            let mut sink = shared.sink(artifact)?;
            let counter = line.clone();
            sink.observe(move |n| counter.items(n));
            let (collected, refused) = if skipped.contains(&artifact) {
                (left_out(), None)
            } else {
                let read = watching(
                    line.send_hook(),
                    resources::collect(ctx, artifact, &mut sink),
                );
                match read.await {
                    Ok(collected) => (collected, None),
                    // What was read before the key was refused is kept, and says so.
                    Err(error) => (cut_short(&error, sink.count()), Some(error)),
                }
            };
            let sealed = seal(artifact, account_id, sink, collected)?;
            line.done(sealed.entry.status.name(), sealed.entry.count);
            Ok::<_, WriteError>((sealed, refused))
        }
    }));
    let results = ticking(progress, ctx.client, all_at_once).await;
    let mut refused = None;
    for result in results {
        let (sealed, error) = result?;
        run.record(bundle, sealed);
        if let Some(error) = error {
            refused.get_or_insert(error);
        }
    }
    Ok(refused)
}

/// Makes sync history, the audit trail and the derived artifacts, one after the other in
/// bundle order (each reads the ones before it). Returns the key's refusal, if one cut the run
/// short.
async fn produce_in_order(
    run: &mut Run<'_>,
    bundle: &mut Bundle,
    ctx: &Ctx<'_>,
    progress: &Progress,
) -> Result<Option<ApiError>, WriteError> {
    let account_id = run.account.account_id.clone();
    let in_order: Vec<Artifact> = run
        .config
        .artifacts
        .iter()
        .copied()
        .filter(|a| !a.sources().is_empty() || a.kind() == Kind::Derived)
        .collect();
    for artifact in in_order {
        let mut sink = bundle.sink(artifact)?;
        let asks = artifact == Artifact::SyncHistory;
        let line = progress.artifact(artifact.name(), asks);
        let counter = line.clone();
        sink.observe(move |n| counter.items(n));
        let (collected, error) = if run.config.skip.contains(&artifact) {
            (left_out(), None)
        } else {
            let produced = watching(
                line.send_hook(),
                produce(ctx, run, bundle, artifact, &mut sink),
            );
            match ticking(progress, ctx.client, produced).await {
                Ok((collected, facts)) => {
                    if facts.is_some() {
                        run.audit = facts;
                    }
                    (collected, None)
                }
                Err(error) => (cut_short(&error, sink.count()), Some(error)),
            }
        };
        let sealed = seal(artifact, account_id.as_deref(), sink, collected)?;
        line.done(sealed.entry.status.name(), sealed.entry.count);
        run.record(bundle, sealed);
        if error.is_some() {
            return Ok(error);
        }
    }
    Ok(None)
}

/// Makes an artifact from those already in the bundle: sync history (which also reads the
/// API, for the connections in the bundle), the audit trail (which reads the warehouses of
/// the audit sources, for the Platform Connectors in the bundle, and comes with the facts the
/// manifest states) or a derived one ([`derive::produce`]). Each reads back only what it needs
/// of its sources, an item at a time.
async fn produce(
    ctx: &Ctx<'_>,
    run: &Run<'_>,
    bundle: &Bundle,
    artifact: Artifact,
    sink: &mut ItemSink,
) -> Result<(Collected, Option<AuditFacts>), ApiError> {
    if artifact == Artifact::AuditTrail {
        let (collected, facts) = audit_trail(run, bundle, sink).await;
        return Ok((collected, Some(facts)));
    }
    produce_other(ctx, run, bundle, artifact, sink)
        .await
        .map(|c| (c, None))
}

/// The audit trail, its window continuing where the newest earlier bundle (that verifies)
/// left each Platform Connector's trail.
async fn audit_trail(
    run: &Run<'_>,
    bundle: &Bundle,
    sink: &mut ItemSink,
) -> (Collected, AuditFacts) {
    let config = run.config;
    let account_id = run.account.account_id.as_deref();
    let profile = config.credentials.profile().map(|p| p.as_str().to_owned());
    let previous = match account_id {
        Some(account) if !config.credentials.audit_sources().is_empty() => {
            audit::window::previous(&config.out_dir, account, profile.as_deref(), &|dir| {
                verify::verify(dir).is_ok()
            })
        }
        _ => Default::default(),
    };
    let net = iru_fivetran_core::warehouse::Net {
        extra_roots: config.extra_roots.clone(),
        max_wait: config.max_wait,
    };
    let ctx = audit::Ctx {
        net: &net,
        sources: config.credentials.audit_sources(),
        since: config.window.start,
        run_start: run.started,
        previous: &previous,
        account_id,
    };
    audit::collect(&ctx, bundle, sink).await
}

async fn produce_other(
    ctx: &Ctx<'_>,
    run: &Run<'_>,
    bundle: &Bundle,
    artifact: Artifact,
    sink: &mut ItemSink,
) -> Result<Collected, ApiError> {
    if matches!(artifact, Artifact::Certificates | Artifact::Fingerprints) {
        let sources = artifact.sources();
        let project = |source, item: Value| Some(resources::approvals::project(source, &item));
        let mut loaded = Sources::load(bundle, sources, &project);
        let mut parents = loaded.take_items(Artifact::Connections);
        parents.extend(loaded.take_items(Artifact::Destinations));
        let collected = resources::approvals::collect(ctx, artifact, parents, sink).await?;
        return Ok(derive::mark_incomplete_sources(
            collected,
            sink.count(),
            &loaded,
            sources,
        ));
    }
    if artifact == Artifact::SyncHistory {
        let sources = artifact.sources();
        let project = |_, c: Value| Some(resources::sync_history::project(&c));
        let mut loaded = Sources::load(bundle, sources, &project);
        let connections = loaded.take_items(Artifact::Connections);
        let collected = resources::sync_history::collect(ctx, connections, sink).await?;
        return Ok(derive::mark_incomplete_sources(
            collected,
            sink.count(),
            &loaded,
            sources,
        ));
    }
    let profile = run.config.credentials.profile().map(ToString::to_string);
    let inputs = derive::Inputs {
        bundle,
        written: &run.written(),
        findings: derive::findings::Params {
            now: run.config.window.end,
            inactive_days: run.config.inactive_days,
            stale_days: run.config.stale_days,
            max_admins: run.config.max_admins,
        },
        changes: changes::Baseline {
            out_dir: &run.config.out_dir,
            baseline: run.config.baseline.as_deref(),
            account_id: run.account.account_id.as_deref(),
            resources: &run.resource_names(),
            started_at: &rfc3339(run.started),
            profile: profile.as_deref(),
            trusted_keys: &run.config.baseline_keys,
        },
    };
    Ok(derive::produce(artifact, &inputs, sink))
}

/// Writes the manifest and `SHA256SUMS` and renames the directory into place; or, for a run
/// the key's refusal cut short or that could read nothing, keeps what it collected under
/// `<name>.failed` with a manifest saying why.
fn seal_bundle(
    run: &Run<'_>,
    bundle: Bundle,
    base_name: &str,
    refused: Option<ApiError>,
    client: &Client,
) -> Result<PathBuf, RunError> {
    let stats = client.snapshot();
    if let Some(error) = refused {
        let kept = bundle.keep_failed(base_name, manifest::FILE_NAME, |bundle_id| {
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
    let status = run.status();
    if status == RunStatus::Failed {
        let first = run
            .entries
            .iter()
            .find_map(|e| e.reason.clone())
            .unwrap_or_default();
        let kept = bundle.keep_failed(base_name, manifest::FILE_NAME, |bundle_id| {
            let error = Some("no artifact could be collected".to_owned());
            render_json(&run.manifest(bundle_id, &stats, status, error))
        });
        return Err(RunError::NothingCollected { first, kept });
    }
    info!(
        "{} requests ({} retries, {} rate-limited), lowest remaining quota {}{}",
        stats.requests,
        stats.retries,
        stats.rate_limited,
        stats
            .lowest_remaining
            .map_or_else(|| "not reported".to_owned(), |r| r.to_string()),
        match stats.slowdowns {
            0 => String::new(),
            n => format!(
                "; Fivetran slowed the run {n} time(s): the rate went down to {:.1}/s and ended at {:.1}/s",
                stats.lowest_rate, stats.rate
            ),
        }
    );
    let path = bundle.finish(base_name, manifest::FILE_NAME, |bundle_id| {
        render_json(&run.manifest(bundle_id, &stats, status, None))
    })?;
    Ok(path)
}

/// State of one run, for the manifest.
pub(super) struct Run<'a> {
    pub(super) config: &'a Config,
    pub(super) started: Timestamp,
    pub(super) account: AccountInfo,
    pub(super) entries: Vec<ArtifactEntry>,
    /// The spreadsheet exports written.
    pub(super) tables: Vec<TableEntry>,
    /// The audit-trail facts, once the audit trail is written.
    pub(super) audit: Option<AuditFacts>,
    stats: &'a Stats,
    /// Filled when the run is dropped, so every way out of it, early returns included, is
    /// recorded.
    record: &'a mut RunRecord,
}

impl Drop for Run<'_> {
    fn drop(&mut self) {
        self.record.artifacts = std::mem::take(&mut self.entries);
        self.record.requests = Some(self.stats.snapshot());
        if self.account.access.is_some() {
            self.record.account = Some(self.account.clone());
        }
    }
}

impl Run<'_> {
    /// Writes an artifact whose items are all in `collected` (the account).
    fn write(
        &mut self,
        bundle: &mut Bundle,
        artifact: Artifact,
        collected: Collected,
    ) -> Result<(), WriteError> {
        let sink = bundle.sink(artifact)?;
        let sealed = seal(
            artifact,
            self.account.account_id.as_deref(),
            sink,
            collected,
        )?;
        self.record(bundle, sealed);
        Ok(())
    }

    /// Adds a written artifact to the bundle's sums and the manifest.
    fn record(&mut self, bundle: &mut Bundle, sealed: Sealed) {
        bundle.record(sealed.artifact.file_name(), sealed.written);
        self.entries.push(sealed.entry);
    }

    /// The artifacts written so far and their statuses.
    fn written(&self) -> Vec<(Artifact, Status)> {
        self.entries
            .iter()
            .filter_map(|e| Artifact::from_name(e.resource).map(|a| (a, e.status)))
            .collect()
    }

    /// The names of the selected artifacts, in bundle order.
    pub(super) fn resource_names(&self) -> Vec<&'static str> {
        self.config.artifacts.iter().map(|a| a.name()).collect()
    }
}
