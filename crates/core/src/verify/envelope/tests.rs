//! Unit tests of `verify::envelope`.

use serde_json::json;

use super::*;

fn problems(envelope: &Value, expected: &Expected<'_>) -> Vec<String> {
    check(serde_json::from_value(envelope.clone()), expected)
}

const USERS: Expected<'static> = Expected {
    resource: "users",
    kind: Some("collected"),
    status: Some("complete"),
    count: Some(1),
};

fn good() -> Value {
    json!({"schema": "iru-fivetran/users/v1", "resource": "users", "kind": "collected",
           "status": "complete", "count": 1, "items": [{"id": "u"}]})
}

#[test]
fn a_right_envelope_has_no_problem() {
    assert_eq!(problems(&good(), &USERS), Vec::<String>::new());
    // A manifest entry that says nothing about kind, status or count is not compared.
    let bare = Expected {
        resource: "users",
        kind: None,
        status: None,
        count: None,
    };
    assert_eq!(problems(&good(), &bare), Vec::<String>::new());
}

#[test]
fn each_field_is_checked_and_named() {
    let cases = [
        (
            "kind",
            json!("derived"),
            "envelope kind is derived, but users is always collected",
        ),
        (
            "kind",
            json!("made up"),
            "envelope kind is \"made up\", expected collected or derived",
        ),
        (
            "status",
            json!("done"),
            "envelope status is \"done\", expected one of",
        ),
        (
            "status",
            json!("partial"),
            "envelope status is partial, the manifest says complete",
        ),
        ("count", json!(2), "envelope count is 2, but items holds 1"),
        (
            "count",
            json!("1"),
            "envelope count is \"1\", expected the number of items",
        ),
        ("items", json!({"id": "u"}), "envelope items is not a list"),
        (
            "resource",
            json!("teams"),
            "envelope resource is \"teams\", the manifest says users",
        ),
    ];
    for (field, value, expected) in cases {
        let mut envelope = good();
        envelope[field] = value;
        let found = problems(&envelope, &USERS);
        assert!(
            found.len() == 1 && found[0].starts_with(expected),
            "{field}: {found:?}"
        );
    }
    let mut envelope = good();
    envelope["items"] = json!([]);
    envelope["count"] = json!(0);
    assert_eq!(
        problems(&envelope, &USERS),
        ["envelope count is 0, the manifest says 1"]
    );
    let mut envelope = good();
    envelope["kind"] = json!("derived");
    let unknown = Expected {
        resource: "future_artifact",
        ..USERS
    };
    envelope["schema"] = json!("iru-fivetran/future_artifact/v1");
    envelope["resource"] = json!("future_artifact");
    assert_eq!(
        problems(&envelope, &unknown),
        ["envelope kind is derived, the manifest says collected"]
    );
}

#[test]
fn every_problem_of_one_envelope_is_reported() {
    let found = problems(&json!({"items": 3}), &USERS);
    assert_eq!(found.len(), 5, "{found:?}");
    let found = check(serde_json::from_str("[1, 2"), &USERS);
    assert!(found[0].starts_with("not a JSON envelope"), "{found:?}");
}
