//! The audit-trail benchmark through Snowflake's SQL API (`--audit --audit-via snowflake`):
//! the same tables as `audit.rs` generates in a local PostgreSQL, read out once
//! (`iru_fivetran_fake::postgres::dump`) into the fake Snowflake SQL API on loopback
//! (`iru_fivetran_fake::snowflake`), which answers each statement from them, splitting each
//! result into partitions of `--audit-partition-rows` rows. The collector reads it as it reads a
//! customer's Snowflake: a programmatic access token, one `POST /api/v2/statements` per page of
//! at most `page_rows` (5,000) rows, each further partition a `GET ...?partition=N`, every
//! request through the shared sender. The fixture account's Platform Connector `lone_sextant`
//! on its Snowflake destination is resumed and last synced at the tables' newest row.
//!
//! ```sh
//! cargo run --release --locked --example bench -- --audit --audit-via snowflake \
//!   --audit-log-rows 200000 --audit-actions 100000 --audit-trail-rows 50000
//! ```
//!
//! The table:
//! - `statements`: `POST /api/v2/statements` the fake answered (the catalog's included);
//! - `partitions`: `GET /api/v2/statements/{handle}?partition=N` it answered;
//! - `SQL API requests`: everything it answered (statements, partitions, polls, refusals);
//! - `rows read`, `items`: as in `audit.rs` (the manifest's `rows_read`, `items_kept`);
//! - `API requests`: requests the fake Fivetran served;
//! - `wall`, `rows read/s`, `CPU`, `peak RSS`: the collector's, measured as in the main benchmark.
//!
//! The run fails unless the bundle holds exactly the actions generated, complete.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use iru_fivetran_fake::postgres::{PEOPLE, dump};
use iru_fivetran_fake::snowflake::{FakeSnowflake, Faults, Login};

use crate::args::Args;
use crate::audit::{DATABASE, SCHEMA, complete_trail, load, synced_account, vault_with};
use crate::measure::run_measured;
use crate::table::{print_table, seconds};

/// The token the fake accepts.
const TOKEN: &str = "bench-snowflake-token";

/// Runs the audit-trail benchmark through the fake Snowflake with the collector `bin`.
pub(crate) fn run(args: &Args, bin: &Path) -> Result<(), String> {
    let (server, _, base, volume) = load(args)?;
    let dumping = Instant::now();
    let platform = dump::platform(&server, DATABASE, SCHEMA)?;
    let rows: usize = platform.tables.iter().map(|t| t.rows.len()).sum();
    // The rows now live in the fake; the PostgreSQL server is no longer needed.
    drop(server);
    let login = Login {
        account: "ACME-PROD".into(),
        user: "IRU_READER".into(),
        public_key: None,
        token: Some(TOKEN.into()),
    };
    let faults = Faults {
        partition_rows: args.audit_partition_rows,
        ..Faults::default()
    };
    let sf = FakeSnowflake::start(login, platform, faults)
        .map_err(|e| format!("fake snowflake: {e}"))?;
    eprintln!(
        "{rows} rows read out of PostgreSQL into the fake Snowflake in {:.1} s",
        dumping.elapsed().as_secs_f64()
    );

    let fake = synced_account(base, "lone_sextant")?;
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let vault = vault_with(
        dir.path(),
        &format!(
            "kind = \"snowflake\"\naccount = \"acme-prod\"\nuser = \"iru_reader\"\n\
             database = \"FIVETRAN_DB\"\nwarehouse = \"AUDIT_WH\"\ndestination = \"warm_harbor\"\n\
             url = \"{}\"\ntoken = \"{TOKEN}\"\n",
            sf.url()
        ),
    )?;
    let out = args
        .keep
        .clone()
        .unwrap_or_else(|| dir.path().join("evidence"));
    let mut table = vec![
        [
            "run",
            "statements",
            "partitions",
            "SQL API requests",
            "rows read",
            "items",
            "API requests",
            "wall",
            "rows read/s",
            "CPU",
            "peak RSS",
        ]
        .map(str::to_owned),
    ];
    for n in 1..=args.runs.max(1) {
        let seen_before = sf.seen().len();
        let requests_before = fake.requests().len();
        let mut cmd = Command::new(bin);
        cmd.env_clear()
            .args(["collect", "--api-url", &fake.api_url(), "--rate", "1000"])
            .args(["--resources", "audit_trail", "-q", "--credentials-file"])
            .arg(&vault)
            .arg("--out")
            .arg(out.join(format!("run-{n}")))
            .stderr(Stdio::piped());
        let run = run_measured(cmd, bin, "the collector (a complete bundle is needed)")?;
        let seen = sf.seen();
        let seen = &seen[seen_before..];
        let statements = seen.iter().filter(|s| s.method == "POST").count();
        let partitions = seen
            .iter()
            .filter(|s| s.method == "GET" && s.target.contains("partition="))
            .count();
        let requests = fake.requests().len() - requests_before;
        let (facts, items, read) = complete_trail(&run.output.stdout, &volume)?;
        let wall = run.wall.as_secs_f64();
        table.push([
            n.to_string(),
            statements.to_string(),
            partitions.to_string(),
            seen.len().to_string(),
            read.to_string(),
            items.to_string(),
            requests.to_string(),
            seconds(wall),
            format!("{:.0}", read as f64 / wall),
            seconds(run.cpu.as_secs_f64()),
            format!("{:.1} MiB", run.peak_rss_kib as f64 / 1024.0),
        ]);
        eprintln!(
            "run {n}: {} reconnects, {} merged from LOG, {} system actions",
            facts["reconnects"], facts["merged_from_log"], facts["system_actions"]
        );
    }
    println!(
        "audit trail through the Snowflake SQL API: {} LOG rows ({} user actions), {} AUDIT_TRAIL rows, {PEOPLE} people, {} rows a partition",
        volume.log_rows, volume.actions, volume.trail_rows, args.audit_partition_rows
    );
    print_table(&table);
    Ok(())
}
