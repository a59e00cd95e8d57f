//! `iru-fivetran doctor`: the key check, against the fake, through `support::run` (leak checks).

use iru_fivetran_fake::{ConnectionErrorsMode, FakeOptions, FakeServer, Fault, SyncHistoryMode};
use serde_json::Value;

use crate::support::{self, KEY, KEY_EU, SECRET, SECRET_EU, acme, run, server};

/// Every resource row the check prints, in order.
const RESOURCES: [&str; 21] = [
    "account",
    "users",
    "roles",
    "teams",
    "groups",
    "destinations",
    "connections",
    "webhooks",
    "log_services",
    "system_keys",
    "private_links",
    "proxy_agents",
    "hybrid_deployment_agents",
    "connector_sdk_packages",
    "secrets_managers",
    "transformations",
    "transformation_projects",
    "user_memberships",
    "connection_schemas",
    "connection_errors",
    "sync_history",
];

fn doctor(fake: &FakeServer, extra: &[&str]) -> support::Run {
    let url = fake.api_url();
    let mut args = vec!["doctor", "--api-url", &url];
    args.extend_from_slice(extra);
    run(
        &args,
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    )
}

/// The table row of `resource` (its first line).
fn row<'a>(stderr: &'a str, resource: &str) -> &'a str {
    stderr
        .lines()
        .find(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some(resource) && words.next().is_some_and(|w| w.starts_with("/v1/"))
        })
        .unwrap_or_else(|| panic!("no row for {resource}:\n{stderr}"))
}

#[test]
fn a_reviewer_key_on_acme_is_ready_in_twenty_one_requests() {
    let fake = server(acme());
    let r = doctor(&fake, &[]);
    r.assert_code(0);
    assert!(r.stdout.is_empty(), "text format writes nothing on stdout");
    for resource in RESOURCES {
        assert!(
            row(&r.stderr, resource).contains("readable"),
            "{resource}:\n{}",
            r.stderr
        );
    }
    assert!(
        r.stderr
            .contains("credentials  FIVETRAN_API_KEY and FIVETRAN_API_SECRET"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("account      sterling_paddock (Acme Analytics Inc.)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("key          user key of user tidy_lantern")
    );
    // The fake starts at 20,000 and every request takes one.
    assert!(
        r.stderr.contains(
            "quota        19979 of 20000 requests left this hour (21 used by this check)"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("ready: every resource is readable"));
    // One request per probe, GET only, never a second page or a second item.
    let requests = fake.requests();
    assert_eq!(
        requests.len(),
        21,
        "{:#?}",
        requests.iter().map(|q| &q.path).collect::<Vec<_>>()
    );
    assert!(requests.iter().all(|q| q.method == "GET"));
    let paths: Vec<&str> = requests.iter().map(|q| q.path.as_str()).collect();
    assert!(
        paths.contains(&"/v1/users/brisk_falcon/groups"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/v1/connections/fervent_ledger/schemas"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/v1/connections/fervent_ledger/sync-history"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/v1/connections/fervent_ledger/errors"),
        "{paths:?}"
    );
}

#[test]
fn a_forbidden_list_exits_3_with_fivetrans_message_and_a_role_hint() {
    let fake = server(acme());
    fake.inject(Fault::status(
        "/v1/teams",
        403,
        "Forbidden",
        "Access denied. Required permission: TEAM_READ",
    ));
    let r = doctor(&fake, &[]);
    r.assert_code(3);
    let teams = row(&r.stderr, "teams");
    assert!(teams.contains("forbidden"), "{teams}");
    assert!(
        teams.contains("Forbidden: Access denied. Required permission: TEAM_READ"),
        "{teams}"
    );
    assert!(
        r.stderr
            .contains("hint: give the key's user the Account Reviewer role"),
        "{}",
        r.stderr
    );
    assert!(row(&r.stderr, "users").contains("readable"));
    assert!(
        r.stderr
            .contains("not ready: 1 of 21 resources cannot be read"),
        "{}",
        r.stderr
    );
    assert_eq!(fake.requests().len(), 21);
}

#[test]
fn a_list_that_keeps_failing_is_an_error_row_and_exit_3() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/roles", 500, "InternalError", "boom").times(100));
    let r = doctor(&fake, &[]);
    r.assert_code(3);
    let roles = row(&r.stderr, "roles");
    assert!(
        roles.contains("error") && roles.contains("HTTP 500"),
        "{roles}"
    );
    assert!(row(&r.stderr, "teams").contains("readable"));
    // Retried like every request (6 attempts), and nothing else is asked twice.
    assert_eq!(fake.requests().len(), 21 + 5);
}

#[test]
fn a_refused_key_exits_1_with_the_hint_after_one_request() {
    let fake = server(acme());
    fake.inject(Fault::status(
        "/v1/account/info",
        401,
        "Unauthorized",
        "Invalid API key",
    ));
    let r = doctor(&fake, &[]);
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("Fivetran refused the API key and secret (401 on GET /v1/account/info)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("hint: check that the key and secret are current")
    );
    assert!(
        r.stderr
            .contains("credentials  FIVETRAN_API_KEY and FIVETRAN_API_SECRET")
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn an_unreachable_api_exits_1() {
    // A port nothing listens on: the fake is started and dropped.
    let url = server(acme()).api_url();
    let r = run(
        &["doctor", "--api-url", &url],
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    );
    r.assert_code(1);
    assert!(r.stderr.contains("hint: check --api-url"), "{}", r.stderr);
}

#[test]
fn a_system_key_is_named_and_gets_system_key_hints() {
    let mut account = acme();
    account.account_info = serde_json::json!({
        "account_id": "sterling_paddock",
        "account_name": "Acme Analytics Inc.",
        "system_key_id": "quiet_harbor",
    });
    account.forbidden.insert(
        "/v1/system-keys".into(),
        "Access denied. Required permission: ACCOUNT_MANAGE".into(),
    );
    let fake = server(account);
    let r = doctor(&fake, &[]);
    r.assert_code(3);
    assert!(
        r.stderr.contains("key          system key quiet_harbor"),
        "{}",
        r.stderr
    );
    assert!(row(&r.stderr, "system_keys").contains("forbidden"));
    assert!(
        r.stderr
            .contains("hint: a system key cannot list system keys"),
        "{}",
        r.stderr
    );
}

#[test]
fn sync_history_not_offered_is_fine_and_said_so() {
    let fake = FakeServer::start(
        acme(),
        FakeOptions {
            sync_history: SyncHistoryMode::NotFound,
            ..support::options()
        },
    )
    .expect("fake");
    let r = doctor(&fake, &[]);
    r.assert_code(0);
    assert!(
        row(&r.stderr, "sync_history").contains("unavailable"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("sync history is not offered to this account, which is fine"),
        "{}",
        r.stderr
    );
    assert_eq!(fake.requests().len(), 21);
}

#[test]
fn connection_errors_not_offered_are_fine_and_said_so() {
    for (mode, answer) in [
        (
            ConnectionErrorsMode::NotFound,
            "errors answered 404 NotFound",
        ),
        (ConnectionErrorsMode::NotImplemented, "errors answered 501"),
    ] {
        let fake = FakeServer::start(
            acme(),
            FakeOptions {
                connection_errors: mode,
                sync_history: SyncHistoryMode::NotFound,
                ..support::options()
            },
        )
        .expect("fake");
        let r = doctor(&fake, &[]);
        r.assert_code(0);
        let errors = row(&r.stderr, "connection_errors");
        assert!(errors.contains("unavailable"), "{mode:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(answer),
            "{mode:?}: the row quotes Fivetran's answer:\n{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(
                "(a connection's active errors and sync history are not offered to this account, which is fine"
            ),
            "{}",
            r.stderr
        );
        assert_eq!(fake.requests().len(), 21);
    }
}

#[test]
fn json_report_has_the_versioned_shape() {
    let mut account = acme();
    account.forbidden.insert(
        "/v1/webhooks".into(),
        "Access denied. Required permission: WEBHOOK_READ".into(),
    );
    let fake = server(account);
    let r = doctor(&fake, &["--format", "json"]);
    r.assert_code(3);
    let report: Value = serde_json::from_str(&r.stdout).expect("one JSON document on stdout");
    crate::schema::Validator::new().check("doctor", &report, "the doctor report");
    assert_eq!(report["schema"], "iru-fivetran/doctor/v1");
    assert_eq!(report["verdict"], "not_ready");
    assert_eq!(report["exit_code"], 3);
    assert_eq!(
        report["credentials"],
        "FIVETRAN_API_KEY and FIVETRAN_API_SECRET"
    );
    assert_eq!(report["account"]["account_id"], "sterling_paddock");
    assert_eq!(report["account"]["key_kind"], "user");
    assert_eq!(report["account"]["key_id"], "tidy_lantern");
    assert_eq!(report["quota"]["limit"], 20_000);
    assert_eq!(report["quota"]["remaining"], 19_979);
    assert_eq!(report["requests"], 21);
    let probes = report["probes"].as_array().expect("probes");
    let names: Vec<&str> = probes
        .iter()
        .filter_map(|p| p["resource"].as_str())
        .collect();
    assert_eq!(names, RESOURCES);
    let webhooks = &probes[7];
    assert_eq!(webhooks["resource"], "webhooks");
    assert_eq!(webhooks["endpoint"], "/v1/webhooks");
    assert_eq!(webhooks["outcome"], "forbidden");
    assert_eq!(webhooks["fine"], false);
    assert_eq!(
        webhooks["detail"],
        "Forbidden: Access denied. Required permission: WEBHOOK_READ"
    );
    assert!(
        webhooks["hint"]
            .as_str()
            .expect("hint")
            .contains("Account Reviewer")
    );
    assert_eq!(probes[1]["outcome"], "readable");
    assert_eq!(probes[1]["fine"], true);
    assert!(probes[1]["hint"].is_null());
}

#[test]
fn missing_credentials_exit_2_before_any_request() {
    let fake = server(acme());
    let url = fake.api_url();
    let r = run(&["doctor", "--api-url", &url], &[]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("no Fivetran credentials found"),
        "{}",
        r.stderr
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn a_vault_profile_is_resolved_as_collect_does_and_named_not_shown() {
    let prod = server(acme());
    let eu = FakeServer::start(
        acme(),
        FakeOptions {
            api_key: KEY_EU.into(),
            api_secret: SECRET_EU.into(),
            ..support::options()
        },
    )
    .expect("fake");
    let dir = tempfile::tempdir().expect("tmp");
    let vault = dir.path().join("fivetran.toml");
    std::fs::write(
        &vault,
        format!(
            "[profiles.prod]\napi_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\napi_url = \"{}\"\n\n\
             [profiles.eu]\napi_key = \"{KEY_EU}\"\napi_secret = \"{SECRET_EU}\"\napi_url = \"{}\"\n",
            prod.api_url(),
            eu.api_url()
        ),
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&vault, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let vault_arg = vault.to_str().expect("utf-8");
    // The profile's api_url is used, as collect would: the EU fake gets every request.
    let r = run(
        &[
            "doctor",
            "--credentials-file",
            vault_arg,
            "--format",
            "json",
        ],
        &[("IRU_FIVETRAN_PROFILE", "eu")],
    );
    r.assert_code(0);
    assert!(
        r.stderr.contains(&format!(
            "credentials  profile `eu` of credentials file {vault_arg}"
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(KEY_EU), "the key itself is never shown");
    let report: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(report["profile"], "eu");
    assert_eq!(eu.requests().len(), 21);
    assert!(prod.requests().is_empty());
}

#[test]
fn quiet_hides_the_table_only_when_all_is_well() {
    let fake = server(acme());
    let r = doctor(&fake, &["-q"]);
    r.assert_code(0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    fake.inject(Fault::status(
        "/v1/roles",
        403,
        "Forbidden",
        "Access denied",
    ));
    let r = doctor(&fake, &["-q"]);
    r.assert_code(3);
    assert!(
        row(&r.stderr, "roles").contains("forbidden"),
        "{}",
        r.stderr
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let r = run(&["doctor", "--help"], &[]);
    r.assert_code(0);
    for line in [
        "0  every resource is readable",
        "1  Fivetran refused the key (401) or could not be reached",
        "2  usage, configuration or credentials error",
        "3  something is forbidden, unavailable or failed",
    ] {
        assert!(r.stdout.contains(line), "{line}:\n{}", r.stdout);
    }
}

#[test]
fn the_check_runs_even_at_the_quota_reserve() {
    // 100 left of 20,000: far below collect's 20% reserve, enough for the check.
    let fake = FakeServer::start(
        acme(),
        FakeOptions {
            remaining: 100,
            ..support::options()
        },
    )
    .expect("fake");
    let r = doctor(&fake, &[]);
    r.assert_code(0);
    assert!(
        r.stderr
            .contains("quota        79 of 20000 requests left this hour"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_check_waits_out_429s_as_collect_does_instead_of_spending_attempts() {
    // Eight refusals in a row on one probe: more than the six attempts a fault gets, well
    // within the check's two minutes of waiting (1 + 1 + 2 + 4 + 8 + 16 + 30 + 30 s).
    let fake = server(acme());
    fake.inject(
        Fault::status("/v1/roles", 429, "TooManyRequests", "slow down")
            .header("Retry-After", "1")
            .times(8),
    );
    let r = doctor(&fake, &["--format", "json"]);
    r.assert_code(0);
    assert!(row(&r.stderr, "roles").contains("readable"), "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(report["verdict"], "ready");
    assert_eq!(support::requests_to(&fake, "/v1/roles"), 8 + 1);

    // Asked for an hour, more than the check may wait: it stops there, naming the wait.
    let fake = server(acme());
    fake.inject(
        Fault::status("/v1/roles", 429, "TooManyRequests", "slow down")
            .header("Retry-After", "3600"),
    );
    let r = doctor(&fake, &[]);
    r.assert_code(3);
    assert!(
        row(&r.stderr, "roles").contains("error")
            && r.stderr.contains("Retry-After asks for a wait of 3600 s"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_check_finds_the_pace_a_rate_limit_allows() {
    use iru_fivetran_core::doctor::{self, Checkup, Readiness};
    use iru_fivetran_fake::Limit;
    // Twenty requests against one a second, a burst of two, on paused time: paced, the check
    // is ready, refused a few times at most (at most one in two, as with sixteen). (Each request waiting out its own Retry-After,
    // they all came back together, and some ran out of attempts.)
    support::paused().block_on(async {
        let options = FakeOptions {
            limit: Some(Limit::new(1.0, 2.0)),
            ..support::options()
        };
        let fake = FakeServer::start_here(acme(), options).expect("fake");
        let client = support::waiting_client(&fake, 100.0, 8, std::time::Duration::from_secs(120));
        let now = jiff::Timestamp::now();
        let window = iru_fivetran_core::vocab::Window {
            start: now - jiff::SignedDuration::from_hours(24),
            end: now,
        };
        let checkup = Checkup::new("test".into(), None, fake.api_url());
        let checkup = doctor::check(&client, window, checkup).await;
        assert_eq!(checkup.verdict, Readiness::Ready, "{:#?}", checkup.probes);
        let refused = fake.requests().iter().filter(|r| r.status == 429).count();
        assert!((1..=10).contains(&refused), "{refused}");
        assert!(client.pace().slowdowns >= 1);
    });
}
