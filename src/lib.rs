//! iru-fivetran: collects compliance evidence from a Fivetran account into a verifiable bundle.
//!
//! The flow, one module each: [`cli`] (clap types) → [`config`] and [`credentials`] (flags,
//! environment and vault file, resolved once) → [`client`] (the only place requests are made:
//! auth, rate limit, retries) → [`paginate`] → [`resources`] (what each artifact is made of) →
//! [`evidence`] (redaction, canonical JSON, the only place files are written, manifest) →
//! [`output`] (what the user sees). [`collect`] runs the whole thing.
//!
//! The secret is exposed in exactly one function: [`credentials::Credentials::authorization_header`].

pub mod changes;
pub mod cli;
pub mod client;
pub mod collect;
pub mod config;
pub mod credentials;
pub mod derive;
pub mod endpoints;
pub mod evidence;
pub mod fake;
pub mod output;
pub mod paginate;
pub mod resources;
pub mod signals;
pub mod verify;

use std::process::ExitCode;

use clap::Parser as _;

use jiff::Timestamp;

use crate::cli::{Cli, CollectArgs, Command};
use crate::config::Config;
use crate::evidence::manifest::RunStatus;
use crate::evidence::sign::SigningKey;
use crate::evidence::summary::{
    ArchiveSummary, RequestSummary, SignatureSummary, Summary, SummaryStatus,
};

/// Exit code: a complete bundle.
pub const EXIT_COMPLETE: u8 = 0;
/// Exit code: the run failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage, configuration or credentials error, before any request.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a partial bundle.
pub const EXIT_PARTIAL: u8 = 3;

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
    }
}

fn collect_command(args: &CollectArgs, env_lookup: &dyn Fn(&str) -> Option<String>) -> u8 {
    let format = args.log.log_format;
    let mut summary = Summary::new(
        SummaryStatus::Failed,
        EXIT_FAILED,
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
            if matches!(code, EXIT_COMPLETE | EXIT_PARTIAL) {
                EXIT_FAILED
            } else {
                code
            }
        }
    }
}

/// Runs `collect` (then `--archive`), filling `summary` as it goes; returns the exit code.
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
    let config = match Config::from_args(args, env_lookup) {
        Ok(config) => config,
        Err(e) => {
            fail(summary, SummaryStatus::UsageError, &e);
            return EXIT_USAGE;
        }
    };
    summary.started_at = rfc3339(config.window.end);
    let signer = config.sign_key.as_ref().map(SigningKey::fingerprint);
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
            return EXIT_FAILED;
        }
    };
    let finished = runtime.block_on(async move {
        let mut run = tokio::spawn(async move { collect::run_reporting(&config).await });
        tokio::select! {
            joined = &mut run => Ok(joined),
            signal = signals::first() => {
                // Dropping the run removes the temporary bundle directory; a second signal
                // meanwhile exits at once.
                run.abort();
                tokio::select! {
                    _ = run => {}
                    second = signals::first() => std::process::exit(i32::from(second.exit_code())),
                }
                Err(signal)
            }
        }
    });
    let (result, report) = match finished {
        Ok(Ok(finished)) => finished,
        Ok(Err(joined)) => std::panic::resume_unwind(joined.into_panic()),
        Err(signal) => {
            // A blocking task (a DNS lookup that never returns) would otherwise hold up the
            // runtime's drop, and the exit with it.
            runtime.shutdown_background();
            let e = format!(
                "interrupted by {}: stopped; no bundle was written and the temporary directory was removed",
                signal.name()
            );
            fail(summary, SummaryStatus::Interrupted, &e);
            return signal.exit_code();
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
            return EXIT_FAILED;
        }
    };
    output::print_bundle_path(&outcome.bundle);
    summary.bundle = Some(outcome.bundle.display().to_string());
    summary.signature = signature(&outcome.bundle, signer);
    let (status, code) = match outcome.status {
        RunStatus::Complete => (SummaryStatus::Complete, EXIT_COMPLETE),
        RunStatus::Partial => (SummaryStatus::Partial, EXIT_PARTIAL),
        RunStatus::Failed => (SummaryStatus::Failed, EXIT_FAILED),
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
                return EXIT_FAILED;
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

/// RFC 3339 UTC to the second, as in the bundle.
fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
