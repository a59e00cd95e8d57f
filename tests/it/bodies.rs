//! Answers whose body is wrong though the connection is sound: empty, HTML, not JSON, without
//! `data` or with `data.items` not a list, nested too deep, not UTF-8. What may pass (not JSON,
//! cut short, too deep to parse) is retried; well-formed JSON of the wrong shape is what the
//! server means and is not. Either way the reason names it and the bundle stays readable. How
//! large a body may be is in `transport.rs`.

use iru_fivetran_core::verify;
use iru_fivetran_fake::Fault;
use serde_json::Value;

use crate::support::{self, acme, reason, server};

#[test]
fn empty_html_and_non_json_bodies_are_retried_and_named() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/roles", 200, "", "").body(""));
    fake.inject(Fault::status("/v1/groups", 503, "", "").body(""));
    fake.inject(
        Fault::status("/v1/webhooks", 504, "", "")
            .body("<html><body><h1>504 Gateway Time-out</h1></body></html>"),
    );
    fake.inject(Fault::status("/v1/system-keys", 200, "", "").body("OK"));
    fake.inject(Fault::status("/v1/proxy", 200, "", "").body(r#"{"data":{"id":"x"}}"#));
    let run = support::collect(
        &fake,
        // `-v`: each retry is a debug line (the default shows one line per artifact).
        &[
            "-v",
            "--resources",
            "roles,groups,webhooks,system_keys,proxy_agents",
        ],
    );
    // The proxy list's well-formed answer without a list of items is final (see
    // `a_well_formed_answer_of_the_wrong_shape_is_not_retried`): exit 3.
    run.assert_code(3);
    for needle in [
        "retrying GET /v1/roles in",
        "undecodable answer: EOF while parsing a value",
        "HTTP 503 on GET /v1/groups after 1 attempt(s): empty body",
        "HTTP 504 on GET /v1/webhooks after 1 attempt(s): non-JSON body of 55 bytes",
        "retrying GET /v1/system-keys in",
        "undecodable answer: expected value",
        "undecodable answer: `data.items` is not an array",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    let manifest = run.manifest();
    assert_eq!(manifest["requests"]["retries"], 4);
    for name in ["roles", "groups", "webhooks", "system_keys"] {
        assert_eq!(
            support::manifest_artifact(&manifest, name)["status"],
            "complete",
            "{name}"
        );
    }
    assert_eq!(
        support::manifest_artifact(&manifest, "proxy_agents")["status"],
        "failed"
    );
}

#[test]
fn a_well_formed_answer_of_the_wrong_shape_is_not_retried() {
    let fake = server(acme());
    // A list whose items are not a list, an object whose data is not an object: well-formed
    // JSON, asked again it would be the same. Served far more often than the attempts.
    fake.inject(
        Fault::status("/v1/roles", 200, "", "")
            .body(r#"{"code":"Success","data":{"items":{}}}"#)
            .times(100),
    );
    fake.inject(
        Fault::status("/v1/destinations/warm_harbor", 200, "", "")
            .body(r#"{"code":"Success","data":[1]}"#)
            .times(100),
    );
    // Not JSON at all: a hiccup that may pass, still retried.
    fake.inject(Fault::status("/v1/groups", 200, "", "").body("<html>busy</html>"));
    let run = support::collect(&fake, &["--resources", "roles,destinations,groups"]);
    run.assert_code(3);
    assert_eq!(support::requests_to(&fake, "/v1/roles"), 1, "not retried");
    assert_eq!(
        support::requests_to(&fake, "/v1/destinations/warm_harbor"),
        1,
        "not retried"
    );
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "failed");
    assert_eq!(
        reason(&roles),
        "GET /v1/roles failed after 1 attempt(s): undecodable answer: `data.items` is not an array (well-formed JSON of the wrong shape: not retried)"
    );
    let destinations = run.json("destinations.json");
    assert_eq!(destinations["status"], "partial");
    assert!(
        reason(&destinations).contains("`data` is not an object"),
        "{}",
        reason(&destinations)
    );
    assert_eq!(run.json("groups.json")["status"], "complete");
    assert_eq!(
        support::requests_to(&fake, "/v1/groups"),
        1 + 2,
        "retried, then 2 pages"
    );
    assert_eq!(run.manifest()["requests"]["retries"], 1);
}

#[test]
fn a_body_that_never_has_data_fails_that_artifact_with_the_reason() {
    let fake = server(acme());
    fake.inject(
        Fault::status("/v1/roles", 200, "", "")
            .body(r#"{"code":"Success"}"#)
            .times(100),
    );
    fake.inject(Fault::status("/v1/groups", 502, "", "").body("").times(100));
    let run = support::collect(&fake, &["--resources", "roles,groups,webhooks"]);
    run.assert_code(3);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "failed");
    assert_eq!(
        reason(&roles),
        "GET /v1/roles failed after 1 attempt(s): undecodable answer: no `data` in the answer (well-formed JSON of the wrong shape: not retried)"
    );
    let groups = run.json("groups.json");
    assert_eq!(
        reason(&groups),
        "HTTP 502 on GET /v1/groups after 6 attempt(s): empty body"
    );
    assert_eq!(run.json("webhooks.json")["status"], "complete");
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    let fake = server(acme());
    let body = format!(
        r#"{{"code":"Success","data":{{"items":[{}]}}}}"#,
        nested(100_000)
    );
    fake.inject(
        Fault::status("/v1/roles", 200, "", "")
            .body(&body)
            .times(100),
    );
    let run = support::collect(&fake, &["--resources", "roles,groups"]);
    run.assert_code(3);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "failed");
    assert!(
        reason(&roles).starts_with(
            "GET /v1/roles failed after 6 attempt(s): undecodable answer: recursion limit exceeded"
        ),
        "{}",
        reason(&roles)
    );
    assert_eq!(run.json("groups.json")["status"], "complete");
}

/// Every file of a bundle parses back as JSON, and no derived artifact calls a source
/// incomplete that the manifest calls complete.
fn assert_readable_back(bundle: &std::path::Path) {
    verify::verify(bundle).expect("verifies");
    for file in support::files_under(bundle) {
        if file.extension().is_some_and(|e| e == "json") {
            let bytes = std::fs::read(&file).expect("read");
            if let Err(e) = serde_json::from_slice::<Value>(&bytes) {
                panic!("{} cannot be read back: {e}", file.display());
            }
        }
    }
}

#[test]
fn a_value_nested_near_the_parser_limit_never_makes_an_unreadable_bundle() {
    // serde_json stops at 128 levels. Before `decode` limited `data` to 64 levels, the client
    // accepted a detail whose `data` held a value 125 levels deep (127 in the answer), and
    // destinations.json put it one level deeper, where the collector itself could no longer
    // read it: audit_coverage called destinations "failed" while destinations.json said
    // "complete".
    let account = acme();
    let id = account.destinations[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let fake = server(account);
    let body = format!(
        r#"{{"code":"Success","data":{{"id":"{id}","deep":{}}}}}"#,
        nested(125)
    );
    fake.inject(
        Fault::status(&format!("/v1/destinations/{id}"), 200, "", "")
            .body(&body)
            .times(100),
    );
    let run = support::collect(&fake, &["--resources", "audit_coverage"]);
    let manifest = run.manifest();
    let destinations = support::manifest_artifact(&manifest, "destinations")["status"].clone();
    let coverage = support::manifest_artifact(&manifest, "audit_coverage")["reason"].clone();
    assert!(
        !(destinations == "complete"
            && coverage
                .as_str()
                .is_some_and(|r| r.contains("destinations (failed)"))),
        "destinations complete, but unreadable to audit_coverage: {coverage}"
    );
    assert_readable_back(&run.bundle());
}

#[test]
fn invalid_utf8_or_a_lone_surrogate_in_a_string_is_refused_and_named() {
    let fake = server(acme());
    let mut bad = br#"{"code":"Success","data":{"items":[{"name":"caf"#.to_vec();
    bad.extend_from_slice(b"\xe9\xff");
    bad.extend_from_slice(br#""}]}}"#);
    fake.inject(
        Fault::status("/v1/roles", 200, "", "")
            .bytes(bad)
            .times(100),
    );
    fake.inject(
        Fault::status("/v1/groups", 200, "", "")
            .body(r#"{"code":"Success","data":{"items":[{"id":"\ud800"}]}}"#)
            .times(100),
    );
    let run = support::collect(&fake, &["--resources", "roles,groups,webhooks"]);
    run.assert_code(3);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "failed");
    assert!(
        reason(&roles).contains("undecodable answer: invalid unicode code point"),
        "{}",
        reason(&roles)
    );
    let groups = run.json("groups.json");
    assert_eq!(groups["status"], "failed");
    assert!(
        reason(&groups).contains("undecodable answer: unexpected end of hex escape"),
        "{}",
        reason(&groups)
    );
    assert_eq!(run.json("webhooks.json")["status"], "complete");
}
