//! `iru-fivetran demo`: a real collection, for someone with no Fivetran key yet.
//!
//! It serves the sample account `fixtures/accounts/demo.json` (built into the binary: the data
//! lives in the repository, not in code) from the in-process fake Fivetran on loopback, two
//! items a page so every list spans pages, and runs the real collector against it with a
//! throwaway key. The account has users, teams and memberships, an account-level Platform
//! Connector on its Snowflake destination whose tables a fake Snowflake SQL API serves
//! (`warehouse.rs`: the bundle has a real `audit_trail.json`), and a feature the account does
//! not have (Fivetran answers 403 "not enabled"): the bundle shows what an `unavailable`
//! artifact looks like. Every time in the sample is moved by the same amount so that the
//! newest sync started an hour ago and the Platform Connector's last sync is now: the
//! findings, the sync history and the audit trail read the same whenever the demo runs.
//!
//! Run again into the same `--out`, the sample account has changed the way accounts do (a
//! user made an administrator, a connection paused, a column hashed), and the audit trail
//! records who made two of the changes, so the second bundle's `changes.json` has something
//! to show, explained or not; the third run changes it back, and so on. After the run the
//! demo writes `report.html` beside the bundle and prints the commands to go on with, with
//! the real paths.
//!
//! The user's own credentials are never read: the collector gets the demo key and secret and
//! the demo's Snowflake source from a vault file the demo writes for the run, and nothing
//! else from the environment.

use std::io::Write as _;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::cli::{DemoArgs, LogArgs, LogFormat};
use crate::commands::collect;
use crate::config::{Account, Settings};
use crate::output;
use iru_fivetran_core::env;
use iru_fivetran_core::evidence::bundle;
use iru_fivetran_core::exit;
use iru_fivetran_core::files::write_private;
use iru_fivetran_core::report;
use iru_fivetran_core::text::printable;
use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer};
use warehouse::{Turn, Warehouse};

mod warehouse;
pub use warehouse::DEMO_SNOWFLAKE_TOKEN;

/// The sample account, as the fake serves it.
const SAMPLE: &str = include_str!("../../fixtures/accounts/demo.json");

/// The demo's API key: only the loopback fake accepts it.
pub const DEMO_KEY: &str = "demo-key";
/// The demo's API secret: only the loopback fake accepts it.
pub const DEMO_SECRET: &str = "demo-secret-not-a-real-one";

/// Runs the demo; returns the exit code.
pub fn command(args: &DemoArgs, env_lookup: &dyn Fn(&str) -> Option<String>) -> u8 {
    // The sample account alternates between two states, run after run into the same --out,
    // so that every run after the first has changes to show.
    let earlier = bundle::earlier(&args.out, Some(SAMPLE_ACCOUNT), 10_000);
    let runs_before = earlier.len();
    let changed = runs_before % 2 == 1;
    let turn = match (runs_before, changed) {
        (0, _) => Turn::First,
        (_, true) => Turn::Changed,
        (_, false) => Turn::ChangedBack,
    };
    let now = Timestamp::now();
    // The changes were made, and recorded, a second before this run.
    let made_at = now - SignedDuration::from_secs(1);
    // Placed in time once per folder: a later run keeps the placement of the bundle before it,
    // so that it differs from it by its changes alone, not by every time in it.
    let placed = earlier
        .first()
        .and_then(|e| placement(&args.out.join(&e.name)));
    let loaded = sample_placed(now, placed).and_then(|(mut account, shift)| {
        if changed {
            change_for_a_second_run(&mut account);
        }
        let platform = warehouse::platform(shift, turn, runs_before, made_at)?;
        Ok((account, platform))
    });
    let (account, platform) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            output::to_stderr(&format!(
                "error: the built-in sample account does not load: {e}\n"
            ));
            return exit::FAILED;
        }
    };
    let warehouse = match Warehouse::start(platform) {
        Ok(warehouse) => warehouse,
        Err(e) => {
            output::to_stderr(&format!("error: {e}\n"));
            return exit::FAILED;
        }
    };
    let options = FakeOptions {
        api_key: DEMO_KEY.into(),
        api_secret: DEMO_SECRET.into(),
        ..FakeOptions::default()
    };
    let fake = match FakeServer::start(account, options) {
        Ok(fake) => fake,
        Err(e) => {
            output::to_stderr(&format!(
                "error: cannot start the sample Fivetran on loopback: {e}\n"
            ));
            return exit::FAILED;
        }
    };
    if !args.quiet {
        output::to_stderr(&format!(
            "demo: a sample Fivetran account is served at {}, its Platform Connector's tables by a sample Snowflake at {} (no real account is contacted){}\n",
            fake.api_url(),
            warehouse.url(),
            match (runs_before, changed) {
                (0, _) => "",
                (_, true) => {
                    "; it has changed since the last demo run: a user made an administrator, a connection paused, a column hashed"
                }
                (_, false) => {
                    "; it has changed back since the last demo run: the administrator demoted, the connection resumed, the column unhashed"
                }
            }
        ));
    }
    let settings = settings(&fake.api_url(), warehouse.vault(), args);
    // Only the demo key and secret: the user's own credentials and settings are not read.
    let demo_env = |name: &str| match name {
        env::API_KEY => Some(DEMO_KEY.to_owned()),
        env::API_SECRET => Some(DEMO_SECRET.to_owned()),
        _ => None,
    };
    // How things are shown (NO_COLOR, IRU_FIVETRAN_LOG) is the user's to choose as usual.
    let log = LogArgs {
        verbose: 0,
        quiet: args.quiet,
        log_format: LogFormat::Text,
        color: args.color,
    };
    output::init_logging(&log, env_lookup);
    let outputs = collect::Outputs {
        log_format: LogFormat::Text,
        quiet: args.quiet,
        summary_json: None,
        archive: false,
        next_step: false,
    };
    let code = collect::run(&settings, outputs, &demo_env);
    if code != exit::COMPLETE && code != exit::PARTIAL {
        return code;
    }
    // Newest first: the bundle just written, then the one before it, if any.
    let mut written = bundle::earlier(&args.out, Some(SAMPLE_ACCOUNT), 10_000).into_iter();
    let Some(newest) = written.next() else {
        return code;
    };
    let bundle_dir = args.out.join(&newest.name);
    let previous = written.next().map(|e| args.out.join(e.name));
    let report_path = args.out.join("report.html");
    let report = write_report(&bundle_dir, &report_path);
    if let Err(e) = &report {
        output::to_stderr(&format!("error: {e}\n"));
    }
    if !args.quiet {
        let report = report.is_ok().then_some(report_path.as_path());
        explain(&bundle_dir, report, previous.as_deref(), changed);
    }
    if report.is_err() { exit::FAILED } else { code }
}

/// The account id of the sample account (its bundles are named after it).
pub const SAMPLE_ACCOUNT: &str = "sterling_paddock";

/// Renders the bundle's HTML report to `path` (beside the bundle, never inside it).
fn write_report(bundle_dir: &Path, path: &Path) -> Result<(), String> {
    let (text, _) = report::render(bundle_dir, report::Format::Html, None, 2000)
        .map_err(|e| format!("the demo's bundle could not be read back for its report: {e}"))?;
    write_private(path, |w| w.write_all(text.as_bytes())).map_err(|e| e.to_string())?;
    Ok(())
}

/// The sample account as it is the next time the demo runs into the same folder: changed
/// the way accounts change, so that `changes.json` has something to show.
fn change_for_a_second_run(account: &mut FakeAccount) {
    for user in &mut account.users {
        if user["id"] == "amber_quartz" {
            user["role"] = json!("Account Administrator");
        }
    }
    for connection in account
        .connections
        .iter_mut()
        .chain(account.connection_details.values_mut())
    {
        if connection["id"] == "crimson_atlas" {
            connection["paused"] = json!(true);
            connection["status"]["sync_state"] = json!("paused");
        }
    }
    if let Some(column) = account
        .connection_schemas
        .get_mut("fervent_ledger")
        .and_then(|s| s.pointer_mut("/schemas/public/tables/customers/columns/date_of_birth"))
    {
        column["hashed"] = json!(true);
    }
}

/// The sample account, every time in it moved by the same amount so that the newest sync
/// started an hour before `now`: the account reads the same, relative to now, whenever the
/// demo runs.
pub fn sample(now: Timestamp) -> Result<FakeAccount, String> {
    sample_placed(now, None).map(|(account, _)| account)
}

/// The user whose `created_at` tells how far a bundle's sample was moved.
const MARKER_USER: &str = "tidy_lantern";

/// The sample account moved by `shift` if given (a placement read back from an earlier
/// bundle), else as [`sample`] moves it; and how far it moved. Its Platform Connector's last
/// sync is `now` either way: it syncs continuously.
fn sample_placed(
    now: Timestamp,
    shift: Option<SignedDuration>,
) -> Result<(FakeAccount, SignedDuration), String> {
    let mut raw: Value = serde_json::from_str(SAMPLE).map_err(|e| e.to_string())?;
    let newest = raw
        .get("sync_history")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|by_connection| by_connection.values())
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|s| s.get("start_time")?.as_str()?.parse::<Timestamp>().ok())
        .max();
    // Whole milliseconds, the precision the sample's times are written back with, so that
    // `placement` reads back exactly this.
    let shift = shift.unwrap_or_else(|| {
        newest.map_or(SignedDuration::ZERO, |newest| {
            let shift = now.duration_since(newest) - SignedDuration::from_hours(1);
            SignedDuration::from_millis(i64::try_from(shift.as_millis()).unwrap_or(0))
        })
    });
    shift_times(&mut raw, shift);
    let synced = json!(now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
    for list in ["connections", "connection_details"] {
        let items: Box<dyn Iterator<Item = &mut Value>> = match raw.get_mut(list) {
            Some(Value::Array(items)) => Box::new(items.iter_mut()),
            Some(Value::Object(items)) => Box::new(items.values_mut()),
            _ => Box::new(std::iter::empty()),
        };
        for c in items.filter(|c| c["service"] == "fivetran_log") {
            c["succeeded_at"] = synced.clone();
        }
    }
    let account = serde_json::from_value(raw).map_err(|e| e.to_string())?;
    Ok((account, shift))
}

/// How far the sample in `bundle` was moved: its [`MARKER_USER`]'s `created_at` there, less
/// the sample's (written with the same precision). `None` when the bundle does not say
/// (edited, or not the demo's).
fn placement(bundle: &Path) -> Option<SignedDuration> {
    let mut sample: Value = serde_json::from_str(SAMPLE).ok()?;
    shift_times(&mut sample, SignedDuration::ZERO);
    let created = |users: &Value| -> Option<Timestamp> {
        users.as_array()?.iter().find(|u| u["id"] == MARKER_USER)?["created_at"]
            .as_str()?
            .parse()
            .ok()
    };
    let bytes =
        iru_fivetran_core::files::read_bounded(&bundle.join("users.json"), 16 * 1024 * 1024)
            .ok()?;
    let written: Value = serde_json::from_slice(&bytes).ok()?;
    Some(created(&written["items"])?.duration_since(created(&sample["users"])?))
}

/// Moves every RFC 3339 time in `value` by `shift`, keeping the precision it was written with.
fn shift_times(value: &mut Value, shift: SignedDuration) {
    match value {
        Value::String(s) => {
            let looks_like_a_time = s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T');
            if let Some(t) = looks_like_a_time
                .then(|| s.parse::<Timestamp>().ok())
                .flatten()
                .and_then(|t| t.checked_add(shift).ok())
            {
                let format = if s.contains('.') {
                    "%Y-%m-%dT%H:%M:%S%.3fZ"
                } else {
                    "%Y-%m-%dT%H:%M:%SZ"
                };
                *s = t.strftime(format).to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| shift_times(v, shift)),
        Value::Object(map) => map.values_mut().for_each(|v| shift_times(v, shift)),
        _ => {}
    }
}

/// The `collect` the demo runs: the loopback fake's URL, the demo's own vault file, `--out`
/// and a rate high enough not to make the demo wait; nothing from the user's vault file
/// (whatever IRU_FIVETRAN_CREDENTIALS_FILE says) or settings.
fn settings(api_url: &str, vault: &Path, demo: &DemoArgs) -> Settings {
    Settings {
        account: Account {
            api_url: Some(api_url.to_owned()),
            credentials_file: Some(vault.to_owned()),
            ..Account::default()
        },
        out: demo.out.clone(),
        rate: Some(50.0),
        ..Settings::default()
    }
}

/// What to look at in the bundle, and the commands to go on with, with the real paths.
fn explain(bundle_dir: &Path, report: Option<&Path>, previous: Option<&Path>, changed: bool) {
    let show = |p: &Path| {
        let absolute = std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        printable(&absolute.display().to_string())
    };
    let bin = command_name();
    let mut lines = vec![
        String::new(),
        format!("demo: the bundle is {}", show(bundle_dir)),
        "  manifest.json         what was collected, each file's sha256, requests, statuses; its"
            .into(),
        "                        `controls` maps each file to the SOC 2 and ISO 27001 controls"
            .into(),
        "  users.json, teams.json  who can reach what: memberships embedded in each item".into(),
        "  findings.json         the checks a reviewer starts from, each pass, fail or n/a".into(),
        "  audit_trail.json      who did what, read from the Platform Connector's tables in the"
            .into(),
        "                        (sample) Snowflake destination: the REST API has no audit log"
            .into(),
        "  audit_coverage.json   per destination, whether its audit trail leaves Fivetran".into(),
        "  hybrid_deployment_agents.json  'unavailable': Fivetran says the sample account does"
            .into(),
        "                        not have Hybrid Deployment; not a failure".into(),
        "  access.csv, users.csv, connections.csv  the same, for spreadsheets".into(),
    ];
    if previous.is_some() {
        lines.push(
            "  changes.json          what changed since the last demo run: a role, a pause, a column;"
                .into(),
        );
        lines.push(
            "                        the audit trail says who changed the role and the pause; nothing"
                .into(),
        );
        lines.push(
            "                        explains the column: findings.json FT-AUDIT-002 fails".into(),
        );
        if changed {
            lines.push(
                "                        findings.json: FT-ACCESS-001 fails, one administrator too many"
                    .into(),
            );
        }
    }
    lines.push(String::new());
    lines.push("next:".into());
    if let Some(report) = report {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        lines.push(format!("  {opener} {}", show(report)));
    }
    lines.push(format!("  {bin} verify {}", show(bundle_dir)));
    if let Some(previous) = previous {
        lines.push(format!(
            "  {bin} diff {} {}",
            show(previous),
            show(bundle_dir)
        ));
    } else {
        lines.push(format!(
            "  {bin} demo --out {}    (again: the sample account will have changed)",
            show(bundle_dir.parent().unwrap_or(bundle_dir))
        ));
    }
    output::to_stderr(&(lines.join("\n") + "\n"));
}

/// How to call this binary in a command to copy: `iru-fivetran` when that is what the shell
/// finds, else this binary's own path (as under `cargo run`).
fn command_name() -> String {
    let me = std::env::current_exe().ok();
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("iru-fivetran"))
            .find(|candidate| candidate.is_file())
    });
    match (me, on_path) {
        (Some(me), Some(found))
            if std::fs::canonicalize(&me).ok() == std::fs::canonicalize(&found).ok() =>
        {
            "iru-fivetran".into()
        }
        (Some(me), _) => printable(&me.display().to_string()),
        (None, _) => "iru-fivetran".into(),
    }
}

#[cfg(test)]
mod tests;
