//! `iru-fivetran changes DIR --from --to`: a period's change log rolled up from a folder of
//! bundles, with its gaps (days without a run, failed runs, bundles that do not verify), in
//! JSON, CSV and Markdown; and its refusals.
//!
//! The bundles are real collections of the fake account, renamed to the days the test needs
//! (a bundle's name carries its run's start; verification checks its files, not its name).

use std::path::{Path, PathBuf};

use iru_fivetran_fake::FakeAccount;
use serde_json::{Value, json};

use crate::support::{self, Run, acme, arg, server};

/// Sets the account role of user `id`.
fn set_role(a: &mut FakeAccount, id: &str, role: &str) {
    let user = a
        .users
        .iter_mut()
        .find(|u| u["id"] == id)
        .expect("a user of the fixture");
    user["role"] = json!(role);
}

/// Three collections of users and teams into a fresh folder, with a role changed before the
/// second and another before the third, renamed to runs at 02:15 on `days`
/// (`YYYYMMDD` each): the folder and the names, oldest first.
fn series(days: [&str; 3]) -> (tempfile::TempDir, Vec<String>) {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("evidence");
    let sel = ["--out", arg(&out), "--resources", "users,teams"];
    let mut written = Vec::new();
    let mut account = String::new();
    for step in 0..3 {
        match step {
            1 => fake.edit(|a| set_role(a, "brisk_falcon", "Account Reviewer")),
            2 => fake.edit(|a| set_role(a, "amber_quartz", "Account Administrator")),
            _ => {}
        }
        let run = support::collect(&fake, &sel);
        run.assert_code(0);
        account = run.manifest()["account"]["account_id"]
            .as_str()
            .expect("account id")
            .to_owned();
        written.push(run.bundle());
    }
    let mut names = Vec::new();
    for (path, day) in written.iter().zip(days) {
        // Three runs in one second are `<stamp>`, `<stamp>-2`, `<stamp>-3`: the name is rebuilt.
        let renamed = format!("fivetran-{account}-{day}T021500Z");
        std::fs::rename(path, out.join(&renamed)).expect("rename");
        names.push(renamed);
    }
    (dir, names)
}

/// Runs `iru-fivetran changes ARGS` through `support::run` (cleared environment, leak check).
fn changes(args: &[&str]) -> Run {
    let mut full = vec!["changes"];
    full.extend_from_slice(args);
    support::run(&full, &[])
}

fn out_of(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("evidence")
}

fn kinds(doc: &Value) -> Vec<(String, String, String)> {
    doc["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["seen_by"].as_str().expect("seen_by").to_owned(),
                c["change"]["kind"].as_str().expect("kind").to_owned(),
                c["change"]["id"].as_str().expect("id").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_period_rolls_up_every_bundle_and_names_its_gaps() {
    let (dir, names) = series(["20261031", "20261101", "20261103"]);
    let out = out_of(&dir);
    let prefix = names[0].trim_end_matches("20261031T021500Z");
    std::fs::create_dir(out.join(format!("{prefix}20261104T021500Z.failed"))).expect("failed");
    let run = changes(&[
        arg(&out),
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-04",
        "--format",
        "json",
    ]);
    run.assert_code(3);
    assert!(
        run.stderr.contains("the series has 2 gap(s)"),
        "{}",
        run.stderr
    );
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(doc["schema"], "iru-fivetran/period/v1");
    assert_eq!(doc["account_id"], "sterling_paddock");
    assert_eq!(
        (doc["from"].as_str(), doc["to"].as_str()),
        (Some("2026-11-01"), Some("2026-11-04"))
    );
    let bundles: Vec<(&str, bool, &str)> = doc["bundles"]
        .as_array()
        .expect("bundles")
        .iter()
        .map(|b| {
            (
                b["started_at"].as_str().expect("at"),
                b["in_period"].as_bool().expect("in"),
                b["state"].as_str().expect("state"),
            )
        })
        .collect();
    assert_eq!(
        bundles,
        [
            ("2026-10-31T02:15:00Z", false, "complete"),
            ("2026-11-01T02:15:00Z", true, "complete"),
            ("2026-11-03T02:15:00Z", true, "complete"),
            ("2026-11-04T02:15:00Z", true, "failed"),
        ]
    );
    assert_eq!(
        doc["gaps"],
        json!([
            {"kind": "no_run", "from": "2026-11-02", "to": "2026-11-02"},
            {"kind": "failed_run", "bundle": format!("{prefix}20261104T021500Z.failed")},
        ])
    );
    // The bundle before the period makes its first day's change visible.
    assert_eq!(
        kinds(&doc),
        [
            (
                "2026-11-01T02:15:00Z".to_owned(),
                "user_role_changed".to_owned(),
                "brisk_falcon".to_owned()
            ),
            (
                "2026-11-03T02:15:00Z".to_owned(),
                "user_role_changed".to_owned(),
                "amber_quartz".to_owned()
            ),
        ]
    );
    assert_eq!(doc["count"], 2);
    let first = &doc["changes"][0];
    assert_eq!(first["seen_after"], "2026-10-31T02:15:00Z");
    assert_eq!(first["old_bundle"], names[0].as_str());
    assert_eq!(first["new_bundle"], names[1].as_str());
    assert_eq!(first["change"]["after"], "Account Reviewer");

    // All three forms into a folder.
    let forms = dir.path().join("h2");
    let run = changes(&[
        arg(&out),
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-04",
        "--out",
        arg(&forms),
    ]);
    run.assert_code(3);
    let stem = "changes-sterling_paddock-2026-11-01-2026-11-04";
    let md = std::fs::read_to_string(forms.join(format!("{stem}.md"))).expect("md");
    assert!(
        md.starts_with("# Changes of account `sterling_paddock`, 2026-11-01 to 2026-11-04"),
        "{md}"
    );
    assert!(md.contains("- no run on 2026-11-02"), "{md}");
    assert!(
        md.contains("### Between 2026-11-01T02:15:00Z and 2026-11-03T02:15:00Z"),
        "{md}"
    );
    assert!(
        md.contains("| user\\_role\\_changed | amber\\_quartz"),
        "{md}"
    );
    let csv = std::fs::read_to_string(forms.join(format!("{stem}.csv"))).expect("csv");
    let rows: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 3, "a header and a row per change: {csv}");
    assert!(rows[0].starts_with("seen_after,seen_by,old_bundle,new_bundle,kind"));
    let json: Value =
        serde_json::from_slice(&std::fs::read(forms.join(format!("{stem}.json"))).expect("json"))
            .expect("valid json");
    assert_eq!(json["count"], 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(forms.join(format!("{stem}.md")))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_bundle_that_does_not_verify_is_left_out_and_the_log_bridges_it() {
    let (dir, names) = series(["20261101", "20261102", "20261103"]);
    let out = out_of(&dir);
    let users = out.join(&names[1]).join("users.json");
    let mut bytes = std::fs::read(&users).expect("read");
    bytes.extend_from_slice(b" ");
    std::fs::write(&users, bytes).expect("tamper");
    let run = changes(&[
        arg(&out),
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-03",
        "--format",
        "json",
    ]);
    run.assert_code(3);
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    let gaps = doc["gaps"].as_array().expect("gaps");
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert_eq!(gaps[0]["kind"], "no_earlier_bundle");
    assert_eq!(gaps[1]["kind"], "unverified");
    assert_eq!(gaps[1]["bundle"], names[1].as_str());
    assert!(
        gaps[1]["reason"]
            .as_str()
            .expect("reason")
            .contains("users.json"),
        "{gaps:?}"
    );
    // Both role changes are seen, between the first and the third bundle.
    let seen: Vec<(&str, &str)> = doc["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["old_bundle"].as_str().expect("old"),
                c["change"]["id"].as_str().expect("id"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (names[0].as_str(), "amber_quartz"),
            (names[0].as_str(), "brisk_falcon")
        ]
    );
}

#[test]
fn a_series_without_gaps_exits_zero_and_says_so() {
    let (dir, _) = series(["20261031", "20261101", "20261102"]);
    let run = changes(&[
        arg(&out_of(&dir)),
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-02",
    ]);
    run.assert_code(0);
    assert!(run.stdout.contains("## Gaps\n\nNone"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("2 change(s) from 2026-11-01 to 2026-11-02; no gap"),
        "{}",
        run.stderr
    );
}

#[test]
fn several_accounts_need_one_named_and_bad_dates_are_refused() {
    let (dir, names) = series(["20261101", "20261102", "20261103"]);
    let out = out_of(&dir);
    copy_dir(
        &out.join(&names[0]),
        &out.join("fivetran-other_account-20261101T021500Z"),
    );
    let run = changes(&[arg(&out), "--from", "2026-11-01", "--to", "2026-11-03"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("2 accounts: other_account, sterling_paddock")
            && run.stderr.contains("hint: name one with --account"),
        "{}",
        run.stderr
    );
    let run = changes(&[
        arg(&out),
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-03",
        "--account",
        "sterling_paddock",
        "--format",
        "csv",
    ]);
    run.assert_code(3);
    for bad in ["2026-11", "yesterday", "2026-02-30"] {
        let run = changes(&[arg(&out), "--from", bad, "--to", "2026-11-03"]);
        run.assert_code(2);
        assert!(
            run.stderr.contains("is not a date") && run.stderr.contains("hint:"),
            "{}",
            run.stderr
        );
    }
    let run = changes(&[
        arg(&out),
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-31",
        "--account",
        "sterling_paddock",
    ]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("no bundle of account sterling_paddock"),
        "{}",
        run.stderr
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}
