//! Unit tests of `report::read::connections`.

use super::*;

#[test]
fn frequencies_read_as_people_say_them() {
    assert_eq!(frequency_label(Some(360)), "every 6 h");
    assert_eq!(frequency_label(Some(1440)), "every 1 day(s)");
    assert_eq!(frequency_label(Some(15)), "every 15 min");
    assert_eq!(frequency_label(None), "not set");
}

#[test]
fn a_frequency_given_as_a_string_of_minutes_reads_like_the_number() {
    use serde_json::json;
    let label = |v: serde_json::Value| Frequency::of(Some(&v)).label();
    assert_eq!(label(json!("1440")), "every 1 day(s)");
    assert_eq!(label(json!(1440)), "every 1 day(s)");
    assert_eq!(label(json!(" 360 ")), "every 6 h");
    assert_eq!(label(json!("daily")), "daily (not minutes)");
    assert_eq!(label(json!(null)), "not set");
    assert_eq!(Frequency::of(None).label(), "not set");
    assert!(
        Frequency::Minutes(5) < Frequency::NotSet,
        "not set is shown last"
    );
}
