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
    assert!(!account.forbidden.is_empty(), "a list the key may not read");
    assert!(
        account
            .connections
            .iter()
            .any(|c| c["service"] == "fivetran_log" && c["paused"] == true),
        "a paused Platform Connector"
    );
}
