//! What the user sees: log lines on stderr, errors once on stderr, the bundle path on stdout.

use std::fmt::Display;
use std::io::{IsTerminal as _, Write as _};
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::EnvFilter;

use crate::cli::{ColorChoice, LogArgs, LogFormat};
use crate::env;
use crate::exit;
use crate::text;

/// The progress display, set up by [`init_logging`] when a person watches (stderr is a
/// terminal, not `-q`, text logs): bars are drawn there, and log lines are printed above them.
static PROGRESS: OnceLock<MultiProgress> = OnceLock::new();

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
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        Writer::Above(PROGRESS.get_or_init(|| multi).clone())
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
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
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
            let _ = std::io::stderr().write_all(&self.buf);
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

/// Progress of a run, drawn only when a person watches (see [`init_logging`]); otherwise
/// every method does nothing, and pipes, cron mail and CI logs get the plain log lines only.
#[derive(Clone, Default)]
pub struct Progress {
    multi: Option<MultiProgress>,
    header: Option<ProgressBar>,
}

impl Progress {
    /// The run's progress: a header line (requests, quota) and one line per artifact.
    pub fn start() -> Self {
        let Some(multi) = PROGRESS.get().cloned() else {
            return Self::default();
        };
        let header = multi.add(ProgressBar::new_spinner());
        header.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        header.enable_steady_tick(std::time::Duration::from_millis(120));
        Self {
            multi: Some(multi),
            header: Some(header),
        }
    }

    /// Sets the header's text (requests so far, the quota left, a wait under way).
    pub fn status(&self, text: String) {
        if let Some(header) = &self.header {
            header.set_message(text);
        }
    }

    /// A line for one artifact, counting its items.
    pub fn artifact(&self, name: &'static str) -> ArtifactProgress {
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("  {spinner} {prefix:<26} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(name);
            bar.set_message("reading");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        ArtifactProgress { bar }
    }

    /// Removes the bars (the summary table follows).
    pub fn finish(&self) {
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
        if let Some(header) = &self.header {
            header.finish_and_clear();
        }
    }
}

/// One artifact's line.
#[derive(Clone)]
pub struct ArtifactProgress {
    bar: Option<ProgressBar>,
}

impl ArtifactProgress {
    /// Items so far.
    pub fn items(&self, count: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{count} item(s)"));
        }
    }

    /// Done: the final status and count stay on the line.
    pub fn done(&self, status: &str, count: usize) {
        if let Some(bar) = &self.bar {
            bar.finish_with_message(format!("{status}, {count} item(s)"));
        }
    }
}

/// The end-of-run table on stderr: one row per artifact with its status, count and reason
/// (cut to one line). Not printed with `-q` or JSON logs.
pub fn summary_table(rows: &[(&str, &str, usize, Option<&str>)]) {
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
    match PROGRESS.get() {
        Some(multi) => multi.suspend(|| eprint!("{out}")),
        None => eprint!("{out}"),
    }
}

/// Prints an error once, on stderr: plain text, or a log event in JSON mode.
pub fn report_error(format: LogFormat, error: &dyn Display) {
    match format {
        LogFormat::Text => eprintln!("error: {error}"),
        LogFormat::Json => tracing::error!("{error}"),
    }
}

/// A line that is not an error, on stderr: plain text, or an info event in JSON mode.
pub fn say(format: LogFormat, line: &str) {
    match format {
        LogFormat::Text => eprintln!("{line}"),
        LogFormat::Json => tracing::info!("{line}"),
    }
}

/// Writes the bundle path, the only line the tool ever prints on stdout.
#[allow(clippy::print_stdout)]
pub fn print_bundle_path(path: &std::path::Path) {
    println!("{}", path.display());
}

/// The end-of-run summary of `--all-profiles`, on stderr: one line per profile with its status
/// and bundle or error. In text mode `-q` keeps it back only when every profile is complete;
/// in JSON mode it is one log event per profile, at a level that says how it went.
pub fn report_profiles(format: LogFormat, quiet: bool, runs: &[crate::all_profiles::ProfileRun]) {
    match format {
        LogFormat::Text => {
            if quiet && runs.iter().all(|r| r.code == exit::COMPLETE) {
                return;
            }
            for line in summary_lines(runs) {
                eprintln!("{line}");
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
pub fn summary_lines(runs: &[crate::all_profiles::ProfileRun]) -> Vec<String> {
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
