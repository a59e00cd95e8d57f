//! Unit tests of `derive::activity`.

use super::*;
use crate::derive::Sources;

/// Builds the artifact from sources in memory.
fn derive(sources: &Sources) -> Collected {
    let mut events = Vec::new();
    let mut each = |artifact: Artifact, f: &mut dyn FnMut(&Value)| {
        sources.items(artifact).iter().for_each(f);
    };
    let (status, reason) = derive_streaming(&mut each, &mut |e| events.push(e));
    Collected {
        items: events,
        status,
        reason,
        ..Collected::default()
    }
}

#[test]
fn times_are_fixed_width_so_text_order_is_time_order() {
    let a = normalize("2023-01-09T15:25:41Z").expect("a");
    let b = normalize("2023-01-09T15:25:41.734Z").expect("b");
    assert_eq!(a, "2023-01-09T15:25:41.000000Z");
    assert_eq!(b, "2023-01-09T15:25:41.734000Z");
    assert!(a < b);
    assert_eq!(normalize("yesterday"), None);
}

#[test]
fn events_carry_subject_actor_and_object() {
    let sources = Sources::from_envelopes([
        (
            Artifact::Users,
            json!({"status": "complete", "items": [{
                "id": "u1", "email": "a@x", "created_at": "2024-01-01T00:00:00Z",
                "logged_in_at": null,
                "group_memberships": [{"id": "g1", "role": "Destination Reviewer",
                                       "created_at": "2024-02-01T00:00:00.5Z"}],
                "connection_memberships": []}]}),
        ),
        (
            Artifact::Connections,
            json!({"status": "complete", "items": [{
                "id": "c1", "schema": "pg", "created_at": "2024-03-01T00:00:00Z",
                "connected_by": "u1", "succeeded_at": "not a time", "failed_at": null}]}),
        ),
    ]);
    let c = derive(&sources);
    let events: Vec<&str> = c
        .items
        .iter()
        .map(|e| e["event"].as_str().expect("e"))
        .collect();
    assert_eq!(
        events,
        [
            "user_created",
            "group_membership_created",
            "connection_created"
        ]
    );
    assert_eq!(
        c.items[1]["object"],
        json!({"type": "group", "id": "g1", "role": "Destination Reviewer"})
    );
    assert_eq!(c.items[1]["time"], "2024-02-01T00:00:00.500000Z");
    assert_eq!(c.items[2]["actor"], "u1");
    assert_eq!(c.items[2]["subject_label"], "pg");
    assert_eq!(c.status, Status::Partial);
    assert!(
        c.reason
            .expect("reason")
            .contains("connections.succeeded_at of c1")
    );
}
