//! The small types flags take: the logging flags every command shares, the value enums
//! (`--color`, `--on-quota`, `--log-format`) and the parser that offers names to shell
//! completion. Re-exported by [`crate::cli`].

use std::ffi::OsStr;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, ValueEnum};

use iru_fivetran_core::vocab::Artifact;

/// A value taken as it is (the command checks it and says what is valid), with the names it
/// can be offered to shell completion and listed in `--help`.
#[derive(Clone, Copy)]
pub(super) struct Offered(pub(super) fn() -> Vec<&'static str>);

impl TypedValueParser for Offered {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        value
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new((self.0)().into_iter().map(PossibleValue::new)))
    }
}

/// Every artifact's name, as `--resources` takes it.
pub(super) fn artifact_names() -> Vec<&'static str> {
    Artifact::ALL.map(Artifact::name).to_vec()
}

/// Logging flags shared by every command.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// More detail on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Only errors on stderr (for cron).
    #[arg(short, long)]
    pub quiet: bool,

    /// Format of the log lines on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Colour on stderr: `auto` when it is a terminal and `NO_COLOR` is not set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// When to colour stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// At a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always (e.g. a CI log viewer that renders ANSI).
    Always,
    /// Never.
    Never,
}

/// What `collect` does when the hourly quota reaches the reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnQuota {
    /// Slow to the pace the rolling hour frees.
    Slow,
    /// End the remaining artifacts as partial.
    Stop,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}
