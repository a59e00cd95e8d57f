//! Error statuses from the API other than 429 (that is `too_many_requests.rs`), and what the
//! bundle and the exit code say about them: 5xx retried, then bounded; 401, where a wrong secret
//! stops at once and a key revoked mid-run keeps what was read in a `.failed` directory; 403 on
//! a list, a membership list, the account or everything; 404 for items deleted between their
//! list and their detail; and a run that can read nothing.

use std::time::Duration;

use iru_fivetran_core::client::MAX_BODY_BYTES;
use iru_fivetran_fake::{Fault, encode_cursor};
use serde_json::Value;

use crate::support::{self, KEY, acme, collect, list_roles, requests_to, run, server};

// ---------------------------------------------------------------------------------------------
// 5xx

#[test]
fn server_errors_are_retried_then_succeed() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/groups", 503, "ServiceUnavailable", "busy").times(2));
    fake.inject(Fault::status("/v1/webhooks", 502, "x", "y").body("<html>Bad gateway</html>"));
    fake.inject(
        Fault::status("/v1/proxy", 200, "x", "y")
            .body("{\"code\":\"Success\",\"data\":{\"items\":["),
    );
    fake.inject(Fault::status("/v1/private-links", 200, "x", "y").body("{\"code\":\"Success\"}"));
    // `-v`: each retry is a debug line (the default shows one line per artifact).
    let run = collect(
        &fake,
        &[
            "-v",
            "--resources",
            "groups,webhooks,proxy_agents,private_links",
        ],
    );
    // The private links' JSON without `data` is well-formed: final, not retried (exit 3).
    run.assert_code(3);
    let manifest = run.manifest();
    assert_eq!(manifest["requests"]["retries"], 4);
    assert!(
        run.stderr.contains("retrying GET /v1/groups"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("non-JSON body of 24 bytes"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("no `data` in the answer"),
        "{}",
        run.stderr
    );
    for name in ["groups", "webhooks", "proxy_agents"] {
        assert_eq!(
            support::manifest_artifact(&manifest, name)["status"],
            "complete",
            "{name}"
        );
    }
    assert_eq!(
        support::manifest_artifact(&manifest, "private_links")["status"],
        "failed"
    );
}

#[test]
fn each_5xx_is_retried_and_a_lasting_one_fails_after_six_attempts() {
    for status in [500u16, 502, 503, 504] {
        let fake = server(acme());
        fake.inject(Fault::status("/v1/roles", status, "Err", "passing").times(5));
        let client = support::client_for(
            &fake.api_url(),
            1000.0,
            Duration::from_secs(5),
            MAX_BODY_BYTES,
            6,
        );
        let listed = list_roles(&client);
        assert!(listed.drained(), "{status}: {:?}", listed.error);
        assert_eq!(listed.items.len(), 17, "{status}");
        assert_eq!(client.stats().snapshot().retries, 5, "{status}");

        let fake = server(acme());
        fake.inject(Fault::status("/v1/roles", status, "Err", "lasting").times(100));
        let client = support::client_for(
            &fake.api_url(),
            1000.0,
            Duration::from_secs(5),
            MAX_BODY_BYTES,
            6,
        );
        let error = list_roles(&client).error.expect("fails").to_string();
        assert_eq!(
            error,
            format!("HTTP {status} on GET /v1/roles after 6 attempt(s): Err: lasting")
        );
        assert_eq!(requests_to(&fake, "/v1/roles"), 6, "{status}");
    }
    // Any other status is final at once.
    let fake = server(acme());
    fake.inject(Fault::status("/v1/roles", 501, "NotImplemented", "no").times(100));
    let client = support::client_for(
        &fake.api_url(),
        1000.0,
        Duration::from_secs(5),
        MAX_BODY_BYTES,
        6,
    );
    let error = list_roles(&client).error.expect("fails").to_string();
    assert!(
        error.contains("HTTP 501") && error.contains("after 1 attempt(s)"),
        "{error}"
    );
    assert_eq!(requests_to(&fake, "/v1/roles"), 1);
}

#[test]
fn a_list_that_keeps_failing_makes_a_partial_bundle() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/webhooks", 500, "InternalError", "boom").times(100));
    let run = collect(&fake, &[]);
    run.assert_code(3);
    let manifest = run.manifest();
    assert_eq!(manifest["status"], "partial");
    let webhooks = support::manifest_artifact(&manifest, "webhooks");
    assert_eq!(webhooks["status"], "failed");
    let reason = webhooks["reason"].as_str().expect("reason");
    assert!(
        reason.contains("HTTP 500") && reason.contains("after 6 attempt(s)"),
        "{reason}"
    );
    assert_eq!(run.json("webhooks.json")["status"], "failed");
    assert_eq!(
        support::manifest_artifact(&manifest, "users")["status"],
        "complete"
    );
    let attempts = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/webhooks")
        .count();
    assert_eq!(attempts, 6, "bounded attempts");
}

#[test]
fn a_list_failing_after_its_first_page_keeps_what_was_read() {
    let fake = server(acme());
    fake.inject(
        Fault::status("/v1/users", 500, "InternalError", "boom")
            .on_cursor(&encode_cursor(4))
            .times(100),
    );
    let run = collect(&fake, &["--resources", "users"]);
    run.assert_code(3);
    let users = run.json("users.json");
    assert_eq!(users["status"], "partial");
    assert_eq!(users["count"], 4, "the two pages read are kept");
    assert!(
        users["reason"]
            .as_str()
            .expect("r")
            .contains("stopped after 2 page(s)")
    );
}

#[test]
fn nothing_readable_is_a_failed_run() {
    let fake = server(acme());
    for path in ["/v1/account/info", "/v1/roles"] {
        fake.inject(Fault::status(path, 503, "Unavailable", "down").times(100));
    }
    let run = collect(&fake, &["--resources", "roles"]);
    run.assert_code(1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("no artifact could be collected"),
        "{}",
        run.stderr
    );
    let entries = run.out_entries();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].starts_with("fivetran-unknown-") && entries[0].ends_with(".failed"));
}

// ---------------------------------------------------------------------------------------------
// 401: the key refused

#[test]
fn wrong_secret_stops_at_once_with_a_hint_and_leaves_nothing() {
    let fake = server(acme());
    let url = fake.api_url();
    let run = run(
        &["collect", "--api-url", &url, "--rate", "1000"],
        &[
            ("FIVETRAN_API_KEY", KEY),
            ("FIVETRAN_API_SECRET", "wrong-secret"),
        ],
    );
    run.assert_code(1);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(
        run.stderr.contains("hint: check that the key and secret"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("wrong-secret"));
    assert!(run.out_entries().is_empty(), "{:?}", run.out_entries());
    assert_eq!(fake.requests().len(), 1, "one request, then stop");
}

#[test]
fn a_key_revoked_mid_run_keeps_what_was_collected_marked_failed() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/teams", 401, "AuthFailed", "key revoked").times(100));
    // One request at a time, so that "after the 401" is also "after /v1/teams".
    let run = collect(&fake, &["--concurrency", "1"]);
    run.assert_code(1);
    assert!(run.stdout.is_empty(), "no bundle path on stdout");
    let entries = run.out_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].ends_with(".failed"), "{entries:?}");
    let kept = run.out.path().join("evidence").join(&entries[0]);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(kept.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["status"], "failed");
    assert!(manifest["error"].as_str().expect("error").contains("401"));
    assert!(kept.join("users.json").is_file(), "earlier artifacts kept");
    let users = support::manifest_artifact(&manifest, "users");
    assert!(
        users["reason"]
            .as_str()
            .is_some_and(|r| r.contains("refused the key")),
        "{users}"
    );
    assert!(run.stderr.contains(".failed"), "{}", run.stderr);
    let after: Vec<_> = fake
        .requests()
        .into_iter()
        .skip_while(|r| r.path != "/v1/teams")
        .collect();
    assert_eq!(after.len(), 1, "no request after the 401");
}

#[test]
fn a_key_revoked_mid_run_stops_every_artifact_in_flight() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/teams", 401, "AuthFailed", "key revoked").times(100));
    let run = collect(&fake, &["--concurrency", "4"]);
    run.assert_code(1);
    // Requests sent before the 401 came back may arrive after it was sent: up to three in
    // flight beside it, and as many again taking slots freed while it was answered. None is
    // sent once it is read (the one-at-a-time test above proves that exactly); the run stops
    // within that handful instead of reading the rest of the account.
    let after = fake
        .requests()
        .into_iter()
        .skip_while(|r| r.path != "/v1/teams")
        .count();
    assert!(
        (1..=8).contains(&after),
        "{after} requests from /v1/teams on"
    );
    let kept = run.out.path().join("evidence").join(&run.out_entries()[0]);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(kept.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["status"], "failed");
    assert_eq!(
        support::manifest_artifact(&manifest, "teams")["status"],
        "failed"
    );
}

// ---------------------------------------------------------------------------------------------
// 403: forbidden

#[test]
fn forbidden_list_is_recorded_and_the_run_goes_on() {
    let mut account = acme();
    let message = "Access denied. Required permission: TEAM_READ";
    account.forbidden.insert("/v1/teams".into(), message.into());
    let fake = server(account);
    let run = collect(&fake, &[]);
    run.assert_code(3);
    let teams = run.json("teams.json");
    assert_eq!(teams["status"], "forbidden");
    assert_eq!(teams["count"], 0);
    assert!(teams["reason"].as_str().expect("reason").contains(message));
    let manifest = run.manifest();
    assert_eq!(manifest["status"], "partial");
    assert_eq!(
        support::manifest_artifact(&manifest, "teams")["status"],
        "forbidden"
    );
    assert_eq!(
        support::manifest_artifact(&manifest, "connections")["status"],
        "complete"
    );
    assert!(run.stderr.contains("teams: forbidden"), "{}", run.stderr);
}

#[test]
fn a_403_for_a_feature_the_account_lacks_is_unavailable_not_forbidden() {
    let mut account = acme();
    // Fivetran's words when the plan, not the key, is the reason.
    let message = "Hybrid Deployment is not enabled for this account";
    account
        .forbidden
        .insert("/v1/hybrid-deployment-agents".into(), message.into());
    let fake = server(account);
    let run = collect(&fake, &[]);
    run.assert_code(0);
    let agents = run.json("hybrid_deployment_agents.json");
    assert_eq!(agents["status"], "unavailable", "{agents}");
    assert!(agents["reason"].as_str().expect("reason").contains(message));
    let manifest = run.manifest();
    assert_eq!(manifest["status"], "complete");
    assert!(
        !run.stderr.contains("forbidden"),
        "a missing feature is not the key's fault: {}",
        run.stderr
    );
}

#[test]
fn forbidden_membership_list_makes_the_artifact_partial() {
    let mut account = acme();
    let user = account.users[1]["id"].as_str().expect("id").to_owned();
    account.forbidden.insert(
        format!("/v1/users/{user}/connections"),
        "Access denied".into(),
    );
    let fake = server(account);
    let run = collect(&fake, &["--resources", "users"]);
    run.assert_code(3);
    let users = run.json("users.json");
    assert_eq!(users["status"], "partial");
    let item = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["id"] == user.as_str())
        .expect("user");
    assert!(item["connection_memberships"].is_null());
    assert!(item["group_memberships"].is_array());
    let notes = item["_iru"]["incomplete"].as_array().expect("notes");
    assert!(notes[0].as_str().expect("n").contains("403"), "{notes:?}");
}

#[test]
fn an_account_that_cannot_be_read_still_gives_a_bundle() {
    let mut account = acme();
    account.forbidden.insert(
        "/v1/account/info".into(),
        "Access denied. Required permission: ACCOUNT_READ".into(),
    );
    let fake = server(account);
    let run = collect(&fake, &["--resources", "users"]);
    run.assert_code(3);
    let name = run
        .bundle()
        .file_name()
        .expect("n")
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with("fivetran-unknown-"), "{name}");
    assert_eq!(run.json("account.json")["status"], "forbidden");
    assert_eq!(run.json("users.json")["status"], "complete");
    assert_eq!(run.manifest()["account"]["key_kind"], "unknown");
}

#[test]
fn account_level_log_service_absent_or_forbidden() {
    let mut account = acme();
    account.account_log_service = None;
    let fake = server(account);
    let run = collect(&fake, &["--resources", "log_services"]);
    run.assert_code(0);
    let logs = run.json("log_services.json");
    assert_eq!(logs["status"], "complete", "404 means none configured");
    assert_eq!(logs["count"], 2);

    let mut account = acme();
    account.forbidden.insert(
        "/v1/external-logging/account".into(),
        "Account-level logging requires an Enterprise plan".into(),
    );
    let fake = server(account);
    let run = collect(&fake, &["--resources", "log_services"]);
    run.assert_code(3);
    let logs = run.json("log_services.json");
    assert_eq!(logs["status"], "partial", "403 means we cannot tell");
    assert!(
        logs["reason"]
            .as_str()
            .expect("r")
            .contains("Enterprise plan")
    );
    assert_eq!(logs["count"], 2, "the per-destination services are kept");
}

#[test]
fn a_forbidden_log_service_list_keeps_the_account_level_service() {
    let mut account = acme();
    account
        .forbidden
        .insert("/v1/external-logging".into(), "Access denied".into());
    let fake = server(account);
    let run = collect(&fake, &["--resources", "log_services"]);
    run.assert_code(3);
    let logs = run.json("log_services.json");
    assert_eq!(logs["status"], "partial", "one item was read after all");
    assert_eq!(logs["count"], 1);
    assert_eq!(logs["items"][0]["_iru"]["account_level"], true);
    assert!(
        logs["reason"]
            .as_str()
            .expect("r")
            .contains("could not be read")
    );
}

#[test]
fn a_key_forbidden_everything_is_a_failed_run() {
    let mut account = acme();
    for path in ["/v1/account/info", "/v1/users", "/v1/roles"] {
        account
            .forbidden
            .insert(path.into(), "Access denied".into());
    }
    let fake = server(account);
    let run = collect(&fake, &["--resources", "users,roles"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("no artifact could be collected"),
        "{}",
        run.stderr
    );
    let entries = run.out_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].ends_with(".failed"));
    let kept = run.out.path().join("evidence").join(&entries[0]);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(kept.join("manifest.json")).expect("m"))
            .expect("json");
    assert_eq!(
        manifest["bundle_id"],
        entries[0].as_str(),
        "the manifest names the .failed dir"
    );
}

// ---------------------------------------------------------------------------------------------
// 404: items deleted during the run

#[test]
fn a_connection_deleted_between_list_and_detail_is_kept_and_marked() {
    let mut account = acme();
    let gone = account.connections[2]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    account.connection_details.remove(&gone);
    account.connection_schemas.remove(&gone);
    let fake = server(account);
    let run = collect(&fake, &["--resources", "connections"]);
    run.assert_code(0);
    let connections = run.json("connections.json");
    assert_eq!(connections["status"], "complete");
    let item = connections["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == gone.as_str())
        .expect("kept from the list");
    assert_eq!(
        item["_iru"]["deleted_during_run"]["code"],
        "NotFound_Connection"
    );
    assert!(item["schema_config"].is_null());
    assert!(item["service"].is_string(), "the list's fields are kept");
    assert!(
        !fake
            .requests()
            .iter()
            .any(|r| r.path == format!("/v1/connections/{gone}/schemas")),
        "no schema request for a deleted connection"
    );
}

#[test]
fn users_teams_and_destinations_deleted_after_the_list_are_kept_and_marked() {
    let mut account = acme();
    let user = account.users[3]["id"].as_str().expect("id").to_owned();
    let team = account.teams[0]["id"].as_str().expect("id").to_owned();
    let destination = account.destinations[1]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    account.destination_details.remove(&destination);
    let fake = server(account);
    fake.inject(Fault::status(
        &format!("/v1/users/{user}/groups"),
        404,
        "NotFound_User",
        "User doesn't exist",
    ));
    fake.inject(Fault::status(
        &format!("/v1/teams/{team}/users"),
        404,
        "NotFound_Team",
        "Team doesn't exist",
    ));
    let run = support::collect(&fake, &["--resources", "users,teams,destinations"]);
    run.assert_code(0);
    let find = |file: &str, id: &str| -> Value {
        let envelope = run.json(file);
        assert_eq!(envelope["status"], "complete", "{file}");
        envelope["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} kept in {file}"))
    };
    let u = find("users.json", &user);
    assert_eq!(u["_iru"]["deleted_during_run"]["code"], "NotFound_User");
    assert!(u["group_memberships"].is_null() && u["connection_memberships"].is_null());
    assert!(u["email"].is_string(), "the list's fields are kept");
    let t = find("teams.json", &team);
    assert_eq!(t["_iru"]["deleted_during_run"]["code"], "NotFound_Team");
    for field in [
        "user_memberships",
        "group_memberships",
        "connection_memberships",
    ] {
        assert!(t[field].is_null(), "{field}");
    }
    let d = find("destinations.json", &destination);
    assert_eq!(
        d["_iru"]["deleted_during_run"]["code"],
        "NotFound_Destination"
    );
    assert!(d["config"].is_null(), "no detail");
    assert_eq!(
        requests_to(&fake, &format!("/v1/users/{user}/connections")),
        0,
        "nothing more is asked of a deleted user"
    );
    assert_eq!(requests_to(&fake, &format!("/v1/teams/{team}/groups")), 0);
}
