//! The benchmark: a real collection against an in-process fake Fivetran of a chosen size and
//! latency, measured and compared with the least time its requests can take.
//!
//! ```sh
//! cargo build --release                       # the collector measured: target/release/iru-fivetran
//! cargo run --release --example bench -- --size medium
//! cargo run --release --example bench -- --size large --runs 3
//! cargo run --release --example bench -- --size medium --concurrency 1
//! cargo run --release --example bench -- --users 500 --connections 300 --latency-ms 50 --rate 4
//! ```
//!
//! It generates the account ([`FakeAccount::synthetic`]), serves it on loopback at 1,000 items a
//! page (Fivetran's `limit=1000`) after `--latency-ms` per request, and runs the release binary
//! of the collector as a child process (so the CPU time and peak RSS measured are the
//! collector's, not the fake's) with a fresh `--out` each run, `-q`, and real waits; the fake
//! reports an hourly quota no run can reach. It prints one table on stdout; each run's details,
//! the plan per artifact, and the fake's real round trip (50 sequential requests timed, with the
//! floor recomputed at it) go to stderr. Columns: see `docs/performance.md`. `--keep DIR` keeps
//! the bundles; `--log debug` shows the collector's log, one line per request sent.
//!
//! CPU time comes from `getrusage(RUSAGE_CHILDREN)` once the child is reaped (the difference
//! across the run). Peak RSS is the collector's `VmHWM`, read from `/proc/<pid>/status` every
//! 10 ms while it runs: on Linux, getrusage's `maxrss` of a child includes the parent's RSS at
//! fork (here the fake and its whole generated account), so it would measure the benchmark,
//! not the collector. Without `/proc` (macOS), getrusage's figure is shown. With `--runs N`,
//! the largest run's.
//!
//! `--report html|md` also renders each run's bundle with `iru-fivetran report` (default
//! `--max-rows`), measured the same way, and prints a second table: the bundle's size, the
//! report's wall and CPU time, peak RSS and output size.

// The table on stdout is what the benchmark is for.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use iru_fivetran_fake::synthetic::{SyntheticSize, floor as floor_at, median};
use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer};
use nix::sys::resource::{UsageWho, getrusage};

const KEY: &str = "bench-key";
const SECRET: &str = "bench-secret";
/// Items per page, as Fivetran's largest `limit`.
const PAGE_SIZE: usize = 1000;
/// Sync-history windows of the collector's default `--since 24h`.
const SINCE_WINDOWS: usize = 1;
/// The hourly quota the fake reports: far more than any run sends.
const UNLIMITED_QUOTA: u64 = 1_000_000_000;
/// The follow-up requests in flight of a collector without `--concurrency` (its fixed
/// `resources::FAN_OUT`).
const FIXED_FAN_OUT: usize = 4;

/// Benchmarks a collection against a fake Fivetran of the given size.
#[derive(Debug, Parser)]
struct Args {
    /// Preset size and latency (medium: 2,000 users, 100 teams, 50 groups, 1,500 connections,
    /// 20 ms; large: 10,000 users, 500 teams, 200 groups, 10,000 connections, 5 ms; small: 20
    /// users, 3 teams, 3 groups, 10 connections, 5 ms). Flags below override its parts.
    #[arg(long, value_enum, default_value_t = Preset::Medium)]
    size: Preset,
    /// Users.
    #[arg(long)]
    users: Option<usize>,
    /// Teams.
    #[arg(long)]
    teams: Option<usize>,
    /// Groups (one destination each).
    #[arg(long)]
    groups: Option<usize>,
    /// Connections.
    #[arg(long)]
    connections: Option<usize>,
    /// Group and connection memberships of each user.
    #[arg(long)]
    memberships_per_user: Option<usize>,
    /// Make connection list items carry their whole detail (as Fivetran's OpenAPI declares),
    /// so that the collector reads one detail per service instead of one per connection.
    #[arg(long)]
    list_carries_detail: bool,
    /// Time the fake waits before answering each request, in milliseconds.
    #[arg(long)]
    latency_ms: Option<f64>,
    /// The collector's `--rate` (requests per second; its own default is 4).
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// The collector's `--concurrency` (default: the collector's own default, read from its
    /// `--help`; 4 for a collector without the flag).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Runs; the table gives the median wall and CPU time.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// The collector binary (default: `iru-fivetran` beside this example's directory, i.e.
    /// `target/release/iru-fivetran`).
    #[arg(long, value_name = "PATH")]
    bin: Option<PathBuf>,
    /// Keep the bundles, each run's under DIR/run-N (default: a temporary directory, removed).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Run every collection into the same `--out` (a temporary directory, or `--keep DIR`), so
    /// that from the second run on `changes` compares with the previous bundle: measures a run
    /// with a baseline. Use with `--runs 2` or more.
    #[arg(long)]
    same_out: bool,
    /// After each collection, render its bundle with `iru-fivetran report --format FORMAT`
    /// and measure that too.
    #[arg(long, value_name = "FORMAT")]
    report: Option<String>,
    /// Show the collector's info logs (with times) instead of running it with `-q`.
    #[arg(long)]
    verbose: bool,
    /// Show the collector's logs at this `IRU_FIVETRAN_LOG` filter (`debug` logs each request
    /// as it is sent), instead of running it with `-q`.
    #[arg(long, value_name = "FILTER")]
    log: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Preset {
    Small,
    Medium,
    Large,
}

impl Preset {
    fn size(self) -> (SyntheticSize, f64) {
        match self {
            Preset::Small => (SyntheticSize::default(), 5.0),
            Preset::Medium => (SyntheticSize::medium(), 20.0),
            Preset::Large => (SyntheticSize::large(), 5.0),
        }
    }
}

/// What one run measured.
struct Measured {
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
    served: u64,
    manifest_total: u64,
    fake_cpu: Duration,
    /// `--report`: the report of the run's bundle.
    report: Option<ReportMeasured>,
}

/// What rendering one bundle's report measured.
struct ReportMeasured {
    bundle_bytes: u64,
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
    output_bytes: u64,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    if cfg!(debug_assertions) {
        eprintln!("warning: built without --release: the fake is slow, figures are not comparable");
    }
    let (mut size, preset_latency) = args.size.size();
    let custom = [
        (args.users, &mut size.users),
        (args.teams, &mut size.teams),
        (args.groups, &mut size.groups),
        (args.connections, &mut size.connections),
        (args.memberships_per_user, &mut size.memberships_per_user),
    ]
    .into_iter()
    .fold(false, |custom, (given, field)| match given {
        Some(n) => {
            *field = n;
            true
        }
        None => custom,
    });
    size.list_carries_detail = args.list_carries_detail;
    let custom = custom || args.list_carries_detail;
    size.now = jiff::Timestamp::now();
    let latency = Duration::from_secs_f64(args.latency_ms.unwrap_or(preset_latency) / 1000.0);
    let bin = collector(args.bin.as_deref())?;
    let help = collect_help(&bin)?;
    let supports_concurrency = help.contains("--concurrency");
    let (concurrency, pass_concurrency) = match (args.concurrency, supports_concurrency) {
        (Some(n), true) => (n, Some(n)),
        (Some(n), false) => {
            eprintln!(
                "warning: {} has no --concurrency: it runs with its fixed fan-out of {FIXED_FAN_OUT}, not {n}",
                bin.display()
            );
            (FIXED_FAN_OUT, None)
        }
        (None, true) => (
            default_concurrency(&help).ok_or("cannot read the collector's default --concurrency from its --help: pass --concurrency N")?,
            None,
        ),
        (None, false) => (FIXED_FAN_OUT, None),
    };
    let generating = Instant::now();
    let account = FakeAccount::synthetic(&size);
    eprintln!(
        "generated {} users, {} teams, {} groups, {} connections, {} memberships per user in {:.1} s",
        size.users,
        size.teams,
        size.groups,
        size.connections,
        size.memberships_per_user,
        generating.elapsed().as_secs_f64()
    );
    let options = FakeOptions {
        api_key: KEY.into(),
        api_secret: SECRET.into(),
        page_size: PAGE_SIZE,
        latency,
        // The fake's hour never rolls: a quota of Fivetran's 20,000 would stop a large run at
        // the collector's --reserve. The benchmark measures the collector, not the quota.
        quota: UNLIMITED_QUOTA,
        remaining: UNLIMITED_QUOTA,
        ..FakeOptions::default()
    };
    let fake = FakeServer::start(account, options).map_err(|e| format!("fake server: {e}"))?;
    // Today's request plan for this size; see SyntheticSize::plan for the formula.
    let plan = size.plan(PAGE_SIZE, SINCE_WINDOWS);
    let floor = floor_at(plan.total(), args.rate, latency, concurrency);
    let parts: Vec<String> = plan.parts.iter().map(|(n, r)| format!("{n} {r}")).collect();
    eprintln!(
        "plan: {} requests ({}); floor {:.1} s",
        plan.total(),
        parts.join(", "),
        floor.as_secs_f64()
    );

    let mut runs = Vec::with_capacity(args.runs);
    for n in 1..=args.runs.max(1) {
        let m = collect_once(&bin, &fake, args, pass_concurrency, n)?;
        if let Some(r) = &m.report {
            eprintln!(
                "run {n}: report in {:.2} s, peak RSS {:.1} MiB, {} bytes",
                r.wall.as_secs_f64(),
                r.peak_rss_kib as f64 / 1024.0,
                r.output_bytes
            );
        }
        eprintln!(
            "run {n}: wall {:.1} s, CPU {:.1} s, peak RSS {:.1} MiB, {} requests served ({} in the manifest), fake's CPU {:.1} s",
            m.wall.as_secs_f64(),
            m.cpu.as_secs_f64(),
            m.peak_rss_kib as f64 / 1024.0,
            m.served,
            m.manifest_total,
            m.fake_cpu.as_secs_f64()
        );
        if m.served != m.manifest_total {
            return Err(format!(
                "the fake served {} requests but the manifest counts {}",
                m.served, m.manifest_total
            ));
        }
        runs.push(m);
    }
    if args.same_out && args.keep.is_none() {
        let shared =
            std::env::temp_dir().join(format!("iru-fivetran-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(shared);
    }

    // What the fake really takes per request (timer resolution and loopback HTTP on top of
    // the latency), and the floor at that round trip: wall over it is the collector's own share.
    let rtt = round_trip(&fake)?;
    let rtt_floor = floor_at(plan.total(), args.rate, rtt, concurrency);
    let secs = |f: fn(&Measured) -> Duration| {
        let values: Vec<f64> = runs.iter().map(|m| f(m).as_secs_f64()).collect();
        median(&values).unwrap_or_default()
    };
    let wall = secs(|m| m.wall);
    let cpu = secs(|m| m.cpu);
    let requests = runs.iter().map(|m| m.served).max().unwrap_or_default();
    let peak = runs
        .iter()
        .map(|m| m.peak_rss_kib)
        .max()
        .unwrap_or_default();
    let name = if custom {
        "custom".to_owned()
    } else {
        format!("{:?}", args.size).to_lowercase()
    };
    let conc = if supports_concurrency {
        concurrency.to_string()
    } else {
        format!("{concurrency}*")
    };
    println!(
        "{name}: {} users, {} teams, {} groups, {} connections, {} memberships per user{}",
        size.users,
        size.teams,
        size.groups,
        size.connections,
        size.memberships_per_user,
        if size.list_carries_detail {
            ", connection list items carry their detail"
        } else {
            ""
        }
    );
    let table = [
        [
            "latency",
            "rate",
            "conc",
            "runs",
            "requests",
            "plan",
            "floor",
            "wall",
            "wall/floor",
            "CPU",
            "CPU/wall",
            "peak RSS",
        ]
        .map(str::to_owned),
        [
            format!("{} ms", latency.as_secs_f64() * 1000.0),
            format!("{}/s", args.rate),
            conc,
            runs.len().to_string(),
            requests.to_string(),
            plan.total().to_string(),
            seconds(floor.as_secs_f64()),
            seconds(wall),
            format!("{:.2}", wall / floor.as_secs_f64()),
            seconds(cpu),
            format!("{:.0}%", 100.0 * cpu / wall),
            format!("{:.0} MiB", peak as f64 / 1024.0),
        ],
    ];
    print_table(&table);
    eprintln!(
        "the fake's round trip: {:.2} ms (mean of {RTT_SAMPLES} sequential requests); floor at it {:.1} s, wall / that {:.2}",
        rtt.as_secs_f64() * 1000.0,
        rtt_floor.as_secs_f64(),
        wall / rtt_floor.as_secs_f64()
    );
    if !supports_concurrency {
        println!("* the collector has no --concurrency flag: its fixed fan-out of {FIXED_FAN_OUT}");
    }
    if let Some(format) = &args.report {
        let reports: Vec<&ReportMeasured> = runs.iter().filter_map(|m| m.report.as_ref()).collect();
        let secs = |f: fn(&ReportMeasured) -> Duration| {
            let values: Vec<f64> = reports.iter().map(|r| f(r).as_secs_f64()).collect();
            median(&values).unwrap_or_default()
        };
        let max = |f: fn(&ReportMeasured) -> u64| reports.iter().map(|r| f(r)).max().unwrap_or(0);
        let mib = |bytes: u64| format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0));
        println!("report --format {format} of each run's bundle (default --max-rows):");
        print_table(&[
            ["bundle", "wall", "CPU", "peak RSS", "report"].map(str::to_owned),
            [
                mib(max(|r| r.bundle_bytes)),
                seconds(secs(|r| r.wall)),
                seconds(secs(|r| r.cpu)),
                format!("{:.0} MiB", max(|r| r.peak_rss_kib) as f64 / 1024.0),
                mib(max(|r| r.output_bytes)),
            ],
        ]);
    }
    Ok(())
}

/// Renders `bundle` with `iru-fivetran report` as a child process and measures it.
fn report_once(bin: &Path, bundle: &Path, format: &str) -> Result<ReportMeasured, String> {
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

/// What running one child measured.
struct ChildRun {
    output: std::process::Output,
    wall: Duration,
    /// The child's user and system time.
    cpu: Duration,
    peak_rss_kib: u64,
}

/// Runs `cmd` (stdout and stderr piped unless it says otherwise) and measures it; an exit
/// other than success is an error naming `what`, with its stderr.
fn run_measured(mut cmd: Command, bin: &Path, what: &str) -> Result<ChildRun, String> {
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

/// One collection: a fresh `--out`, the collector as a child, its resource use.
fn collect_once(
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
        manifest_total: manifest["requests"]["total"].as_u64().unwrap_or_default(),
        fake_cpu: self_after.cpu.saturating_sub(self_before.cpu),
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

struct Usage {
    /// User plus system time.
    cpu: Duration,
    max_rss_kib: u64,
}

fn usage(who: UsageWho) -> Result<Usage, String> {
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

/// The collector binary: `--bin`, else `iru-fivetran` beside this program, or above it when it
/// is in `examples/` (`target/release/examples/bench` → `target/release/iru-fivetran`).
fn collector(given: Option<&Path>) -> Result<PathBuf, String> {
    let bin = match given {
        Some(path) => path.to_owned(),
        None => {
            let me = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
            let mut dir = me.parent().ok_or("cannot find this program's directory")?;
            if dir.file_name().is_some_and(|name| name == "examples") {
                dir = dir.parent().unwrap_or(dir);
            }
            dir.join(format!("iru-fivetran{}", std::env::consts::EXE_SUFFIX))
        }
    };
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(&bin) else {
        return Err(format!(
            "{} not found\nhint: build it first with `cargo build --release`, or pass --bin PATH",
            bin.display()
        ));
    };
    // `cargo run --example` rebuilds the library, not the binary: warn when it looks stale.
    let me = std::env::current_exe().ok();
    if given.is_none()
        && me
            .as_deref()
            .and_then(modified)
            .is_some_and(|me| me > built)
    {
        eprintln!(
            "warning: {} is older than this benchmark; run `cargo build --release` if the source changed",
            bin.display()
        );
    }
    Ok(bin)
}

/// Requests timed by [`round_trip`].
const RTT_SAMPLES: u32 = 50;

/// The mean time of a request to the fake, from connect to the last byte of the answer, over
/// [`RTT_SAMPLES`] sequential `GET /v1/account/info` (a small answer, as most are).
fn round_trip(fake: &FakeServer) -> Result<Duration, String> {
    use std::io::{Read as _, Write as _};
    let url = fake.api_url();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_owned();
    let auth = base64_basic(KEY, SECRET);
    let started = Instant::now();
    for _ in 0..RTT_SAMPLES {
        let mut stream = std::net::TcpStream::connect(&host).map_err(|e| format!("{host}: {e}"))?;
        write!(
            stream,
            "GET /v1/account/info HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n"
        )
        .and_then(|()| stream.read_to_end(&mut Vec::new()))
        .map_err(|e| format!("{host}: {e}"))?;
    }
    Ok(started.elapsed() / RTT_SAMPLES)
}

/// `key:secret` in base64, for the Basic authorization header.
fn base64_basic(key: &str, secret: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
}

/// The text of `bin collect --help`.
fn collect_help(bin: &Path) -> Result<String, String> {
    let help = Command::new(bin)
        .args(["collect", "--help"])
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    Ok(String::from_utf8_lossy(&help.stdout).into_owned())
}

/// The default `--concurrency` the help text gives: the first number after "default" in the
/// flag's description ("(default 8, ...)" or clap's "[default: 8]").
fn default_concurrency(help: &str) -> Option<usize> {
    let flag = &help[help.find("--concurrency")?..];
    let after = &flag[flag.find("default")? + "default".len()..];
    after
        .trim_start_matches([' ', ':'])
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Seconds with two decimals below 10, one above.
fn seconds(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Prints rows with columns aligned, the first row a header.
fn print_table<const N: usize>(rows: &[[String; N]]) {
    let widths: Vec<usize> = (0..N)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:>w$}"))
            .collect();
        println!("{}", cells.join("  "));
    }
}
