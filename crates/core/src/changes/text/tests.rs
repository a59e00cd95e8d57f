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
        audit: None,
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

#[test]
fn each_change_says_who_made_it_when_the_trail_knows() {
    let mut made = change(
        "user_role_changed",
        "maya",
        "role",
        serde_json::json!("a"),
        serde_json::json!("b"),
    );
    made.audit = Some(serde_json::json!({
        "status": "explained",
        "events": [{"id": "x", "at": "2026-12-05T10:00:00.000000Z", "method": "WEB_UI",
                    "actor": {"user_id": "u2", "email": "boss\u{1b}@acme.example"}}],
        "more_events": 2,
    }));
    let mut unknown = change(
        "user_role_changed",
        "jonas",
        "role",
        serde_json::json!("a"),
        serde_json::json!("b"),
    );
    unknown.audit =
        Some(serde_json::json!({"status": "unexplained", "events": [], "more_events": 0}));
    let mut silent = change(
        "user_role_changed",
        "priya",
        "role",
        serde_json::json!("a"),
        serde_json::json!("b"),
    );
    silent.audit =
        Some(serde_json::json!({"status": "not_covered", "events": [], "more_events": 0}));
    let snap = Snapshot::default();
    let text = render(&[made, unknown, silent], &snap, &snap, &[]);
    assert!(
        text.contains(
            "[by boss\\u{1b}@acme.example at 2026-12-05T10:00:00.000000Z via WEB_UI; and 2 more]"
        ),
        "{text}"
    );
    assert!(
        text.contains("jonas (u1)  role: \"a\" -> \"b\"  [no audit event explains it]"),
        "{text}"
    );
    let priya = text.lines().find(|l| l.contains("priya")).expect("priya");
    assert!(!priya.contains('['), "{priya}");
}
