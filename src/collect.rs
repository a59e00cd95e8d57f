//! `iru-fivetran collect`: read the account, write the bundle.
//!
//! Order: create the temporary bundle directory (so an unwritable `--out` fails before any
//! request), read `/account/info` (its id names the bundle), collect each selected artifact in
//! turn, then write the manifest and `SHA256SUMS` and rename the directory into place.

use std::path::PathBuf;

use jiff::Timestamp;
use serde_json::Value;
use tracing::{info, warn};

use crate::changes;
use crate::client::{self, ApiError, Client, Stats, StatsSnapshot};
use crate::config::Config;
use crate::derive::{self, Sources};
use crate::evidence::bundle::{self, Bundle, ItemSink};
use crate::evidence::manifest::{
    self, ArtifactEntry, EndpointEntry, Manifest, Requests, TableEntry, Tool,
};
use crate::evidence::{csv, envelope, render};
use crate::files::{Digest, WriteError};
use crate::output;
use crate::resources::{self, Ctx};
use crate::vocab::{AccountInfo, Artifact, Collected, Kind, RunStatus, Status, rfc3339};

/// A finished run.
#[derive(Debug)]
pub struct Outcome {
    /// The bundle directory.
    pub bundle: PathBuf,
    /// Complete or partial.
    pub status: RunStatus,
    /// Each artifact as the manifest records it (for the summary table).
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
pub struct Report {
    /// The artifacts written, in the order they were.
    pub artifacts: Vec<ArtifactEntry>,
    /// The client's counters at the end; `None` if the client was never built.
    pub requests: Option<StatsSnapshot>,
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
    run_reporting(config).await.0
}

/// Runs a collection and reports what it did, also when it fails.
pub async fn run_reporting(config: &Config) -> (Result<Outcome, RunError>, Report) {
    let mut report = Report::default();
    let result = collect(config, &mut report).await;
    (result, report)
}

/// The client settings of a run: `collect` and `doctor` build their one client from these.
pub fn client_options(config: &Config) -> client::Options {
    client::Options {
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
        reserve: config.reserve,
        on_quota: config.on_quota,
        concurrency: config.concurrency,
    }
}

async fn collect(config: &Config, report: &mut Report) -> Result<Outcome, RunError> {
    // The sync-history window ends when the run starts: both are the same instant.
    let started = config.window.end;
    let stamp = bundle::stamp(started);
    let mut bundle = Bundle::create(&config.out_dir, &stamp)?;
    if let Some(key) = &config.sign_key {
        info!("the manifest will be signed with key {}", key.fingerprint());
        bundle.sign_manifest_with(key.clone());
    }
    let options = client_options(config);
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
    let progress = output::Progress::start();
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
        stats: client.stats(),
        report,
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
    let base_name = bundle::base_name(run.account.account_id.as_deref(), &stamp);
    announce_quota(&client, config, run.account.account_id.as_deref());
    if let Err(e) = run.write(&mut bundle, Artifact::Account, account) {
        bundle.discard();
        return Err(e.into());
    }

    // The artifacts read straight from the API, all at once: the client's --concurrency
    // bounds the requests in flight across them, so the pipe stays full from the first
    // request to the last instead of draining at each artifact's end.
    let account_id = run.account.account_id.clone();
    let at_once: Vec<Artifact> = config
        .artifacts
        .iter()
        .copied()
        .filter(|a| {
            a.kind() == Kind::Collected && !matches!(a, Artifact::Account | Artifact::SyncHistory)
        })
        .collect();
    let all_at_once = futures::future::join_all(at_once.iter().map(|&artifact| {
        let (ctx, bundle, account_id) = (&ctx, &bundle, account_id.as_deref());
        let line = progress.artifact(artifact.name());
        async move {
            let mut sink = bundle.sink(artifact)?;
            let counter = line.clone();
            sink.observe(move |n| counter.items(n));
            let (collected, refused) = match resources::collect(ctx, artifact, &mut sink).await {
                Ok(collected) => (collected, None),
                // What was read before the key was refused is kept, and says so.
                Err(error) => (cut_short(&error, sink.count()), Some(error)),
            };
            let sealed = seal(artifact, account_id, sink, collected)?;
            line.done(sealed.entry.status.name(), sealed.entry.count);
            Ok::<_, WriteError>((sealed, refused))
        }
    }));
    let results = ticking(&progress, &client, all_at_once).await;
    let mut refused = None;
    for result in results {
        match result {
            Ok((sealed, error)) => {
                run.record(&mut bundle, sealed);
                if let Some(error) = error {
                    refused.get_or_insert(error);
                }
            }
            Err(e) => {
                bundle.discard();
                return Err(e.into());
            }
        }
    }

    // Then what is made from them, in order.
    if refused.is_none() {
        for &artifact in config
            .artifacts
            .iter()
            .filter(|a| **a == Artifact::SyncHistory || a.kind() == Kind::Derived)
        {
            let mut sink = match bundle.sink(artifact) {
                Ok(sink) => sink,
                Err(e) => {
                    bundle.discard();
                    return Err(e.into());
                }
            };
            let line = progress.artifact(artifact.name());
            let counter = line.clone();
            sink.observe(move |n| counter.items(n));
            let produced = produce(&ctx, &run, &bundle, artifact, &mut sink);
            let (collected, error) = match ticking(&progress, &client, produced).await {
                Ok(collected) => (collected, None),
                Err(error) => (cut_short(&error, sink.count()), Some(error)),
            };
            match seal(artifact, account_id.as_deref(), sink, collected) {
                Ok(sealed) => {
                    line.done(sealed.entry.status.name(), sealed.entry.count);
                    run.record(&mut bundle, sealed);
                }
                Err(e) => {
                    bundle.discard();
                    return Err(e.into());
                }
            }
            if error.is_some() {
                refused = error;
                break;
            }
        }
    }
    // The spreadsheet exports, from the artifacts now final.
    if refused.is_none()
        && let Err(e) = write_tables(&mut bundle, &mut run.tables)
    {
        bundle.discard();
        return Err(e.into());
    }
    if let Some(error) = refused {
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
    progress.finish();
    Ok(Outcome {
        bundle: path,
        status,
        artifacts: run.entries.clone(),
        tables: run.tables.clone(),
    })
}

/// Says, before the run starts in earnest, how much of the hourly quota is left, the reserve
/// kept for other tools, and how many requests the run will need: as many as the previous run
/// of the same account under `--out` made, the best estimate there is before the lists are read.
fn announce_quota(client: &Client, config: &Config, account_id: Option<&str>) {
    let stats = client.stats().snapshot();
    let reserve = client.reserve_requests();
    let left = stats.lowest_remaining.map_or_else(
        || "not reported".to_owned(),
        |r| {
            format!(
                "{r} of {}",
                stats.quota.unwrap_or(client::quota::ASSUMED_QUOTA)
            )
        },
    );
    let estimate = previous_run_requests(&config.out_dir, account_id).map_or_else(
        || "no earlier bundle of this account here to estimate the run's requests from".to_owned(),
        |(bundle, n)| format!("the last run ({bundle}) needed {n} requests"),
    );
    info!("hourly quota left: {left}; reserve kept for other tools: {reserve}; {estimate}");
    if let (Some(left), Some((_, needed))) = (
        stats.lowest_remaining,
        previous_run_requests(&config.out_dir, account_id),
    ) && needed > left.saturating_sub(reserve)
    {
        warn!(
            "this run may need more requests ({needed}) than the quota holds above the reserve ({}): it will {}",
            left.saturating_sub(reserve),
            match config.on_quota {
                client::quota::OnQuota::Slow => "slow down at the reserve",
                client::quota::OnQuota::Stop => "stop the remaining artifacts at the reserve",
            }
        );
    }
}

/// The newest earlier bundle of the account under `out_dir` and its `requests.total`, read
/// without verification (an estimate only). Looks at 10,000 entries at most.
fn previous_run_requests(
    out_dir: &std::path::Path,
    account_id: Option<&str>,
) -> Option<(String, u64)> {
    let newest = bundle::earlier(out_dir, account_id, 10_000)
        .into_iter()
        .next()?
        .name;
    let path = out_dir.join(&newest).join(manifest::FILE_NAME);
    if std::fs::metadata(&path).ok()?.len() > 16 * 1024 * 1024 {
        return None;
    }
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let total = manifest.pointer("/requests/total")?.as_u64()?;
    Some((newest, total))
}

/// State of one run, for the manifest.
struct Run<'a> {
    config: &'a Config,
    started: Timestamp,
    account: AccountInfo,
    entries: Vec<ArtifactEntry>,
    /// The spreadsheet exports written.
    tables: Vec<TableEntry>,
    stats: &'a Stats,
    /// Filled when the run is dropped, so every way out of it, early returns included, is
    /// reported.
    report: &'a mut Report,
}

impl Drop for Run<'_> {
    fn drop(&mut self) {
        self.report.artifacts = std::mem::take(&mut self.entries);
        self.report.requests = Some(self.stats.snapshot());
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
                inactive_days: self.config.inactive_days,
                stale_days: self.config.stale_days,
                api_url: self.config.api_url.to_string(),
                rate: self.config.rate,
                max_wait_secs: self.config.max_wait.as_secs(),
                concurrency: self.config.concurrency,
                reserve: match self.config.reserve {
                    client::quota::Reserve::Requests(n) => n.to_string(),
                    client::quota::Reserve::Percent(p) => format!("{p}%"),
                },
                on_quota: match self.config.on_quota {
                    client::quota::OnQuota::Slow => "slow",
                    client::quota::OnQuota::Stop => "stop",
                },
                profile: self
                    .config
                    .credentials
                    .profile()
                    .map(|p| p.as_str().to_owned()),
            },
            status,
            error,
            requests: Requests::from(stats),
            artifacts: self.entries.clone(),
            tables: self.tables.clone(),
            endpoints: EndpointEntry::from_stats(stats),
            not_available_from_api: manifest::limitations(),
        }
    }
}

/// The progress header: requests so far, the quota left, retries, 429s and time waited.
fn header(stats: &StatsSnapshot) -> String {
    let quota = stats
        .lowest_remaining
        .map_or_else(String::new, |r| format!(", hourly quota left {r}"));
    let retried = match stats.retries {
        0 => String::new(),
        n => format!(", {n} retried"),
    };
    let slowed = match stats.rate_limited {
        0 => String::new(),
        n => format!(", {n} slowed down by Fivetran (429)"),
    };
    // Waits, shown as such: the limiter (--rate), Fivetran's 429s, the quota reserve.
    let waits: Vec<String> = [
        (stats.limiter_wait_ms, "on the rate limit"),
        (stats.waited_ms, "on retries and Fivetran's Retry-After"),
        (stats.reserve_wait_ms, "at the quota reserve"),
    ]
    .into_iter()
    .filter(|(ms, _)| *ms >= 1000)
    .map(|(ms, what)| format!("{} s {what}", ms / 1000))
    .collect();
    let waited = if waits.is_empty() {
        String::new()
    } else {
        format!("; waited, summed over requests: {}", waits.join(", "))
    };
    format!(
        "{} requests{quota}{retried}{slowed}{waited}",
        stats.requests
    )
}

/// Runs `work` while the progress header shows the requests so far and the quota left.
async fn ticking<T>(
    progress: &output::Progress,
    client: &Client,
    work: impl std::future::Future<Output = T>,
) -> T {
    let tick = async {
        loop {
            progress.status(header(&client.stats().snapshot()));
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    };
    tokio::select! {
        out = work => out,
        never = tick => never,
    }
}

/// The status of an artifact whose collection the key's refusal cut short: what its sink
/// holds is kept.
fn cut_short(error: &ApiError, items: usize) -> Collected {
    Collected {
        status: if items == 0 {
            Status::Failed
        } else {
            Status::Partial
        },
        reason: Some(format!("stopped when Fivetran refused the key: {error}")),
        ..Collected::default()
    }
}

/// An artifact written to the bundle's directory, not yet recorded in its sums.
struct Sealed {
    artifact: Artifact,
    written: Digest,
    entry: ArtifactEntry,
}

/// Finishes an artifact: `collected.items` (if any) join the items already in `sink`, the
/// file is written, and how it went is logged.
fn seal(
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

/// Makes an artifact from those already in the bundle (and, for sync history, the API).
/// Each reads back only what it needs of its sources, an item at a time.
async fn produce(
    ctx: &Ctx<'_>,
    run: &Run<'_>,
    bundle: &Bundle,
    artifact: Artifact,
    sink: &mut ItemSink,
) -> Result<Collected, ApiError> {
    let sources = artifact.sources();
    match artifact {
        Artifact::SyncHistory => {
            let project = |_, c: Value| Some(resources::sync_history::project(&c));
            let mut loaded = Sources::load(bundle, sources, &project);
            let connections = loaded.take_items(Artifact::Connections);
            let collected = resources::sync_history::collect(ctx, connections, sink).await?;
            Ok(derive::mark_incomplete_sources(
                collected,
                sink.count(),
                &loaded,
                sources,
            ))
        }
        derived => {
            let profile = run.config.credentials.profile().map(ToString::to_string);
            let inputs = derive::Inputs {
                bundle,
                written: &run.written(),
                findings: derive::findings::Params {
                    now: run.config.window.end,
                    inactive_days: run.config.inactive_days,
                    stale_days: run.config.stale_days,
                },
                changes: changes::Baseline {
                    out_dir: &run.config.out_dir,
                    baseline: run.config.baseline.as_deref(),
                    account_id: run.account.account_id.as_deref(),
                    resources: &run.resource_names(),
                    started_at: &rfc3339(run.started),
                    profile: profile.as_deref(),
                },
            };
            Ok(derive::produce(derived, &inputs, sink))
        }
    }
}

/// Writes each CSV export whose artifact is in the bundle, and records it for the manifest.
fn write_tables(bundle: &mut Bundle, tables: &mut Vec<TableEntry>) -> Result<(), WriteError> {
    for table in &csv::TABLES {
        if let Some((written, rows)) = bundle.write_table(table)? {
            info!("{}: {rows} row(s)", table.name);
            tables.push(TableEntry {
                path: table.name,
                kind: Kind::Derived,
                from: table.from.name(),
                sha256: written.sha256,
                bytes: written.bytes,
                rows,
            });
        }
    }
    Ok(())
}

fn render_json(manifest: &Manifest) -> Vec<u8> {
    render(&serde_json::to_value(manifest).expect("the manifest always serializes"))
}

#[cfg(test)]
mod tests;
