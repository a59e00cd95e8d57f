//! A full collection of the acme fixture account, end to end through the binary.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::support::{self, ARTIFACTS, acme, collect, expected_requests, server};

const DERIVED: [&str; 5] = [
    "audit_coverage",
    "activity",
    "access",
    "findings",
    "changes",
];

fn ids(envelope: &Value, key: &str) -> Vec<String> {
    envelope["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i[key].as_str().expect("key").to_owned())
        .collect()
}

#[test]
fn complete_bundle_with_every_artifact_verified() {
    let account = acme();
    let fake = server(account.clone());
    let run = collect(&fake, &[]);
    run.assert_code(0);
    let bundle = run.bundle();
    let name = bundle
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with("fivetran-sterling_paddock-") && name.ends_with('Z'),
        "{name}"
    );
    assert_eq!(
        bundle.parent(),
        Some(run.out.path().join("evidence").as_path())
    );
    assert_eq!(
        run.out_entries(),
        std::slice::from_ref(&name),
        "nothing else under --out"
    );

    let mut expected_files: BTreeSet<String> =
        ARTIFACTS.iter().map(|a| format!("{a}.json")).collect();
    expected_files.extend(
        [
            "manifest.json",
            "SHA256SUMS",
            "access.csv",
            "users.csv",
            "connections.csv",
        ]
        .map(str::to_owned),
    );
    let files: BTreeSet<String> = std::fs::read_dir(&bundle)
        .expect("bundle")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, expected_files);

    let manifest = run.manifest();
    assert_eq!(manifest["schema"], "iru-fivetran/manifest/v1");
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["bundle_id"], name.as_str());
    assert_eq!(manifest["account"]["account_id"], "sterling_paddock");
    assert_eq!(manifest["account"]["key_kind"], "user");
    assert_eq!(
        manifest["account"]["key_id"],
        account.account_info["user_id"]
    );
    assert_eq!(manifest["options"]["api_url"], fake.api_url().as_str());
    let limitations: Vec<&str> = manifest["not_available_from_api"]
        .as_array()
        .expect("limitations")
        .iter()
        .map(|l| l["topic"].as_str().expect("topic"))
        .collect();
    assert!(limitations.contains(&"audit_log") && limitations.contains(&"sso_mfa"));
    assert!(limitations.contains(&"personal_api_keys"));

    // Every artifact: hash and size match the file, envelope is right, complete.
    let entries = manifest["artifacts"].as_array().expect("artifacts");
    assert_eq!(entries.len(), ARTIFACTS.len());
    for entry in entries {
        let path = bundle.join(entry["path"].as_str().expect("path"));
        let bytes = std::fs::read(&path).expect("artifact file");
        assert_eq!(
            entry["sha256"],
            hex::encode(Sha256::digest(&bytes)).as_str()
        );
        assert_eq!(entry["bytes"], bytes.len());
        let envelope: Value = serde_json::from_slice(&bytes).expect("json");
        let resource = entry["resource"].as_str().expect("resource");
        assert_eq!(
            envelope["schema"],
            format!("iru-fivetran/{resource}/v1").as_str()
        );
        assert_eq!(envelope["resource"], resource);
        assert_eq!(envelope["account_id"], "sterling_paddock");
        let kind = if DERIVED.contains(&resource) {
            "derived"
        } else {
            "collected"
        };
        assert_eq!(envelope["kind"], kind, "{resource}");
        assert_eq!(entry["kind"], kind, "{resource}");
        // A first bundle has nothing to compare with: its change log is unavailable, which is
        // not a failure; nor is an audit trail without an audit source to read it from.
        let want = if resource == "changes" || resource == "audit_trail" {
            "unavailable"
        } else {
            "complete"
        };
        assert_eq!(
            envelope["status"], want,
            "{resource}: {}",
            envelope["reason"]
        );
        assert_eq!(entry["status"], want);
        assert_eq!(
            envelope["count"],
            envelope["items"].as_array().expect("items").len()
        );
        assert_eq!(entry["count"], envelope["count"]);
        assert!(
            envelope["collected_at"]
                .as_str()
                .expect("time")
                .ends_with('Z'),
            "RFC 3339 UTC"
        );
    }

    // `sha256sum -c` accepts SHA256SUMS, which covers every file but itself.
    let check = Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&bundle)
        .output()
        .expect("sha256sum runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&check.stdout).lines().count(),
        expected_files.len() - 1
    );

    // Counts equal the fixture; items sorted by id (roles by name).
    let count = |name: &str| {
        run.json(&format!("{name}.json"))["count"]
            .as_u64()
            .expect("n")
    };
    assert_eq!(count("users") as usize, account.users.len());
    assert_eq!(count("roles") as usize, account.roles.len());
    assert_eq!(count("teams") as usize, account.teams.len());
    assert_eq!(count("connections") as usize, account.connections.len());
    assert_eq!(count("destinations") as usize, account.destinations.len());
    assert_eq!(count("system_keys") as usize, account.system_keys.len());
    let users = run.json("users.json");
    let user_ids = ids(&users, "id");
    let mut sorted = user_ids.clone();
    sorted.sort();
    assert_eq!(user_ids, sorted);
    let roles = ids(&run.json("roles.json"), "name");
    let mut sorted_roles = roles.clone();
    sorted_roles.sort();
    assert_eq!(roles, sorted_roles);
}

#[test]
fn memberships_details_and_schema_configs_are_embedded() {
    let account = acme();
    let fake = server(account.clone());
    let run = collect(&fake, &[]);
    run.assert_code(0);

    let users = run.json("users.json");
    for user in users["items"].as_array().expect("items") {
        let id = user["id"].as_str().expect("id");
        let groups = ids(
            &serde_json::json!({"items": user["group_memberships"]}),
            "id",
        );
        let mut want: Vec<String> = account
            .user_groups
            .get(id)
            .map(|m| {
                m.iter()
                    .map(|g| g["id"].as_str().expect("id").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        want.sort();
        assert_eq!(groups, want, "group memberships of {id}");
        let conns = user["connection_memberships"].as_array().expect("array");
        assert_eq!(
            conns.len(),
            account.user_connections.get(id).map_or(0, Vec::len),
            "connection memberships of {id}"
        );
        assert!(user.get("picture").is_none(), "picture dropped");
        assert!(user.get("_iru").is_none(), "no notes on a clean run");
    }

    let teams = run.json("teams.json");
    for team in teams["items"].as_array().expect("items") {
        let id = team["id"].as_str().expect("id");
        let n = |m: &std::collections::BTreeMap<String, Vec<Value>>| m.get(id).map_or(0, Vec::len);
        assert_eq!(
            team["user_memberships"].as_array().expect("u").len(),
            n(&account.team_users)
        );
        assert_eq!(
            team["group_memberships"].as_array().expect("g").len(),
            n(&account.team_groups)
        );
        assert_eq!(
            team["connection_memberships"].as_array().expect("c").len(),
            n(&account.team_connections)
        );
    }

    let destinations = run.json("destinations.json");
    for d in destinations["items"].as_array().expect("items") {
        assert!(d["config"].is_object(), "destination detail merged: {d}");
    }

    let connections = run.json("connections.json");
    for c in connections["items"].as_array().expect("items") {
        let id = c["id"].as_str().expect("id");
        assert!(c.get("connect_card").is_none(), "connect_card dropped");
        assert!(
            c["status"].is_object() && c["setup_tests"].is_array(),
            "{id}"
        );
        if account.connection_schemas.contains_key(id) {
            assert!(c["schema_config"].is_object(), "{id}");
        } else {
            assert!(c["schema_config"].is_null(), "{id}");
            assert_eq!(
                c["_iru"]["schema_config"]["code"], "NotFound_SchemaConfig",
                "{id}"
            );
        }
    }

    // The account-level log service is there and marked.
    let logs = run.json("log_services.json");
    let account_level: Vec<&Value> = logs["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["_iru"]["account_level"] == true)
        .collect();
    assert_eq!(account_level.len(), 1);

    // Planted secrets were redacted (the leak check proves absence; this proves the marker).
    let manifest = run.manifest();
    let redacted: Vec<String> = manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .flat_map(|a| {
            let resource = a["resource"].as_str().expect("r").to_owned();
            a["redactions"]
                .as_array()
                .expect("redactions")
                .iter()
                .map(move |r| format!("{resource}:{}", r["path"].as_str().expect("path")))
                .collect::<Vec<_>>()
        })
        .collect();
    for want in [
        "users:$.items[*].picture",
        "system_keys:$.items[*].key",
        "webhooks:$.items[*].secret",
    ] {
        assert!(
            redacted.iter().any(|r| r == want),
            "{want} in {redacted:#?}"
        );
    }
    assert!(
        redacted
            .iter()
            .any(|r| r.starts_with("connections:$.items[*].config."))
    );
    assert_eq!(
        run.json("system_keys.json")["items"][0]["key"],
        "<redacted>",
        "system key value masked"
    );
}

#[test]
fn requests_are_gets_with_the_right_headers_and_counted_exactly() {
    let account = acme();
    let fake = server(account.clone());
    let run = collect(&fake, &[]);
    run.assert_code(0);
    let requests = fake.requests();
    assert_eq!(
        requests.len(),
        expected_requests(&account, support::options().page_size)
    );
    let manifest = run.manifest();
    assert_eq!(manifest["requests"]["total"], requests.len());
    assert_eq!(manifest["requests"]["retries"], 0);
    assert_eq!(
        manifest["requests"]["lowest_remaining"],
        20_000 - requests.len()
    );
    assert_eq!(manifest["requests"]["quota"], 20_000);
    let ua = format!("iru-fivetran/{}", env!("CARGO_PKG_VERSION"));
    for r in &requests {
        assert_eq!(r.method, "GET", "{r:?}");
        assert!(r.authorized, "{r:?}");
        assert_eq!(r.user_agent.as_deref(), Some(ua.as_str()));
        // Approved certificates and fingerprints are version 1 under either parent (spec).
        let approvals = r.path.ends_with("/certificates") || r.path.ends_with("/fingerprints");
        let v2 = !approvals
            && (r.path == "/v1/connections"
                || r.path.starts_with("/v1/destinations")
                || (r.path.starts_with("/v1/connections/") && !r.path.ends_with("/schemas")));
        let want = if v2 {
            "application/json;version=2"
        } else {
            "application/json"
        };
        assert_eq!(r.accept.as_deref(), Some(want), "{}", r.path);
        assert!(
            !r.path.contains("/columns"),
            "never the source-touching endpoint"
        );
        if let Some(q) = &r.query {
            assert!(q.starts_with("limit=1000"), "{q}");
        }
    }
    // Several pages were read, and every cursor was drained.
    let endpoints = manifest["endpoints"].as_array().expect("endpoints");
    let users = endpoints
        .iter()
        .find(|e| e["endpoint"] == "GET /v1/users")
        .expect("users endpoint");
    assert_eq!(users["pages"], account.users.len().div_ceil(2));
    assert_eq!(users["items"], account.users.len());
    for e in endpoints {
        assert_ne!(e["cursor_drained"], false, "{e}");
    }
}

/// An artifact's text without what differs between runs by design: when it was collected, the
/// sync-history window (which ends when the run starts), the baseline it was compared with.
fn timeless(run: &support::Run, file: &str) -> String {
    let mut v = run.json(file);
    v["collected_at"] = Value::Null;
    if let Some(obj) = v.as_object_mut() {
        obj.remove("window");
        obj.remove("baseline");
    }
    serde_json::to_string_pretty(&v).expect("json")
}

#[test]
fn two_runs_over_the_same_data_give_identical_files_but_for_times() {
    let fake = server(acme());
    let first = collect(&fake, &[]);
    let second = collect(&fake, &[]);
    first.assert_code(0);
    second.assert_code(0);
    for artifact in ARTIFACTS {
        let file = format!("{artifact}.json");
        assert_eq!(
            timeless(&first, &file),
            timeless(&second, &file),
            "{file} differs between runs"
        );
    }
}

#[test]
fn resources_flag_selects_artifacts_and_account_always_comes() {
    let fake = server(acme());
    let run = collect(&fake, &["--resources", "users,roles"]);
    run.assert_code(0);
    let manifest = run.manifest();
    let resources: Vec<&str> = manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|a| a["resource"].as_str().expect("r"))
        .collect();
    assert_eq!(resources, ["account", "users", "roles"]);
    assert!(fake.requests().iter().all(|r| {
        r.path == "/v1/account/info" || r.path.starts_with("/v1/users") || r.path == "/v1/roles"
    }));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let fake = server(acme());
    let run = collect(&fake, &["--log-format", "json", "--resources", "roles"]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(v["level"].is_string() && v["message"].is_string(), "{line}");
    }
}

#[test]
fn quiet_runs_print_only_the_bundle_path() {
    let fake = server(acme());
    let run = collect(&fake, &["-q"]);
    run.assert_code(0);
    assert_eq!(run.stderr, "");
    assert!(run.bundle().is_dir());
}

#[test]
fn output_is_identical_whatever_the_concurrency() {
    let fake = server(acme());
    let one = collect(&fake, &["--concurrency", "1"]);
    let many = collect(&fake, &["--concurrency", "16"]);
    one.assert_code(0);
    many.assert_code(0);
    for artifact in ARTIFACTS {
        let file = format!("{artifact}.json");
        assert_eq!(
            timeless(&one, &file),
            timeless(&many, &file),
            "{file} depends on --concurrency"
        );
    }
    assert_eq!(one.manifest()["options"]["concurrency"], 1);
    assert_eq!(many.manifest()["options"]["concurrency"], 16);
    let bad = collect(&fake, &["--concurrency", "0"]);
    bad.assert_code(2);
    assert!(
        bad.stderr
            .contains("--concurrency must be between 1 and 64"),
        "{}",
        bad.stderr
    );
}

/// acme with its first two connections made one `(service, service_version)` pair, and their
/// list items made equal to their details when `list_carries_detail`.
fn paired_acme(list_carries_detail: bool) -> (iru_fivetran_fake::FakeAccount, [String; 2]) {
    let mut a = acme();
    let ids: [String; 2] = [0, 1].map(|n| a.connections[n]["id"].as_str().expect("id").to_owned());
    for (n, id) in ids.iter().enumerate() {
        let detail = a.connection_details.get_mut(id).expect("detail");
        detail["service"] = a.connections[0]["service"].clone();
        detail["service_version"] = a.connections[0]["service_version"].clone();
        if list_carries_detail {
            a.connections[n] = detail.clone();
        } else {
            a.connections[n]["service"] = detail["service"].clone();
            a.connections[n]["service_version"] = detail["service_version"].clone();
        }
    }
    (a, ids)
}

fn detail_requests(fake: &iru_fivetran_fake::FakeServer, ids: &[String]) -> usize {
    fake.requests()
        .iter()
        .filter(|r| {
            ids.iter()
                .any(|id| r.path == format!("/v1/connections/{id}"))
        })
        .count()
}

#[test]
fn a_connection_detail_is_read_once_per_service_when_the_list_already_carries_it() {
    let (account, ids) = paired_acme(true);
    let fake = server(account.clone());
    let run = collect(&fake, &[]);
    run.assert_code(0);
    assert_eq!(detail_requests(&fake, &ids), 1, "only the probe's detail");
    assert_eq!(fake.requests().len(), expected_requests(&account, 2));
    let connections = run.json("connections.json");
    let second = connections["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == ids[1].as_str())
        .expect("second connection");
    assert_eq!(second["_iru"]["detail_from_list"]["probe"], ids[0].as_str());
    // The evidence is there all the same: the list item was the whole record.
    assert_eq!(
        second["setup_tests"],
        account.connection_details[&ids[1]]["setup_tests"]
    );
    assert!(second["schema_config"].is_object() || second["_iru"]["schema_config"].is_object());
}

#[test]
fn every_detail_of_a_service_is_read_when_the_probe_finds_the_list_short() {
    // acme's list items lack `setup_tests`, as Fivetran's might.
    let (account, ids) = paired_acme(false);
    let fake = server(account.clone());
    let run = collect(&fake, &[]);
    run.assert_code(0);
    assert_eq!(detail_requests(&fake, &ids), 2);
    assert_eq!(fake.requests().len(), expected_requests(&account, 2));
    let connections = run.json("connections.json");
    for item in connections["items"].as_array().expect("items") {
        assert!(item["setup_tests"].is_array(), "{item}");
        assert!(item["_iru"].get("detail_from_list").is_none(), "{item}");
    }
}

#[test]
fn collect_takes_dash_o_for_the_output_folder_as_report_does() {
    let fake = crate::support::server(crate::support::acme());
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("short");
    let run = crate::support::collect(
        &fake,
        &["-o", crate::support::arg(&out), "--resources", "roles"],
    );
    run.assert_code(0);
    assert!(run.bundle().starts_with(&out), "{}", run.stdout);
}
