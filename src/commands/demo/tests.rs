//! Unit tests of `demo`.

use super::*;

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
    assert!(
        account
            .connections
            .iter()
            .any(|c| c["service"] == "fivetran_log" && c["paused"] == true),
        "a paused Platform Connector"
    );
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
