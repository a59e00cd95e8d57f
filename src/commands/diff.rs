//! `iru-fivetran diff OLD NEW`: verify both bundles, compare them, print the change log.
//!
//! Exit 0 with the log on stdout (text, or the JSON array `changes.json` would hold for this
//! pair), each change with who made it where the newer bundle has an audit trail; exit 1 with the verification problems or the reason the two cannot be compared, on
//! stderr. Nothing is written to disk.

use std::fmt;
use std::io::Write as _;

use crate::cli::{DiffArgs, DiffFormat};
use crate::output::report_error;
use iru_fivetran_core::evidence::render;
use iru_fivetran_core::exit;
use iru_fivetran_core::verify::{self, VerifyError};

use iru_fivetran_core::changes::explain::explain;
use iru_fivetran_core::changes::{
    CompareError, LoadError, Snapshot, compare, items, text, uncompared,
};

/// Why `diff` could not print a change log.
#[derive(Debug)]
enum DiffError {
    /// One or both bundles do not verify.
    Verify(Vec<VerifyError>),
    /// The bundles are of different accounts or selections (or, which no verified bundle
    /// gives, an artifact could not be read back).
    Compare(CompareError),
    /// Writing to stdout failed.
    Stdout(std::io::Error),
}

impl fmt::Display for DiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiffError::Verify(errors) => {
                let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
                f.write_str(&all.join("\n"))
            }
            DiffError::Compare(e) => write!(f, "cannot compare the bundles: {e}"),
            DiffError::Stdout(e) => write!(f, "cannot write the change log to stdout: {e}"),
        }
    }
}

/// Runs `iru-fivetran diff`, returning the exit code.
pub fn command(args: &DiffArgs) -> u8 {
    let mistakes: Vec<String> = [&args.old, &args.new]
        .into_iter()
        .filter_map(|p| super::folder_of_bundles(p))
        .collect();
    if !mistakes.is_empty() {
        for mistake in &mistakes {
            report_error(args.log.log_format, mistake);
        }
        return exit::FAILED;
    }
    let result = change_log(args).and_then(|bytes| {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&bytes)
            .and_then(|()| stdout.flush())
            .map_err(DiffError::Stdout)
    });
    match result {
        Ok(()) => exit::COMPLETE,
        Err(e) => {
            report_error(args.log.log_format, &e);
            exit::FAILED
        }
    }
}

/// The bytes to print.
fn change_log(args: &DiffArgs) -> Result<Vec<u8>, DiffError> {
    let load = |dir: &std::path::Path| verify::verify(dir).and_then(Snapshot::from_verified);
    let (old, new) = match (load(&args.old), load(&args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            let errors = [old.err(), new.err()].into_iter().flatten().collect();
            return Err(DiffError::Verify(errors));
        }
    };
    // A file that changed between verification and its comparison (artifacts are read
    // again one at a time) is reported like any other verification problem.
    let mut changes = compare(&old, &new).map_err(|e| match e {
        CompareError::Unreadable {
            error: LoadError::Verified(e),
            ..
        } => DiffError::Verify(vec![e]),
        e => DiffError::Compare(e),
    })?;
    // Who made each change, when the newer bundle has an audit trail.
    explain(&mut changes, &old, &new);
    Ok(match args.format {
        DiffFormat::Json => render(&serde_json::Value::Array(items(&changes))),
        DiffFormat::Text => {
            text::render(&changes, &old, &new, &uncompared(&old, &new)).into_bytes()
        }
    })
}
