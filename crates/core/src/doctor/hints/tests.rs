//! Unit tests of `doctor::hints`.

use super::*;

#[test]
fn user_keys_are_pointed_at_the_reviewer_role() {
    let hint = grant("teams", "user");
    assert!(hint.contains("Account Reviewer"), "{hint}");
    assert!(!hint.contains("READ on"), "{hint}");
    assert!(grant("system_keys", "user").contains("Account Administrator"));
}

#[test]
fn system_keys_get_the_documented_resource_type() {
    for (resource, permission) in [
        ("account", "READ on ACCOUNT"),
        ("groups", "READ on DESTINATION"),
        ("connection_schemas", "READ on CONNECTOR"),
        ("hybrid_deployment_agents", "READ on REMOTE_EXECUTION_AGENT"),
    ] {
        let hint = grant(resource, "system_key");
        assert!(hint.contains(permission), "{resource}: {hint}");
    }
    assert!(grant("system_keys", "system_key").contains("cannot list system keys"));
}

#[test]
fn undocumented_permissions_are_not_invented() {
    let hint = grant("log_services", "system_key");
    assert!(hint.contains("can read log services"), "{hint}");
    assert!(!hint.contains("READ on"), "{hint}");
}

#[test]
fn an_unknown_key_gets_both_hints() {
    let hint = grant("users", "unknown");
    assert!(
        hint.contains("Account Reviewer") && hint.contains("READ on USER"),
        "{hint}"
    );
}
