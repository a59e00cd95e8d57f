//! `audit_trail.json` from Snowflake's SQL API, end to end through the binary: the fake
//! Snowflake (`iru_fivetran_fake::snowflake`) holds the same rows as the test warehouse, checks
//! the key-pair JWT or the token exactly, and injects each fault of the API.

use std::collections::BTreeSet;

use iru_fivetran_fake::snowflake::{FakeSnowflake, Faults};
use serde_json::Value;

use crate::support::postgres::{
    READER, READER_PASSWORD, collect_with_vault, source_toml as pg_source, vault_with, warehouse,
};
use crate::support::server;
use crate::support::snowflake::{
    self, ACCOUNT, Auth, CONNECTOR, DESTINATION, TOKEN, USER, keys, other_keys, source_toml,
};

fn ids(trail: &Value) -> Vec<String> {
    trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Collects with one Snowflake source on `sf` (and `extra` vault lines); returns the run.
fn collect_sf(sf: &FakeSnowflake, auth: Auth<'_>, extra: &str) -> crate::support::Run {
    collect_sf_with(sf, auth, extra, &[])
}

/// [`collect_sf`] with `flags` given to `collect`.
fn collect_sf_with(
    sf: &FakeSnowflake,
    auth: Auth<'_>,
    extra: &str,
    flags: &[&str],
) -> crate::support::Run {
    let w = warehouse().expect("warehouse");
    let fake = server(snowflake::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(dir.path(), &source_toml(sf, dir.path(), auth, extra));
    let run = collect_with_vault(&fake, &vault, flags);
    // The JWTs and tokens sent are secrets too: none in any output.
    for seen in sf.seen() {
        assert!(!seen.token.is_empty());
        assert!(!run.stdout.contains(&seen.token) && !run.stderr.contains(&seen.token));
        for file in crate::support::files_under(run.out.path()) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            assert!(!text.contains(&seen.token), "a token in {}", file.display());
        }
    }
    run
}

fn source(trail: &Value) -> &Value {
    &trail["sources"][0]
}

#[test]
fn a_key_pair_source_gives_the_same_actions_as_postgres_across_partitions_and_polls() {
    let Some(w) = warehouse() else { return };
    // The same rows read from PostgreSQL, for comparison.
    let fake = server(snowflake::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let pg = vault_with(
        dir.path(),
        &pg_source(w, READER, READER_PASSWORD, "destination = \"sturdy_kiln\""),
    );
    let pg_run = collect_with_vault(&fake, &pg, &[]);
    pg_run.assert_code(0);
    let expected = ids(&pg_run.json("audit_trail.json"));
    assert!(expected.len() > 5, "{expected:?}");

    let sf = snowflake::start(
        w,
        Faults {
            partition_rows: 2,
            async_polls: 2,
            ..Faults::default()
        },
    );
    let run = collect_sf(&sf, Auth::Key(keys()), "page_rows = 3");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(ids(&trail), expected);
    let s = source(&trail);
    assert_eq!(s["kind"], "snowflake");
    assert_eq!(s["statements"], "snowflake");
    assert_eq!(s["platform_connector"], CONNECTOR);
    assert_eq!(s["destination"], DESTINATION);
    assert_eq!(s["tables"]["audit_trail"]["present"], true);
    for item in trail["items"].as_array().expect("items") {
        assert_eq!(item["source"]["platform_connector"], CONNECTOR);
    }

    let seen = sf.seen();
    // Every request carried a verified JWT with the documented claims.
    for s in &seen {
        let claims = s.claims.as_ref().expect("a verified JWT");
        assert_eq!(claims["sub"], format!("{ACCOUNT}.{USER}"));
        assert!(
            claims["iss"]
                .as_str()
                .expect("iss")
                .starts_with(&format!("{ACCOUNT}.{USER}.SHA256:"))
        );
        let life = claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat");
        assert!((1..=3600).contains(&life), "{life}");
    }
    // One token for the whole run: minted once, cached.
    let tokens: BTreeSet<&str> = seen.iter().map(|s| s.token.as_str()).collect();
    assert_eq!(tokens.len(), 1);
    // Statements with their context and every value bound as TEXT; polled; partitions fetched.
    let posts: Vec<&Value> = seen.iter().filter_map(|s| s.body.as_ref()).collect();
    assert!(posts.iter().all(|b| b["database"] == "FIVETRAN_DB"
        && b["warehouse"] == "AUDIT_WH"
        && b["role"] == "IRU_AUDIT_READER"
        && b["timeout"] == 60));
    let log = posts
        .iter()
        .find(|b| {
            b["statement"]
                .as_str()
                .is_some_and(|t| t.starts_with("/* iru-fivetran log */"))
        })
        .expect("a log statement");
    assert_eq!(log["bindings"]["4"]["type"], "TEXT");
    assert_eq!(log["bindings"]["4"]["value"], "%\"actor\"%");
    assert!(
        seen.iter()
            .any(|s| s.method == "GET" && s.target.contains("partition=1"))
    );
    assert!(seen.iter().filter(|s| s.status == 202).count() >= 2);
    assert!(seen.iter().all(|s| s.status == 200 || s.status == 202));

    // The same data again: the same items, byte for byte.
    let again = collect_sf(&sf, Auth::Key(keys()), "page_rows = 3");
    again.assert_code(0);
    assert_eq!(again.json("audit_trail.json")["items"], trail["items"]);
}

#[test]
fn a_token_source_reads_the_trail_and_a_wrong_token_or_key_is_refused_with_a_hint() {
    let Some(w) = warehouse() else { return };
    let sf = snowflake::start(w, Faults::default());
    let run = collect_sf(&sf, Auth::Token(TOKEN), "");
    run.assert_code(0);
    assert_eq!(run.json("audit_trail.json")["status"], "complete");
    assert!(
        sf.seen()
            .iter()
            .all(|s| s.claims.is_none() && s.status == 200)
    );

    for auth in [
        Auth::Token("snowflake-pat-wrong-never-printed"),
        Auth::Key(other_keys()),
    ] {
        let run = collect_sf(&sf, auth, "");
        run.assert_code(3);
        let trail = run.json("audit_trail.json");
        assert_eq!(trail["status"], "failed");
        let reason = trail["reason"].as_str().expect("reason");
        assert!(
            reason.contains("the warehouse refused the login: HTTP 401"),
            "{reason}"
        );
        assert!(reason.contains("hint:"), "{reason}");
        // The API artifacts are unaffected.
        assert_eq!(run.json("users.json")["status"], "complete");
    }
}

#[test]
fn rate_limits_unavailability_expired_handles_tokens_and_cut_bodies_are_ridden_out() {
    let Some(w) = warehouse() else { return };
    let sf = snowflake::start(
        w,
        Faults {
            statuses: [429, 503, 429].into(),
            async_polls: 1,
            expire_first_handle: true,
            jwt_uses: Some(4),
            truncate_next: true,
            ..Faults::default()
        },
    );
    let run = collect_sf(&sf, Auth::Key(keys()), "page_rows = 4");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    let seen = sf.seen();
    let statuses: Vec<u16> = seen.iter().map(|s| s.status).collect();
    assert!(
        statuses.contains(&429) && statuses.contains(&503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&404), "an expired handle: {statuses:?}");
    // The token expired mid-run and a new one was minted.
    assert!(seen.iter().any(|s| s.status == 401));
    let tokens: BTreeSet<&str> = seen.iter().map(|s| s.token.as_str()).collect();
    assert!(tokens.len() >= 2, "{}", tokens.len());
    // A resubmission after a refusal says so (Snowflake then does not run it twice).
    assert!(seen.iter().any(|s| s.target.contains("retry=true")));
    // The cut body was read again, from a new session.
    assert!(source(&trail)["reconnects"].as_u64().expect("reconnects") >= 1);
}

#[test]
fn a_rate_limit_longer_than_the_wait_budget_stops_the_source_and_keeps_the_rest() {
    let Some(w) = warehouse() else { return };
    // The warehouse's 429 goes through the Fivetran client's pace: a pause the run's
    // `--max-wait` cannot cover is not made, whoever asks for it.
    let sf = snowflake::start(
        w,
        Faults {
            statuses: [429].into(),
            retry_after: Some(3600),
            ..Faults::default()
        },
    );
    let started = std::time::Instant::now();
    let run = collect_sf_with(&sf, Auth::Key(keys()), "", &["--max-wait", "20s"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(600));
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_ne!(trail["status"], "complete");
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("wait 3600 s") && reason.contains("20 s wait budget"),
        "{reason}"
    );
    assert!(reason.contains("--max-wait"), "{reason}");
    // One request was refused and none was sent after it.
    assert_eq!(sf.seen().len(), 1, "{:?}", sf.seen());
    assert_eq!(run.json("users.json")["status"], "complete");
}

#[test]
fn a_forbidden_role_a_sql_error_and_a_missing_audit_trail_each_say_what_they_are() {
    let Some(w) = warehouse() else { return };
    let sf = snowflake::start(
        w,
        Faults {
            forbidden: true,
            ..Faults::default()
        },
    );
    let run = collect_sf(&sf, Auth::Key(keys()), "");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "forbidden", "{}", trail["reason"]);
    assert!(
        trail["reason"]
            .as_str()
            .expect("reason")
            .contains("`iru-fivetran doctor` prints the statements")
    );

    let sf = snowflake::start(
        w,
        Faults {
            sql_error_on: Some("log".into()),
            ..Faults::default()
        },
    );
    let run = collect_sf(&sf, Auth::Key(keys()), "");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_ne!(trail["status"], "complete");
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("invalid identifier 'MESSAGE_DATA'") && reason.contains("HTTP 422"),
        "{reason}"
    );

    // AUDIT_TRAIL absent (a plan without it) is a fact, not an error.
    let mut platform = snowflake::platform(w);
    for t in &mut platform.tables {
        t.hidden = t.name == "AUDIT_TRAIL";
    }
    let sf = FakeSnowflake::start(snowflake::login(), platform, Faults::default()).expect("fake");
    let run = collect_sf(&sf, Auth::Key(keys()), "");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(source(&trail)["tables"]["audit_trail"]["present"], false);
    assert!(ids(&trail).iter().all(|id| id.starts_with("log:")));
}

#[test]
fn doctor_checks_a_snowflake_source_and_prints_the_grants_of_a_reader_role() {
    let Some(w) = warehouse() else { return };
    let sf = snowflake::start(w, Faults::default());
    let fake = server(snowflake::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(
        dir.path(),
        &source_toml(&sf, dir.path(), Auth::Key(keys()), ""),
    );
    let url = fake.api_url();
    let doctor = |vault: &std::path::Path| crate::support::doctor_json(&url, vault);
    let (run, report) = doctor(&vault);
    run.assert_code(0);
    let (_, grants) = crate::support::ready_source(&report, CONNECTOR);
    assert!(
        grants.contains(&"GRANT USAGE ON WAREHOUSE \"AUDIT_WH\" TO ROLE \"IRU_AUDIT_READER\";")
    );
    assert!(grants.contains(
        &"GRANT SELECT ON TABLE \"FIVETRAN_DB\".\"FIVETRAN_METADATA\".\"AUDIT_TRAIL\" TO ROLE \"IRU_AUDIT_READER\";"
    ), "{grants:?}");

    // A role Snowflake refuses: not ready, exit 3, with the grants to add.
    sf.faults(|f| f.forbidden = true);
    let (run, report) = doctor(&vault);
    run.assert_code(3);
    crate::support::refused_source(&report, &["HTTP 403"]);
}

#[test]
fn the_readme_s_snowflake_source_and_grants_are_what_the_tool_reads_and_prints() {
    use iru_fivetran_core::credentials::audit::{Kind, check};
    use iru_fivetran_core::warehouse::statements::{Dialect, grants};

    let raw = crate::support::readme_source("3) The vault entry:\n\n```toml\n");
    let dir = tempfile::tempdir().expect("dir");
    let _ = source_toml(&snowflake::start_empty(), dir.path(), Auth::Key(keys()), "");
    let source = check(raw, 1, dir.path()).expect("the README's source is valid");
    assert_eq!(source.kind, Kind::Snowflake);
    assert_eq!(source.host, "myorg-myaccount.snowflakecomputing.com");

    let sql = crate::support::readme_block("(`doctor` prints these with your names):\n\n```sql\n");
    for grant in grants(
        Dialect::Snowflake,
        "FIVETRAN_DB",
        "FIVETRAN_METADATA",
        "IRU_READER",
        "IRU_AUDIT_READER",
        "AUDIT_WH",
    ) {
        assert!(
            sql.lines().any(|l| l.starts_with(&grant)),
            "{grant}\nnot in the README's\n{sql}"
        );
    }
}
