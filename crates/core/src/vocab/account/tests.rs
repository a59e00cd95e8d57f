use serde_json::json;

use super::{KeyAccess, RESOURCE_TYPES, Scope};

#[test]
fn an_administrator_or_reviewer_reads_the_whole_account() {
    for role in ["Account Administrator", "Account Reviewer"] {
        assert_eq!(KeyAccess::of_user(Some(role)).scope, Scope::WholeAccount);
    }
}

#[test]
fn any_other_role_or_none_is_narrow_and_says_so() {
    let analyst = KeyAccess::of_user(Some("Account Analyst"));
    assert_eq!(analyst.scope, Scope::Narrow);
    assert!(
        analyst.reason.contains("Account Analyst"),
        "{}",
        analyst.reason
    );
    assert!(analyst.reason.contains("may not be the whole account"));
    assert_eq!(KeyAccess::of_user(None).scope, Scope::Narrow);
}

#[test]
fn a_system_key_reading_every_type_unfiltered_is_whole() {
    let permissions: Vec<_> = RESOURCE_TYPES
        .iter()
        .map(|t| json!({"resource_type": t, "access_level": "READ"}))
        .collect();
    let access = KeyAccess::of_system_key(&permissions);
    assert_eq!(access.scope, Scope::WholeAccount, "{}", access.reason);
    assert_eq!(access.permissions.as_deref(), Some(permissions.as_slice()));
}

#[test]
fn a_system_key_names_each_missing_none_or_filtered_type() {
    let mut permissions: Vec<_> = RESOURCE_TYPES
        .iter()
        .filter(|t| **t != "TRANSFORMATION")
        .map(|t| json!({"resource_type": t, "access_level": "MANAGE"}))
        .collect();
    permissions[0]["access_level"] = json!("NONE");
    let connector = permissions
        .iter_mut()
        .find(|p| p["resource_type"] == "CONNECTOR")
        .expect("connector");
    connector["resource_filter"] = json!({"group_ids": ["warm_harbor"]});
    let access = KeyAccess::of_system_key(&permissions);
    assert_eq!(access.scope, Scope::Narrow);
    for part in [
        "no permission on TRANSFORMATION",
        "NONE on ACCOUNT",
        "CONNECTOR limited by a resource filter",
    ] {
        assert!(access.reason.contains(part), "{part}: {}", access.reason);
    }
}

#[test]
fn an_empty_resource_filter_does_not_narrow() {
    let permissions: Vec<_> = RESOURCE_TYPES
        .iter()
        .map(|t| json!({"resource_type": t, "access_level": "READ", "resource_filter": {}}))
        .collect();
    assert_eq!(
        KeyAccess::of_system_key(&permissions).scope,
        Scope::WholeAccount
    );
}
