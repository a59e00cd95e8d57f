//! Running a child process and measuring it: wall time, CPU time from
//! `getrusage(RUSAGE_CHILDREN)` across the run, and peak RSS from the child's `VmHWM` polled in
//! `/proc/<pid>/status` (getrusage's figure where there is no `/proc`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};

/// What running one child measured.
pub(crate) struct ChildRun {
    pub(crate) output: std::process::Output,
    pub(crate) wall: Duration,
    /// The child's user and system time.
    pub(crate) cpu: Duration,
    pub(crate) peak_rss_kib: u64,
}

/// Runs `cmd` (stdout and stderr piped unless it says otherwise) and measures it; an exit
/// other than success is an error naming `what`, with its stderr.
pub(crate) fn run_measured(mut cmd: Command, bin: &Path, what: &str) -> Result<ChildRun, String> {
    let before = usage(UsageWho::RUSAGE_CHILDREN)?;
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let watcher = watch_peak_rss(child.id());
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let wall = started.elapsed();
    let polled_peak = watcher.join().unwrap_or(None);
    let after = usage(UsageWho::RUSAGE_CHILDREN)?;
    if !output.status.success() {
        return Err(format!(
            "{what} exited with {}:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(ChildRun {
        output,
        wall,
        cpu: after.cpu.saturating_sub(before.cpu),
        // getrusage's figure is no good on Linux: a child's maxrss starts at the parent's RSS
        // when it forks (the fake's whole account, here), folded in at exec. The child's own
        // high-water mark, VmHWM, is read while it runs instead.
        peak_rss_kib: polled_peak.unwrap_or(after.max_rss_kib),
    })
}

/// How often the collector's VmHWM is read while it runs.
const RSS_POLL: Duration = Duration::from_millis(10);

/// Reads `VmHWM` (the process's peak resident set, which only grows) from
/// `/proc/<pid>/status` every [`RSS_POLL`] until the process is gone, and returns the last
/// figure; `None` where there is no `/proc` (macOS: getrusage's figure is used there).
fn watch_peak_rss(pid: u32) -> std::thread::JoinHandle<Option<u64>> {
    std::thread::spawn(move || {
        let path = format!("/proc/{pid}/status");
        let mut peak = None;
        while let Ok(status) = std::fs::read_to_string(&path) {
            let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            else {
                break; // a zombie: its memory is gone, the last figure stands
            };
            peak = Some(peak.map_or(kib, |p: u64| p.max(kib)));
            std::thread::sleep(RSS_POLL);
        }
        peak
    })
}

/// Resource use from `getrusage`.
pub(crate) struct Usage {
    /// User plus system time.
    pub(crate) cpu: Duration,
    /// Peak resident set, in KiB.
    max_rss_kib: u64,
}

/// The resource use of `who` (this process, or its reaped children) so far.
pub(crate) fn usage(who: UsageWho) -> Result<Usage, String> {
    let u = getrusage(who).map_err(|e| format!("getrusage: {e}"))?;
    let time = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec().max(0) as u64)
            + Duration::from_micros(t.tv_usec().max(0) as u64)
    };
    // Kilobytes on Linux, bytes on macOS.
    let rss = u.max_rss().max(0) as u64;
    let max_rss_kib = if cfg!(target_os = "macos") {
        rss / 1024
    } else {
        rss
    };
    Ok(Usage {
        cpu: time(u.user_time()) + time(u.system_time()),
        max_rss_kib,
    })
}
