//! iru-fivetran: collects compliance evidence from a Fivetran account into a verifiable bundle.
//!
//! The flow, one module each: [`cli`] (clap types) → [`config`] and [`credentials`] (flags,
//! environment and vault file, resolved once) → [`client`] (the only place requests are made:
//! auth, rate limit, retries) → [`paginate`] → [`resources`] (what each artifact is made of) →
//! [`evidence`] (redaction, canonical JSON, the only place files are written, manifest) →
//! [`output`] (what the user sees). [`collect`] runs the whole thing; [`manual`] prints the
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
pub mod endpoints;
pub mod evidence;
pub mod fake;
pub mod manual;
pub mod output;
pub mod paginate;
pub mod resources;
pub mod schema;
pub mod signals;
pub mod verify;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, CollectArgs, Command};
use crate::config::Config;

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
        Command::Demo(args) => ExitCode::from(demo::run(&args)),
        Command::Completions(args) => ExitCode::from(print_generated("completion script", |w| {
            manual::completions(args.shell, w)
        })),
        Command::Man => ExitCode::from(print_generated("man page", manual::man_page)),
        Command::Verify(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(verify::verify_command(&args))
        }
        Command::Schema(args) => ExitCode::from(schema::schema_command(&args)),
    }
}

/// Writes generated text to stdout; exit 1 with the reason if stdout cannot take it.
fn print_generated(
    what: &str,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> u8 {
    let mut stdout = std::io::stdout().lock();
    match write(&mut stdout) {
        Ok(()) => EXIT_COMPLETE,
        // `iru-fivetran man | head`: the reader chose to stop; that is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_COMPLETE,
        Err(e) => {
            output::report_error(
                cli::LogFormat::Text,
                &format_args!("cannot write the {what} to stdout: {e}"),
            );
            EXIT_FAILED
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
    let configs = match Config::runs_from_args(args, env_lookup) {
        Ok(configs) => configs,
        Err(e) => {
            output::report_error(format, &e);
            return EXIT_USAGE;
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
            output::report_error(format, &format_args!("cannot start the async runtime: {e}"));
            return EXIT_FAILED;
        }
    };
    if args.all_profiles {
        let work = all_profiles::run_each(configs, format);
        return match until_signal(&runtime, work) {
            Ok(runs) => {
                output::report_profiles(format, args.log.quiet, &runs);
                all_profiles::worst(runs.iter().map(|r| r.code))
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
    let result = match until_signal(&runtime, async move { collect::run(&config).await }) {
        Ok(result) => result,
        Err(signal) => {
            return interrupted(
                runtime,
                format,
                signal,
                "no bundle was written and the temporary directory was removed",
            );
        }
    };
    let code = all_profiles::exit_code(&result);
    match result {
        Ok(outcome) => {
            if !args.log.quiet && args.log.log_format == cli::LogFormat::Text {
                let rows: Vec<_> = outcome
                    .artifacts
                    .iter()
                    .map(|a| (a.resource, a.status.name(), a.count, a.reason.as_deref()))
                    .collect();
                output::summary_table(&rows);
            }
            output::print_bundle_path(&outcome.bundle);
        }
        Err(e) => output::report_error(format, &e),
    }
    code
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
