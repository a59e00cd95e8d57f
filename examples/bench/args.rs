//! The benchmark's command line: [`Args`], and the preset sizes and latencies ([`Preset`]) its
//! flags override.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use iru_fivetran_fake::synthetic::SyntheticSize;

/// Benchmarks a collection against a fake Fivetran of the given size.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    /// Preset size and latency (medium: 2,000 users, 100 teams, 50 groups, 1,500 connections,
    /// 20 ms; large: 10,000 users, 500 teams, 200 groups, 10,000 connections, 5 ms; small: 20
    /// users, 3 teams, 3 groups, 10 connections, 5 ms). Flags below override its parts.
    #[arg(long, value_enum, default_value_t = Preset::Medium)]
    pub(crate) size: Preset,
    /// Users.
    #[arg(long)]
    pub(crate) users: Option<usize>,
    /// Teams.
    #[arg(long)]
    pub(crate) teams: Option<usize>,
    /// Groups (one destination each).
    #[arg(long)]
    pub(crate) groups: Option<usize>,
    /// Connections.
    #[arg(long)]
    pub(crate) connections: Option<usize>,
    /// Group and connection memberships of each user.
    #[arg(long)]
    pub(crate) memberships_per_user: Option<usize>,
    /// Make connection list items carry their whole detail (as Fivetran's OpenAPI declares),
    /// so that the collector reads one detail per service instead of one per connection.
    #[arg(long)]
    pub(crate) list_carries_detail: bool,
    /// Time the fake waits before answering each request, in milliseconds.
    #[arg(long)]
    pub(crate) latency_ms: Option<f64>,
    /// The collector's `--rate` (requests per second; its own default is 4).
    #[arg(long, default_value_t = 1000.0)]
    pub(crate) rate: f64,
    /// The collector's `--concurrency` (default: the collector's own default, read from its
    /// `--help`; 4 for a collector without the flag).
    #[arg(long)]
    pub(crate) concurrency: Option<usize>,
    /// Put a rate limit in front of the fake: a token bucket of N requests a second (a burst
    /// of `--server-burst`) answering 429 with `Retry-After: 1` past it. A second table gives
    /// the requests, the 429s, the wall time and `requests ÷ N`, the least time the limit
    /// allows.
    #[arg(long, value_name = "N")]
    pub(crate) server_limit: Option<f64>,
    /// The burst of `--server-limit`.
    #[arg(long, value_name = "N", default_value_t = 5.0)]
    pub(crate) server_burst: f64,
    /// Runs; the table gives the median wall and CPU time.
    #[arg(long, default_value_t = 1)]
    pub(crate) runs: usize,
    /// The collector binary (default: `iru-fivetran` beside this example's directory, i.e.
    /// `target/release/iru-fivetran`).
    #[arg(long, value_name = "PATH")]
    pub(crate) bin: Option<PathBuf>,
    /// Keep the bundles, each run's under DIR/run-N (default: a temporary directory, removed).
    #[arg(long, value_name = "DIR")]
    pub(crate) keep: Option<PathBuf>,
    /// Run every collection into the same `--out` (a temporary directory, or `--keep DIR`), so
    /// that from the second run on `changes` compares with the previous bundle: measures a run
    /// with a baseline. Use with `--runs 2` or more.
    #[arg(long)]
    pub(crate) same_out: bool,
    /// After each collection, render its bundle with `iru-fivetran report --format FORMAT`
    /// and measure that too.
    #[arg(long, value_name = "FORMAT")]
    pub(crate) report: Option<String>,
    /// Show the collector's info logs (with times) instead of running it with `-q`.
    #[arg(long)]
    pub(crate) verbose: bool,
    /// Show the collector's logs at this `IRU_FIVETRAN_LOG` filter (`debug` logs each request
    /// as it is sent), instead of running it with `-q`.
    #[arg(long, value_name = "FILTER")]
    pub(crate) log: Option<String>,
    /// Benchmark the audit trail instead: `audit_trail.json` read from a local PostgreSQL
    /// holding a Platform Connector's tables of the size below (see `audit.rs`).
    #[arg(long)]
    pub(crate) audit: bool,
    /// `--audit`: `LOG` rows.
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) audit_log_rows: u64,
    /// `--audit`: of them, user actions.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) audit_actions: u64,
    /// `--audit`: `AUDIT_TRAIL` rows (one in ten of their actions also in `LOG`).
    #[arg(long, default_value_t = 50_000)]
    pub(crate) audit_trail_rows: u64,
    /// `--audit`: the warehouse the tables are read from: the local PostgreSQL itself, or a
    /// fake Snowflake SQL API holding the same rows (see `audit_snowflake.rs`).
    #[arg(long, value_enum, default_value_t = Via::Postgres)]
    pub(crate) audit_via: Via,
    /// `--audit-via snowflake`: rows per partition of a result (the collector reads 5,000 rows
    /// a statement, so 1,000 makes five partitions a page).
    #[arg(long, default_value_t = 1_000)]
    pub(crate) audit_partition_rows: usize,
}

/// Where `--audit` reads the Platform Connector's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Via {
    /// The local PostgreSQL, over the PostgreSQL protocol.
    Postgres,
    /// A fake Snowflake SQL API on loopback, over HTTP.
    Snowflake,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Preset {
    Small,
    Medium,
    Large,
}

impl Preset {
    pub(crate) fn size(self) -> (SyntheticSize, f64) {
        match self {
            Preset::Small => (SyntheticSize::default(), 5.0),
            Preset::Medium => (SyntheticSize::medium(), 20.0),
            Preset::Large => (SyntheticSize::large(), 5.0),
        }
    }
}
