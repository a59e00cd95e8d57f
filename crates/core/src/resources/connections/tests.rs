//! Unit tests of `resources::connections`.

use super::*;

#[test]
fn a_detail_that_adds_or_changes_a_field_is_not_nothing() {
    let listed = json!({"id": "c", "service": "s", "config": {"a": 1}, "status": {"x": 1}});
    let mut merged = listed.clone();
    merged["schema_config"] = json!({"schemas": {}});
    merged["status"] = json!({"x": 2});
    merged["succeeded_at"] = json!("2026-01-01T00:00:00Z");
    merged[NOTES_KEY] = json!({"schema_config": {}});
    assert!(
        adds_nothing(&listed, &merged),
        "volatile and added-by-us fields aside"
    );
    let mut more = merged.clone();
    more["setup_tests"] = json!([]);
    assert!(!adds_nothing(&listed, &more), "a new field");
    let mut changed = merged.clone();
    changed["config"] = json!({"a": "1"});
    assert!(!adds_nothing(&listed, &changed), "a changed value");
    assert!(!adds_nothing(&json!([]), &merged), "not an object");
}

#[test]
fn pairs_are_service_and_version_with_missing_as_null() {
    assert_eq!(
        pair_of(&json!({"service": "pg", "service_version": 1})),
        r#"["pg",1]"#
    );
    assert_eq!(pair_of(&json!({"service": "pg"})), r#"["pg",null]"#);
}
