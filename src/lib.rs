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

pub mod changes;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod credentials;
pub mod derive;
pub mod doctor;
pub mod endpoints;
pub mod env;
pub mod evidence;
pub mod exit;
pub mod fake;
pub mod files;
pub mod output;
pub mod paginate;
pub mod progress;
pub mod report;
pub mod resources;
pub mod schema;
pub mod signals;
pub mod text;
pub mod verify;
pub mod vocab;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};

/// Parses the command line, runs the command and maps its outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env_lookup = |name: &str| std::env::var(name).ok();
    match cli.command {
        Command::Collect(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(commands::collect::command(&args, &env_lookup))
        }
        Command::Diff(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(commands::diff::command(&args))
        }
        Command::Demo(args) => ExitCode::from(commands::demo::command(&args)),
        Command::Completions(args) => {
            ExitCode::from(commands::manual::completions_command(args.shell))
        }
        Command::Man => ExitCode::from(commands::manual::man_command()),
        Command::Verify(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(commands::verify::command(&args))
        }
        Command::Report(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(commands::report::command(&args))
        }
        Command::Schema(args) => ExitCode::from(commands::schema::command(&args)),
        Command::Doctor(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(commands::doctor::command(&args, &env_lookup))
        }
    }
}
