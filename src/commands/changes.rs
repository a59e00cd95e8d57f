//! `iru-fivetran changes DIR --from DATE --to DATE`: a period's change log, rolled up from a
//! folder of bundles ([`period::roll_up`]), printed in one form or written in all three.
//!
//! Exit 0 when the series has no gap, 3 when the log lists gaps, 1 when no bundle of the
//! account started in the period or the output could not be written, 2 for a usage error.

use std::io::Write as _;
use std::path::Path;

use jiff::civil::Date;

use iru_fivetran_core::exit;
use iru_fivetran_core::files::write_private;
use iru_fivetran_core::period::{self, Period, Request};
use iru_fivetran_core::text::printable;

use crate::cli::{ChangesArgs, PeriodFormat};
use crate::output::{report_error, say};

/// Runs `iru-fivetran changes`, returning the exit code.
pub fn command(args: &ChangesArgs) -> u8 {
    let format = args.log.log_format;
    let (from, to) = match (date("--from", &args.from), date("--to", &args.to)) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => {
            report_error(format, &e);
            return exit::USAGE;
        }
    };
    let request = Request {
        dir: &args.dir,
        account: args.account.as_deref(),
        from,
        to,
    };
    let period = match period::roll_up(&request) {
        Ok(period) => period,
        Err(e) => {
            report_error(format, &e);
            return if e.is_usage() {
                exit::USAGE
            } else {
                exit::FAILED
            };
        }
    };
    let written = match &args.out {
        Some(dir) => write_all(dir, &period).map(|names| {
            if !args.log.quiet {
                say(
                    format,
                    &format!(
                        "wrote {} in {}",
                        names.join(", "),
                        printable(&dir.display().to_string())
                    ),
                );
            }
        }),
        None => {
            let bytes = match args.format {
                PeriodFormat::Md => period::markdown(&period).into_bytes(),
                PeriodFormat::Json => period::json(&period),
                PeriodFormat::Csv => period::csv(&period),
            };
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(&bytes).and_then(|()| stdout.flush()) {
                Ok(()) => Ok(()),
                // `changes ... | head`: the reader chose to stop.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(format!("cannot write the change log to stdout: {e}")),
            }
        }
    };
    if let Err(e) = written {
        report_error(format, &e);
        return exit::FAILED;
    }
    let gaps = period.gaps.len();
    if gaps == 0 {
        if !args.log.quiet {
            say(
                format,
                &format!(
                    "{} change(s) from {from} to {to}; no gap in the series",
                    period.change_count()
                ),
            );
        }
        exit::COMPLETE
    } else {
        report_error(
            format,
            &format_args!(
                "{} change(s) from {from} to {to}; the series has {gaps} gap(s), listed in the log: the changes in them are not seen",
                period.change_count()
            ),
        );
        exit::PARTIAL
    }
}

/// A `YYYY-MM-DD` date.
fn date(flag: &str, raw: &str) -> Result<Date, String> {
    raw.trim().parse::<Date>().map_err(|_| {
        format!(
            "{flag} {:?} is not a date\nhint: give a day as YYYY-MM-DD, such as 2026-01-31",
            raw.escape_debug().to_string()
        )
    })
}

/// Writes the three forms into `dir`; returns their names.
fn write_all(dir: &Path, period: &Period) -> Result<Vec<String>, String> {
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "cannot create {}: {e}\nhint: --out needs a folder that exists or can be created",
            printable(&dir.display().to_string())
        )
    })?;
    let stem = format!(
        "changes-{}-{}-{}",
        iru_fivetran_core::evidence::bundle::file_name_safe(Some(&period.account_id)),
        period.from,
        period.to
    );
    let forms: [(&str, Vec<u8>); 3] = [
        ("md", period::markdown(period).into_bytes()),
        ("json", period::json(period)),
        ("csv", period::csv(period)),
    ];
    let mut names = Vec::new();
    for (ext, bytes) in forms {
        let name = format!("{stem}.{ext}");
        write_private(&dir.join(&name), |w| w.write_all(&bytes)).map_err(|e| e.to_string())?;
        names.push(name);
    }
    Ok(names)
}
