//! Unit tests of the audit-trail findings.

use super::*;

fn action(id: &str, actor: Value, event: Option<&str>) -> Value {
    json!({"id": id, "at": "2026-12-05T10:00:00.000000Z", "actor": actor, "event": event,
           "action": "EDIT", "resource": {"type": "CONNECTION", "id": "c1"}})
}

#[test]
fn departed_people_are_listed_once_with_their_count_and_secrets_each() {
    let mut checks = TrailChecks::default();
    let gone = json!({"user_id": "ghost", "email": "ghost@acme.example", "active": false});
    let here = json!({"user_id": "maya", "email": "maya@acme.example", "active": true});
    let stranger = json!({"user_id": null, "email": "x@partner.example", "active": false});
    checks.add_action(&action("a1", gone.clone(), None));
    checks.add_action(&action("a2", gone, None));
    checks.add_action(&action("a3", here.clone(), Some("generate_api_secret")));
    checks.add_action(&action("a4", stranger, None));
    let mut generated = action("a5", here, None);
    generated["action"] = json!("GENERATE");
    generated["resource"] = json!({"type": "API_KEY", "id": "maya"});
    checks.add_action(&generated);
    let [unexplained, departed, secrets] = checks.finish();
    assert!(unexplained.subjects.is_empty());
    assert_eq!(departed.id, "FT-AUDIT-003");
    assert_eq!(
        departed.subjects,
        vec![
            json!({"id": "ghost", "label": "ghost@acme.example", "actions": 2}),
            json!({"id": "x@partner.example", "label": "x@partner.example", "actions": 1}),
        ]
    );
    assert_eq!(secrets.id, "FT-AUDIT-004");
    let ids: Vec<&Value> = secrets.subjects.iter().map(|s| &s["id"]).collect();
    assert_eq!(ids, [&json!("a3"), &json!("a5")]);
    assert_eq!(secrets.subjects[0]["label"], "maya@acme.example");
}

#[test]
fn only_unexplained_changes_are_listed_and_a_partial_source_is_forgotten() {
    let mut checks = TrailChecks::default();
    for (id, status) in [
        ("c1", "unexplained"),
        ("c2", "explained"),
        ("c3", "not_covered"),
    ] {
        checks.add_change(&json!({"id": id, "label": "L", "kind": "connection_paused",
                                  "field": "paused", "audit": {"status": status}}));
    }
    checks.add_action(&action(
        "a1",
        json!({"user_id": "g", "active": false}),
        None,
    ));
    checks.forget(Artifact::AuditTrail);
    let [unexplained, departed, _] = checks.finish();
    assert_eq!(unexplained.id, "FT-AUDIT-002");
    assert_eq!(
        unexplained.subjects,
        vec![json!({"id": "c1", "label": "L", "change": "connection_paused paused"})]
    );
    assert!(departed.subjects.is_empty());
}
