//! `iru-fivetran verify BUNDLE`: checks a bundle offline and says so.
//!
//! Each problem of the [`Inspection`] is one line on stderr, then a one-line verdict; with
//! `--format json` a [`Report`] goes to stdout too. Exit 0 only for an intact bundle, 1
//! otherwise. Nothing is written to disk and no request is made.

use std::io::Write as _;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{LogFormat, ReportFormat, VerifyArgs};
use crate::evidence::bundle::SHA256SUMS;
use crate::evidence::{manifest, render};
use crate::exit;
use crate::output::{report_error, say};
use crate::text::printable;

use super::{Inspection, Problem, inspect};

/// The schema id of the report printed by `verify --format json`.
pub const REPORT_SCHEMA: &str = "iru-fivetran/verify/v1";

/// The report of `iru-fivetran verify --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    /// Always `iru-fivetran/verify/v1`.
    #[schemars(extend("const" = REPORT_SCHEMA))]
    pub schema: &'static str,
    /// The bundle directory, as given on the command line.
    pub bundle: String,
    /// `true` exactly when the bundle is intact (exit 0): `problems` is then empty.
    pub verified: bool,
    /// The manifest's `bundle_id`, or null if the manifest could not be read.
    pub bundle_id: Option<String>,
    /// The manifest's `account.account_id`, or null.
    pub account_id: Option<String>,
    /// The manifest's `status` (`complete`, `partial` or `failed`): how complete the run was,
    /// which is not whether the files are intact. Null if the manifest could not be read.
    pub run_status: Option<String>,
    /// Every file that could be hashed, sorted by name (`SHA256SUMS` itself is not hashed).
    pub files: Vec<ReportFile>,
    /// Everything wrong, in the order found.
    pub problems: Vec<ReportProblem>,
}

/// One hashed file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportFile {
    /// The file name inside the bundle.
    pub name: String,
    /// SHA-256 of the file, 64 lower-case hex digits.
    pub sha256: String,
    /// File size in bytes.
    pub bytes: u64,
}

/// One problem.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportProblem {
    /// What kind of problem: `hash_mismatch` (tampered), `missing`, `extra` (added),
    /// `size_mismatch`, `envelope`, `manifest`, `not_in_sums`, `not_a_file`, `unsafe_name`,
    /// `bad_sums_line`, `duplicate`, `too_large`, `unreadable`, `not_a_directory`,
    /// `too_many_entries` or `changed_since_verified`.
    pub code: &'static str,
    /// The file it is about (escaped as in `message`), or null.
    pub file: Option<String>,
    /// The problem in words, as printed on stderr.
    pub message: String,
}

impl Report {
    /// The report of an inspection.
    pub fn of(found: &Inspection) -> Self {
        let text = |pointer: &str| {
            found
                .manifest
                .as_ref()
                .and_then(|m| m.pointer(pointer))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Self {
            schema: REPORT_SCHEMA,
            bundle: found.dir.display().to_string(),
            verified: found.problems.is_empty(),
            bundle_id: text("/bundle_id"),
            account_id: text("/account/account_id"),
            run_status: text("/status"),
            files: found
                .files
                .iter()
                .map(|(name, digest)| ReportFile {
                    name: name.clone(),
                    sha256: digest.sha256.clone(),
                    bytes: digest.bytes,
                })
                .collect(),
            problems: found
                .problems
                .iter()
                .map(|p| ReportProblem {
                    code: p.code(),
                    file: p.file().map(printable),
                    message: p.to_string(),
                })
                .collect(),
        }
    }
}

/// Runs `iru-fivetran verify`, returning the exit code.
pub fn verify_command(args: &VerifyArgs) -> u8 {
    let found = inspect(&args.bundle);
    let format = args.log.log_format;
    for problem in &found.problems {
        report_error(format, problem);
    }
    let mut intact = found.problems.is_empty();
    if intact && let Some(key) = &args.public_key {
        intact = signature_holds(&found, key, format, args.log.quiet);
    }
    if intact {
        if !args.log.quiet {
            say(format, &verdict(&found));
        }
    } else {
        report_error(format, &verdict(&found));
    }
    if args.format == ReportFormat::Json {
        let bytes = render(&serde_json::to_value(Report::of(&found)).unwrap_or(Value::Null));
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout.write_all(&bytes).and_then(|()| stdout.flush()) {
            report_error(
                format,
                &format_args!("cannot write the report to stdout: {e}"),
            );
            return exit::FAILED;
        }
    }
    if intact { exit::COMPLETE } else { exit::FAILED }
}

/// Checks the manifest's signature against `key`, saying what it found.
fn signature_holds(
    found: &Inspection,
    key: &std::path::Path,
    format: LogFormat,
    quiet: bool,
) -> bool {
    match found.check_signature(key) {
        Ok(fingerprint) => {
            if !quiet {
                say(format, &format!("manifest.json is signed by {fingerprint}"));
            }
            true
        }
        Err(why) => {
            report_error(format, &why);
            false
        }
    }
}

/// The one-line verdict.
fn verdict(found: &Inspection) -> String {
    let dir = printable(&found.dir.display().to_string());
    let missing = |name: &str| {
        found
            .problems
            .iter()
            .any(|p| matches!(p, Problem::Missing { name: n } if n == name))
    };
    if found.problems.contains(&Problem::NotADirectory) {
        return format!(
            "{dir} is not a bundle: not a directory; hint: give the directory `iru-fivetran collect` printed"
        );
    }
    if missing(manifest::FILE_NAME) && missing(SHA256SUMS) {
        return format!(
            "{dir} is not a bundle: it has neither {} nor {SHA256SUMS}; hint: give the directory `iru-fivetran collect` printed",
            manifest::FILE_NAME
        );
    }
    let n = found.problems.len();
    if n > 0 {
        return format!(
            "bundle {dir} does not verify: {n} problem{}; hint: a bundle must stay exactly as it was written, so restore it from an untouched copy or collect a new one",
            if n == 1 { "" } else { "s" }
        );
    }
    let run = found
        .manifest
        .as_ref()
        .and_then(|m| m.get("status"))
        .and_then(Value::as_str)
        .map(printable)
        .unwrap_or_default();
    format!(
        "bundle {dir} verifies: {} files and {SHA256SUMS} intact, {} artifacts, run status {run}",
        found.files.len(),
        found.artifacts.len(),
    )
}
