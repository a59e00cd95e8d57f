//! What the user sees: log lines on stderr, errors once on stderr, the bundle path on stdout.

use std::fmt::Display;
use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::cli::{LogArgs, LogFormat};
use crate::config::env;

/// Starts logging to stderr. `IRU_FIVETRAN_LOG` (or `RUST_LOG`) overrides `-v`/`-q`.
pub fn init_logging(args: &LogArgs, env_lookup: &dyn Fn(&str) -> Option<String>) {
    let directive = env_lookup(env::LOG)
        .or_else(|| env_lookup(env::RUST_LOG))
        .filter(|d| !d.trim().is_empty());
    let default = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) => "warn,iru_fivetran=info",
        (false, 1) => "info,iru_fivetran=debug",
        (false, _) => "debug,iru_fivetran=trace",
    };
    let filter = directive
        .and_then(|d| EnvFilter::try_new(d).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    // Colour only for a person at a terminal: never in pipes, cron mail or CI logs.
    let colour =
        std::io::stderr().is_terminal() && env_lookup(env::NO_COLOR).is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false);
    // A second initialisation (tests calling `run` twice) keeps the first subscriber.
    let _ = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Prints an error once, on stderr: plain text, or a log event in JSON mode.
pub fn report_error(format: LogFormat, error: &dyn Display) {
    match format {
        LogFormat::Text => eprintln!("error: {error}"),
        LogFormat::Json => tracing::error!("{error}"),
    }
}

/// Writes the bundle path, the only line the tool ever prints on stdout.
#[allow(clippy::print_stdout)]
pub fn print_bundle_path(path: &std::path::Path) {
    println!("{}", path.display());
}

/// The end-of-run summary of `--all-profiles`, on stderr: one line per profile with its status
/// and bundle or error. In text mode `-q` keeps it back only when every profile is complete;
/// in JSON mode it is one log event per profile, at a level that says how it went.
pub fn report_profiles(format: LogFormat, quiet: bool, runs: &[crate::all_profiles::ProfileRun]) {
    match format {
        LogFormat::Text => {
            if quiet && runs.iter().all(|r| r.code == crate::EXIT_COMPLETE) {
                return;
            }
            for line in summary_lines(runs) {
                eprintln!("{line}");
            }
        }
        LogFormat::Json => {
            for run in runs {
                let (status, profile) = (run.status(), run.profile.as_str());
                match (&run.result, run.code) {
                    (Ok(bundle), crate::EXIT_COMPLETE) => {
                        let bundle = bundle.display().to_string();
                        tracing::info!(profile, status, bundle, "profile summary");
                    }
                    (Ok(bundle), _) => {
                        let bundle = bundle.display().to_string();
                        tracing::warn!(profile, status, bundle, "profile summary");
                    }
                    (Err(error), _) => {
                        tracing::error!(profile, status, error = error.as_str(), "profile summary");
                    }
                }
            }
        }
    }
}

/// The text summary: a heading, then `profile  status  bundle-or-error`, columns aligned.
pub fn summary_lines(runs: &[crate::all_profiles::ProfileRun]) -> Vec<String> {
    let width = runs.iter().map(|r| r.profile.len()).max().unwrap_or(0);
    let mut lines = vec![format!("summary of {} profile(s):", runs.len())];
    lines.extend(runs.iter().map(|r| {
        let detail = match &r.result {
            Ok(bundle) => bundle.display().to_string(),
            Err(error) => error.clone(),
        };
        format!("  {:<width$}  {:<8}  {detail}", r.profile, r.status())
    }));
    lines
}
