//! Unit tests of `demo`.

use super::*;
use iru_fivetran_fake::snowflake::Platform;

#[test]
fn the_sample_loads_and_its_newest_sync_is_an_hour_old() {
    let now: Timestamp = "2030-01-01T12:00:00Z".parse().expect("time");
    let account = sample(now).expect("loads");
    let newest = account
        .sync_history
        .values()
        .flatten()
        .filter_map(|s| s["start_time"].as_str()?.parse::<Timestamp>().ok())
        .max()
        .expect("syncs");
    assert_eq!(now.duration_since(newest), SignedDuration::from_hours(1));
    assert!(
        account
            .forbidden
            .values()
            .all(|m| iru_fivetran_core::client::says_feature_not_enabled(m)),
        "the sample's 403s are features the account lacks, not the key's permissions"
    );
    assert!(!account.forbidden.is_empty());
    // The Platform Connector syncs continuously: its last sync is the demo's start, so the
    // audit trail covers up to the changes made a second before.
    let platform_connector = account
        .connections
        .iter()
        .find(|c| c["service"] == "fivetran_log")
        .expect("a Platform Connector");
    assert_eq!(platform_connector["paused"], false);
    assert_eq!(platform_connector["group_id"], "warm_harbor");
    assert_eq!(
        platform_connector["succeeded_at"].as_str(),
        Some("2030-01-01T12:00:00.000Z")
    );
}

fn rows<'a>(platform: &'a Platform, table: &str) -> &'a [Vec<Option<String>>] {
    &platform
        .tables
        .iter()
        .find(|t| t.name == table)
        .unwrap_or_else(|| panic!("{table}"))
        .rows
}

#[test]
fn the_platform_connector_s_rows_move_with_the_sample_and_a_changed_run_records_two_of_three_changes()
 {
    let now: Timestamp = "2030-01-01T12:00:00Z".parse().expect("time");
    let (_, shift) = sample_placed(now, None).expect("loads");
    let at = now - SignedDuration::from_secs(1);
    let first = warehouse::platform(shift, Turn::First, 0, at).expect("first");
    // The fixture's rows, every time within the day before the Platform Connector's last
    // sync (now), so a first run's 24-hour window holds them all.
    for (table, column) in [("AUDIT_TRAIL", 1)] {
        assert!(rows(&first, table).len() >= 5, "{table}");
        for row in rows(&first, table) {
            let time = row[column].as_deref().expect("a time");
            let time: Timestamp = format!("{time}Z").parse().expect("a wall clock in UTC");
            assert!(time < now && now.duration_since(time) < SignedDuration::from_hours(24));
        }
    }
    let changed = warehouse::platform(shift, Turn::Changed, 1, at).expect("changed");
    let added: Vec<_> = rows(&changed, "AUDIT_TRAIL")
        .iter()
        .filter(|r| !rows(&first, "AUDIT_TRAIL").contains(r))
        .collect();
    assert_eq!(
        added.len(),
        2,
        "the role and the pause; nothing for the column"
    );
    let subjects: Vec<_> = added
        .iter()
        .map(|r| (r[5].as_deref(), r[6].as_deref()))
        .collect();
    assert_eq!(
        subjects,
        [
            (Some("USER"), Some("amber_quartz")),
            (Some("CONNECTION"), Some("crimson_atlas"))
        ]
    );
    assert!(
        added
            .iter()
            .all(|r| r[1].as_deref() == Some("2030-01-01T11:59:59.000000"))
    );
    assert_eq!(added[1][10].as_deref(), Some(r#"{"paused":true}"#));
    let back = warehouse::platform(shift, Turn::ChangedBack, 2, at).expect("back");
    let resumed = rows(&back, "AUDIT_TRAIL")
        .iter()
        .find(|r| r[0].as_deref() == Some("dm_at_run2_pause"))
        .expect("the resume");
    assert_eq!(resumed[10].as_deref(), Some(r#"{"paused":false}"#));
}

#[test]
fn every_time_in_the_sample_moves_by_the_same_amount() {
    let early: Timestamp = "2030-01-01T12:00:00Z".parse().expect("time");
    let later = early + SignedDuration::from_hours(24 * 40);
    let a = serde_json::to_value(sample(early).expect("loads").users).expect("json");
    let b = serde_json::to_value(sample(later).expect("loads").users).expect("json");
    let times = |v: &Value| -> Vec<Timestamp> {
        let mut out = Vec::new();
        collect_times(v, &mut out);
        out
    };
    let (ta, tb) = (times(&a), times(&b));
    assert!(!ta.is_empty(), "the sample's users have times");
    assert_eq!(ta.len(), tb.len());
    for (x, y) in ta.iter().zip(&tb) {
        assert_eq!(y.duration_since(*x), SignedDuration::from_hours(24 * 40));
    }
}

fn collect_times(value: &Value, out: &mut Vec<Timestamp>) {
    match value {
        Value::String(s) => out.extend(s.parse::<Timestamp>().ok()),
        Value::Array(items) => items.iter().for_each(|v| collect_times(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_times(v, out)),
        _ => {}
    }
}

#[test]
fn a_second_run_changes_a_role_a_pause_and_a_column() {
    let now: Timestamp = "2030-01-01T12:00:00Z".parse().expect("time");
    let before = sample(now).expect("loads");
    let mut after = sample(now).expect("loads");
    change_for_a_second_run(&mut after);
    let role = |a: &FakeAccount| {
        a.users
            .iter()
            .find(|u| u["id"] == "amber_quartz")
            .map(|u| u["role"].clone())
    };
    assert_ne!(role(&before), role(&after));
    let paused = |a: &FakeAccount| {
        a.connections
            .iter()
            .find(|c| c["id"] == "crimson_atlas")
            .map(|c| c["paused"].clone())
    };
    assert_eq!(paused(&before), Some(json!(false)));
    assert_eq!(paused(&after), Some(json!(true)));
    let hashed = |a: &FakeAccount| {
        a.connection_schemas["fervent_ledger"]
            .pointer("/schemas/public/tables/customers/columns/date_of_birth/hashed")
            .cloned()
    };
    assert_ne!(hashed(&before), Some(json!(true)));
    assert_eq!(hashed(&after), Some(json!(true)));
}
