//! iru-fivetran: collects compliance evidence from a Fivetran account into a verifiable bundle.
//!
//! The flow, one module each: [`cli`] (clap types) → [`config`] and [`credentials`] (flags,
//! environment and vault file, resolved once) → [`client`] (the only place requests are made:
//! auth, rate limit, retries) → [`paginate`] → [`resources`] (what each artifact is made of) →
//! [`evidence`] (redaction, canonical JSON, the only place files are written, manifest) →
//! [`output`] (what the user sees). [`collect`] runs the whole thing.
//!
//! The secret is exposed in exactly one function: [`credentials::Credentials::authorization_header`].

pub mod all_profiles;
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
    }
}

fn collect_command(args: &CollectArgs, env_lookup: &dyn Fn(&str) -> Option<String>) -> u8 {
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
        Ok(outcome) => output::print_bundle_path(&outcome.bundle),
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
