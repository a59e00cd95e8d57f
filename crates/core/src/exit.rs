//! The exit codes, the one contract every command shares with cron jobs and CI, and how a
//! run's outcome becomes one.
//!
//! A signal's code (129 SIGHUP, 130 SIGINT, 131 SIGQUIT, 143 SIGTERM: 128 + its number) is the
//! shell's convention, set where the signal is caught.

use crate::vocab::RunStatus;

/// A complete bundle (or, for the other commands: what was asked succeeded).
pub const COMPLETE: u8 = 0;
/// The run failed.
pub const FAILED: u8 = 1;
/// Usage, configuration or credentials error, before any request.
pub const USAGE: u8 = 2;
/// A partial bundle (or: done, with warnings the output names).
pub const PARTIAL: u8 = 3;

/// The exit code of a run that ended with `status`.
pub fn of_run(status: RunStatus) -> u8 {
    match status {
        RunStatus::Complete => COMPLETE,
        RunStatus::Partial => PARTIAL,
        RunStatus::Failed => FAILED,
    }
}

/// How bad an exit code is: complete < partial < failed < usage < anything else (a signal).
fn severity(code: u8) -> u8 {
    match code {
        COMPLETE => 0,
        PARTIAL => 1,
        FAILED => 2,
        USAGE => 3,
        _ => 4,
    }
}

/// The worst of `codes` by what they mean, not their numbers: a failed run (1) is worse than
/// a partial bundle (3), which is worse than a complete one (0). 0 when there are none.
pub fn worst(codes: impl IntoIterator<Item = u8>) -> u8 {
    codes
        .into_iter()
        .max_by_key(|&c| severity(c))
        .unwrap_or(COMPLETE)
}

#[cfg(test)]
mod tests;
