//! `audit_trail.json` from BigQuery's REST API, end to end through the binary: the fake
//! BigQuery (`iru_fivetran_fake::bigquery`) holds the same rows as the test warehouse,
//! performs the token exchange with the service account's signed assertion, checks the bearer
//! token on every request, and injects each fault of the API.

use std::collections::BTreeSet;

use iru_fivetran_fake::bigquery::{FakeBigQuery, Faults, SCOPE};
use serde_json::Value;

use crate::support::bigquery::{
    self, CONNECTOR, DATA_PROJECT, DESTINATION, EMAIL, KEY_ID, LOCATION, PROJECT, source_toml,
};
use crate::support::postgres::{
    READER, READER_PASSWORD, collect_with_vault, source_toml as pg_source, vault_with, warehouse,
};
use crate::support::server;
use crate::support::snowflake::{Keys, keys, other_keys};

fn ids(trail: &Value) -> Vec<String> {
    trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Collects with one BigQuery source on `bq` (and `extra` vault lines); returns the run.
fn collect_bq(bq: &FakeBigQuery, keys: &Keys, extra: &str) -> crate::support::Run {
    let w = warehouse().expect("warehouse");
    let fake = server(bigquery::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(dir.path(), &source_toml(bq, dir.path(), keys, extra));
    let run = collect_with_vault(&fake, &vault, &[]);
    // The assertions posted and the tokens sent are secrets too: none in any output.
    let files = crate::support::files_under(run.out.path());
    for seen in bq.seen() {
        if seen.token.is_empty() {
            continue;
        }
        assert!(!run.stdout.contains(&seen.token) && !run.stderr.contains(&seen.token));
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            assert!(!text.contains(&seen.token), "a token in {}", file.display());
        }
    }
    run
}

fn source(trail: &Value) -> &Value {
    &trail["sources"][0]
}

/// The statement bodies posted with `tag`.
fn posted<'a>(seen: &'a [iru_fivetran_fake::bigquery::Seen], tag: &str) -> Vec<&'a Value> {
    seen.iter()
        .filter_map(|s| s.body.as_ref())
        .filter(|b| {
            b["query"]
                .as_str()
                .is_some_and(|q| q.starts_with(&format!("/* iru-fivetran {tag} */")))
        })
        .collect()
}

#[test]
fn a_service_account_source_gives_the_same_actions_as_postgres_across_pages_and_polls() {
    let Some(w) = warehouse() else { return };
    let fake = server(bigquery::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let pg = vault_with(
        dir.path(),
        &pg_source(w, READER, READER_PASSWORD, "destination = \"sturdy_kiln\""),
    );
    let pg_run = collect_with_vault(&fake, &pg, &[]);
    pg_run.assert_code(0);
    let expected = ids(&pg_run.json("audit_trail.json"));
    assert!(expected.len() > 5, "{expected:?}");

    let bq = bigquery::start(
        w,
        Faults {
            page_rows: 2,
            incomplete_polls: 2,
            ..Faults::default()
        },
    );
    let run = collect_bq(&bq, keys(), "page_rows = 3");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(ids(&trail), expected);
    let s = source(&trail);
    assert_eq!(s["kind"], "bigquery");
    assert_eq!(s["statements"], "bigquery");
    assert_eq!(s["platform_connector"], CONNECTOR);
    assert_eq!(s["destination"], DESTINATION);
    assert_eq!(s["tables"]["audit_trail"]["present"], true);

    let seen = bq.seen();
    // The token exchange came first, with an assertion whose header and claims are exactly
    // Google's (the fake refuses anything else), and one token served the whole run.
    assert_eq!(seen[0].target, "/token");
    let (header, claims) = seen[0].assertion.clone().expect("a verified assertion");
    assert_eq!(header["kid"], KEY_ID);
    assert_eq!(claims["iss"], EMAIL);
    assert_eq!(claims["scope"], SCOPE);
    assert_eq!(claims["aud"], format!("{}/token", bq.url()));
    let life = claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat");
    assert!((1..=3600).contains(&life), "{life}");
    assert_eq!(seen.iter().filter(|s| s.target == "/token").count(), 1);
    let tokens: BTreeSet<&str> = seen[1..].iter().map(|s| s.token.as_str()).collect();
    assert_eq!(tokens.len(), 1);
    assert!(seen.iter().all(|s| s.status == 200), "{seen:?}");
    // Every statement: GoogleSQL, named STRING parameters, the location, the job's time limit.
    let bodies: Vec<&Value> = seen.iter().filter_map(|s| s.body.as_ref()).collect();
    assert!(bodies.iter().all(|b| b["useLegacySql"] == false
        && b["parameterMode"] == "NAMED"
        && b["location"] == LOCATION
        && b["jobTimeoutMs"] == "60000"
        && b["maxResults"] == 3
        && b["requestId"].is_string()));
    let log = posted(&seen, "log");
    let log = log.first().expect("a log statement");
    let last = log["queryParameters"].as_array().expect("params").len() - 1;
    assert_eq!(log["queryParameters"][last]["name"], format!("p{last}"));
    assert_eq!(
        log["queryParameters"][last]["parameterType"]["type"],
        "STRING"
    );
    assert_eq!(
        log["queryParameters"][last]["parameterValue"]["value"],
        "%\"actor\"%"
    );
    assert!(
        log["query"]
            .as_str()
            .expect("query")
            .contains(&format!("`{DATA_PROJECT}`.`fivetran_metadata`.`log`"))
    );
    // Jobs were polled, and their rows read over several pages, in the jobs' project.
    let jobs = format!("/bigquery/v2/projects/{PROJECT}/queries/");
    let gets: Vec<&str> = seen
        .iter()
        .filter(|s| s.method == "GET")
        .map(|s| s.target.as_str())
        .collect();
    assert!(
        gets.iter()
            .all(|t| t.starts_with(&jobs) && t.contains("location=EU"))
    );
    assert!(gets.iter().any(|t| t.contains("pageToken=")));
    assert!(gets.iter().filter(|t| !t.contains("pageToken=")).count() >= 2);

    // The same data again: the same items, byte for byte.
    let again = collect_bq(&bq, keys(), "page_rows = 3");
    again.assert_code(0);
    assert_eq!(again.json("audit_trail.json")["items"], trail["items"]);

    // `message_data` a STRING rather than JSON: read as it is, the same items.
    let strings = FakeBigQuery::start(
        bigquery::login(),
        bigquery::platform(w, false),
        Faults::default(),
    )
    .expect("fake");
    let run = collect_bq(&strings, keys(), "");
    run.assert_code(0);
    assert_eq!(run.json("audit_trail.json")["items"], trail["items"]);
    let log = posted(&strings.seen(), "log")[0].clone();
    assert!(
        !log["query"]
            .as_str()
            .expect("query")
            .contains("TO_JSON_STRING")
    );
}

#[test]
fn rate_limits_backend_errors_an_expired_job_an_expiring_token_and_a_cut_body_are_ridden_out() {
    let Some(w) = warehouse() else { return };
    let bq = bigquery::start(
        w,
        Faults {
            statuses: [
                (403, "rateLimitExceeded"),
                (503, "backendError"),
                (403, "quotaExceeded"),
                (429, "rateLimitExceeded"),
                (500, "backendError"),
            ]
            .into(),
            incomplete_polls: 1,
            expire_first_job: true,
            token_uses: Some(4),
            truncate_next: true,
            page_rows: 2,
            ..Faults::default()
        },
    );
    let run = collect_bq(&bq, keys(), "page_rows = 4");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    let seen = bq.seen();
    let statuses: Vec<u16> = seen.iter().map(|s| s.status).collect();
    // BigQuery's 403 rate limits were waited out as 429s are, not taken for a denial.
    for status in [403, 429, 503, 500] {
        assert!(statuses.contains(&status), "{status} in {statuses:?}");
    }
    assert_eq!(trail["sources"][0]["tables"]["log"]["present"], true);
    // The statement refused by a rate limit was sent again with the same requestId (BigQuery
    // then does not run it twice).
    let ids: Vec<&str> = seen
        .iter()
        .filter_map(|s| s.body.as_ref()?["requestId"].as_str())
        .collect();
    let distinct: BTreeSet<&&str> = ids.iter().collect();
    assert!(distinct.len() < ids.len(), "{ids:?}");
    // The expired job (404 while polled) was submitted again.
    assert!(
        seen.iter().any(|s| s.method == "GET" && s.status == 404),
        "{statuses:?}"
    );
    // The token expired mid-run (401) and another was fetched, with a new assertion.
    assert!(statuses.contains(&401), "{statuses:?}");
    let exchanges: BTreeSet<&str> = seen
        .iter()
        .filter(|s| s.target == "/token")
        .map(|s| s.token.as_str())
        .collect();
    assert!(exchanges.len() >= 2, "{}", exchanges.len());
    // The cut body was read again, from a new session after the last row.
    assert!(source(&trail)["reconnects"].as_u64().expect("reconnects") >= 1);
    // The same items as without faults.
    let clean = bigquery::start(w, Faults::default());
    let again = collect_bq(&clean, keys(), "page_rows = 4");
    assert_eq!(again.json("audit_trail.json")["items"], trail["items"]);
}

#[test]
fn a_short_lived_token_is_fetched_again_before_it_expires() {
    let Some(w) = warehouse() else { return };
    // Tokens of one second, jobs that need polling: the run outlives several tokens.
    let bq = bigquery::start(
        w,
        Faults {
            token_lifetime: 1,
            incomplete_polls: 3,
            ..Faults::default()
        },
    );
    let run = collect_bq(&bq, keys(), "");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    let seen = bq.seen();
    let exchanges = seen.iter().filter(|s| s.target == "/token").count();
    let tokens: BTreeSet<&str> = seen
        .iter()
        .filter(|s| s.target != "/token")
        .map(|s| s.token.as_str())
        .collect();
    assert!(exchanges >= 2 && tokens.len() >= 2, "{exchanges} exchanges");
}

#[test]
fn a_key_the_service_account_does_not_have_is_refused_at_the_token_exchange_with_a_hint() {
    let Some(w) = warehouse() else { return };
    let bq = bigquery::start(w, Faults::default());
    let run = collect_bq(&bq, other_keys(), "");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "failed");
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("the warehouse refused the login: the token exchange with 127.0.0.1 refused the service account's assertion: HTTP 400: Invalid JWT Signature. (invalid_grant)"),
        "{reason}"
    );
    assert!(
        reason.contains("hint:") && reason.contains("key_file"),
        "{reason}"
    );
    // Nothing was asked of BigQuery without a token; the API artifacts are unaffected.
    assert!(bq.seen().iter().all(|s| s.target == "/token"));
    assert_eq!(run.json("users.json")["status"], "complete");
}

#[test]
fn a_key_file_of_another_type_is_refused_before_any_request() {
    let Some(w) = warehouse() else { return };
    let bq = bigquery::start(w, Faults::default());
    let fake = server(bigquery::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let toml = source_toml(&bq, dir.path(), keys(), "");
    bigquery::write_key_file(&bq, dir.path(), keys(), "authorized_user");
    let run = collect_with_vault(&fake, &vault_with(dir.path(), &toml), &[]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "holds a user's credentials (type authorized_user), not a service account's key"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("gcloud iam service-accounts keys create"),
        "{}",
        run.stderr
    );
    assert!(fake.requests().is_empty() && bq.seen().is_empty());
}

#[test]
fn a_denial_a_sql_error_a_missing_table_and_a_missing_dataset_each_say_what_they_are() {
    let Some(w) = warehouse() else { return };
    let bq = bigquery::start(
        w,
        Faults {
            forbidden: true,
            ..Faults::default()
        },
    );
    let run = collect_bq(&bq, keys(), "");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "forbidden", "{}", trail["reason"]);
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("HTTP 403") && reason.contains("(accessDenied)"),
        "{reason}"
    );
    assert!(
        reason.contains(&format!(
            "grant {EMAIL} roles/bigquery.jobUser on project {PROJECT} and roles/bigquery.dataViewer"
        )),
        "{reason}"
    );

    let bq = bigquery::start(
        w,
        Faults {
            sql_error_on: Some("log".into()),
            ..Faults::default()
        },
    );
    let run = collect_bq(&bq, keys(), "");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_ne!(trail["status"], "complete");
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("HTTP 400: Unrecognized name: message_data at [1:120] (invalidQuery)"),
        "{reason}"
    );

    // AUDIT_TRAIL absent (a plan without it) is a fact, not an error.
    let mut platform = bigquery::platform(w, true);
    for t in &mut platform.tables {
        t.hidden = t.name == "audit_trail";
    }
    let bq = FakeBigQuery::start(bigquery::login(), platform, Faults::default()).expect("fake");
    let run = collect_bq(&bq, keys(), "");
    run.assert_code(0);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(source(&trail)["tables"]["audit_trail"]["present"], false);
    assert!(ids(&trail).iter().all(|id| id.starts_with("log:")));

    // A dataset that is not there (404 notFound): the schema is missing, said as such.
    let bq = bigquery::start(w, Faults::default());
    let run = collect_bq(&bq, keys(), "dataset = \"fivetran_metadata_gone\"");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("not found in the warehouse: schema fivetran_metadata_gone"),
        "{reason}"
    );
    assert!(bq.seen().iter().any(|s| s.status == 404));
}

#[test]
fn doctor_checks_a_bigquery_source_and_prints_its_two_roles() {
    let Some(w) = warehouse() else { return };
    let bq = bigquery::start(w, Faults::default());
    let fake = server(bigquery::account(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(dir.path(), &source_toml(&bq, dir.path(), keys(), ""));
    let url = fake.api_url();
    let doctor = |vault: &std::path::Path| crate::support::doctor_json(&url, vault);
    let (run, report) = doctor(&vault);
    run.assert_code(0);
    let (check, grants) = crate::support::ready_source(&report, CONNECTOR);
    assert_eq!(
        check["warehouse"],
        format!(
            "bigquery {EMAIL}@127.0.0.1:{}/{DATA_PROJECT}",
            bq.url().rsplit(':').next().expect("port")
        )
    );
    assert_eq!(
        grants,
        [
            format!(
                "gcloud projects add-iam-policy-binding '{PROJECT}' --member='serviceAccount:{EMAIL}' --role=roles/bigquery.jobUser"
            ),
            format!(
                "GRANT `roles/bigquery.dataViewer` ON SCHEMA `{DATA_PROJECT}`.`fivetran_metadata` TO \"serviceAccount:{EMAIL}\";"
            ),
        ]
    );

    // A service account BigQuery refuses: not ready, exit 3, with what to grant.
    bq.faults(|f| f.forbidden = true);
    let (run, report) = doctor(&vault);
    run.assert_code(3);
    crate::support::refused_source(&report, &["HTTP 403", "roles/bigquery.jobUser"]);
}

#[test]
fn the_readme_s_bigquery_source_and_grants_are_what_the_tool_reads_and_prints() {
    use iru_fivetran_core::credentials::audit::{Kind, check};
    use iru_fivetran_core::warehouse::statements::{Dialect, grants};

    let raw = crate::support::readme_source("3) The BigQuery vault entry:\n\n```toml\n");
    let dir = tempfile::tempdir().expect("dir");
    let empty = FakeBigQuery::start(
        bigquery::login(),
        iru_fivetran_fake::bigquery::Platform::default(),
        Faults::default(),
    )
    .expect("fake");
    bigquery::write_key_file(&empty, dir.path(), keys(), "service_account");
    let source = check(raw, 1, dir.path()).expect("the README's source is valid");
    assert_eq!(source.kind, Kind::BigQuery);
    assert_eq!(source.host, "bigquery.googleapis.com");
    assert_eq!(source.database, "acme-warehouse");
    let bq = source
        .rest
        .as_ref()
        .and_then(|r| r.bigquery.as_ref())
        .expect("bigquery");
    assert_eq!(
        (bq.project.as_str(), bq.location.as_deref()),
        ("acme-jobs", Some("EU"))
    );

    let printed = crate::support::readme_block(
        "(`doctor`\nprints these with your project, dataset and service account):\n\n```text\n",
    );
    let expected = grants(
        Dialect::BigQuery,
        "acme-warehouse",
        "fivetran_metadata",
        "iru-audit@acme-jobs.iam.gserviceaccount.com",
        "",
        "acme-jobs",
    );
    assert_eq!(printed.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn a_job_that_never_completes_is_waited_for_no_longer_than_the_statement_timeout_allows() {
    let Some(w) = warehouse() else { return };
    let bq = bigquery::start(
        w,
        Faults {
            incomplete_polls: u32::MAX,
            ..Faults::default()
        },
    );
    let started = std::time::Instant::now();
    let run = collect_bq(&bq, keys(), "statement_timeout = 1");
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("a statement timed out: catalog still running after 2 s"),
        "{reason}"
    );
    assert!(reason.contains("raise statement_timeout"), "{reason}");
    // The job's own limit was asked of BigQuery too.
    let first = bq.seen().into_iter().find_map(|s| s.body).expect("a query");
    assert_eq!(first["jobTimeoutMs"], "1000");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
