//! Answers shaped as Fivetran's own OpenAPI and SDK mocks shape them, that once made a verdict
//! lie: a log service without `status`, a detail that answers for another id, a page with a
//! cursor key the collector does not know, a `logged_in_at` without a zone, a string
//! `sync_frequency`. Each is served by the fake and read back from the bundle and the report.

use iru_fivetran_core::report::{self, Format};
use iru_fivetran_fake::Fault;
use serde_json::{Value, json};

use crate::support::{self, acme, collect, server};

fn by_id<'a>(envelope: &'a Value, id: &str) -> &'a Value {
    envelope["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {envelope}"))
}

#[test]
fn a_log_service_without_status_is_unknown_never_not_exported() {
    // The only route that could export: the account-wide service, enabled, and no `status`
    // (the spec: "present when a setup status exists"). The account-level Platform Connector
    // is paused.
    let mut account = acme();
    account.log_services.clear();
    // No Platform Connector that syncs either (acme's for its warehouse would export).
    account
        .connections
        .retain(|c| c["service"] != "fivetran_log" || c["paused"] == true);
    let mut service = account.account_log_service.take().expect("acme has one");
    service.as_object_mut().expect("object").remove("status");
    account.account_log_service = Some(service);
    let fake = server(account);
    let run = collect(&fake, &["--resources", "audit_coverage,findings"]);
    let coverage = run.json("audit_coverage.json");
    for item in coverage["items"].as_array().expect("items") {
        assert_eq!(item["verdict"], "unknown", "{item}");
        let reason = item["reason"].as_str().expect("reason");
        assert!(reason.contains("has no setup state"), "{reason}");
    }
    let findings = run.json("findings.json");
    let audit = by_id(&findings, "FT-AUDIT-001");
    assert_eq!(audit["status"], "n/a", "{audit}");
    assert!(
        audit["reason"]
            .as_str()
            .expect("a reason")
            .contains("have verdict `unknown`")
    );
}

#[test]
fn a_detail_that_answers_for_another_id_keeps_the_listed_id_and_is_marked() {
    let mut account = acme();
    let listed: Vec<String> = account
        .destinations
        .iter()
        .take(2)
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect();
    for id in &listed {
        let detail = account.destination_details.get_mut(id).expect("detail");
        detail["id"] = json!("decent_dropsy");
    }
    account
        .connection_details
        .get_mut("fervent_ledger")
        .expect("detail")["id"] = json!("decent_dropsy");
    let fake = server(account);
    let run = collect(
        &fake,
        &[
            "--resources",
            "destinations,connections,sync_history",
            "--since",
            "2d",
        ],
    );
    run.assert_code(3);
    let destinations = run.json("destinations.json");
    assert_eq!(destinations["status"], "partial");
    for id in &listed {
        let item = by_id(&destinations, id);
        assert_eq!(
            item["_iru"]["detail_id_mismatch"]["answered"],
            "decent_dropsy"
        );
        assert_eq!(item["_iru"]["detail_id_mismatch"]["asked"], id.as_str());
    }
    let ids: Vec<&str> = destinations["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert!(!ids.contains(&"decent_dropsy"), "{ids:?}");
    let connections = run.json("connections.json");
    let kept = by_id(&connections, "fervent_ledger");
    assert_eq!(
        kept["_iru"]["detail_id_mismatch"]["answered"],
        "decent_dropsy"
    );
    // Sync history is asked only for listed ids.
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.path.contains("decent_dropsy")),
        "a request for an id that was never listed"
    );
}

#[test]
fn a_page_with_an_unknown_cursor_key_is_not_trusted_as_the_last() {
    let roles = acme().roles;
    let first = json!({"code": "Success", "data": {
        "items": [roles[0].clone(), roles[1].clone()],
        "nextCursor": "eyJza2lwIjoyfQ",
    }});
    let fake = server(acme());
    fake.inject(
        Fault::status("/v1/roles", 200, "", "")
            .body(&first.to_string())
            .times(1),
    );
    let run = collect(&fake, &["--resources", "roles"]);
    run.assert_code(3);
    let envelope = run.json("roles.json");
    assert_eq!(envelope["status"], "partial");
    assert_eq!(envelope["count"], 2, "what was read is kept");
    let reason = support::reason(&envelope);
    assert!(
        reason.contains("keys the collector does not know next to `items` (`nextCursor`)"),
        "{reason}"
    );
    let manifest = run.manifest();
    assert_eq!(
        support::manifest_artifact(&manifest, "roles")["status"],
        "partial"
    );
}

#[test]
fn a_login_time_without_a_zone_makes_the_login_findings_n_a() {
    let mut account = acme();
    for user in &mut account.users {
        user["logged_in_at"] = json!("2026-08-20T10:00:00");
        user["invited"] = json!(true);
    }
    let fake = server(account);
    let run = collect(&fake, &["--resources", "findings"]);
    let findings = run.json("findings.json");
    for id in ["FT-ACCESS-002", "FT-ACCESS-003"] {
        let check = by_id(&findings, id);
        assert_eq!(check["status"], "n/a", "{check}");
        assert!(
            check["reason"]
                .as_str()
                .expect("a reason")
                .contains("not a time with a zone"),
            "{check}"
        );
    }
}

#[test]
fn a_string_sync_frequency_reads_in_the_report_like_the_number() {
    let mut account = acme();
    // The spec's enum lists "1440"; version-2 answers carry 1440.
    for c in &mut account.connections {
        if c["id"] == "ochre_thimble" {
            c["sync_frequency"] = json!("1440");
        }
    }
    if let Some(detail) = account.connection_details.get_mut("ochre_thimble") {
        detail["sync_frequency"] = json!("1440");
    }
    let fake = server(account);
    let run = collect(&fake, &[]);
    assert_eq!(
        by_id(&run.json("connections.json"), "ochre_thimble")["sync_frequency"],
        "1440",
        "the JSON keeps what Fivetran sent"
    );
    let (markdown, _) =
        report::render(&run.bundle(), Format::Markdown, None, 1000).expect("report");
    let row = markdown
        .lines()
        .find(|l| l.starts_with('|') && l.contains("ochre_thimble") && l.contains("google"))
        .expect("the connections table's row for ochre_thimble");
    assert!(row.contains("every 1 day(s)"), "{row}");
    assert!(!row.contains("not set"), "{row}");
}
