//! `iru-fivetran verify BUNDLE`: checks a bundle offline and says so.
//!
//! Each problem of the [`Inspection`] is one line on stderr, then a one-line verdict that also
//! says whether the bundle is signed and what was checked (`unsigned`, `signed, not checked
//! (no --public-key)`, `signature valid for KEY`); with `--format json` a [`Verdict`] goes to
//! stdout too. With `--public-key`, a signature that does not hold (or none) is a problem. Exit 0 only for an intact bundle, 1
//! otherwise. Nothing is written to disk and no request is made.

use std::io::Write as _;

use serde_json::Value;

use crate::cli::{OutputFormat, VerifyArgs};
use crate::output::{report_error, say};
use iru_fivetran_core::evidence::bundle::SHA256SUMS;
use iru_fivetran_core::evidence::{manifest, render};
use iru_fivetran_core::exit;
use iru_fivetran_core::text::printable;

use iru_fivetran_core::verify::{Inspection, Problem, Signed, Verdict, inspect};

/// Runs `iru-fivetran verify`, returning the exit code.
pub fn command(args: &VerifyArgs) -> u8 {
    let format = args.log.log_format;
    if let Some(mistake) = super::folder_of_bundles(&args.bundle) {
        report_error(format, &mistake);
        return exit::FAILED;
    }
    let found = inspect(&args.bundle);
    let key_given = args.public_key.is_some();
    let signed = found.signature(args.public_key.as_deref());
    let signature_problem = signed.problem(key_given);
    for problem in found.problems.iter().chain(&signature_problem) {
        report_error(format, problem);
    }
    if let Signed::Valid(fingerprint) = &signed
        && !args.log.quiet
    {
        say(format, &format!("manifest.json is signed by {fingerprint}"));
    }
    let intact = found.problems.is_empty() && signature_problem.is_none();
    let line = verdict(&found, &signed, usize::from(signature_problem.is_some()));
    if intact {
        if !args.log.quiet {
            say(format, &line);
        }
    } else {
        report_error(format, &line);
    }
    if args.format == OutputFormat::Json {
        let verdict = Verdict::of(&found, &signed, key_given);
        let bytes = render(&serde_json::to_value(verdict).unwrap_or(Value::Null));
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

/// The one-line verdict, saying whether the bundle is signed and what was checked;
/// `more` problems besides the inspection's (the signature's).
fn verdict(found: &Inspection, signed: &Signed, more: usize) -> String {
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
    let n = found.problems.len() + more;
    let signature = signed.words();
    if n > 0 {
        return format!(
            "bundle {dir} does not verify: {n} problem{}; {signature}; hint: a bundle must stay exactly as it was written, so restore it from an untouched copy or collect a new one",
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
        "bundle {dir} verifies: {} files and {SHA256SUMS} intact; {signature}; {} artifacts, run status {run}",
        found.files.len(),
        found.artifacts.len(),
    )
}
