//! What the tests of each audit source share: the README's blocks they check against the
//! tool, and `doctor --format json` against a vault file with what a ready or a refused source
//! must show.

use std::path::Path;

use iru_fivetran_core::credentials::Vault;
use iru_fivetran_core::credentials::VaultAuditSource;
use serde_json::Value;

use super::{KEY, Run, SECRET, arg, run};

/// The text of the README's fenced block that follows `start` (which ends with the fence's
/// opening line), up to its closing fence.
pub fn readme_block(start: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let from = readme
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} in README.md"));
    let rest = &readme[from + start.len()..];
    rest[..rest.find("\n```\n").expect("end of block")].to_owned()
}

/// The one audit source of the README's vault entry that follows `start`, as the vault
/// parser reads it (the README's entry has no key: the tests' is added).
pub fn readme_source(start: &str) -> VaultAuditSource {
    let text = format!(
        "api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n{}",
        readme_block(start)
    );
    let Vault::Single(account) =
        iru_fivetran_core::credentials::parse_vault(&text).expect("the README's vault parses")
    else {
        panic!("one account")
    };
    let [raw] = &account.audit_sources[..] else {
        panic!("one audit source")
    };
    raw.clone()
}

/// `doctor --format json` on the fake Fivetran at `api_url` with `vault`: the run and its
/// report.
pub fn doctor_json(api_url: &str, vault: &Path) -> (Run, Value) {
    let run = run(
        &[
            "doctor",
            "--api-url",
            api_url,
            "--credentials-file",
            arg(vault),
            "--format",
            "json",
        ],
        &[],
    );
    let report: Value = serde_json::from_str(&run.stdout).expect("json report");
    (run, report)
}

/// The first audit source of a `doctor` report, checked ready: fine, connected, matched to the
/// Platform Connector `connector`, every table present and selectable, rows counted in the
/// window. Returns it and the grants it prints.
pub fn ready_source<'r>(report: &'r Value, connector: &str) -> (&'r Value, Vec<&'r str>) {
    let check = &report["audit_sources"][0];
    assert_eq!(check["fine"], true, "{check}");
    assert_eq!(check["connected"], true);
    assert_eq!(check["platform_connector"], connector);
    let tables = check["tables"].as_array().expect("tables");
    assert!(
        tables
            .iter()
            .all(|t| t["present"] == true && t["selectable"] == true)
    );
    assert!(tables[0]["rows_in_window"].as_u64().expect("counted") > 0);
    let grants = check["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| g.as_str().expect("text"))
        .collect();
    (check, grants)
}

/// The first audit source of a `doctor` report, checked refused: not fine, its detail naming
/// each of `said`, its hint pointing at the statements `doctor` prints.
pub fn refused_source(report: &Value, said: &[&str]) {
    let check = &report["audit_sources"][0];
    assert_eq!(check["fine"], false);
    let detail = check["detail"].as_str().expect("detail");
    assert!(said.iter().all(|s| detail.contains(s)), "{check}");
    assert!(
        check["hint"]
            .as_str()
            .expect("hint")
            .contains("doctor` prints the statements")
    );
}
