//! `iru-fivetran report BUNDLE`: renders a bundle ([`report::render`]) and writes the page
//! atomically to `--out` (`0600`: it names people) or to stdout.
//!
//! A bundle that does not verify is still rendered, under a banner listing its problems, and
//! the exit code is 3. Only a path that is not a bundle at all (no readable manifest) gives no
//! report. `--out` inside the bundle is refused: an added file would break its verification.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use iru_fivetran_core::exit;
use iru_fivetran_core::files::write_private;
use iru_fivetran_core::report;
use iru_fivetran_core::text::printable;

use crate::cli::{DocumentFormat, ReportArgs};
use crate::output::{report_error, say};

/// Runs `iru-fivetran report`, returning the exit code.
pub fn command(args: &ReportArgs) -> u8 {
    let format = args.log.log_format;
    if let Some(out) = &args.out
        && let Some(problem) = out_in_bundle(out, &args.bundle)
    {
        report_error(format, &problem);
        return exit::USAGE;
    }
    // A page of HTML is no use on a screen: say where it goes instead of filling the terminal.
    if args.out.is_none()
        && args.format == DocumentFormat::Html
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
    {
        let dir = printable(&args.bundle.display().to_string());
        report_error(
            format,
            &format_args!(
                "the HTML report is a file to open in a browser, not text for this terminal\nhint: write it with `iru-fivetran report {dir} --out report.html`, read it here with --format md, or pipe it"
            ),
        );
        return exit::USAGE;
    }
    let format_of_report = match args.format {
        DocumentFormat::Html => report::Format::Html,
        DocumentFormat::Md => report::Format::Markdown,
    };
    let (text, trusted) = match report::render(
        &args.bundle,
        format_of_report,
        args.public_key.as_deref(),
        args.max_rows as usize,
    ) {
        Ok(rendered) => rendered,
        Err(found) => {
            if let Some(mistake) = super::folder_of_bundles(&args.bundle) {
                report_error(format, &mistake);
                return exit::FAILED;
            }
            for problem in &found.problems {
                report_error(format, problem);
            }
            report_error(
                format,
                &format_args!(
                    "no report: {} is not a bundle with a readable manifest.json; hint: give the directory `iru-fivetran collect` printed",
                    printable(&args.bundle.display().to_string())
                ),
            );
            return exit::FAILED;
        }
    };
    let written = match &args.out {
        Some(path) => write_private(path, |w| w.write_all(text.as_bytes()))
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "cannot write the report to {}: {}; hint: --out needs a path in an existing, writable directory",
                    printable(&path.display().to_string()),
                    e.source
                )
            }),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                Ok(()) => Ok(()),
                // `report | head`: the reader chose to stop.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(format!("cannot write the report to stdout: {e}")),
            }
        }
    };
    if let Err(e) = written {
        report_error(format, &e);
        return exit::FAILED;
    }
    let dir = printable(&args.bundle.display().to_string());
    if trusted {
        if !args.log.quiet {
            say(format, &done_line(args, &dir, "verified"));
        }
        exit::COMPLETE
    } else {
        report_error(
            format,
            &format_args!(
                "{}; the report carries a warning banner; hint: `iru-fivetran verify {dir}` lists the problems",
                done_line(args, &dir, "DOES NOT VERIFY")
            ),
        );
        exit::PARTIAL
    }
}

fn done_line(args: &ReportArgs, dir: &str, verdict: &str) -> String {
    let what = match args.format {
        DocumentFormat::Html => "HTML",
        DocumentFormat::Md => "Markdown",
    };
    let to = args.out.as_ref().map_or_else(
        || "stdout".to_owned(),
        |p| printable(&p.display().to_string()),
    );
    format!("{what} report of bundle {dir} ({verdict}) written to {to}")
}

/// An error when `out` would land inside the bundle: an added file makes a bundle fail
/// verification.
fn out_in_bundle(out: &Path, bundle: &Path) -> Option<String> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let (Ok(parent), Ok(bundle)) = (parent.canonicalize(), bundle.canonicalize()) else {
        return None;
    };
    parent.starts_with(&bundle).then(|| {
        format!(
            "--out {} is inside the bundle {}: a file added to a bundle makes it fail verification; hint: write the report beside the bundle, e.g. --out {}.html",
            printable(&out.display().to_string()),
            printable(&bundle.display().to_string()),
            printable(&bundle.display().to_string()),
        )
    })
}
