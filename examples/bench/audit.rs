//! The audit-trail benchmark (`--audit`): a collection of `audit_trail.json` from a local
//! PostgreSQL holding a Platform Connector's tables of a chosen size (by default 1,000,000
//! `LOG` rows of which 100,000 are user actions, and 50,000 `AUDIT_TRAIL` rows, one in ten of
//! whose actions `LOG` records too), measured like the collections of the main benchmark.
//!
//! ```sh
//! cargo build --release --locked
//! cargo run --release --locked --example bench -- --audit
//! cargo run --release --locked --example bench -- --audit --audit-log-rows 100000 --audit-actions 10000 --audit-trail-rows 5000
//! ```
//!
//! It starts a server from the machine's PostgreSQL binaries (`iru_fivetran_fake::postgres`,
//! with `pg_stat_statements` preloaded when the server has it), generates the tables inside it
//! (`Volume::sql`), gives a reader exactly the grants `doctor` prints, serves the fixture
//! account with its Platform Connector's last sync at the tables' base, and runs the collector
//! with `--resources audit_trail` and an audit source in a vault file (plain text on loopback,
//! the default `page_rows` and `statement_timeout`). The server's statistics are reset before
//! each run and read once the reader's connections have ended. The table:
//! - `rows scanned`: rows the server read from the three tables for the reader (its
//!   `pg_stat_user_tables`: sequential tuples read plus index fetches), however many passes;
//! - `rows read`: rows it sent to the collector (the manifest's `rows_read`);
//! - `items`: items written to `audit_trail.json`;
//! - `statements`: statements the reader ran (`pg_stat_statements` calls, the transaction's
//!   `BEGIN` and `ROLLBACK` included), `n/a` without that module; each is fetched
//!   `page_rows` rows at a time;
//! - `API requests`: requests the fake Fivetran served (the account, its lists, the details);
//! - `wall`, `rows scanned/s`, `rows read/s`, `CPU`, `peak RSS`: the collector's, measured as
//!   in the main benchmark (`measure`).
//!
//! On stderr, per run: each table's scans and each statement's calls and server time. The run fails
//! unless the bundle holds exactly the actions generated.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use iru_fivetran_core::warehouse::postgres::{Dialect, grants};
use iru_fivetran_fake::postgres::{LocalPostgres, PEOPLE, StartError, Volume};
use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer};
use jiff::Timestamp;

use crate::args::Args;
use crate::measure::run_measured;
use crate::table::{print_table, seconds};
use crate::{KEY, SECRET};

const SUPER_PASSWORD: &str = "bench-super-password";
const READER: &str = "iru_reader";
const READER_PASSWORD: &str = "bench-reader-password";
pub(crate) const DATABASE: &str = "analytics";
pub(crate) const SCHEMA: &str = "fivetran_metadata";
/// How long to wait for the reader's server processes to end (and flush their statistics)
/// after the collector exits.
const SETTLE: Duration = Duration::from_secs(10);

/// The local PostgreSQL with the Platform Connector's tables of the size `args` asks for
/// generated inside it, a reader with the grants `doctor` prints, and whether it counts
/// statements; the tables' newest row is at the returned time.
pub(crate) fn load(args: &Args) -> Result<(LocalPostgres, bool, Timestamp, Volume), String> {
    let volume = Volume {
        log_rows: args.audit_log_rows,
        actions: args.audit_actions,
        trail_rows: args.audit_trail_rows,
        twin_every: 10,
    };
    if volume.actions > volume.log_rows || volume.twins() > volume.actions {
        return Err("--audit-actions must be at most --audit-log-rows, and at least a tenth of --audit-trail-rows".into());
    }
    let (server, counts_statements) = start_server()?;
    server.psql("postgres", &format!("CREATE DATABASE {DATABASE};"))?;
    let base =
        Timestamp::from_second(Timestamp::now().as_second() - 60).map_err(|e| e.to_string())?;
    let mut sql = volume.sql(SCHEMA, &base.to_string());
    sql.push_str(&format!(
        "CREATE ROLE {READER} LOGIN PASSWORD '{READER_PASSWORD}';\n"
    ));
    for grant in grants(Dialect::Postgres, DATABASE, SCHEMA, READER) {
        sql.push_str(&grant);
        sql.push('\n');
    }
    if counts_statements {
        sql.push_str("CREATE EXTENSION pg_stat_statements;\n");
    }
    let loading = Instant::now();
    server.psql(DATABASE, &sql)?;
    eprintln!(
        "generated {} LOG rows ({} user actions, {} of them twins of AUDIT_TRAIL actions), {} AUDIT_TRAIL rows, {PEOPLE} people in {:.1} s",
        volume.log_rows,
        volume.actions,
        volume.twins(),
        volume.trail_rows,
        loading.elapsed().as_secs_f64()
    );
    Ok((server, counts_statements, base, volume))
}

/// Runs the audit-trail benchmark with the collector `bin`.
pub(crate) fn run(args: &Args, bin: &Path) -> Result<(), String> {
    let (server, counts_statements, base, volume) = load(args)?;
    let fake = fake_account(base)?;
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let vault = write_vault(dir.path(), server.port())?;
    let out = args
        .keep
        .clone()
        .unwrap_or_else(|| dir.path().join("evidence"));
    let mut rows = vec![
        [
            "run",
            "rows scanned",
            "rows read",
            "items",
            "statements",
            "API requests",
            "wall",
            "rows scanned/s",
            "rows read/s",
            "CPU",
            "peak RSS",
        ]
        .map(str::to_owned),
    ];
    for n in 1..=args.runs.max(1) {
        let reset = if counts_statements {
            "SELECT pg_stat_reset(); SELECT pg_stat_statements_reset();"
        } else {
            "SELECT pg_stat_reset();"
        };
        server.psql(DATABASE, reset)?;
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
        let requests = fake.requests().len() - requests_before;
        let (facts, items, read) = complete_trail(&run.output.stdout, &volume)?;
        settle(&server)?;
        let scanned = scanned(&server, n)?;
        let statements = if counts_statements {
            statements(&server, n)?.to_string()
        } else {
            "n/a".to_owned()
        };
        let wall = run.wall.as_secs_f64();
        rows.push([
            n.to_string(),
            scanned.to_string(),
            read.to_string(),
            items.to_string(),
            statements,
            requests.to_string(),
            seconds(wall),
            format!("{:.0}", scanned as f64 / wall),
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
        "audit trail: {} LOG rows ({} user actions), {} AUDIT_TRAIL rows, {PEOPLE} people",
        volume.log_rows, volume.actions, volume.trail_rows
    );
    print_table(&rows);
    Ok(())
}

/// The audit source's facts in the manifest of the bundle whose path the collector printed
/// (`stdout`), its items and rows read; an error unless it is complete with exactly the
/// actions `volume` made.
pub(crate) fn complete_trail(
    stdout: &[u8],
    volume: &Volume,
) -> Result<(serde_json::Value, u64, u64), String> {
    let bundle = String::from_utf8_lossy(stdout).trim().to_owned();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&bundle).join("manifest.json"))
            .map_err(|e| format!("{bundle}/manifest.json: {e}"))?,
    )
    .map_err(|e| format!("manifest.json: {e}"))?;
    let facts = manifest["audit_trail"]["sources"][0].clone();
    let items = facts["items_kept"].as_u64().unwrap_or(0);
    if facts["status"] != "complete" || items != volume.items() {
        return Err(format!(
            "the audit trail is {} with {items} items, not complete with {}: {}",
            facts["status"],
            volume.items(),
            facts["reason"]
        ));
    }
    let read = facts["rows_read"].as_u64().unwrap_or(0);
    Ok((facts, items, read))
}

/// The server, with `pg_stat_statements` loaded if it has the module (then `true`).
fn start_server() -> Result<(LocalPostgres, bool), String> {
    let preload = [("shared_preload_libraries", "pg_stat_statements")];
    match LocalPostgres::start_with(SUPER_PASSWORD, None, &preload) {
        Ok(server) => Ok((server, true)),
        Err(StartError::NotInstalled) => Err(StartError::NotInstalled.to_string()),
        Err(e) => {
            eprintln!("note: no pg_stat_statements ({e}); statements are not counted");
            LocalPostgres::start(SUPER_PASSWORD, None)
                .map(|server| (server, false))
                .map_err(|e| e.to_string())
        }
    }
}

/// The fixture account, its Platform Connector on the warehouse last synced at `base`.
fn fake_account(base: Timestamp) -> Result<FakeServer, String> {
    synced_account(base, "quiet_abacus")
}

/// The fixture account, its Platform Connector `connector` resumed and last synced at `base`.
pub(crate) fn synced_account(base: Timestamp, connector: &str) -> Result<FakeServer, String> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/accounts/acme.json");
    let mut account = FakeAccount::load(&fixture)?;
    for c in account
        .connections
        .iter_mut()
        .chain(account.connection_details.values_mut())
    {
        if c["id"] == connector {
            c["succeeded_at"] = serde_json::Value::String(base.to_string());
            c["paused"] = false.into();
        }
    }
    FakeServer::start(
        account,
        FakeOptions {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            page_size: 1000,
            ..FakeOptions::default()
        },
    )
    .map_err(|e| format!("fake server: {e}"))
}

/// A vault file (`0600`) in `dir` with the key, the secret and the audit source on `port`.
fn write_vault(dir: &Path, port: u16) -> Result<std::path::PathBuf, String> {
    vault_with(
        dir,
        &format!(
            "kind = \"postgres\"\ndestination = \"sturdy_kiln\"\nhost = \"127.0.0.1\"\nport = {port}\n\
             database = \"{DATABASE}\"\nuser = \"{READER}\"\npassword = \"{READER_PASSWORD}\"\ntls = \"disable\"\n"
        ),
    )
}

/// A vault file (`0600`) in `dir` with the key, the secret and one audit source, `source` its
/// keys.
pub(crate) fn vault_with(dir: &Path, source: &str) -> Result<std::path::PathBuf, String> {
    let vault = dir.join("vault.toml");
    std::fs::write(
        &vault,
        format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n\n[[audit_sources]]\n{source}"),
    )
    .map_err(|e| format!("{}: {e}", vault.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&vault, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", vault.display()))?;
    }
    Ok(vault)
}

/// Waits until the reader has no server process left: a process flushes its table statistics
/// when it ends, so they are whole only then.
fn settle(server: &LocalPostgres) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let left = server.psql(
            DATABASE,
            &format!("SELECT count(*) FROM pg_stat_activity WHERE usename = '{READER}';"),
        )?;
        if left.trim() == "0" {
            return Ok(());
        }
        if started.elapsed() > SETTLE {
            return Err(format!(
                "the reader's connections did not end within {} s",
                SETTLE.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Rows the server read from the tables of [`SCHEMA`] since the last reset; each table's
/// scans and rows go to stderr.
fn scanned(server: &LocalPostgres, run: usize) -> Result<u64, String> {
    let out = server.psql(
        DATABASE,
        &format!(
            "SELECT relname, seq_scan, coalesce(idx_scan, 0), \
                    seq_tup_read + coalesce(idx_tup_fetch, 0) \
             FROM pg_stat_user_tables WHERE schemaname = '{SCHEMA}' ORDER BY relname;"
        ),
    )?;
    let mut total = 0;
    for line in out.lines().filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split('|').collect();
        let [table, seq, idx, rows] = cells[..] else {
            return Err(format!("pg_stat_user_tables: unexpected line {line:?}"));
        };
        let rows: u64 = rows
            .parse()
            .map_err(|e| format!("pg_stat_user_tables: {line:?}: {e}"))?;
        eprintln!(
            "run {run}: {table}: {seq} sequential scan(s), {idx} index scan(s), {rows} rows read"
        );
        total += rows;
    }
    Ok(total)
}

/// Statements the reader ran since the last reset (`pg_stat_statements` calls); each one, with
/// its server time, goes to stderr. (Not its rows: a statement fetched in pages counts only the
/// rows of its last page there.)
fn statements(server: &LocalPostgres, run: usize) -> Result<u64, String> {
    let out = server.psql(
        DATABASE,
        &format!(
            "SELECT s.calls, round(s.total_exec_time)::bigint, \
                    left(regexp_replace(s.query, '\\s+', ' ', 'g'), 100) \
             FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid \
             WHERE r.rolname = '{READER}' ORDER BY s.total_exec_time DESC;"
        ),
    )?;
    let mut total = 0;
    for line in out.lines().filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.splitn(3, '|').collect();
        let [calls, ms, query] = cells[..] else {
            return Err(format!("pg_stat_statements: unexpected line {line:?}"));
        };
        let calls: u64 = calls
            .parse()
            .map_err(|e| format!("pg_stat_statements: {line:?}: {e}"))?;
        eprintln!("run {run}: {calls} call(s), {ms} ms on the server: {query}");
        total += calls;
    }
    Ok(total)
}
