//! The progress display of a run, drawn on stderr only when a person watches (stderr is a
//! terminal, not `-q`, text logs): a header line (requests, quota, waits) and one line per
//! artifact. Log lines are printed above the bars ([`crate::output`]); pipes, cron mail and CI
//! logs get the plain log lines only.

use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use iru_fivetran_core::client::{Client, StatsSnapshot};

/// The progress display, set up by [`install`] when a person watches: bars are drawn there,
/// and log lines are printed above them.
static PROGRESS: OnceLock<MultiProgress> = OnceLock::new();

/// Sets up the progress display (once) and returns it, for the log writer to print above.
pub(crate) fn install() -> MultiProgress {
    PROGRESS
        .get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        .clone()
}

/// Runs `print` with the bars hidden, if there are any.
pub(crate) fn suspend(print: impl FnOnce()) {
    match PROGRESS.get() {
        Some(multi) => multi.suspend(print),
        None => print(),
    }
}

/// Progress of a run, drawn only when a person watches (see [`crate::output::init_logging`]); otherwise
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

/// The progress header: requests so far, the quota left, retries, 429s, the pace when
/// Fivetran slowed it (or the quota steers it), and time waited.
pub fn header(stats: &StatsSnapshot) -> String {
    let quota = stats
        .lowest_remaining
        .map_or_else(String::new, |r| format!(", hourly quota left {r}"));
    let retried = match stats.retries {
        0 => String::new(),
        n => format!(", {n} retried"),
    };
    let slowed = match stats.rate_limited {
        0 => String::new(),
        n => format!(", {n} slowed down by Fivetran (429)"),
    };
    let pace = if stats.slowdowns > 0 || stats.rate < stats.max_rate {
        let times = match stats.slowdowns {
            1 => "once".to_owned(),
            n => format!("{n} times"),
        };
        format!(
            ", now {:.1}/s of {}/s (slowed {times}, lowest {:.1}/s), {} of {} in flight",
            stats.rate, stats.max_rate, stats.lowest_rate, stats.in_flight, stats.max_in_flight
        )
    } else {
        String::new()
    };
    // Waits, shown as such: the limiter (--rate), Fivetran's 429s, the quota reserve.
    let waits: Vec<String> = [
        (stats.limiter_wait_ms, "on the rate limit"),
        (stats.waited_ms, "on retries and Fivetran's Retry-After"),
        (stats.reserve_wait_ms, "at the quota reserve"),
    ]
    .into_iter()
    .filter(|(ms, _)| *ms >= 1000)
    .map(|(ms, what)| format!("{} s {what}", ms / 1000))
    .collect();
    let waited = if waits.is_empty() {
        String::new()
    } else {
        format!("; waited, summed over requests: {}", waits.join(", "))
    };
    format!(
        "{} requests{quota}{retried}{slowed}{pace}{waited}",
        stats.requests
    )
}

/// Runs `work` while the progress header shows the requests so far and the quota left.
pub async fn ticking<T>(
    progress: &Progress,
    client: &Client,
    work: impl std::future::Future<Output = T>,
) -> T {
    let tick = async {
        loop {
            progress.status(header(&client.snapshot()));
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    };
    tokio::select! {
        out = work => out,
        never = tick => never,
    }
}

#[cfg(test)]
mod tests;
