//! `connection_errors` in `connections.json` end to end: each connection's active errors read to
//! their last page, an endpoint the account is not offered (one request, every connection
//! marked), a key that may not read it, and one connection's failure.

use iru_fivetran_fake::{ConnectionErrorsMode, FakeOptions, FakeServer, Fault};
use serde_json::{Value, json};

use crate::support::{self, acme, collect, expected_requests, server};

/// The first connection the list gives, the one whose errors are read alone first.
const FIRST: &str = "fervent_ledger";

fn errors_path(id: &str) -> String {
    format!("/v1/connections/{id}/errors")
}

fn errors_requests(fake: &FakeServer) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/errors"))
        .map(|r| r.path)
        .collect()
}

fn connection<'a>(connections: &'a Value, id: &str) -> &'a Value {
    connections["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no connection {id}"))
}

fn types(errors: &Value) -> Vec<&str> {
    errors
        .as_array()
        .expect("a list of errors")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect()
}

#[test]
fn every_connection_carries_its_active_errors_read_to_the_last_page() {
    let account = acme();
    let fake = server(account.clone());
    let run = collect(&fake, &[]);
    run.assert_code(0);
    let connections = run.json("connections.json");
    assert_eq!(connections["status"], "complete");
    // Three errors at two a page: two pages, sorted by type whatever the order served.
    let broken = connection(&connections, "brittle_canyon");
    assert_eq!(
        types(&broken["connection_errors"]),
        ["reconnect", "sync_warning", "unknown_sync_failure"]
    );
    assert_eq!(
        broken["connection_errors"][0]["reason"],
        "The OAuth token was revoked"
    );
    let github = connection(&connections, "9c4e2a7f1b3d48e6a5f0c2d7e8b91a34");
    assert_eq!(types(&github["connection_errors"]), ["reconnect"]);
    for c in connections["items"].as_array().expect("items") {
        if !account
            .connection_errors
            .contains_key(c["id"].as_str().expect("id"))
        {
            assert_eq!(c["connection_errors"], json!([]), "{}", c["id"]);
        }
    }
    // One request per connection, the first one first and alone, plus the extra page.
    let requests = errors_requests(&fake);
    assert_eq!(requests.len(), account.connections.len() + 1);
    assert_eq!(
        fake.requests()
            .iter()
            .find(|r| r.path.ends_with("/errors"))
            .map(|r| r.accept.clone()),
        Some(Some("application/json;version=2".to_owned())),
        "read with version 2, as the reference page shows"
    );
    assert_eq!(requests[0], errors_path(FIRST));
    assert_eq!(fake.requests().len(), expected_requests(&account, 2));
}

#[test]
fn not_offered_is_one_request_and_every_connection_says_so() {
    for (mode, answer) in [
        (
            ConnectionErrorsMode::NotFound,
            "answered 404 NotFound: The requested resource could not be found",
        ),
        (ConnectionErrorsMode::NotImplemented, "answered 501 "),
    ] {
        let options = FakeOptions {
            connection_errors: mode,
            ..support::options()
        };
        let fake = FakeServer::start(acme(), options).expect("server");
        let run = collect(&fake, &["--resources", "connections"]);
        run.assert_code(0);
        let connections = run.json("connections.json");
        assert_eq!(connections["status"], "complete", "{mode:?}");
        assert_eq!(errors_requests(&fake), [errors_path(FIRST)], "{mode:?}");
        let expected = format!("GET {} {answer}", errors_path(FIRST));
        for c in connections["items"].as_array().expect("items") {
            let field = &c["connection_errors"];
            assert_eq!(field["status"], "unavailable", "{mode:?} {}", c["id"]);
            let reason = field["reason"].as_str().expect("reason");
            assert!(reason.starts_with(&expected), "{reason}");
            assert!(
                reason.ends_with("to this account or at this API version (a private preview when it was announced)"),
                "{reason}"
            );
        }
    }
}

#[test]
fn a_key_that_may_not_read_them_is_forbidden_once_and_the_artifact_partial() {
    let mut account = acme();
    account.forbidden.insert(
        errors_path(FIRST),
        "Access denied. Required permission: CONNECTOR_READ".into(),
    );
    let fake = server(account);
    let run = collect(&fake, &["--resources", "connections"]);
    run.assert_code(3);
    let connections = run.json("connections.json");
    assert_eq!(connections["status"], "partial");
    let reason = connections["reason"].as_str().expect("reason");
    assert!(
        reason.contains("connection_errors: 403 Forbidden") && reason.contains("CONNECTOR_READ"),
        "{reason}"
    );
    assert_eq!(errors_requests(&fake), [errors_path(FIRST)]);
    for c in connections["items"].as_array().expect("items") {
        assert_eq!(c["connection_errors"]["status"], "forbidden", "{}", c["id"]);
    }
}

#[test]
fn a_feature_the_account_lacks_is_unavailable_not_forbidden() {
    let mut account = acme();
    account.forbidden.insert(
        errors_path(FIRST),
        "Connection errors are not enabled for this account".into(),
    );
    let fake = server(account);
    let run = collect(&fake, &["--resources", "connections"]);
    run.assert_code(0);
    let connections = run.json("connections.json");
    assert_eq!(connections["status"], "complete");
    assert_eq!(errors_requests(&fake), [errors_path(FIRST)]);
    let field = &connection(&connections, "brittle_canyon")["connection_errors"];
    assert_eq!(field["status"], "unavailable");
    assert!(
        field["reason"]
            .as_str()
            .is_some_and(|r| r.contains("does not have this feature")),
        "{field}"
    );
}

#[test]
fn one_connection_that_fails_is_marked_and_the_others_are_read() {
    let account = acme();
    let fake = server(account.clone());
    fake.inject(
        Fault::status(&errors_path("brittle_canyon"), 500, "InternalError", "boom").times(100),
    );
    let run = collect(&fake, &["--resources", "connections"]);
    run.assert_code(3);
    let connections = run.json("connections.json");
    assert_eq!(connections["status"], "partial");
    let broken = connection(&connections, "brittle_canyon");
    assert_eq!(broken["connection_errors"], Value::Null);
    let incomplete = broken["_iru"]["incomplete"].to_string();
    assert!(
        incomplete.contains("connection_errors: HTTP 500"),
        "{incomplete}"
    );
    // A 500 says nothing of the endpoint: the others were asked, and answered.
    let github = connection(&connections, "9c4e2a7f1b3d48e6a5f0c2d7e8b91a34");
    assert_eq!(types(&github["connection_errors"]), ["reconnect"]);
}
