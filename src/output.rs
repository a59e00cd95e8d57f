//! What the user sees of a run: log lines on stderr (above the progress bars, if any), each
//! error once on stderr, the end-of-run tables on stderr, and the bundle path on stdout.
//! `collect` prints nothing else on stdout; the commands that print data (verify's and
//! doctor's `--format json`, report, diff, schema, completions, man) write it to stdout
//! themselves.
//!
//! Nothing here panics on a stream that cannot be written (`println!` and `eprintln!` do, and
//! are not used): stderr is written with [`to_stderr`], which drops an error (there is nowhere
//! left to report it, and the exit code and `--summary-json` still say how the run went);
//! stdout with [`print_bundle_path`], which says what became of the line so that the caller
//! can tell a reader that stopped reading (`| head`) from a stdout that failed (a full disk).

use std::fmt::Display;
use std::io::{self, IsTerminal as _, Write as _};

use indicatif::MultiProgress;
use tracing_subscriber::EnvFilter;

use crate::cli::{ColorChoice, LogArgs, LogFormat};
use crate::progress;
use iru_fivetran_core::env;
use iru_fivetran_core::exit;
use iru_fivetran_core::text;

/// Starts logging to stderr. `IRU_FIVETRAN_LOG` (or `RUST_LOG`) overrides `-v`/`-q`.
pub fn init_logging(args: &LogArgs, env_lookup: &dyn Fn(&str) -> Option<String>) {
    let directive = env_lookup(env::LOG)
        .or_else(|| env_lookup(env::RUST_LOG))
        .filter(|d| !d.trim().is_empty());
    let default = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) => "warn,iru_fivetran=info",
        (false, 1) => "info,iru_fivetran=debug",
        (false, _) => "debug,iru_fivetran=trace",
    };
    let filter = directive
        .and_then(|d| EnvFilter::try_new(d).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let terminal = std::io::stderr().is_terminal();
    // Colour only for a person at a terminal (never in pipes, cron mail or CI logs) unless
    // asked; NO_COLOR (any non-empty value) turns `auto` off.
    let colour = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && env_lookup(env::NO_COLOR).is_none_or(|v| v.is_empty()),
    };
    let progress = terminal && !args.quiet && args.log_format == LogFormat::Text;
    let writer = if progress {
        Writer::Above(progress::install())
    } else {
        Writer::Plain
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(colour)
        .with_target(false);
    // A second initialisation (tests calling `run` twice) keeps the first subscriber.
    let _ = match args.log_format {
        LogFormat::Text => builder.with_timer(Seconds).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The time of a text log line, to the second in UTC (`2026-12-06T19:30:24Z`): a person reads
/// it, and the order of the lines says the rest. JSON logs keep tracing's microseconds.
struct Seconds;

impl tracing_subscriber::fmt::time::FormatTime for Seconds {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        write!(
            w,
            "{}",
            jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    }
}

/// Where log lines go: straight to stderr, or above the progress bars.
#[derive(Clone)]
enum Writer {
    Plain,
    Above(MultiProgress),
}

/// One log event being written: buffered, then written whole (above the bars, if any).
struct Line {
    buf: Vec<u8>,
    above: Option<MultiProgress>,
}

impl std::io::Write for Line {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let write = || {
            let _ = io::stderr().lock().write_all(&self.buf);
        };
        match &self.above {
            Some(multi) => multi.suspend(write),
            None => write(),
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Writer {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            buf: Vec::new(),
            above: match self {
                Writer::Plain => None,
                Writer::Above(multi) => Some(multi.clone()),
            },
        }
    }
}

/// The end-of-run table on stderr: one row per artifact with its status, count and reason
/// (cut to one line). Not printed with `-q` or JSON logs.
pub fn artifact_table(rows: &[(&str, &str, usize, Option<&str>)]) {
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(8).max(8);
    let mut out = format!(
        "{:<width$}  {:<11}  {:>7}  reason\n",
        "artifact", "status", "items"
    );
    for (name, status, count, reason) in rows {
        let reason = reason.map(|r| text::one_line(r, 80)).unwrap_or_default();
        let row = format!("{name:<width$}  {status:<11}  {count:>7}  {reason}");
        out.push_str(row.trim_end());
        out.push('\n');
    }
    progress::suspend(|| to_stderr(&out));
}

/// The line that ends a run's table: how it went, in one line, and, with `next`, what to do
/// next with the bundle (`report`), its path quoted for a shell when it needs to be.
pub fn verdict_line(
    status: &str,
    artifacts: &[(&str, &str)],
    bundle: &std::path::Path,
    next: bool,
) -> String {
    let whole = artifacts
        .iter()
        .filter(|(_, s)| matches!(*s, "complete" | "unavailable"))
        .count();
    let not_whole: Vec<&str> = artifacts
        .iter()
        .filter(|(_, s)| !matches!(*s, "complete" | "unavailable"))
        .map(|(name, _)| *name)
        .collect();
    let how = if not_whole.is_empty() {
        format!("all {whole} artifacts whole")
    } else {
        format!(
            "{} of {} artifacts not whole ({}): see their reasons above",
            not_whole.len(),
            artifacts.len(),
            not_whole.join(", ")
        )
    };
    if !next {
        return format!("{status}: {how}");
    }
    format!(
        "{status}: {how}; next: iru-fivetran report {} --out report.html",
        shell_word(&bundle.display().to_string())
    )
}

/// `word` as one shell word: as it is when it holds only safe characters, else single-quoted.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+:,=@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Writes `text` to stderr as it is. A write error is dropped: a stderr that cannot be written
/// (a reader gone, a full disk) has nowhere to report it, and must not stop the run from
/// finishing its bundle and summary.
pub fn to_stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// [`to_stderr`] with a newline.
fn line_to_stderr(line: &str) {
    to_stderr(&format!("{line}\n"));
}

/// Prints an error once, on stderr: plain text, or a log event in JSON mode.
pub fn report_error(format: LogFormat, error: &dyn Display) {
    match format {
        LogFormat::Text => line_to_stderr(&format!("error: {error}")),
        LogFormat::Json => tracing::error!("{error}"),
    }
}

/// A line that is not an error, on stderr: plain text, or an info event in JSON mode.
pub fn say(format: LogFormat, line: &str) {
    match format {
        LogFormat::Text => line_to_stderr(line),
        LogFormat::Json => tracing::info!("{line}"),
    }
}

/// What became of a line written to stdout.
#[derive(Debug)]
pub enum Printed {
    /// It was written.
    Written,
    /// The reader had closed the pipe (`collect | head -0`, `| true`): it chose to stop
    /// reading, as `man | head` does; not an error.
    ReaderGone,
    /// Stdout could not be written (a full disk, an I/O error): the caller reports it and the
    /// exit code says so, as for any output that could not be written.
    Failed(io::Error),
}

/// Writes a bundle's path on stdout: the only line `collect` prints there, so a script can read
/// it with `$(...)`. Never panics; see [`Printed`].
pub fn print_bundle_path(path: &std::path::Path) -> Printed {
    let line = format!("{}\n", path.display());
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(line.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Printed::Written,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Printed::ReaderGone,
        Err(e) => Printed::Failed(e),
    }
}

/// The end-of-run summary of `--all-profiles`, on stderr: one line per profile with its status
/// and bundle or error. In text mode `-q` keeps it back only when every profile is complete;
/// in JSON mode it is one log event per profile, at a level that says how it went.
pub fn report_profiles(
    format: LogFormat,
    quiet: bool,
    runs: &[crate::commands::collect::all_profiles::ProfileRun],
) {
    match format {
        LogFormat::Text => {
            if quiet && runs.iter().all(|r| r.code == exit::COMPLETE) {
                return;
            }
            for line in profile_lines(runs) {
                line_to_stderr(&line);
            }
        }
        LogFormat::Json => {
            for run in runs {
                let (status, profile) = (run.status(), run.profile.as_str());
                match (&run.result, run.code) {
                    (Ok(bundle), exit::COMPLETE) => {
                        let bundle = bundle.display().to_string();
                        tracing::info!(profile, status, bundle, "profile summary");
                    }
                    (Ok(bundle), _) => {
                        let bundle = bundle.display().to_string();
                        tracing::warn!(profile, status, bundle, "profile summary");
                    }
                    (Err(error), _) => {
                        tracing::error!(profile, status, error = error.as_str(), "profile summary");
                    }
                }
            }
        }
    }
}

/// The text summary: a heading, then `profile  status  bundle-or-error`, columns aligned.
pub fn profile_lines(runs: &[crate::commands::collect::all_profiles::ProfileRun]) -> Vec<String> {
    let width = runs.iter().map(|r| r.profile.len()).max().unwrap_or(0);
    let mut lines = vec![format!("summary of {} profile(s):", runs.len())];
    lines.extend(runs.iter().map(|r| {
        let detail = match &r.result {
            Ok(bundle) => bundle.display().to_string(),
            Err(error) => error.clone(),
        };
        format!("  {:<width$}  {:<8}  {detail}", r.profile, r.status())
    }));
    lines
}
