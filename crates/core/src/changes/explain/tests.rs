//! Unit tests of explaining changes by the audit trail.

use super::*;

fn change(artifact: Artifact, id: &str) -> Change {
    Change {
        kind: "connection_paused",
        artifact,
        id: id.into(),
        label: None,
        field: "paused".into(),
        before: json!(false),
        after: json!(true),
        note: None,
        audit: None,
    }
}

fn t(s: &str) -> Timestamp {
    s.parse().expect("time")
}

fn item(id: &str, at: &str, kind: &str, on: &str, secondary: Option<(&str, &str)>) -> Value {
    json!({
        "id": id,
        "at": at,
        "action": "EDIT",
        "event": null,
        "method": "API",
        "actor": {"user_id": "u1", "email": "u1@acme.example", "active": true},
        "resource": {"type": kind, "id": on, "name": null},
        "secondary": secondary.map(|(k, i)| json!({"type": k, "id": i, "name": null})),
    })
}

fn envelope(status: &str, covered: Option<(&str, &str)>) -> Map<String, Value> {
    let source = json!({
        "window_covered": covered.map(|(s, e)| json!({"start": s, "end": e})),
    });
    json!({"status": status, "sources": [source]})
        .as_object()
        .expect("object")
        .clone()
}

const FROM: &str = "2026-12-05T00:00:00Z";
const UNTIL: &str = "2026-12-06T00:00:00Z";

fn explained(changes: &mut [Change], items: &[Value], envelope: Option<&Map<String, Value>>) {
    let mut c = Collector::new(changes, Some(t(FROM)), Some(t(UNTIL)));
    for i in items {
        c.add(i);
    }
    c.finish(changes, envelope);
}

#[test]
fn actions_on_the_item_in_the_window_explain_its_change() {
    let mut changes = vec![
        change(Artifact::Connections, "c1"),
        change(Artifact::Users, "u9"),
        change(Artifact::Groups, "g1"),
        change(Artifact::Webhooks, "w1"),
    ];
    let items = [
        item(
            "audit_trail:a1",
            "2026-12-05T10:00:00.000000Z",
            "CONNECTION",
            "c1",
            None,
        ),
        // Before the baseline, after the newer bundle: not this change's.
        item(
            "audit_trail:a0",
            "2026-12-04T23:59:59.000000Z",
            "CONNECTION",
            "c1",
            None,
        ),
        item(
            "audit_trail:a9",
            "2026-12-06T00:00:00.000000Z",
            "CONNECTION",
            "c1",
            None,
        ),
        // A user named as the secondary resource (added to a destination).
        item(
            "log:l1",
            "2026-12-05T11:00:00.000000Z",
            "DESTINATION",
            "g1",
            Some(("USER", "u9")),
        ),
    ];
    let env = envelope(
        "complete",
        Some(("2026-12-04T00:00:00.000000Z", "2026-12-05T20:00:00.000000Z")),
    );
    explained(&mut changes, &items, Some(&env));
    let audit = |i: usize| changes[i].audit.clone().expect("explained");
    assert_eq!(audit(0)["status"], "explained");
    assert_eq!(audit(0)["events"].as_array().expect("events").len(), 1);
    assert_eq!(audit(0)["events"][0]["id"], "audit_trail:a1");
    assert_eq!(audit(0)["events"][0]["actor"]["email"], "u1@acme.example");
    assert_eq!(audit(0)["covered_until"], "2026-12-05T20:00:00.000000Z");
    assert_eq!(audit(1)["status"], "explained", "by the secondary resource");
    assert_eq!(audit(2)["status"], "explained", "a group is a destination");
    assert_eq!(audit(3)["status"], "unexplained");
    assert_eq!(audit(3)["covered_until"], "2026-12-05T20:00:00.000000Z");
    assert_eq!(changes[0].to_json()["audit"]["status"], "explained");
}

#[test]
fn without_a_trail_covering_the_baseline_nothing_is_said() {
    for (env, says) in [
        (None, "the newer bundle has no audit trail"),
        (
            Some(envelope("unavailable", None)),
            "audit trail is unavailable",
        ),
        (Some(envelope("failed", None)), "audit trail is failed"),
        (
            Some(envelope(
                "partial",
                Some(("2026-12-05T06:00:00.000000Z", "2026-12-05T20:00:00.000000Z")),
            )),
            "does not cover from the baseline's collection (2026-12-05T00:00:00Z)",
        ),
        (Some(envelope("complete", None)), "does not cover"),
    ] {
        let mut changes = vec![change(Artifact::Connections, "c1")];
        explained(&mut changes, &[], env.as_ref());
        let audit = changes[0].audit.clone().expect("said");
        assert_eq!(audit["status"], "not_covered");
        assert!(
            audit["reason"].as_str().expect("reason").contains(says),
            "{audit}"
        );
    }
}

#[test]
fn many_actions_are_cut_and_counted() {
    let mut changes = vec![change(Artifact::Connections, "c1")];
    let items: Vec<Value> = (0..25)
        .map(|i| {
            item(
                &format!("log:l{i:02}"),
                &format!("2026-12-05T10:{i:02}:00.000000Z"),
                "connection",
                "c1",
                None,
            )
        })
        .collect();
    let env = envelope("complete", Some((FROM, UNTIL)));
    explained(&mut changes, &items, Some(&env));
    let audit = changes[0].audit.clone().expect("explained");
    assert_eq!(
        audit["events"].as_array().expect("events").len(),
        MAX_EVENTS
    );
    assert_eq!(audit["more_events"], 5);
    assert_eq!(audit["events"][0]["id"], "log:l00");
}
