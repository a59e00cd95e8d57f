//! Unit tests of `changes::text`.

use super::*;

fn change(kind: &'static str, label: &str, field: &str, before: Value, after: Value) -> Change {
    Change {
        kind,
        artifact: Artifact::Users,
        id: "u1".into(),
        label: Some(label.into()),
        field: field.into(),
        before,
        after,
        note: None,
    }
}

#[test]
fn untrusted_strings_are_escaped_and_headlines_filled() {
    let evil = "eve\u{1b}[31m@x\u{202e}\n";
    let changes = vec![
        change(
            "user_added",
            evil,
            "role",
            Value::Null,
            "Account Administrator".into(),
        ),
        change(
            "group_membership_granted",
            "bob@x",
            "group_memberships.g1",
            Value::Null,
            "Destination Reviewer\u{9b}".into(),
        ),
    ];
    let text = render(&changes, &Snapshot::default(), &Snapshot::default(), &[]);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(!text.contains('\u{202e}'), "{text:?}");
    assert!(
        text.contains("new administrators: eve\\u{1b}[31m@x\\u{202e}\\u{a} (u1)"),
        "{text}"
    );
    assert!(text.contains("granted roles: "), "{text}");
    assert!(text.contains("on group g1"), "{text}");
    assert!(text.contains("removed users: none"), "{text}");
    assert!(text.contains("      1  user_added"), "{text}");
}

#[test]
fn long_values_are_cut() {
    let long = Value::String("x".repeat(500));
    assert_eq!(value(&long).chars().count(), VALUE_MAX + 3);
}
