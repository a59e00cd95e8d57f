//! One measured collection: the collector run as a child against the fake, into a fresh (or
//! the shared) `--out`, with the requests the fake served, the manifest's count and the fake's
//! own CPU time ([`Measured`]), and the bundle's report when `--report` asks.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use iru_fivetran_fake::FakeServer;
use nix::sys::resource::UsageWho;

use crate::args::Args;
use crate::measure::{run_measured, usage};
use crate::report::{ReportMeasured, report_once};
use crate::{KEY, SECRET};

/// What one run measured.
pub(crate) struct Measured {
    pub(crate) wall: Duration,
    pub(crate) cpu: Duration,
    pub(crate) peak_rss_kib: u64,
    pub(crate) served: u64,
    /// Of those, answered 429 (`--server-limit`).
    pub(crate) refused: u64,
    pub(crate) manifest_total: u64,
    pub(crate) fake_cpu: Duration,
    /// `--report`: the report of the run's bundle.
    pub(crate) report: Option<ReportMeasured>,
}

/// One collection: a fresh `--out`, the collector as a child, its resource use.
pub(crate) fn collect_once(
    bin: &Path,
    fake: &FakeServer,
    args: &Args,
    concurrency: Option<usize>,
    n: usize,
) -> Result<Measured, String> {
    // A fresh directory each run, so `changes` finds no earlier bundle to compare with.
    let temp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let out = match (&args.keep, args.same_out) {
        (Some(dir), true) => dir.clone(),
        (Some(dir), false) => dir.join(format!("run-{n}")),
        (None, true) => {
            std::env::temp_dir().join(format!("iru-fivetran-bench-{}", std::process::id()))
        }
        (None, false) => temp.path().to_owned(),
    };
    let mut cmd = Command::new(bin);
    // A cleared environment: no IRU_FIVETRAN_TEST_NO_DELAY, no proxy, no credentials file.
    cmd.env_clear()
        .env("FIVETRAN_API_KEY", KEY)
        .env("FIVETRAN_API_SECRET", SECRET)
        .args(["collect", "--api-url", &fake.api_url()])
        .args(["--rate", &args.rate.to_string()])
        .arg("--out")
        .arg(&out);
    if let Some(n) = concurrency {
        cmd.args(["--concurrency", &n.to_string()]);
    }
    if let Some(filter) = &args.log {
        cmd.env("IRU_FIVETRAN_LOG", filter).stderr(Stdio::inherit());
    } else if args.verbose {
        cmd.stderr(Stdio::inherit());
    } else {
        cmd.arg("-q").stderr(Stdio::piped());
    }
    let served_before = fake.requests().len() as u64;
    let self_before = usage(UsageWho::RUSAGE_SELF)?;
    let run = run_measured(cmd, bin, "the collector (a complete bundle is needed)")?;
    let self_after = usage(UsageWho::RUSAGE_SELF)?;
    let output = &run.output;
    let bundle = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let manifest = std::fs::read_to_string(Path::new(&bundle).join("manifest.json"))
        .map_err(|e| format!("{bundle}/manifest.json: {e}"))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&manifest).map_err(|e| format!("manifest.json: {e}"))?;
    let report = match &args.report {
        Some(format) => Some(report_once(bin, Path::new(&bundle), format)?),
        None => None,
    };
    Ok(Measured {
        report,
        wall: run.wall,
        cpu: run.cpu,
        peak_rss_kib: run.peak_rss_kib,
        served: fake.requests().len() as u64 - served_before,
        refused: fake.requests()[served_before as usize..]
            .iter()
            .filter(|r| r.status == 429)
            .count() as u64,
        manifest_total: manifest["requests"]["total"].as_u64().unwrap_or_default(),
        fake_cpu: self_after.cpu.saturating_sub(self_before.cpu),
    })
}
