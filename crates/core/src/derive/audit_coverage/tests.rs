//! Unit tests of `derive::audit_coverage`.

use super::*;

fn envelope(status: &str, items: Value) -> Value {
    json!({"status": status, "items": items})
}

fn connector(id: &str, group: &str, paused: bool, state: &str, ok: bool, account: bool) -> Value {
    json!({"id": id, "group_id": group, "service": "fivetran_log", "paused": paused,
           "status": {"setup_state": state, "sync_state": "scheduled"},
           "succeeded_at": if ok { json!("2026-11-01T00:00:00Z") } else { Value::Null },
           "failed_at": null, "config": {"is_account_level_connector": account}})
}

fn sources(connections: Value, logs: Value, conn_status: &str) -> Sources {
    Sources::from_envelopes([
        (
            Artifact::Groups,
            envelope(
                "complete",
                json!([{"id": "a", "name": "A"}, {"id": "b", "name": "B"}, {"id": "c", "name": "C"}]),
            ),
        ),
        (
            Artifact::Destinations,
            envelope("complete", json!([{"id": "a", "service": "snowflake"}])),
        ),
        (Artifact::Connections, envelope(conn_status, connections)),
        (Artifact::LogServices, envelope("complete", logs)),
        (
            Artifact::Webhooks,
            envelope(
                "complete",
                json!([{"id": "w", "type": "group", "group_id": "b", "events": ["sync_end"], "active": true}]),
            ),
        ),
    ])
}

fn verdicts(c: &Collected) -> Vec<(String, String, String)> {
    c.items
        .iter()
        .map(|i| {
            (
                i["id"].as_str().expect("id").to_owned(),
                i["verdict"].as_str().expect("v").to_owned(),
                i["reason"].as_str().expect("r").to_owned(),
            )
        })
        .collect()
}

#[test]
fn each_destination_gets_a_verdict_with_its_reason() {
    let connections = json!([
        connector("pc_a", "a", true, "connected", true, false),
        connector("pc_c", "c", false, "connected", false, false),
        {"id": "pg", "group_id": "a", "service": "postgres"},
    ]);
    let logs = json!([{"id": "b", "service": "datadog_log", "enabled": true,
                       "status": {"setup_state": "CONNECTED"}}]);
    let c = derive(&sources(connections, logs, "complete"));
    let v = verdicts(&c);
    assert_eq!(v[0].1, "not_exported");
    assert!(
        v[0].2.contains("Platform Connector pc_a is paused"),
        "{}",
        v[0].2
    );
    assert_eq!(v[1].1, "exported");
    assert!(
        v[1].2.contains("log service b (datadog_log) is enabled"),
        "{}",
        v[1].2
    );
    assert_eq!(v[2].1, "not_exported");
    assert!(v[2].2.contains("never synced successfully"), "{}", v[2].2);
    assert_eq!(c.items[1]["webhooks"][0]["events"][0], "sync_end");
    assert_eq!(c.items[0]["name"], "A");
    assert_eq!(c.items[0]["destination_service"], "snowflake");
    assert_eq!(
        c.extra["verdicts"],
        json!({"exported": 1, "not_exported": 2})
    );
    assert!(
        c.extra["audit_trail"]
            .as_str()
            .expect("t")
            .contains("LOG table")
    );
}

#[test]
fn a_destination_with_nothing_is_not_exported() {
    let c = derive(&sources(json!([]), json!([]), "complete"));
    for (_, verdict, reason) in verdicts(&c) {
        assert_eq!(verdict, "not_exported");
        assert_eq!(
            reason,
            "no Platform Connector and no log service covers this destination"
        );
    }
}

#[test]
fn an_account_level_route_covers_every_destination() {
    let connections = json!([connector("pc", "a", false, "connected", true, true)]);
    let c = derive(&sources(connections.clone(), json!([]), "complete"));
    assert!(verdicts(&c).iter().all(|(_, v, _)| v == "exported"));
    assert_eq!(
        c.extra["account_level"]["platform_connectors"][0]["id"],
        "pc"
    );
    assert_eq!(
        c.items[0]["platform_connectors"],
        json!([]),
        "listed once, at account level"
    );

    let logs = json!([{"id": "acct", "service": "splunkLog", "enabled": true,
                       "status": {"setup_state": "connected"}, "_iru": {"account_level": true}}]);
    let c = derive(&sources(json!([]), logs, "complete"));
    assert!(
        verdicts(&c)
            .iter()
            .all(|(_, v, r)| v == "exported" && r.contains("account-level log service"))
    );
}

#[test]
fn incomplete_sources_give_unknown_not_a_false_negative() {
    let connections = json!([connector("pc_a", "a", true, "connected", true, false)]);
    let c = derive(&sources(connections, json!([]), "partial"));
    for (id, verdict, reason) in verdicts(&c) {
        assert_eq!(verdict, "unknown", "{id}");
        assert!(reason.contains("not read in full"), "{reason}");
    }
    assert!(verdicts(&c)[0].2.contains("pc_a is paused"));
}

#[test]
fn a_broken_or_disabled_route_does_not_count() {
    let connections = json!([connector("pc_a", "a", false, "broken", true, false)]);
    let logs = json!([{"id": "a", "service": "cloudwatch", "enabled": false,
                       "status": {"setup_state": "connected"}}]);
    let c = derive(&sources(connections, logs, "complete"));
    let (_, verdict, reason) = &verdicts(&c)[0];
    assert_eq!(verdict, "not_exported");
    assert!(
        reason.contains("setup state broken") && reason.contains("is disabled"),
        "{reason}"
    );
}

#[test]
fn a_route_whose_state_fivetran_leaves_out_makes_the_verdict_unknown() {
    // The spec: a log service's `status` is "present when a setup status exists".
    let logs = json!([{"id": "a", "service": "datadog_log", "enabled": true}]);
    let c = derive(&sources(json!([]), logs, "complete"));
    let (_, verdict, reason) = &verdicts(&c)[0];
    assert_eq!(verdict, "unknown");
    assert!(
        reason.contains("log service a (datadog_log) is enabled but has no setup state"),
        "{reason}"
    );
    assert!(c.items[0]["log_service"]["counts"].is_null());
    // A connector without `paused`, or without a setup state, is not known to work either.
    let mut no_paused = connector("pc_b", "b", false, "connected", true, false);
    no_paused.as_object_mut().expect("object").remove("paused");
    let mut no_state = connector("pc_c", "c", false, "connected", true, false);
    no_state["status"] = json!({});
    let c = derive(&sources(
        json!([no_paused, no_state]),
        json!([]),
        "complete",
    ));
    let v = verdicts(&c);
    assert_eq!((v[1].1.as_str(), v[2].1.as_str()), ("unknown", "unknown"));
    assert!(v[1].2.contains("has no `paused` state"), "{}", v[1].2);
    assert!(v[2].2.contains("has no setup state"), "{}", v[2].2);
    // Known not to work still gives not_exported.
    assert_eq!(v[0].1, "not_exported");
}
