//! The benchmark: a real collection against an in-process fake Fivetran of a chosen size and
//! latency, measured and compared with the least time its requests can take.
//!
//! ```sh
//! cargo build --release                       # the collector measured: target/release/iru-fivetran
//! cargo run --release --example bench -- --size medium
//! cargo run --release --example bench -- --size large --runs 3
//! cargo run --release --example bench -- --size medium --concurrency 1
//! cargo run --release --example bench -- --users 500 --connections 300 --latency-ms 50 --rate 4
//! cargo run --release --example bench -- --users 300 --teams 20 --groups 10 --connections 200 \
//!     --rate 100 --server-limit 30
//! cargo run --release --example bench -- --audit          # the audit trail, from PostgreSQL
//! cargo run --release --example bench -- --audit --audit-via snowflake   # through Snowflake's SQL API
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
//! `--server-limit N` puts a token bucket of N requests a second in front of the fake (a burst
//! of `--server-burst`, 429 with `Retry-After: 1` past it), the limit the collector does not
//! know and must find; a second table gives the requests, the 429s among them, the wall time,
//! `requests ÷ N` (the least time the limit allows) and wall over it.
//!
//! `--report html|md` also renders each run's bundle with `iru-fivetran report` (default
//! `--max-rows`), measured the same way, and prints a second table: the bundle's size, the
//! report's wall and CPU time, peak RSS and output size.
//!
//! `--audit` measures the audit trail instead ([`audit`]): a collection of `audit_trail.json`
//! from a local PostgreSQL holding 1,000,000 `LOG` rows.
//!
//! This file holds the constants and the run itself (the size, the fake, the runs, the tables);
//! `args` the command line, `collector` finding the collector and reading its `--help`,
//! `collect` one measured collection, `report` one measured report, `measure` running and
//! measuring a child, `round_trip` timing the fake, `table` printing the tables.

// The table on stdout is what the benchmark is for.
#![allow(clippy::print_stdout)]

mod args;
mod audit;
mod audit_snowflake;
mod collect;
mod collector;
mod measure;
mod report;
mod round_trip;
mod table;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser as _;
use iru_fivetran_fake::synthetic::{floor as floor_at, median};
use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer, Limit};

use args::Args;
use collect::{Measured, collect_once};
use collector::{collect_help, collector, default_concurrency};
use report::ReportMeasured;
use round_trip::{RTT_SAMPLES, round_trip};
use table::{print_table, seconds};

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

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The table of a run against `--server-limit`: one row per run.
fn print_limited(limit: f64, burst: f64, runs: &[Measured]) {
    println!("against a server limit of {limit}/s (burst {burst}, 429 with Retry-After: 1):");
    let mut rows = vec![
        [
            "run",
            "requests",
            "429s",
            "429 share",
            "wall",
            "requests ÷ limit",
            "wall / (requests ÷ limit)",
        ]
        .map(str::to_owned),
    ];
    for (n, m) in runs.iter().enumerate() {
        let least = m.served as f64 / limit;
        rows.push([
            (n + 1).to_string(),
            m.served.to_string(),
            m.refused.to_string(),
            format!("{:.1}%", 100.0 * m.refused as f64 / m.served.max(1) as f64),
            seconds(m.wall.as_secs_f64()),
            seconds(least),
            format!("{:.2}", m.wall.as_secs_f64() / least),
        ]);
    }
    print_table(&rows);
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
    if args.audit {
        return match args.audit_via {
            args::Via::Postgres => audit::run(args, &bin),
            args::Via::Snowflake => audit_snowflake::run(args, &bin),
        };
    }
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
        limit: args.server_limit.map(|n| Limit::new(n, args.server_burst)),
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
            "run {n}: wall {:.1} s, CPU {:.1} s, peak RSS {:.1} MiB, {} requests served ({} in the manifest, {} answered 429), fake's CPU {:.1} s",
            m.wall.as_secs_f64(),
            m.cpu.as_secs_f64(),
            m.peak_rss_kib as f64 / 1024.0,
            m.served,
            m.manifest_total,
            m.refused,
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
    if let Some(limit) = args.server_limit {
        print_limited(limit, args.server_burst, &runs);
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
