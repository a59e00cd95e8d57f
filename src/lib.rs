//! iru-fivetran, the command-line tool: it parses flags ([`cli`]), turns them and the
//! environment into one checked configuration ([`config`]), runs a command ([`commands`], one
//! module each), and says how it went ([`output`], [`progress`], [`signals`]). The work is
//! in the `iru_fivetran_core` crate; the fake Fivetran the demo serves is in
//! `iru_fivetran_fake`. `docs/architecture.md` maps both.
//!
//! Only this crate reads the environment, and only through an injected lookup (the env
//! variable names are in `iru_fivetran_core::env`). Data goes to stdout (a bundle's path, a
//! report, a schema, JSON documents), everything else to stderr.

// A stream that cannot be written must not panic the tool (`eprintln!` does): stderr goes
// through `output::to_stderr`, stdout through each command's own checked writes.
#![warn(clippy::print_stderr)]

pub mod cli;
pub mod commands;
pub mod config;
pub mod output;
pub mod progress;
pub mod signals;

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
        Command::Changes(args) => {
            output::init_logging(&args.log, &env_lookup);
            ExitCode::from(commands::changes::command(&args))
        }
        Command::Demo(args) => ExitCode::from(commands::demo::command(&args, &env_lookup)),
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
