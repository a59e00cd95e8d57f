//! The demo's audit trail: the sample account's Platform Connector (`lone_sextant`, on the
//! Snowflake destination `warm_harbor`) writes `LOG`, `AUDIT_TRAIL` and `USER`
//! (`fixtures/platform/demo-snowflake.json`), which a fake Snowflake SQL API on loopback serves
//! to the real collector, so the demo's bundle holds a real `audit_trail.json` read through
//! the same client, statements and checks as a customer's.
//!
//! Between runs the sample account changes (see `demo.rs`); the audit trail records two of the
//! three changes, a second before the run: Jonas Weber changed a user's role in the web UI
//! and paused (or resumed) a connection through the API. The third, a column hashed (or
//! unhashed), has no event: `changes.json` marks it `unexplained` and FT-AUDIT-002 fails,
//! which is what the feature is for.
//!
//! The collector reads the source from a vault file the demo writes into a private temporary
//! directory (mode 0700, removed when the demo ends): the demo key and secret, and a Snowflake
//! source with a token only the loopback fake accepts.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use iru_fivetran_core::files::write_private;
use iru_fivetran_fake::snowflake::{FakeSnowflake, Faults, Login, Platform, Table};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::{DEMO_KEY, DEMO_SECRET};

/// The Platform Connector's tables, as the fake serves them.
const PLATFORM: &str = include_str!("../../../fixtures/platform/demo-snowflake.json");

/// The demo's Snowflake token: only the loopback fake accepts it.
pub const DEMO_SNOWFLAKE_TOKEN: &str = "demo-snowflake-token-not-a-real-one";

/// The destination whose Platform Connector the demo reads.
const DESTINATION: &str = "warm_harbor";

/// How the sample account stands this run, against the run before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// The first run into this folder: nothing changed yet.
    First,
    /// A role raised, a connection paused, a column hashed.
    Changed,
    /// The same changes undone.
    ChangedBack,
}

/// The Platform Connector's tables: the fixture's rows with every time moved by `shift`, and
/// for a changed run the audit events of its changes at `at` (ids numbered by `run`).
pub fn platform(
    shift: SignedDuration,
    turn: Turn,
    run: usize,
    at: Timestamp,
) -> Result<Platform, String> {
    let raw: Value = serde_json::from_str(PLATFORM).map_err(|e| e.to_string())?;
    let schema = raw["schema"]
        .as_str()
        .ok_or("the Platform Connector's fixture has no schema")?;
    let mut platform = Platform {
        schema: schema.to_owned(),
        tables: Vec::new(),
    };
    for table in raw["tables"].as_array().into_iter().flatten() {
        let columns: Vec<(String, String)> = table["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| Some((c[0].as_str()?.to_owned(), c[1].as_str()?.to_owned())))
            .collect();
        let mut rows = Vec::new();
        for row in table["rows"].as_array().into_iter().flatten() {
            let cells = row.as_array().ok_or("a row that is not a list")?;
            if cells.len() != columns.len() {
                return Err(format!(
                    "a row of {} has {} values for {} columns",
                    table["name"],
                    cells.len(),
                    columns.len()
                ));
            }
            let mut out = Vec::with_capacity(cells.len());
            for (cell, (_, kind)) in cells.iter().zip(&columns) {
                let text = cell.as_str().map(str::to_owned);
                out.push(match text {
                    Some(t) if kind.starts_with("TIMESTAMP") => Some(moved(&t, shift)?),
                    t => t,
                });
            }
            rows.push(out);
        }
        platform.tables.push(Table {
            name: table["name"].as_str().unwrap_or_default().to_owned(),
            columns,
            rows,
            hidden: false,
        });
    }
    add_events(&mut platform, turn, run, at)?;
    Ok(platform)
}

/// A UTC wall-clock time as the SQL API returns it, moved by `shift`.
fn moved(time: &str, shift: SignedDuration) -> Result<String, String> {
    // A wall clock in UTC reads as the instant it names with a `Z`.
    let at = format!("{time}Z")
        .parse::<Timestamp>()
        .and_then(|t| t.checked_add(shift))
        .map_err(|e| format!("the Platform Connector's fixture has a bad time {time:?}: {e}"))?;
    Ok(wall_clock(at))
}

fn wall_clock(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// The audit events of a changed run's changes: the role and the pause (with the pause in
/// `LOG` too, as Fivetran writes both); the column's change has none.
fn add_events(
    platform: &mut Platform,
    turn: Turn,
    run: usize,
    at: Timestamp,
) -> Result<(), String> {
    let (role_from, role_to, paused_from, paused_to, action) = match turn {
        Turn::First => return Ok(()),
        Turn::Changed => (
            "Account Reviewer",
            "Account Administrator",
            false,
            true,
            "pause_connector",
        ),
        Turn::ChangedBack => (
            "Account Administrator",
            "Account Reviewer",
            true,
            false,
            "resume_connector",
        ),
    };
    let when = wall_clock(at);
    let trail = [
        vec![
            Some(format!("dm_at_run{run}_role")),
            Some(when.clone()),
            Some("brisk_falcon".into()),
            Some("EDIT".into()),
            Some("WEB_UI".into()),
            Some("USER".into()),
            Some("amber_quartz".into()),
            None,
            None,
            Some(json!({"role": role_from}).to_string()),
            Some(json!({"role": role_to}).to_string()),
        ],
        vec![
            Some(format!("dm_at_run{run}_pause")),
            Some(when.clone()),
            Some("brisk_falcon".into()),
            Some("EDIT".into()),
            Some("API".into()),
            Some("CONNECTION".into()),
            Some("crimson_atlas".into()),
            None,
            None,
            Some(json!({"paused": paused_from}).to_string()),
            Some(json!({"paused": paused_to}).to_string()),
        ],
    ];
    let log = vec![
        Some(format!("dm_l_run{run}_pause")),
        Some(when),
        Some("crimson_atlas".into()),
        Some("INFO".into()),
        Some(action.into()),
        Some(json!({"actor": "jonas.weber@acme.example", "id": "crimson_atlas"}).to_string()),
        None,
    ];
    table(platform, "AUDIT_TRAIL")?.rows.extend(trail);
    table(platform, "LOG")?.rows.push(log);
    Ok(())
}

fn table<'a>(platform: &'a mut Platform, name: &str) -> Result<&'a mut Table, String> {
    platform
        .tables
        .iter_mut()
        .find(|t| t.name == name)
        .ok_or_else(|| format!("the Platform Connector's fixture has no {name}"))
}

/// The fake Snowflake and the vault file that names it, removed when dropped.
pub struct Warehouse {
    fake: FakeSnowflake,
    dir: PathBuf,
    vault: PathBuf,
}

impl Warehouse {
    /// Starts the fake Snowflake with `platform` and writes the vault file for it.
    pub fn start(platform: Platform) -> Result<Self, String> {
        let login = Login {
            account: "STERLING-PADDOCK".into(),
            user: "IRU_READER".into(),
            public_key: None,
            token: Some(DEMO_SNOWFLAKE_TOKEN.into()),
        };
        let fake = FakeSnowflake::start(login, platform, Faults::default())
            .map_err(|e| format!("cannot start the sample Snowflake on loopback: {e}"))?;
        let dir = private_dir()?;
        let vault = dir.join("demo-vault.toml");
        let text = format!(
            "api_key = \"{DEMO_KEY}\"\napi_secret = \"{DEMO_SECRET}\"\n\n\
             [[audit_sources]]\nkind = \"snowflake\"\naccount = \"sterling-paddock\"\n\
             user = \"iru_reader\"\ndatabase = \"FIVETRAN_DB\"\nwarehouse = \"AUDIT_WH\"\n\
             role = \"IRU_AUDIT_READER\"\ndestination = \"{DESTINATION}\"\nurl = \"{}\"\n\
             token = \"{DEMO_SNOWFLAKE_TOKEN}\"\n",
            fake.url()
        );
        let written = write_private(&vault, |w| w.write_all(text.as_bytes()));
        let warehouse = Self { fake, dir, vault };
        written.map_err(|e| format!("cannot write the demo's vault file: {e}"))?;
        Ok(warehouse)
    }

    /// The vault file naming the fake Snowflake.
    pub fn vault(&self) -> &Path {
        &self.vault
    }

    /// The SQL API's root.
    pub fn url(&self) -> String {
        self.fake.url()
    }
}

impl Drop for Warehouse {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new directory only its owner may enter, under the system's temporary directory.
fn private_dir() -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "iru-fivetran-demo-{}-{nanos:08x}",
        std::process::id()
    ));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(&dir)
        .map_err(|e| format!("cannot make a private directory {}: {e}", dir.display()))?;
    Ok(dir)
}
