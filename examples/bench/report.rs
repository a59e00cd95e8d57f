//! `--report`: rendering a run's bundle with `iru-fivetran report` as a child process, measured
//! like the collection, with the bundle's and the report's size ([`ReportMeasured`]).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::measure::run_measured;

/// What rendering one bundle's report measured.
pub(crate) struct ReportMeasured {
    pub(crate) bundle_bytes: u64,
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
    pub(crate) peak_rss_kib: u64,
    pub(crate) output_bytes: u64,
}

/// Renders `bundle` with `iru-fivetran report` as a child process and measures it.
pub(crate) fn report_once(
    bin: &Path,
    bundle: &Path,
    format: &str,
) -> Result<ReportMeasured, String> {
    let out = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let file = out.path().join("report");
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .arg("report")
        .arg(bundle)
        .args(["--format", format, "-q", "--out"])
        .arg(&file)
        .stderr(Stdio::piped());
    let run = run_measured(cmd, bin, "report")?;
    let size = |path: &Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bundle_bytes = std::fs::read_dir(bundle)
        .map_err(|e| format!("{}: {e}", bundle.display()))?
        .filter_map(Result::ok)
        .map(|e| size(&e.path()))
        .sum();
    Ok(ReportMeasured {
        bundle_bytes,
        wall: run.wall,
        cpu: run.cpu,
        peak_rss_kib: run.peak_rss_kib,
        output_bytes: size(&file),
    })
}
