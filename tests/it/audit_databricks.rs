//! `audit_trail.json` from Databricks' SQL Statement Execution API, end to end through the
//! binary: the fake workspace (`iru_fivetran_fake::databricks`) holds the same rows as the test
//! warehouse, checks the personal access token or the OAuth access tokens it issued exactly,
//! and injects each fault of the API.

use std::collections::BTreeSet;

use iru_fivetran_fake::databricks::{FakeDatabricks, Faults};
use serde_json::Value;

use crate::support::databricks::{
    self, Auth, CATALOG, CLIENT_ID, CLIENT_SECRET, CONNECTOR, DESTINATION, TOKEN, WAREHOUSE_ID,
    source_toml,
};
use crate::support::postgres::{
    READER, READER_PASSWORD, collect_with_vault, source_toml as pg_source, vault_with, warehouse,
};
use crate::support::server;

/// The items without the source each was read from (the Platform Connector differs).
fn items(trail: &Value) -> Vec<Value> {
    trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i.as_object_mut().expect("item").remove("source");
            i
        })
        .collect()
}

fn ids(trail: &Value) -> Vec<String> {
    trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Collects with one Databricks source on `db` (and `extra` vault lines); returns the run.
fn collect_db(db: &FakeDatabricks, auth: Auth<'_>, extra: &str) -> crate::support::Run {
    let w = warehouse().expect("warehouse");
    let fake = server(databricks::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(dir.path(), &source_toml(db, auth, extra));
    let run = collect_with_vault(&fake, &vault, &[]);
    // The access tokens issued are secrets too: none in any output.
    let files = crate::support::files_under(run.out.path());
    for token in db.issued() {
        assert!(!run.stdout.contains(&token) && !run.stderr.contains(&token));
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            assert!(!text.contains(&token), "a token in {}", file.display());
        }
    }
    run
}

/// The items the PostgreSQL source gives for the same rows.
fn postgres_items() -> Value {
    let w = warehouse().expect("warehouse");
    let fake = server(databricks::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let pg = vault_with(
        dir.path(),
        &pg_source(w, READER, READER_PASSWORD, "destination = \"sturdy_kiln\""),
    );
    let run = collect_with_vault(&fake, &pg, &[]);
    run.assert_code(0);
    run.json("audit_trail.json")
}

fn source(trail: &Value) -> &Value {
    &trail["sources"][0]
}

fn posts(db: &FakeDatabricks) -> Vec<Value> {
    db.seen()
        .iter()
        .filter(|s| s.method == "POST" && s.target == "/api/2.0/sql/statements")
        .map(|s| serde_json::from_str(&s.body).expect("a JSON body"))
        .collect()
}

#[test]
fn a_token_source_gives_the_postgres_items_across_chunks_and_pending_statements() {
    let Some(w) = warehouse() else { return };
    let expected = postgres_items();
    assert!(ids(&expected).len() > 5, "{expected}");

    let db = databricks::start(
        w,
        Faults {
            chunk_rows: 2,
            pending_polls: 2,
            ..Faults::default()
        },
    );
    let run = collect_db(&db, Auth::Token(TOKEN), "page_rows = 3");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(items(&trail), items(&expected));
    let s = source(&trail);
    assert_eq!(s["kind"], "databricks");
    assert_eq!(s["statements"], "databricks");
    assert_eq!(s["platform_connector"], CONNECTOR);
    assert_eq!(s["destination"], DESTINATION);
    assert_eq!(s["tables"]["audit_trail"]["present"], true);
    for item in trail["items"].as_array().expect("items") {
        assert_eq!(item["source"]["platform_connector"], CONNECTOR);
    }

    let seen = db.seen();
    // The token as given on every request; no token endpoint asked.
    assert!(seen.iter().all(|s| s.token == TOKEN), "{seen:?}");
    assert!(!seen.iter().any(|s| s.target == "/oidc/v1/token"));
    // Statements with their context, named STRING parameters and the inline JSON disposition.
    let posts = posts(&db);
    assert!(posts.iter().all(|b| b["warehouse_id"] == WAREHOUSE_ID
        && b["catalog"] == CATALOG
        && b["wait_timeout"] == "30s"
        && b["on_wait_timeout"] == "CONTINUE"
        && b["disposition"] == "INLINE"
        && b["format"] == "JSON_ARRAY"));
    let log = posts
        .iter()
        .find(|b| {
            b["statement"]
                .as_str()
                .is_some_and(|t| t.starts_with("/* iru-fivetran log */"))
        })
        .expect("a log statement");
    let text = log["statement"].as_str().expect("text");
    assert!(text.contains("FROM `fivetran_metadata`.`log`"), "{text}");
    assert!(!text.contains('?'), "{text}");
    let params = log["parameters"].as_array().expect("parameters");
    assert!(params.iter().all(|p| p["type"] == "STRING"));
    assert!(params.iter().any(|p| p["value"] == "%\"actor\"%"
        && text.contains(&format!(":{}", p["name"].as_str().expect("name")))));
    // Polled while PENDING then RUNNING; further chunks fetched from the links given.
    let states: Vec<&str> = seen.iter().filter_map(|s| s.state.as_deref()).collect();
    assert!(
        states.contains(&"PENDING") && states.contains(&"RUNNING"),
        "{states:?}"
    );
    assert!(
        seen.iter()
            .any(|s| s.method == "GET" && s.target.ends_with("/result/chunks/1"))
    );
    assert!(seen.iter().all(|s| s.status == 200), "{seen:?}");

    // The same data again: the same items, byte for byte.
    let again = collect_db(&db, Auth::Token(TOKEN), "page_rows = 3");
    again.assert_code(0);
    assert_eq!(again.json("audit_trail.json")["items"], trail["items"]);
}

#[test]
fn a_service_principal_gets_its_token_by_basic_auth_and_a_new_one_when_it_expires() {
    let Some(w) = warehouse() else { return };
    // Tokens that live 2 s, statements that take a while: the client fetches anew before each
    // expires, never sending an expired one.
    let db = FakeDatabricks::start(
        databricks::login(2),
        databricks::platform(w),
        Faults {
            pending_polls: 3,
            ..Faults::default()
        },
    )
    .expect("fake");
    let run = collect_db(&db, Auth::Client(CLIENT_ID, CLIENT_SECRET), "");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    let seen = db.seen();
    let fetches: Vec<_> = seen
        .iter()
        .filter(|s| s.target == "/oidc/v1/token")
        .collect();
    assert!(fetches.len() >= 2, "{}", fetches.len());
    for f in &fetches {
        assert_eq!(f.method, "POST");
        assert_eq!(f.status, 200);
        assert_eq!(f.body, "grant_type=client_credentials&scope=all-apis");
    }
    assert!(seen.iter().all(|s| s.status != 401), "{seen:?}");
    let used: BTreeSet<&str> = seen
        .iter()
        .filter(|s| !s.token.is_empty())
        .map(|s| s.token.as_str())
        .collect();
    assert_eq!(used.len(), fetches.len());

    // A token the workspace stops honouring mid-run: refused once, fetched again, read whole.
    let db = databricks::start(
        w,
        Faults {
            token_uses: Some(3),
            ..Faults::default()
        },
    );
    let run = collect_db(&db, Auth::Client(CLIENT_ID, CLIENT_SECRET), "");
    run.assert_code(0);
    assert_eq!(run.json("audit_trail.json")["status"], "complete");
    let seen = db.seen();
    let refused = seen.iter().filter(|s| s.status == 401).count();
    let fetches = seen.iter().filter(|s| s.target == "/oidc/v1/token").count();
    assert!(refused >= 1, "{seen:?}");
    assert_eq!(fetches, refused + 1);
}

#[test]
fn a_wrong_token_or_client_secret_is_refused_with_a_hint() {
    let Some(w) = warehouse() else { return };
    let db = databricks::start(w, Faults::default());
    for (auth, says) in [
        (
            Auth::Token("dapi-wrong-never-printed"),
            "Invalid access token",
        ),
        (
            Auth::Client(CLIENT_ID, "dose-wrong-never-printed"),
            "invalid_client",
        ),
    ] {
        let run = collect_db(&db, auth, "");
        run.assert_code(3);
        let trail = run.json("audit_trail.json");
        assert_eq!(trail["status"], "failed");
        let reason = trail["reason"].as_str().expect("reason");
        assert!(
            reason.contains("the warehouse refused the login: HTTP 401") && reason.contains(says),
            "{reason}"
        );
        assert!(reason.contains("hint:"), "{reason}");
        assert!(!reason.contains("never-printed"), "{reason}");
        // The API artifacts are unaffected.
        assert_eq!(run.json("users.json")["status"], "complete");
    }
}

#[test]
fn rate_limits_unavailability_closed_results_lost_statements_and_cut_bodies_are_ridden_out() {
    let Some(w) = warehouse() else { return };
    let expected = postgres_items();
    let db = databricks::start(
        w,
        Faults {
            statuses: [429, 503, 429].into(),
            pending_polls: 2,
            close_next: true,
            chunk_rows: 2,
            expire_next_chunk: true,
            ..Faults::default()
        },
    );
    let run = collect_db(&db, Auth::Token(TOKEN), "page_rows = 4");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(items(&trail), items(&expected));
    let seen = db.seen();
    let statuses: Vec<u16> = seen.iter().map(|s| s.status).collect();
    assert!(
        statuses.contains(&429) && statuses.contains(&503),
        "{statuses:?}"
    );
    // A CLOSED result had its statement submitted again.
    assert!(seen.iter().any(|s| s.state.as_deref() == Some("CLOSED")));
    // A chunk that was gone (404) had the read resume from a new session.
    assert!(statuses.contains(&404), "{statuses:?}");
    assert!(source(&trail)["reconnects"].as_u64().expect("reconnects") >= 1);

    // A statement the warehouse forgot while it was polled, and an answer cut short.
    let db = databricks::start(
        w,
        Faults {
            pending_polls: 1,
            forget_next: true,
            truncate_next: true,
            ..Faults::default()
        },
    );
    let run = collect_db(&db, Auth::Token(TOKEN), "page_rows = 4");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(items(&trail), items(&expected));
    assert!(db.seen().iter().any(|s| s.status == 404));
    assert!(source(&trail)["reconnects"].as_u64().expect("reconnects") >= 1);
}

#[test]
fn a_forbidden_principal_a_sql_error_and_missing_tables_each_say_what_they_are() {
    let Some(w) = warehouse() else { return };
    let db = databricks::start(
        w,
        Faults {
            forbidden: true,
            ..Faults::default()
        },
    );
    let run = collect_db(&db, Auth::Token(TOKEN), "");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "forbidden", "{}", trail["reason"]);
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("PERMISSION_DENIED")
            && reason.contains("`iru-fivetran doctor` prints the statements"),
        "{reason}"
    );

    let db = databricks::start(
        w,
        Faults {
            fail_on: Some("log".into()),
            ..Faults::default()
        },
    );
    let run = collect_db(&db, Auth::Token(TOKEN), "");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_ne!(trail["status"], "complete");
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("FAILED") && reason.contains("[UNRESOLVED_COLUMN.WITH_SUGGESTION]"),
        "{reason}"
    );

    // A table dropped between the catalog and the read: named as missing, with the hint.
    let db = databricks::start(
        w,
        Faults {
            missing_on: Some("audit_trail".into()),
            ..Faults::default()
        },
    );
    let run = collect_db(&db, Auth::Token(TOKEN), "");
    run.assert_code(3);
    let reason = run.json("audit_trail.json")["reason"]
        .as_str()
        .expect("reason")
        .to_owned();
    assert!(
        reason.contains("not found in the warehouse") && reason.contains("TABLE_OR_VIEW_NOT_FOUND"),
        "{reason}"
    );

    // audit_trail absent (a plan without it) is a fact, not an error.
    let mut platform = databricks::platform(w);
    for t in &mut platform.tables {
        t.hidden = t.name == "audit_trail";
    }
    let db =
        FakeDatabricks::start(databricks::login(3600), platform, Faults::default()).expect("fake");
    let run = collect_db(&db, Auth::Token(TOKEN), "");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(source(&trail)["tables"]["audit_trail"]["present"], false);
    assert!(ids(&trail).iter().all(|id| id.starts_with("log:")));
}

#[test]
fn doctor_checks_a_databricks_source_and_prints_the_unity_catalog_grants() {
    let Some(w) = warehouse() else { return };
    let db = databricks::start(w, Faults::default());
    let fake = server(databricks::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(
        dir.path(),
        &source_toml(&db, Auth::Client(CLIENT_ID, CLIENT_SECRET), ""),
    );
    let url = fake.api_url();
    let doctor = |vault: &std::path::Path| crate::support::doctor_json(&url, vault);
    let (run, report) = doctor(&vault);
    run.assert_code(0);
    let (_, grants) = crate::support::ready_source(&report, CONNECTOR);
    assert!(
        grants.contains(
            &format!("GRANT USE CATALOG ON CATALOG `fivetran` TO `{CLIENT_ID}`;").as_str()
        ),
        "{grants:?}"
    );
    assert!(grants.contains(
        &format!("GRANT SELECT ON TABLE `fivetran`.`fivetran_metadata`.`audit_trail` TO `{CLIENT_ID}`;").as_str()
    ), "{grants:?}");
    assert!(
        grants
            .iter()
            .any(|g| g.starts_with("-- and CAN USE on SQL warehouse") && g.contains(WAREHOUSE_ID)),
        "{grants:?}"
    );

    // A principal Databricks refuses: not ready, exit 3, with the grants to add.
    db.faults(|f| f.forbidden = true);
    let (run, report) = doctor(&vault);
    run.assert_code(3);
    crate::support::refused_source(&report, &["HTTP 403", "PERMISSION_DENIED"]);
}

#[test]
fn the_readme_s_databricks_source_and_grants_are_what_the_tool_reads_and_prints() {
    use iru_fivetran_core::credentials::audit::{Kind, check};
    use iru_fivetran_core::warehouse::statements::{Dialect, grants};

    let raw = crate::support::readme_source("3) The Databricks vault entry:\n\n```toml\n");
    let dir = tempfile::tempdir().expect("dir");
    let source = check(raw, 1, dir.path()).expect("the README's source is valid");
    assert_eq!(source.kind, Kind::Databricks);
    assert_eq!(source.host, "dbc-a1b2c3d4-e5f6.cloud.databricks.com");
    assert_eq!(source.database, "fivetran");
    assert_eq!(source.user, CLIENT_ID);

    let sql =
        crate::support::readme_block("(`doctor` prints these for your principal):\n\n```sql\n");
    for grant in grants(
        Dialect::Databricks,
        "fivetran",
        "fivetran_metadata",
        CLIENT_ID,
        "",
        "1a2b3c4d5e6f7a8b",
    )
    .iter()
    .filter(|g| !g.starts_with("--"))
    {
        assert!(
            sql.lines().any(|l| l.starts_with(grant.as_str())),
            "{grant}\nnot in the README's\n{sql}"
        );
    }
}

#[test]
fn a_statement_still_running_past_its_timeout_is_cancelled_and_named() {
    let Some(w) = warehouse() else { return };
    let db = databricks::start(
        w,
        Faults {
            pending_polls: u32::MAX,
            ..Faults::default()
        },
    );
    let run = collect_db(&db, Auth::Token(TOKEN), "statement_timeout = 1");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "failed", "{}", trail["reason"]);
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("a statement timed out") && reason.contains("still running after 2 s"),
        "{reason}"
    );
    assert!(reason.contains("raise statement_timeout"), "{reason}");
    // The statement was not left running in the warehouse.
    assert!(
        db.seen()
            .iter()
            .any(|s| s.method == "POST" && s.target.ends_with("/cancel") && s.status == 200)
    );
}
