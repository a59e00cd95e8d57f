//! `iru-fivetran demo`: a real collection of the built-in sample account, no key needed.

use base64::Engine as _;
use iru_fivetran::commands::demo::{DEMO_KEY, DEMO_SECRET, DEMO_SNOWFLAKE_TOKEN};
use serde_json::Value;

use crate::support::{self, KEY, SECRET};

#[test]
fn the_demo_writes_a_verifiable_bundle_and_never_reads_the_users_credentials() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = out.path().join("demo");
    let dir_arg = dir.to_str().expect("utf8");
    // The user's own credentials are in the environment: the demo must not use them.
    let run = support::run(
        &["demo", "--out", dir_arg],
        &[
            ("FIVETRAN_API_KEY", KEY),
            ("FIVETRAN_API_SECRET", SECRET),
            ("IRU_FIVETRAN_CREDENTIALS_FILE", "/nonexistent/vault.toml"),
        ],
    );
    run.assert_code(0);
    let bundle = run.bundle();
    assert!(bundle.starts_with(&dir), "{}", bundle.display());
    iru_fivetran_core::verify::verify(&bundle).expect("an intact bundle");

    let manifest = run.manifest();
    // A complete run: the one list Fivetran refuses is a feature the sample account does
    // not have, which is `unavailable`, not a failure.
    assert_eq!(manifest["status"], "complete");
    assert_eq!(
        support::manifest_artifact(&manifest, "hybrid_deployment_agents")["status"],
        "unavailable"
    );
    assert_eq!(
        support::manifest_artifact(&manifest, "users")["status"],
        "complete"
    );
    let syncs: usize = run.json("sync_history.json")["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["syncs"].as_array().map(Vec::len))
        .sum();
    assert!(syncs > 0, "the sample's syncs are moved into the last day");
    assert!(run.stderr.contains("audit_coverage.json"), "{}", run.stderr);
    assert!(run.stderr.contains("no real account is contacted"));

    // The report is written beside the bundle, never inside it, and the commands to go on
    // with name the real paths.
    let report = dir.join("report.html");
    let html = std::fs::read_to_string(&report).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..40]);
    assert!(!bundle.join("report.html").exists());
    let absolute = std::path::absolute(&bundle).expect("absolute");
    assert!(
        run.stderr
            .contains(&format!("verify {}", absolute.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "open {}",
            std::path::absolute(&report).expect("abs").display()
        )),
        "{}",
        run.stderr
    );

    // Neither the demo's secret nor the user's appears anywhere.
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_KEY}:{DEMO_SECRET}"));
    for needle in [DEMO_SECRET, basic.as_str(), DEMO_SNOWFLAKE_TOKEN] {
        assert!(!run.stdout.contains(needle) && !run.stderr.contains(needle));
        for file in support::files_under(&dir) {
            let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).into_owned();
            assert!(!text.contains(needle), "{needle} in {}", file.display());
        }
    }

    // Again into the same --out: changes.json compares the two bundles.
    // Its own vault file (the Snowflake token) lives in a private temporary directory that
    // is gone when the demo ends.
    let tmp = tempfile::tempdir().expect("tmp");
    let tmp_arg = tmp.path().to_str().expect("utf8");
    let again = support::run(
        &["demo", "--out", dir_arg, "--quiet"],
        &[("TMPDIR", tmp_arg)],
    );
    again.assert_code(0);
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("tmp")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(again.stderr.is_empty(), "quiet: {}", again.stderr);
    let changes = again.json("changes.json");
    assert_eq!(changes["status"], "complete", "{changes}");
    assert!(changes["baseline"]["bundle_id"].is_string(), "{changes}");
    // The sample account changed between the runs the way accounts do, and it shows.
    let text = changes.to_string();
    for what in ["amber_quartz", "crimson_atlas", "date_of_birth"] {
        assert!(text.contains(what), "{what} not in {changes}");
    }
    // Times are moved relative to now: the second run's findings read like the first's,
    // but for the administrators check, which the new administrator makes fail.
    let statuses = |run: &support::Run| -> Vec<(String, String)> {
        run.json("findings.json")["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|f| (f["id"].to_string(), f["status"].to_string()))
            .collect()
    };
    let (first, second) = (statuses(&run), statuses(&again));
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        match a.0.as_str() {
            "\"FT-ACCESS-001\"" => {
                assert_eq!((a.1.as_str(), b.1.as_str()), ("\"pass\"", "\"fail\""));
            }
            // Nothing to explain in the first; an unexplained column in the second.
            "\"FT-AUDIT-002\"" => {
                assert_eq!((a.1.as_str(), b.1.as_str()), ("\"n/a\"", "\"fail\""));
            }
            // The first run's window is the sample's last day: an inactive user's action and
            // an API secret generated; the second's starts where the first ended.
            "\"FT-AUDIT-003\"" | "\"FT-AUDIT-004\"" => {
                assert_eq!((a.1.as_str(), b.1.as_str()), ("\"fail\"", "\"pass\""));
            }
            _ => assert_eq!(a, b),
        }
    }
    assert_demo_audit_trail(&run, &again);
}

/// The demo's audit trail: read from the sample Snowflake, whole, and the second run's
/// changes each explained by it but one, exactly the three changes the demo makes.
fn assert_demo_audit_trail(first: &support::Run, second: &support::Run) {
    let trail = first.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(trail["sources"][0]["kind"], "snowflake");
    assert_eq!(trail["sources"][0]["platform_connector"], "lone_sextant");
    assert!(
        trail["items"].as_array().expect("items").len() >= 5,
        "{trail}"
    );
    let changes = second.json("changes.json");
    let mut seen: Vec<(String, String, String)> = changes["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (s(&c["kind"]), s(&c["id"]), s(&c["audit"]["status"]))
        })
        .collect();
    seen.sort();
    let expected = [
        ("column_hashed", "fervent_ledger", "unexplained"),
        ("connection_paused", "crimson_atlas", "explained"),
        ("user_role_changed", "amber_quartz", "explained"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    // Only the demo's three changes: the sample was not moved in time between the runs.
    assert_eq!(seen, expected, "{changes}");
    let explained = changes["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["kind"] == "user_role_changed")
        .expect("the role");
    assert_eq!(
        explained["audit"]["events"][0]["actor"]["email"],
        "jonas.weber@acme.example"
    );
    let findings = second.json("findings.json");
    let unexplained = findings["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|f| f["id"] == "FT-AUDIT-002")
        .expect("FT-AUDIT-002");
    assert_eq!(
        unexplained["items"][0]["id"], "fervent_ledger",
        "{unexplained}"
    );
    // The report beside the bundle shows the section.
    let html = std::fs::read_to_string(second.bundle().with_file_name("report.html"))
        .expect("report.html");
    assert!(html.contains("Audit trail"), "no audit-trail section");
    assert!(html.contains("jonas.weber@acme.example"));
}

/// The README's first screen: install, `iru-fivetran demo`, open the report it names. Run
/// where a newcomer runs it (a fresh folder, no `--out`), the demo writes the report at the
/// path the README's third command opens.
#[test]
fn the_readme_first_screen_is_true() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let block: Vec<&str> = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a first shell block")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(block.len(), 3, "install, demo, open: {block:?}");
    assert_eq!(block[0], "cargo install --locked --path .");
    assert_eq!(block[1], "iru-fivetran demo");
    let report = block[2]
        .strip_prefix("xdg-open ")
        .expect("the third command opens the report");

    let cwd = tempfile::tempdir().expect("tmp");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_iru-fivetran"))
        .arg("demo")
        .current_dir(cwd.path())
        .env_clear()
        .env("IRU_FIVETRAN_TEST_NO_DELAY", "1")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let html =
        std::fs::read_to_string(cwd.path().join(report)).expect("the report the README opens");
    assert!(
        html.contains("sterling_paddock") || html.contains("<table"),
        "a report"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("open "),
        "the demo says what to open: {stderr}"
    );
    support::assert_no_secret_under(cwd.path());
}
