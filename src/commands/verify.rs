//! `iru-fivetran verify BUNDLE`: checks a bundle offline and says so.
//!
//! Each problem of the [`Inspection`] is one line on stderr, then a one-line verdict; with
//! `--format json` a [`Verdict`] goes to stdout too. Exit 0 only for an intact bundle, 1
//! otherwise. Nothing is written to disk and no request is made.

use std::io::Write as _;

use serde_json::Value;

use crate::cli::{LogFormat, OutputFormat, VerifyArgs};
use crate::output::{report_error, say};
use iru_fivetran_core::evidence::bundle::SHA256SUMS;
use iru_fivetran_core::evidence::{manifest, render};
use iru_fivetran_core::exit;
use iru_fivetran_core::text::printable;

use iru_fivetran_core::verify::{Inspection, Problem, Verdict, inspect};

/// Runs `iru-fivetran verify`, returning the exit code.
pub fn command(args: &VerifyArgs) -> u8 {
    let format = args.log.log_format;
    if let Some(mistake) = super::folder_of_bundles(&args.bundle) {
        report_error(format, &mistake);
        return exit::FAILED;
    }
    let found = inspect(&args.bundle);
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
    if args.format == OutputFormat::Json {
        let bytes = render(&serde_json::to_value(Verdict::of(&found)).unwrap_or(Value::Null));
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
