//! `iru-fivetran demo`: a real collection, for someone with no Fivetran key yet.
//!
//! It serves the sample account `fixtures/accounts/demo.json` (built into the binary: the data
//! lives in the repository, not in code) from the in-process fake Fivetran on loopback, two
//! items a page so every list spans pages, and runs the real collector against it with a
//! throwaway key. The account has users, teams and memberships, a paused Platform Connector,
//! and a list the key may not read (403): the bundle shows what a `forbidden` artifact and a
//! `partial` run look like. Sync times are moved to the last day, so `sync_history` has syncs
//! whenever the demo runs.
//!
//! The user's own credentials are never read: the collector gets the demo key and secret and
//! nothing else from the environment, and no credentials file.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::cli::{DemoArgs, LogArgs, LogFormat};
use crate::commands::collect;
use crate::config::{Account, Settings};
use crate::output;
use iru_fivetran_core::env;
use iru_fivetran_core::exit;
use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer};

/// The sample account, as the fake serves it.
const SAMPLE: &str = include_str!("../../fixtures/accounts/demo.json");

/// The demo's API key: only the loopback fake accepts it.
pub const DEMO_KEY: &str = "demo-key";
/// The demo's API secret: only the loopback fake accepts it.
pub const DEMO_SECRET: &str = "demo-secret-not-a-real-one";

/// Runs the demo; returns the exit code.
pub fn command(args: &DemoArgs, env_lookup: &dyn Fn(&str) -> Option<String>) -> u8 {
    let account = match sample(Timestamp::now()) {
        Ok(account) => account,
        Err(e) => {
            output::to_stderr(&format!(
                "error: the built-in sample account does not load: {e}\n"
            ));
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
            "demo: a sample Fivetran account is served at {} (no real account is contacted)\n",
            fake.api_url()
        ));
    }
    let settings = settings(&fake.api_url(), args);
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
    };
    let code = collect::run(&settings, outputs, &demo_env);
    if !args.quiet {
        explain(code, &args.out);
    }
    // The sample account has a list the key may not read: a partial bundle is the demo
    // working as intended.
    if code == exit::PARTIAL {
        exit::COMPLETE
    } else {
        code
    }
}

/// The sample account, its sync times moved so that the newest started an hour before `now`.
pub fn sample(now: Timestamp) -> Result<FakeAccount, String> {
    let mut account: FakeAccount = serde_json::from_str(SAMPLE).map_err(|e| e.to_string())?;
    let times = |v: &Value, field: &str| {
        v.get(field)
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
    };
    let newest = account
        .sync_history
        .values()
        .flatten()
        .filter_map(|s| times(s, "start_time"))
        .max();
    if let Some(newest) = newest {
        let shift = now.duration_since(newest) - SignedDuration::from_hours(1);
        for sync in account.sync_history.values_mut().flatten() {
            for field in ["start_time", "end_time"] {
                if let Some(t) = times(sync, field).and_then(|t| t.checked_add(shift).ok()) {
                    sync[field] = Value::String(t.to_string());
                }
            }
        }
    }
    Ok(account)
}

/// The `collect` the demo runs: the loopback fake's URL, `--out` and a rate high enough not
/// to make the demo wait; nothing from a vault file (whatever IRU_FIVETRAN_CREDENTIALS_FILE
/// says) or the user's settings.
fn settings(api_url: &str, demo: &DemoArgs) -> Settings {
    Settings {
        account: Account {
            api_url: Some(api_url.to_owned()),
            ..Account::default()
        },
        out: demo.out.clone(),
        rate: Some(50.0),
        ..Settings::default()
    }
}

/// What to look at in the bundle.
fn explain(code: u8, out: &Path) {
    let where_ = PathBuf::from(out);
    let lines = [
        String::new(),
        format!(
            "demo: the bundle is the directory printed on stdout, under {}",
            where_.display()
        ),
        "  manifest.json         what was collected, each file's sha256, requests, statuses".into(),
        "  users.json, teams.json  who can reach what: memberships embedded in each item".into(),
        "  audit_coverage.json   per destination, whether its audit trail leaves Fivetran".into(),
        "                        (one Platform Connector here is paused: see its verdict)".into(),
        "  hybrid_deployment_agents.json  'forbidden': the sample key may not read it, so the"
            .into(),
        "                        run is partial (exit 3 for a real account; the demo exits 0)"
            .into(),
        "  access.csv, users.csv, connections.csv  the same, for spreadsheets".into(),
        "  sha256sum -c SHA256SUMS  (inside the bundle) checks every file".into(),
        "  iru-fivetran report BUNDLE --out report.html  one page for reviewers (or --format md)"
            .into(),
        "run the demo again into the same --out and changes.json compares the two bundles".into(),
    ];
    if code == exit::COMPLETE || code == exit::PARTIAL {
        output::to_stderr(&(lines.join("\n") + "\n"));
    }
}

#[cfg(test)]
mod tests;
