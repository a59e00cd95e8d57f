//! Changes explained by the audit trail, end to end: two collections with an audit source, a
//! change made between them with an audit event and one without; then `changes.json`, the
//! findings, `diff` and the report.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::support::postgres::{
    DATABASE, READER, READER_PASSWORD, acme_synced_at, collect_with_vault, source_toml, vault_with,
    warehouse,
};
use crate::support::{self, server};

/// A schema of its own, empty but for `USER`, where this test writes its audit events.
const SCHEMA: &str = "explained";

fn change<'a>(changes: &'a Value, kind: &str, id: &str) -> &'a Value {
    changes["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["kind"] == kind && c["id"] == id)
        .unwrap_or_else(|| panic!("{kind} {id} in {changes}"))
}

fn finding<'a>(findings: &'a Value, id: &str) -> &'a Value {
    findings["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn each_change_says_who_made_it_or_that_nothing_explains_it() {
    let Some(w) = warehouse() else { return };
    w.server
        .psql(
            DATABASE,
            &format!(
                "CREATE SCHEMA {SCHEMA};\n\
                 CREATE TABLE {SCHEMA}.log (LIKE fivetran_metadata.log INCLUDING ALL);\n\
                 CREATE TABLE {SCHEMA}.audit_trail (LIKE fivetran_metadata.audit_trail INCLUDING ALL);\n\
                 CREATE TABLE {SCHEMA}.\"user\" AS SELECT * FROM fivetran_metadata.\"user\";\n\
                 GRANT USAGE ON SCHEMA {SCHEMA} TO {READER};\n\
                 GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {READER};\n"
            ),
        )
        .expect("schema");
    // The Platform Connector syncs continuously: its window ends at each run's start.
    let tomorrow = Timestamp::now() + SignedDuration::from_hours(24);
    let fake = server(acme_synced_at(tomorrow));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(
        dir.path(),
        &source_toml(
            w,
            READER,
            READER_PASSWORD,
            &format!("destination = \"sturdy_kiln\"\nschema = \"{SCHEMA}\""),
        ),
    );
    let out = tempfile::tempdir().expect("out");
    let out_arg = out.path().to_str().expect("utf-8");
    let first = collect_with_vault(&fake, &vault, &["--out", out_arg]);
    first.assert_code(0);

    // Between the runs: Jonas pauses a connection through the API (the warehouse records it),
    // and someone changes a user's role with no record of it.
    fake.edit(|a| {
        for c in a
            .connections
            .iter_mut()
            .chain(a.connection_details.values_mut())
        {
            if c["id"] == "velvet_summit" {
                c["paused"] = Value::Bool(true);
            }
        }
        for u in &mut a.users {
            if u["id"] == "silent_orbit" {
                u["role"] = Value::from("Account Reviewer");
            }
        }
    });
    w.server
        .psql(
            DATABASE,
            &format!(
                "INSERT INTO {SCHEMA}.audit_trail VALUES ('ex_1', now(), 'brisk_falcon', 'EDIT', \
                 'API', 'CONNECTION', 'velvet_summit', NULL, NULL, '{{\"paused\": false}}', \
                 '{{\"paused\": true}}', now());"
            ),
        )
        .expect("event");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = collect_with_vault(&fake, &vault, &["--out", out_arg]);
    second.assert_code(0);

    let changes = second.json("changes.json");
    assert_eq!(changes["status"], "complete", "{}", changes["reason"]);
    let paused = change(&changes, "connection_paused", "velvet_summit");
    assert_eq!(paused["audit"]["status"], "explained", "{paused}");
    let event = &paused["audit"]["events"][0];
    assert_eq!(event["id"], "audit_trail:ex_1");
    assert_eq!(event["method"], "API");
    assert_eq!(event["actor"]["email"], "jonas.weber@acme.example");
    let role = change(&changes, "user_role_changed", "silent_orbit");
    assert_eq!(role["audit"]["status"], "unexplained", "{role}");
    let covered_until = role["audit"]["covered_until"].as_str().expect("until");
    let second_start = second.manifest()["started_at"]
        .as_str()
        .expect("start")
        .to_owned();
    assert!(
        covered_until.starts_with(&second_start[..19]),
        "{covered_until} {second_start}"
    );

    // Changes with their audit events match the committed schemas.
    crate::schema::Validator::new().bundle(&second.bundle());

    // The findings name the unexplained change.
    let findings = second.json("findings.json");
    let unexplained = finding(&findings, "FT-AUDIT-002");
    assert_eq!(unexplained["status"], "fail");
    assert_eq!(unexplained["items"][0]["id"], "silent_orbit");
    assert_eq!(unexplained["items"][0]["change"], "user_role_changed role");
    // The first bundle had no baseline: its change log, and so that check, say nothing.
    assert_eq!(
        finding(&first.json("findings.json"), "FT-AUDIT-002")["status"],
        "n/a"
    );

    // diff shows who made each change, and its JSON is changes.json's items.
    let (old, new) = (first.bundle(), second.bundle());
    let text = support::run(&["diff", support::arg(&old), support::arg(&new)], &[]);
    text.assert_code(0);
    let line = |needle: &str| {
        text.stdout
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle}:\n{}", text.stdout))
            .to_owned()
    };
    assert!(
        line("paused: false -> true").contains("[by jonas.weber@acme.example at "),
        "{}",
        text.stdout
    );
    assert!(line("paused: false -> true").contains(" via API]"));
    assert!(line("role: \"Account Analyst\"").ends_with("[no audit event explains it]"));
    let json = support::run(
        &[
            "diff",
            support::arg(&old),
            support::arg(&new),
            "--format",
            "json",
        ],
        &[],
    );
    json.assert_code(0);
    let items: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(items, changes["items"]);

    // The report has the audit trail and what it does not explain.
    let report = support::run(&["report", support::arg(&new), "--format", "md"], &[]);
    report.assert_code(0);
    for needle in [
        "## Audit trail",
        "### Actions per person",
        "| jonas.weber@acme.example | `brisk_falcon` | yes | 1 |",
        "### Changes no audit event explains",
        "| `user_role_changed` | users | tomas.alvarez@acme.example | `role` | Account Analyst | Account Reviewer |",
        "### Timeline",
        "| Who |",
        "no audit event |",
    ] {
        assert!(
            report.stdout.contains(needle),
            "{needle}\n{}",
            report.stdout
        );
    }
}
