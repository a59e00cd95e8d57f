//! `audit_trail.json` end to end: the binary collects the fake account, whose Platform
//! Connector `quiet_abacus` writes to the test warehouse, with an audit source in the vault.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::support::postgres::{
    READER, READER_PASSWORD, Warehouse, acme_synced_at, collect_with_vault, source_toml,
    vault_with, warehouse,
};
use crate::support::{self, acme, collect, server};

fn items(envelope: &Value) -> &Vec<Value> {
    envelope["items"].as_array().expect("items")
}

fn ids(envelope: &Value) -> Vec<&str> {
    items(envelope)
        .iter()
        .map(|i| i["id"].as_str().expect("id"))
        .collect()
}

fn by_id<'a>(envelope: &'a Value, id: &str) -> &'a Value {
    items(envelope)
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {:?}", ids(envelope)))
}

fn micros(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn ago(w: &Warehouse, d: SignedDuration) -> Timestamp {
    w.base - d
}

/// The user actions of the fixture in the last day before the base, in time order.
const ACTIONS: [&str; 13] = [
    "audit_trail:at_001",
    "log:l_001",
    "audit_trail:at_002",
    "log:l_003",
    "audit_trail:at_003",
    "log:l_006",
    "audit_trail:at_007",
    "audit_trail:at_008",
    "log:l_010",
    "log:l_011",
    "log:l_012",
    "log:l_013",
    "log:l_014",
];

#[test]
fn every_user_action_of_the_window_is_listed_once_with_who_did_it() {
    let Some(w) = warehouse() else { return };
    let fake = server(acme_synced_at(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(
        dir.path(),
        &source_toml(w, READER, READER_PASSWORD, "destination = \"sturdy_kiln\""),
    );
    let run = collect_with_vault(&fake, &vault, &[]);
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["schema"], "iru-fivetran/audit_trail/v1");
    assert_eq!(trail["kind"], "collected");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(ids(&trail), ACTIONS);

    // AUDIT_TRAIL's row, with its values (a secret among them redacted), and the LOG row of
    // the same pause merged into it rather than listed twice.
    let created = by_id(&trail, "audit_trail:at_001");
    assert_eq!(
        created["at"],
        micros(ago(w, SignedDuration::from_hours(20)))
    );
    assert_eq!(created["action"], "CREATE");
    assert_eq!(created["method"], "WEB_UI");
    assert_eq!(
        created["resource"],
        serde_json::json!({"type": "CONNECTION", "id": "mellow_cactus", "name": "iterable"})
    );
    assert_eq!(
        created["secondary"],
        serde_json::json!({"type": "DESTINATION", "id": "quiet_meadow", "name": "Analytics EU"})
    );
    assert_eq!(created["new_values"]["config"]["api_key"], "<redacted>");
    assert_eq!(created["new_values"]["schema"], "iterable");
    assert_eq!(
        created["actor"],
        serde_json::json!({"user_id": "tidy_lantern", "email": "maya.okafor@acme.example",
            "name": "Maya Okafor", "listed_by_api": true, "active": true,
            "deleted_in_warehouse": false})
    );
    assert_eq!(
        created["source"],
        serde_json::json!({"destination": "sturdy_kiln", "platform_connector": "quiet_abacus",
            "schema": "fivetran_metadata", "table": "audit_trail", "row_id": "at_001",
            "also_in_log": []})
    );
    let paused = by_id(&trail, "audit_trail:at_002");
    assert_eq!(
        paused["source"]["also_in_log"],
        serde_json::json!(["l_002"])
    );
    assert_eq!(paused["old_values"], serde_json::json!({"paused": false}));
    assert_eq!(paused["actor"]["email"], "jonas.weber@acme.example");

    // LOG's own actions: by email, by user id, by people deleted or inactive or unknown.
    let edited = by_id(&trail, "log:l_001");
    assert_eq!(edited["action"], "EDIT");
    assert_eq!(edited["event"], "edit_connection");
    assert_eq!(edited["actor"]["user_id"], "brisk_falcon");
    assert_eq!(edited["details"]["properties"]["password"], "<redacted>");
    assert_eq!(edited["resource"]["name"], "salesforce");
    let secret = by_id(&trail, "log:l_003");
    assert_eq!(secret["event"], "generate_api_secret");
    assert_eq!(secret["actor"]["email"], "maya.okafor@acme.example");
    assert_eq!(
        secret["resource"],
        serde_json::json!({"type": "API_KEY", "id": "tidy_lantern", "name": null})
    );
    assert_eq!(by_id(&trail, "log:l_006")["action"], "ROTATE_WIDGET");
    let ghost = &by_id(&trail, "audit_trail:at_007")["actor"];
    assert_eq!(ghost["email"], "nora.quist@acme.example");
    assert_eq!(ghost["listed_by_api"], false);
    assert_eq!(ghost["deleted_in_warehouse"], true);
    let inactive = &by_id(&trail, "log:l_014")["actor"];
    assert_eq!(
        (&inactive["user_id"], &inactive["active"]),
        (&Value::from("copper_willow"), &Value::from(false))
    );
    let stranger = &by_id(&trail, "log:l_013")["actor"];
    assert_eq!(stranger["user_id"], Value::Null);
    assert_eq!(stranger["email"], "contractor@partner.example");
    assert_eq!(
        by_id(&trail, "log:l_010")["resource"],
        serde_json::json!({"type": "USER", "id": "frozen_pebble", "name": "lena.fischer@acme.example"})
    );

    // What the source read, in the envelope and in the manifest alike.
    let facts = &trail["sources"][0];
    assert_eq!(facts["status"], "complete");
    assert_eq!(facts["platform_connector"], "quiet_abacus");
    assert_eq!(facts["destination"], "sturdy_kiln");
    assert_eq!(facts["schema"], "fivetran_metadata");
    assert_eq!(facts["statements"], "postgres");
    assert_eq!(facts["tls"], "disable");
    assert_eq!(facts["window_from"], "since");
    let since: Timestamp = run.manifest()["options"]["since"]
        .as_str()
        .expect("since")
        .parse()
        .expect("time");
    let asked = serde_json::json!({"start": micros(since), "end": micros(w.base)});
    assert_eq!(facts["window_asked"], asked);
    assert_eq!(facts["window_covered"], asked);
    assert_eq!(facts["gaps"], serde_json::json!([]));
    assert_eq!(
        facts["earliest_row"],
        micros(ago(w, SignedDuration::from_hours(40)))
    );
    assert_eq!(facts["items_kept"], 13);
    assert_eq!(facts["system_actions"], 2);
    assert_eq!(facts["merged_from_log"], 1);
    assert_eq!(facts["rows_read"], 5 + 11 + 6);
    assert_eq!(facts["tables"]["audit_trail"]["present"], true);
    assert_eq!(facts["tables"]["log"]["rows_read"], 11);
    assert_eq!(facts["reconnects"], 0);
    assert!(facts.get("password").is_none());
    let manifest = run.manifest();
    assert_eq!(manifest["audit_trail"]["sources"], trail["sources"]);
    let entry = manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|a| a["resource"] == "audit_trail")
        .expect("entry");
    assert_eq!(entry["count"], 13);
    assert!(
        entry["redactions"]
            .as_array()
            .expect("redactions")
            .iter()
            .any(|r| r["path"] == "$.items[*].new_values.config.api_key"),
        "{entry}"
    );
    // Per destination: read, or why not.
    let destination = |id: &str| {
        trail["destinations"]
            .as_array()
            .expect("destinations")
            .iter()
            .find(|d| d["destination"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    assert_eq!(destination("sturdy_kiln")["coverage"], "read");
    assert_eq!(destination("quiet_meadow")["coverage"], "not_read");
    assert!(
        destination("quiet_meadow")["reason"]
            .as_str()
            .expect("reason")
            .contains("lone_sextant is paused"),
        "{}",
        destination("quiet_meadow")
    );
    // The findings over the trail: people no longer active who acted, secrets generated.
    let findings = run.json("findings.json");
    let check = |id: &str| {
        findings["items"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let departed = check("FT-AUDIT-003");
    assert_eq!(departed["status"], "fail");
    assert_eq!(
        departed["items"],
        serde_json::json!([
            {"id": "contractor@partner.example", "label": "contractor@partner.example", "actions": 1},
            {"id": "copper_willow", "label": "erik.lindqvist@acme.example", "actions": 2},
            {"id": "ghost_heron", "label": "nora.quist@acme.example", "actions": 1},
        ])
    );
    let secrets = check("FT-AUDIT-004");
    assert_eq!(secrets["status"], "fail");
    assert_eq!(
        secrets["items"],
        serde_json::json!([{"id": "log:l_003", "label": "maya.okafor@acme.example",
            "at": micros(ago(w, SignedDuration::from_hours(16)))}])
    );
    // The bundle matches the committed schemas, items and audit facts included, and verifies
    // with the new artifact in it.
    crate::schema::Validator::new().bundle(&run.bundle());
    let verified = support::run(&["verify", support::arg(&run.bundle())], &[]);
    verified.assert_code(0);
}

#[test]
fn without_an_audit_source_the_trail_is_unavailable_and_says_how_to_add_one() {
    let fake = server(acme());
    let run = collect(&fake, &["--resources", "audit_trail"]);
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "unavailable");
    assert_eq!(trail["count"], 0);
    let reason = trail["reason"].as_str().expect("reason");
    assert!(reason.contains("no audit source is configured"), "{reason}");
    assert!(
        reason.contains("hint: add an [[audit_sources]] entry"),
        "{reason}"
    );
    let kiln = trail["destinations"]
        .as_array()
        .expect("destinations")
        .iter()
        .find(|d| d["destination"] == "sturdy_kiln")
        .expect("sturdy_kiln");
    assert_eq!(kiln["coverage"], "not_read");
    assert!(
        kiln["reason"].as_str().expect("reason").contains(
            "quiet_abacus (last sync 2026-08-31T06:00:00Z) has no audit source configured"
        ),
        "{kiln}"
    );
    // audit_trail brings what it is made of.
    let resources = run.manifest()["options"]["resources"].clone();
    for needed in ["connections", "users", "groups", "destinations", "teams"] {
        assert!(
            resources
                .as_array()
                .expect("list")
                .iter()
                .any(|r| r == needed),
            "{resources}"
        );
    }
}

#[test]
fn the_next_bundle_starts_where_the_last_one_ended() {
    let Some(w) = warehouse() else { return };
    let fake = server(acme_synced_at(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(
        dir.path(),
        &source_toml(w, READER, READER_PASSWORD, "destination = \"sturdy_kiln\""),
    );
    let out = tempfile::tempdir().expect("out");
    let out_arg = out.path().to_str().expect("utf-8");
    let first = collect_with_vault(&fake, &vault, &["--out", out_arg]);
    first.assert_code(0);
    assert_eq!(ids(&first.json("audit_trail.json")), ACTIONS);
    // The Platform Connector syncs again ten minutes after the base: the second bundle reads
    // from where the first ended to that sync, and only that, whatever --since says.
    let sync = w.base + SignedDuration::from_mins(10);
    fake.edit(|a| *a = acme_synced_at(sync));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = collect_with_vault(&fake, &vault, &["--out", out_arg, "--since", "48h"]);
    second.assert_code(0);
    let trail = second.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(ids(&trail), ["log:l_009", "audit_trail:at_006"]);
    let facts = &trail["sources"][0];
    assert_eq!(facts["window_from"], "previous_bundle");
    assert_eq!(
        facts["previous_bundle"],
        first
            .bundle()
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
    );
    assert_eq!(
        facts["window_asked"],
        serde_json::json!({"start": micros(w.base), "end": micros(sync)})
    );
    // And a third with no sync in between has nothing new: complete, empty.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let third = collect_with_vault(&fake, &vault, &["--out", out_arg]);
    third.assert_code(0);
    let trail = third.json("audit_trail.json");
    assert_eq!(trail["status"], "complete");
    assert_eq!(trail["count"], 0);
    assert_eq!(
        trail["sources"][0]["window_asked"],
        serde_json::json!({"start": micros(sync), "end": micros(sync)})
    );
}

#[test]
fn generated_tables_of_the_benchmark_give_every_action_once_over_many_pages() {
    use iru_fivetran_fake::postgres::{PEOPLE, Volume};
    let Some(w) = warehouse() else { return };
    let volume = Volume {
        log_rows: 2_000,
        actions: 200,
        trail_rows: 100,
        twin_every: 10,
    };
    w.server
        .psql(
            crate::support::postgres::DATABASE,
            &format!(
                "{}GRANT USAGE ON SCHEMA bench_small TO {READER};\n\
                 GRANT SELECT ON ALL TABLES IN SCHEMA bench_small TO {READER};\n",
                volume.sql("bench_small", &w.base.to_string())
            ),
        )
        .expect("generated");
    let fake = server(acme_synced_at(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(
        dir.path(),
        &source_toml(
            w,
            READER,
            READER_PASSWORD,
            "destination = \"sturdy_kiln\"\nschema = \"bench_small\"\npage_rows = 37",
        ),
    );
    let run = collect_with_vault(&fake, &vault, &["--resources", "audit_trail"]);
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(trail["count"], volume.items());
    let facts = &trail["sources"][0];
    assert_eq!(facts["merged_from_log"], volume.twins());
    assert_eq!(
        facts["rows_read"],
        volume.actions + volume.trail_rows + PEOPLE
    );
    let bytes = std::fs::read(run.bundle().join("audit_trail.json")).expect("read");
    assert!(!String::from_utf8_lossy(&bytes).contains("bench-never-shown"));
}
