//! The derived audit evidence: audit coverage and the activity timeline, end to end.

use serde_json::Value;

use crate::support::{acme, collect, server};

fn by_id<'a>(envelope: &'a Value, id: &str) -> &'a Value {
    envelope["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn audit_coverage_gives_each_destination_a_verdict() {
    // Without the account-wide Splunk service, each destination stands on its own routes:
    // warm_harbor has a paused Platform Connector but a working Datadog service, quiet_meadow a
    // disabled CloudWatch service, the third destination nothing at all.
    let mut account = acme();
    account.account_log_service = None;
    let fake = server(account);
    let run = collect(&fake, &["--resources", "audit_coverage"]);
    run.assert_code(0);
    let coverage = run.json("audit_coverage.json");
    assert_eq!(coverage["kind"], "derived");
    assert_eq!(coverage["status"], "complete");
    assert!(
        coverage["audit_trail"]
            .as_str()
            .expect("t")
            .contains("no audit-log endpoint")
    );
    assert!(coverage["audit_trail"].as_str().expect("t").contains(
        "The trail itself is in audit_trail.json where the vault file names an audit source"
    ));

    let warm = by_id(&coverage, "warm_harbor");
    assert_eq!(warm["verdict"], "exported");
    assert!(warm["reason"].as_str().expect("r").contains("datadog_log"));
    assert_eq!(
        warm["platform_connectors"],
        serde_json::json!([]),
        "account-level one listed apart"
    );
    let quiet = by_id(&coverage, "quiet_meadow");
    assert_eq!(quiet["verdict"], "not_exported");
    let reason = quiet["reason"].as_str().expect("r");
    assert!(reason.contains("cloudwatch) is disabled"), "{reason}");
    assert!(
        reason.contains("Platform Connector lone_sextant is paused"),
        "{reason}"
    );
    assert_eq!(quiet["webhooks"][0]["id"], "rapid_sparrow");
    let third = by_id(&coverage, "4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7");
    assert_eq!(third["verdict"], "not_exported");
    // The warehouse destination's own Platform Connector runs.
    let kiln = by_id(&coverage, "sturdy_kiln");
    assert_eq!(kiln["verdict"], "exported");
    assert_eq!(kiln["platform_connectors"][0]["id"], "quiet_abacus");

    let account_level = &coverage["account_level"];
    assert_eq!(
        account_level["platform_connectors"][0]["id"],
        "lone_sextant"
    );
    assert_eq!(account_level["platform_connectors"][0]["paused"], true);
    assert_eq!(
        account_level["platform_connectors"][0]["account_level"],
        true
    );
    assert!(account_level["log_service"].is_null());
    assert_eq!(account_level["webhooks"][0]["id"], "mellow_tundra");
    assert_eq!(
        coverage["verdicts"],
        serde_json::json!({"exported": 2, "not_exported": 2})
    );
}

#[test]
fn an_account_wide_log_service_covers_every_destination() {
    let fake = server(acme());
    let run = collect(&fake, &["--resources", "audit_coverage"]);
    run.assert_code(0);
    let coverage = run.json("audit_coverage.json");
    for item in coverage["items"].as_array().expect("items") {
        assert_eq!(item["verdict"], "exported", "{item}");
    }
    assert_eq!(
        coverage["account_level"]["log_service"]["id"],
        "vivid_anchor"
    );
}

#[test]
fn unread_connections_make_the_verdict_unknown() {
    let mut account = acme();
    account.account_log_service = None;
    account
        .forbidden
        .insert("/v1/connections".into(), "Access denied".into());
    let fake = server(account);
    let run = collect(&fake, &["--resources", "audit_coverage"]);
    run.assert_code(3);
    let coverage = run.json("audit_coverage.json");
    assert_eq!(coverage["status"], "partial");
    assert!(
        coverage["reason"]
            .as_str()
            .expect("r")
            .contains("built from incomplete sources: connections (forbidden)")
    );
    // Datadog still proves warm_harbor; the others cannot be judged.
    assert_eq!(by_id(&coverage, "warm_harbor")["verdict"], "exported");
    assert_eq!(by_id(&coverage, "quiet_meadow")["verdict"], "unknown");
}

#[test]
fn activity_lists_the_api_facts_in_time_order() {
    let account = acme();
    let fake = server(account.clone());
    let run = collect(&fake, &["--resources", "activity"]);
    run.assert_code(0);
    let activity = run.json("activity.json");
    assert_eq!(activity["kind"], "derived");
    let items = activity["items"].as_array().expect("items");
    let times: Vec<&str> = items
        .iter()
        .map(|e| e["time"].as_str().expect("t"))
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "sorted by time");
    let count = |event: &str| items.iter().filter(|e| e["event"] == event).count();
    assert_eq!(count("user_created"), account.users.len());
    let logged_in = account
        .users
        .iter()
        .filter(|u| u["logged_in_at"].is_string())
        .count();
    assert_eq!(count("user_last_login"), logged_in);
    assert_eq!(count("connection_created"), account.connections.len());
    assert_eq!(count("webhook_created"), account.webhooks.len());
    assert_eq!(count("system_key_created"), account.system_keys.len());
    let memberships: usize = account.user_groups.values().map(Vec::len).sum();
    assert_eq!(count("group_membership_created"), memberships);
    let team_members: usize = account.team_users.values().map(Vec::len).sum();
    assert_eq!(count("team_membership_created"), team_members);
    assert_eq!(count("proxy_agent_registered"), 1);
    // The actor is named where Fivetran names one.
    let created = items
        .iter()
        .find(|e| e["event"] == "connection_created" && e["subject_id"] == "fervent_ledger")
        .expect("event");
    let detail = &account.connection_details["fervent_ledger"];
    assert_eq!(created["actor"], detail["connected_by"]);
    assert_eq!(created["source"], "connections");
}
