//! Unit tests of `verify::envelope`.

use serde_json::json;

use super::*;
use crate::evidence::bundle::read_envelope;

fn problems(envelope: &Value, expected: &Expected<'_>) -> Vec<String> {
    let bytes = serde_json::to_vec(envelope).expect("json");
    check(read_envelope(&bytes[..], drop), expected)
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
    let found = check(read_envelope(&b"[1, 2"[..], drop), &USERS);
    assert!(found[0].starts_with("not a JSON envelope"), "{found:?}");
}

#[test]
fn what_the_shared_reader_refuses_is_not_an_envelope() {
    let head = br#"{"schema":"iru-fivetran/users/v1","resource":"users","kind":"collected","status":"complete","count":1,"items":[{"id":"u","x":"#;
    let deep = format!("{}{}", "{\"a\":".repeat(140), "}".repeat(140));
    for (what, value) in [
        ("invalid UTF-8", b"\"\xff\"".to_vec()),
        ("a lone surrogate", br#""\udc00""#.to_vec()),
        ("nesting past 128", deep.clone().into_bytes()),
    ] {
        let mut bytes = head.to_vec();
        bytes.extend(value);
        bytes.extend(b"}]}");
        let found = check(read_envelope(&bytes[..], drop), &USERS);
        assert!(
            found.len() == 1 && found[0].starts_with("not a JSON envelope"),
            "{what}: {found:?}"
        );
    }
    // Outside `items` too: a field the check does not look at is parsed all the same.
    let mut bytes = br#"{"extra":"#.to_vec();
    bytes.extend(deep.into_bytes());
    bytes.push(b',');
    bytes.extend(&head[1..]);
    bytes.extend(b"1}]}");
    let found = check(read_envelope(&bytes[..], drop), &USERS);
    assert!(
        found[0].starts_with("not a JSON envelope") && found[0].contains("recursion limit"),
        "{found:?}"
    );
}

#[test]
fn a_key_twice_at_the_top_is_refused_by_every_reader() {
    let twice = br#"{"schema":"iru-fivetran/users/v1","resource":"users","kind":"collected","status":"complete","count":1,"items":[{"id":"u"}],"status":"failed"}"#;
    let found = check(read_envelope(&twice[..], drop), &USERS);
    assert!(
        found.len() == 1 && found[0].contains("the key \"status\" more than once"),
        "{found:?}"
    );
    assert!(crate::evidence::bundle::read_items(&twice[..], drop).is_err());
    let items_twice = br#"{"schema":"iru-fivetran/users/v1","resource":"users","kind":"collected","status":"complete","count":1,"items":[{"id":"u"}],"items":[]}"#;
    assert!(crate::evidence::bundle::read_items(&items_twice[..], drop).is_err());
}
