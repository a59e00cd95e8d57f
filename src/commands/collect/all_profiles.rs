//! `collect --all-profiles`: every profile of the vault file collected into its own bundle, one
//! after the other, in name order. A profile's failure (401, unreachable, nothing readable) is
//! reported and the next profile runs. Each bundle path goes to stdout as soon as it is
//! written; one line per profile goes to stderr at the end; the exit code is the worst.
//!
//! "Worst" follows the meaning of the codes, not their numbers: a failed run (1) is worse than
//! a partial bundle (3), which is worse than a complete one (0); a usage error (2) happens
//! before any profile runs, so it never meets the others. See [`exit::worst`].

use std::path::PathBuf;

use jiff::Timestamp;
use tracing::info;

use super::run::{self, Outcome, RunError};
use crate::cli::LogFormat;
use crate::config::Config;
use crate::output::{self, Printed};
use iru_fivetran_core::exit;

/// How one profile's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRun {
    /// The profile name (checked: letters, digits, `_`, `-`).
    pub profile: String,
    /// The exit code this run alone would have had.
    pub code: u8,
    /// The bundle written, or the first line of the error.
    pub result: Result<PathBuf, String>,
}

impl ProfileRun {
    /// `complete`, `partial` or `failed`, from [`ProfileRun::code`].
    pub fn status(&self) -> &'static str {
        match self.code {
            exit::COMPLETE => "complete",
            exit::PARTIAL => "partial",
            _ => "failed",
        }
    }
}

/// The exit code of one run: 0 complete, 3 partial, 1 failed.
pub fn exit_code(result: &Result<Outcome, RunError>) -> u8 {
    result
        .as_ref()
        .map_or(exit::FAILED, |outcome| exit::of_run(outcome.status))
}

/// Runs each configuration in turn (each its own client, limiter and bundle), printing each
/// bundle path as it is written and each error as it happens.
pub async fn run_each(configs: Vec<Config>, format: LogFormat) -> Vec<ProfileRun> {
    let total = configs.len();
    let mut runs = Vec::with_capacity(total);
    for (i, mut config) in configs.into_iter().enumerate() {
        // Each run's window ends when that run starts, as a run of its own would.
        config.restart_at(Timestamp::now());
        let profile = config
            .credentials
            .profile()
            .map_or_else(String::new, |p| p.as_str().to_owned());
        info!("profile `{profile}` ({} of {total})", i + 1);
        let result = run::run(&config).await;
        let mut code = exit_code(&result);
        let result = match result {
            Ok(outcome) => {
                if let Printed::Failed(e) = output::print_bundle_path(&outcome.bundle) {
                    // As for one profile: the bundle stays, the failure is in the code.
                    output::report_error(
                        format,
                        &format_args!(
                            "profile `{profile}`: cannot write the bundle path to stdout: {e}; the bundle is written and stays: {}",
                            outcome.bundle.display()
                        ),
                    );
                    code = exit::FAILED;
                }
                Ok(outcome.bundle)
            }
            Err(e) => {
                output::report_error(format, &format_args!("profile `{profile}`: {e}"));
                Err(e.to_string().lines().next().unwrap_or_default().to_owned())
            }
        };
        runs.push(ProfileRun {
            profile,
            code,
            result,
        });
    }
    runs
}

#[cfg(test)]
mod tests;
