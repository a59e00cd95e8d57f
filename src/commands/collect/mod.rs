//! `iru-fivetran collect`: the command around a run. It checks the settings ([`Config`]),
//! starts the runtime, runs the collection ([`run`](mod@run)) or one per profile ([`all_profiles`])
//! until it ends or a signal stops it, prints the end-of-run table and the bundle's path,
//! archives the bundle (`--archive`) and writes the run summary (`--summary-json`), whatever
//! the outcome.

pub mod all_profiles;
mod manifest;
pub mod preflight;
mod quota;
pub mod run;
mod seal;

use std::path::Path;

use jiff::Timestamp;

use iru_fivetran_core::evidence::archive;
use iru_fivetran_core::evidence::sign::{self, SigningKey};
use iru_fivetran_core::evidence::summary::{
    ArchiveSummary, RequestSummary, SignatureSummary, Summary, SummaryStatus, TableSummary,
};
use iru_fivetran_core::exit;
use iru_fivetran_core::vocab::{RunStatus, rfc3339};

use crate::cli::{CollectArgs, LogFormat};
use crate::config::{Config, Settings};
use crate::output::{self, Printed};
use crate::signals;

/// What `collect` gives besides the bundle: how it speaks on stderr, and the files it writes
/// beside the bundle.
#[derive(Debug, Clone, Copy)]
pub struct Outputs<'a> {
    /// `--log-format`.
    pub log_format: LogFormat,
    /// `-q`: no progress, no table.
    pub quiet: bool,
    /// `--summary-json`.
    pub summary_json: Option<&'a Path>,
    /// `--archive`.
    pub archive: bool,
    /// Whether the verdict line after the table names the next command (`demo` says its own).
    pub next_step: bool,
}

/// Runs `iru-fivetran collect`; returns the exit code.
pub fn command(args: &CollectArgs, env_lookup: &dyn Fn(&str) -> Option<String>) -> u8 {
    let outputs = Outputs {
        log_format: args.log.log_format,
        quiet: args.log.quiet,
        summary_json: args.summary_json.as_deref(),
        archive: args.archive,
        next_step: true,
    };
    run(&args.settings(), outputs, env_lookup)
}

/// Runs the collection `settings` asks for; returns the exit code. `demo` runs its collection
/// through here too.
pub fn run(
    settings: &Settings,
    outputs: Outputs<'_>,
    env_lookup: &dyn Fn(&str) -> Option<String>,
) -> u8 {
    let format = outputs.log_format;
    let mut summary = Summary::new(
        SummaryStatus::Failed,
        exit::FAILED,
        rfc3339(Timestamp::now()),
    );
    let code = collect_and_package(settings, outputs, env_lookup, &mut summary);
    let Some(path) = outputs.summary_json else {
        return code;
    };
    summary.exit_code = code;
    summary.finished_at = rfc3339(Timestamp::now());
    match summary.write(path) {
        Ok(()) => code,
        Err(e) => {
            output::report_error(format, &e);
            // A pipeline that asked for the summary cannot go on without it.
            if matches!(code, exit::COMPLETE | exit::PARTIAL) {
                exit::FAILED
            } else {
                code
            }
        }
    }
}

/// Runs `collect` (each profile's, or then `--archive`), filling `summary` as it goes;
/// returns the exit code.
fn collect_and_package(
    settings: &Settings,
    outputs: Outputs<'_>,
    env_lookup: &dyn Fn(&str) -> Option<String>,
    summary: &mut Summary,
) -> u8 {
    let format = outputs.log_format;
    let fail = |summary: &mut Summary, status, error: &dyn std::fmt::Display| {
        output::report_error(format, error);
        summary.status = status;
        summary.error = Some(error.to_string());
    };
    let configs = match Config::runs(settings, env_lookup) {
        Ok(configs) => configs,
        Err(e) => {
            fail(summary, SummaryStatus::UsageError, &e);
            return exit::USAGE;
        }
    };
    let concurrency = configs.iter().map(|c| c.concurrency).max().unwrap_or(1);
    if let Err(e) =
        preflight::out_dir(&settings.out).and_then(|()| preflight::descriptors(concurrency))
    {
        fail(summary, SummaryStatus::UsageError, &e);
        return exit::USAGE;
    }
    // One worker thread, and the run spawned on it: the run and the HTTP connections' tasks
    // then share a thread. Before, the run was polled on this thread (block_on) and the
    // connections on two workers, so every request cost cross-thread wake-ups: 35% of the
    // large benchmark's wall time in CPU, most of it in the kernel (docs/performance.md).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let e = format!("cannot start the async runtime: {e}");
            fail(summary, SummaryStatus::Failed, &e);
            return exit::FAILED;
        }
    };
    if settings.all_profiles {
        // `--summary-json` and `--archive` are refused with `--all-profiles` (clap): one
        // summary and one archive per run.
        let work = all_profiles::run_each(configs, format);
        return match signals::until_signal(&runtime, work) {
            Ok(runs) => {
                output::report_profiles(format, outputs.quiet, &runs);
                exit::worst(runs.iter().map(|r| r.code))
            }
            Err(signal) => interrupted(
                runtime,
                format,
                signal,
                "the profile being collected wrote no bundle and its temporary directory was removed; the bundles printed before are whole",
            ),
        };
    }
    let config = configs
        .into_iter()
        .next()
        .expect("one configuration without --all-profiles");
    summary.started_at = rfc3339(config.window.end);
    let signer = config.sign_key.as_ref().map(SigningKey::fingerprint);
    let work = async move { run::run_recording(&config).await };
    let (result, record) = match signals::until_signal(&runtime, work) {
        Ok(finished) => finished,
        Err(signal) => {
            summary.status = SummaryStatus::Interrupted;
            summary.error = Some(format!(
                "interrupted by {}: stopped; no bundle was written and the temporary directory was removed",
                signal.name()
            ));
            return interrupted(
                runtime,
                format,
                signal,
                "no bundle was written and the temporary directory was removed",
            );
        }
    };
    summary.artifacts = record
        .artifacts
        .iter()
        .map(|e| (e.resource, e.into()))
        .collect();
    summary.account = record.account.clone();
    summary.requests = record.requests.map(|s| RequestSummary {
        total: s.requests,
        lowest_remaining: s.lowest_remaining,
        rate_limited: s.rate_limited,
        slowdowns: s.slowdowns,
        final_rate: s.rate,
        lowest_rate: s.lowest_rate,
    });
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => {
            fail(summary, SummaryStatus::Failed, &e);
            if let Some(kept) = e.kept() {
                summary.failed_bundle = Some(kept.display().to_string());
                summary.signature = signature(kept, signer);
            }
            return exit::FAILED;
        }
    };
    if !outputs.quiet && outputs.log_format == LogFormat::Text {
        let froms: Vec<String> = outcome
            .tables
            .iter()
            .map(|t| format!("CSV of {}.json", t.from))
            .collect();
        let rows: Vec<_> = outcome
            .artifacts
            .iter()
            .map(|a| (a.resource, a.status.name(), a.count, a.reason.as_deref()))
            .chain(outcome.tables.iter().zip(&froms).map(|(t, from)| {
                let rows = usize::try_from(t.rows).unwrap_or(usize::MAX);
                (t.path, "written", rows, Some(from.as_str()))
            }))
            .collect();
        output::artifact_table(&rows);
        let statuses: Vec<_> = outcome
            .artifacts
            .iter()
            .map(|a| (a.resource, a.status.name()))
            .collect();
        let status = match outcome.status {
            RunStatus::Complete => "complete",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
        };
        output::say(
            outputs.log_format,
            &output::verdict_line(status, &statuses, &outcome.bundle, outputs.next_step),
        );
    }
    let printed = output::print_bundle_path(&outcome.bundle);
    summary.bundle = Some(outcome.bundle.display().to_string());
    summary.tables = outcome
        .tables
        .iter()
        .map(|t| {
            let table = TableSummary {
                rows: t.rows,
                sha256: t.sha256.clone(),
            };
            (t.path, table)
        })
        .collect();
    summary.signature = signature(&outcome.bundle, signer);
    let mut code = exit::of_run(outcome.status);
    let status = match outcome.status {
        RunStatus::Complete => SummaryStatus::Complete,
        RunStatus::Partial => SummaryStatus::Partial,
        RunStatus::Failed => SummaryStatus::Failed,
    };
    summary.status = status;
    // The bundle is whole whatever became of its path on stdout: the archive and the summary
    // are still written, and the exit code says whether stdout failed.
    match printed {
        Printed::Written => {}
        Printed::ReaderGone => tracing::info!(
            bundle = %outcome.bundle.display(),
            "stdout was closed by its reader before the bundle path was printed"
        ),
        Printed::Failed(e) => {
            let e = format!(
                "cannot write the bundle path to stdout: {e}; the bundle is written and stays: {}\nhint: check where stdout goes (a full disk, a closed file); --summary-json PATH also names the bundle",
                outcome.bundle.display()
            );
            fail(summary, SummaryStatus::Failed, &e);
            code = exit::FAILED;
        }
    }
    if outputs.archive {
        match archive::write_archive(&outcome.bundle) {
            Ok(archived) => {
                tracing::info!(
                    archive = %archived.path.display(),
                    sha256 = %archived.sha256,
                    "archive written"
                );
                summary.archive = Some(ArchiveSummary {
                    path: archived.path.display().to_string(),
                    sha256: archived.sha256,
                });
            }
            Err(e) => {
                // The bundle stays: it is complete and verifiable on its own.
                fail(summary, SummaryStatus::Failed, &e);
                return exit::FAILED;
            }
        }
    }
    code
}

/// The signature of the bundle in `dir`, if the run signed and the file is there.
fn signature(dir: &std::path::Path, signer: Option<String>) -> Option<SignatureSummary> {
    let path = dir.join(sign::SIGNATURE_FILE);
    let key_fingerprint = signer?;
    path.is_file().then(|| SignatureSummary {
        path: path.display().to_string(),
        key_fingerprint,
    })
}

/// Reports a run stopped by a signal and gives its exit code.
fn interrupted(
    runtime: tokio::runtime::Runtime,
    format: LogFormat,
    signal: signals::Signal,
    what: &str,
) -> u8 {
    // A blocking task (a DNS lookup that never returns) would otherwise hold up the
    // runtime's drop, and the exit with it.
    runtime.shutdown_background();
    output::report_error(
        format,
        &format_args!("interrupted by {}: stopped; {what}", signal.name()),
    );
    signal.exit_code()
}
