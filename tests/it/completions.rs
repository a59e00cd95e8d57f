//! The completed artifacts of issue 19: each log service with its detail, each private link
//! with its detail, each group with its SSH public key and service account.

use serde_json::Value;

use crate::support::{acme, collect, requests_to, server};

fn item<'a>(artifact: &'a Value, id: &str) -> &'a Value {
    artifact["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {artifact}"))
}

#[test]
fn log_services_private_links_and_groups_carry_their_details() {
    let fake = server(acme());
    let run = collect(&fake, &[]);
    run.assert_code(0);

    let logs = run.json("log_services.json");
    let datadog = item(&logs, "warm_harbor");
    assert_eq!(datadog["setup_tests"][0]["status"], "PASSED");
    assert_eq!(datadog["config"]["api_key"], "<redacted>");
    let cloudwatch = item(&logs, "quiet_meadow");
    assert_eq!(cloudwatch["setup_tests"][0]["status"], "FAILED");
    assert_eq!(requests_to(&fake, "/v1/external-logging/warm_harbor"), 1);
    // The account-level service's answer is its detail: not read twice.
    assert_eq!(requests_to(&fake, "/v1/external-logging/vivid_anchor"), 0);

    let links = run.json("private_links.json");
    assert_eq!(
        item(&links, "jolly_isthmus")["resource_upstream_status"],
        "AVAILABLE"
    );

    let groups = run.json("groups.json");
    let production = item(&groups, "warm_harbor");
    assert!(
        production["public_key"]
            .as_str()
            .is_some_and(|k| k.starts_with("ssh-rsa ")),
        "{production}"
    );
    assert_eq!(
        production["service_account"],
        "g-warm-harbor@fivetran-production.iam.gserviceaccount.com"
    );
    assert_eq!(requests_to(&fake, "/v1/groups/warm_harbor/public-key"), 1);
    assert_eq!(
        requests_to(&fake, "/v1/groups/warm_harbor/service-account"),
        1
    );
}

#[test]
fn a_refused_follow_up_leaves_a_null_field_and_a_partial_artifact() {
    let mut account = acme();
    account.forbidden.insert(
        "/v1/groups/quiet_meadow/service-account".into(),
        "Access denied. Required permission: DESTINATION_MANAGE".into(),
    );
    let fake = server(account);
    let run = collect(&fake, &["--resources", "groups"]);
    run.assert_code(3);
    let groups = run.json("groups.json");
    assert_eq!(groups["status"], "partial");
    let meadow = item(&groups, "quiet_meadow");
    assert!(meadow["service_account"].is_null());
    assert!(meadow["public_key"].is_string());
    assert!(
        meadow["_iru"]["incomplete"][0]
            .as_str()
            .is_some_and(|m| m.contains("DESTINATION_MANAGE")),
        "{meadow}"
    );
}
