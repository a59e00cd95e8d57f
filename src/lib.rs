//! iru-fivetran: collects compliance evidence from a Fivetran account into a verifiable bundle.
//!
//! The flow, one module each: [`cli`] (clap types) → [`config`] and [`credentials`] (flags,
//! environment and vault file, resolved once) → [`client`] (the only place requests are made:
//! auth, rate limit, retries) → [`paginate`] → [`resources`] (what each artifact is made of) →
//! [`evidence`] (redaction, canonical JSON, the only place files are written, manifest) →
//! [`output`] (what the user sees). [`collect`] runs the whole thing; [`doctor`] checks a key; [`manual`] prints the
//! completion scripts and the man page.
//!
//! The secret is exposed in exactly one function: [`credentials::Credentials::authorization_header`].

pub mod all_profiles;
pub mod changes;
pub mod cli;
pub mod client;
pub mod collect;
pub mod config;
pub mod credentials;
pub mod demo;
pub mod derive;
pub mod doctor;
pub mod endpoints;
pub mod env;
pub mod evidence;
pub mod exit;
pub mod fake;
pub mod files;
pub mod manual;
pub mod output;
pub mod paginate;
pub mod report;
pub mod resources;
pub mod schema;
pub mod signals;
pub mod text;
pub mod verify;
pub mod vocab;

use std::process::ExitCode;

use clap::Parser as _;

use jiff::Timestamp;

use crate::cli::{Cli, CollectArgs, Command};
use crate::config::Config;
use crate::evidence::sign::SigningKey;
use crate::evidence::summary::{
    ArchiveSummary, RequestSummary, SignatureSummary, Summary, SummaryStatus, TableSummary,
};
use crate::vocab::{RunStatus, rfc3339};

/// Parses the command line, runs the command and maps its outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env_lookup = |name: &str| std::env::var(name).ok();
    match cli.command {
        Command::Collect(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(collect_command(&args, &env_lookup))
        }
        Command::Diff(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(changes::diff_command(&args))
        }
        Command::Demo(args) => ExitCode::from(demo::run(&args)),
        Command::Completions(args) => ExitCode::from(print_generated("completion script", |w| {
            manual::completions(args.shell, w)
        })),
        Command::Man => ExitCode::from(print_generated("man page", manual::man_page)),
        Command::Verify(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(verify::verify_command(&args))
        }
        Command::Report(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(report::report_command(&args))
        }
        Command::Schema(args) => ExitCode::from(schema::schema_command(&args)),
        Command::Doctor(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(doctor::doctor_command(&args, &env_lookup))
        }
    }
}

/// Writes generated text to stdout; exit 1 with the reason if stdout cannot take it.
fn print_generated(
    what: &str,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> u8 {
    let mut stdout = std::io::stdout().lock();
    match write(&mut stdout) {
        Ok(()) => exit::COMPLETE,
        // `iru-fivetran man | head`: the reader chose to stop; that is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::COMPLETE,
        Err(e) => {
            output::report_error(
                cli::LogFormat::Text,
                &format_args!("cannot write the {what} to stdout: {e}"),
            );
            exit::FAILED
        }
    }
}

/// How long a second signal still waits for the first one's cleanup before exiting.
const CLEANUP_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

pub(crate) fn collect_command(
    args: &CollectArgs,
    env_lookup: &dyn Fn(&str) -> Option<String>,
) -> u8 {
    let format = args.log.log_format;
    let mut summary = Summary::new(
        SummaryStatus::Failed,
        exit::FAILED,
        rfc3339(Timestamp::now()),
    );
    let code = collect_and_package(args, env_lookup, &mut summary);
    let Some(path) = &args.summary_json else {
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
    args: &CollectArgs,
    env_lookup: &dyn Fn(&str) -> Option<String>,
    summary: &mut Summary,
) -> u8 {
    let format = args.log.log_format;
    let fail = |summary: &mut Summary, status, error: &dyn std::fmt::Display| {
        output::report_error(format, error);
        summary.status = status;
        summary.error = Some(error.to_string());
    };
    let configs = match Config::runs_from_args(args, env_lookup) {
        Ok(configs) => configs,
        Err(e) => {
            fail(summary, SummaryStatus::UsageError, &e);
            return exit::USAGE;
        }
    };
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
    if args.all_profiles {
        // `--summary-json` and `--archive` are refused with `--all-profiles` (clap): one
        // summary and one archive per run.
        let work = all_profiles::run_each(configs, format);
        return match until_signal(&runtime, work) {
            Ok(runs) => {
                output::report_profiles(format, args.log.quiet, &runs);
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
    let work = async move { collect::run_reporting(&config).await };
    let (result, report) = match until_signal(&runtime, work) {
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
    summary.artifacts = report
        .artifacts
        .iter()
        .map(|e| (e.resource, e.into()))
        .collect();
    summary.requests = report.requests.map(|s| RequestSummary {
        total: s.requests,
        lowest_remaining: s.lowest_remaining,
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
    if !args.log.quiet && args.log.log_format == cli::LogFormat::Text {
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
        output::summary_table(&rows);
    }
    output::print_bundle_path(&outcome.bundle);
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
    let code = exit::of_run(outcome.status);
    let status = match outcome.status {
        RunStatus::Complete => SummaryStatus::Complete,
        RunStatus::Partial => SummaryStatus::Partial,
        RunStatus::Failed => SummaryStatus::Failed,
    };
    summary.status = status;
    if args.archive {
        match evidence::archive::write_archive(&outcome.bundle) {
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
    let path = dir.join(evidence::sign::SIGNATURE_FILE);
    let key_fingerprint = signer?;
    path.is_file().then(|| SignatureSummary {
        path: path.display().to_string(),
        key_fingerprint,
    })
}

/// Runs `work` spawned on `runtime` until it ends or the first SIGINT/SIGTERM arrives.
fn until_signal<T: Send + 'static>(
    runtime: &tokio::runtime::Runtime,
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, signals::Signal> {
    let finished = runtime.block_on(async move {
        let mut run = tokio::spawn(work);
        tokio::select! {
            joined = &mut run => Ok(joined),
            signal = signals::first() => {
                // Dropping the run (on the worker thread) removes the temporary bundle
                // directory. A second signal meanwhile gives that a second more, then exits
                // whatever the cleanup is doing (a hung file system must not hold the exit).
                run.abort();
                tokio::select! {
                    _ = &mut run => {}
                    second = signals::first() => {
                        let _ = tokio::time::timeout(CLEANUP_GRACE, run).await;
                        std::process::exit(i32::from(second.exit_code()));
                    }
                }
                Err(signal)
            }
        }
    });
    match finished {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(joined)) => std::panic::resume_unwind(joined.into_panic()),
        Err(signal) => Err(signal),
    }
}

/// Reports a run stopped by a signal and gives its exit code.
fn interrupted(
    runtime: tokio::runtime::Runtime,
    format: cli::LogFormat,
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
