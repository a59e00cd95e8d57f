//! The progress display of a run, drawn on stderr only when a person watches (stderr is a
//! terminal, not `-q`, text logs): a header line (requests, quota, waits) and one line per
//! artifact (`queued` until its first request is sent, then its items). Log lines are printed
//! above the bars ([`crate::output`]), but not the line per artifact: the bars show it
//! ([`drawn`]). The bars are cleared, for good, before the end-of-run table. Pipes, cron mail
//! and CI logs get the plain log lines only.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use iru_fivetran_core::client::{Client, SendHook, StatsSnapshot};

/// The progress display, set up by [`install`] when a person watches: bars are drawn there,
/// and log lines are printed above them.
static PROGRESS: OnceLock<MultiProgress> = OnceLock::new();

/// Sets up the progress display (once) and returns it, for the log writer to print above.
pub(crate) fn install() -> MultiProgress {
    PROGRESS
        .get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        .clone()
}

/// Whether progress bars are drawn (a person at a terminal): the line per artifact is then
/// left to the bars.
pub(crate) fn drawn() -> bool {
    PROGRESS.get().is_some()
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
    /// Every artifact's bar, to clear them all at the end.
    bars: Arc<Mutex<Vec<ProgressBar>>>,
}

impl Progress {
    /// The run's progress: a header line (requests, quota) and one line per artifact.
    pub fn start() -> Self {
        let Some(multi) = PROGRESS.get().cloned() else {
            return Self::default();
        };
        // An earlier run of this process (`--all-profiles`) hid the display when it ended.
        multi.set_draw_target(ProgressDrawTarget::stderr());
        let header = multi.add(ProgressBar::new_spinner());
        header.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        header.enable_steady_tick(std::time::Duration::from_millis(120));
        Self {
            multi: Some(multi),
            header: Some(header),
            bars: Arc::default(),
        }
    }

    /// Sets the header's text (requests so far, the quota left, a wait under way).
    pub fn status(&self, text: String) {
        if let Some(header) = &self.header {
            header.set_message(text);
        }
    }

    /// A line for one artifact, counting its items: `queued` until its first request is sent
    /// (see [`ArtifactProgress::send_hook`]) when it `asks` the API, else `reading` (a derived
    /// artifact reads the bundle).
    pub fn artifact(&self, name: &'static str, asks: bool) -> ArtifactProgress {
        let stage = if asks { Stage::Queued } else { Stage::Reading };
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("  {spinner} {prefix:<26} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(name);
            bar.set_message(stage.message());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            self.bars
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(bar.clone());
            bar
        });
        ArtifactProgress {
            bar,
            stage: Arc::new(Mutex::new(stage)),
        }
    }

    /// Removes every bar and stops drawing, so that nothing is redrawn below the summary
    /// table or the error that follows.
    pub fn finish(&self) {
        let Some(multi) = &self.multi else {
            return;
        };
        // Cleared at once, then hidden: the bars removed next are not redrawn one by one, and
        // a later line printed "above" them (the table, an error) redraws nothing.
        let _ = multi.clear();
        multi.set_draw_target(ProgressDrawTarget::hidden());
        let bars = std::mem::take(&mut *self.bars.lock().unwrap_or_else(PoisonError::into_inner));
        for bar in bars.iter().chain(&self.header) {
            bar.finish_and_clear();
            multi.remove(bar);
        }
    }
}

/// What an artifact's line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for its first request to be sent (behind the pace, the requests in flight).
    Queued,
    /// Its requests are under way, no item yet.
    Reading,
    /// Items so far.
    Items(usize),
    /// Finished: its status and items.
    Done(String, usize),
}

impl Stage {
    /// The line's text.
    pub fn message(&self) -> String {
        match self {
            Stage::Queued => "queued".to_owned(),
            Stage::Reading => "reading".to_owned(),
            Stage::Items(n) => format!("{n} item(s)"),
            Stage::Done(status, n) => format!("{status}, {n} item(s)"),
        }
    }

    /// The stage once a request was sent: a queued artifact is being read; any other stays.
    pub fn sent(self) -> Self {
        match self {
            Stage::Queued => Stage::Reading,
            other => other,
        }
    }
}

/// One artifact's line.
#[derive(Clone)]
pub struct ArtifactProgress {
    bar: Option<ProgressBar>,
    stage: Arc<Mutex<Stage>>,
}

impl ArtifactProgress {
    fn set(&self, next: impl FnOnce(Stage) -> Stage) {
        let mut stage = self.stage.lock().unwrap_or_else(PoisonError::into_inner);
        let before = stage.clone();
        *stage = next(before.clone());
        if let Some(bar) = &self.bar
            && *stage != before
        {
            bar.set_message(stage.message());
        }
    }

    /// What the line says now.
    pub fn stage(&self) -> Stage {
        self.stage
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The hook the client calls when one of this artifact's requests is sent
    /// ([`iru_fivetran_core::client::watching`]).
    pub fn send_hook(&self) -> SendHook {
        let line = self.clone();
        Arc::new(move || line.set(Stage::sent))
    }

    /// Items so far.
    pub fn items(&self, count: usize) {
        self.set(|_| Stage::Items(count));
    }

    /// Done: the final status and count stay on the line until the bars are cleared.
    pub fn done(&self, status: &str, count: usize) {
        self.set(|_| Stage::Done(status.to_owned(), count));
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// The progress header: requests so far, the quota left, retries, 429s, the pace when
/// Fivetran slowed it (or the quota steers it), and the wall time requests were held back.
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
    // Time waited as wall time: the stretches of the run during which at least one request
    // was waiting, whatever for (ten requests waiting the same second count one second).
    // The sums per request (the manifest's `limiter_wait_ms`, `waited_ms`) say only why.
    let why: Vec<&str> = [
        (stats.limiter_wait_ms > 0, "the pace"),
        (stats.retries > 0, "retries"),
        (stats.rate_limited > 0, "Fivetran's 429s"),
        (stats.reserve_wait_ms > 0, "the quota reserve"),
    ]
    .into_iter()
    .filter_map(|(seen, what)| seen.then_some(what))
    .collect();
    let waited = if stats.wait_wall_ms >= 1000 && !why.is_empty() {
        format!(
            "; requests held back {} s of the run ({})",
            stats.wait_wall_ms / 1000,
            why.join(", ")
        )
    } else {
        String::new()
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
