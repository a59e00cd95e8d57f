//! `findings.json` on the acme fixture, end to end. The fixture's times are fixed while the
//! run's start is the clock's, so only outcomes that do not depend on elapsed time are asserted
//! (the thresholds are pushed to their maximum where they would).

use serde_json::Value;

use crate::support::{acme, collect, server};

fn check<'a>(findings: &'a Value, id: &str) -> &'a Value {
    findings["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

fn ids(check: &Value) -> Vec<&str> {
    check["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect()
}

#[test]
fn findings_name_the_acme_accounts_known_problems() {
    let fake = server(acme());
    let run = collect(
        &fake,
        &[
            "--resources",
            "findings",
            "--inactive-days",
            "3650",
            "--stale-days",
            "3650",
        ],
    );
    run.assert_code(0);
    let manifest = run.manifest();
    assert_eq!(manifest["options"]["inactive_days"], 3650);
    assert_eq!(manifest["options"]["stale_days"], 3650);
    assert_eq!(
        manifest["options"]["max_admins"], 3,
        "the default, recorded"
    );
    let resources = manifest["options"]["resources"].to_string();
    for source in [
        "\"audit_coverage\"",
        "\"log_services\"",
        "\"groups\"",
        "\"system_keys\"",
    ] {
        assert!(resources.contains(source), "{source} in {resources}");
    }
    let findings = run.json("findings.json");
    assert_eq!(findings["kind"], "derived");
    assert_eq!(findings["status"], "complete", "{findings}");
    assert_eq!(findings["items"].as_array().expect("items").len(), 15);
    // Without an audit source there is no audit trail to check.
    for id in ["FT-AUDIT-002", "FT-AUDIT-003", "FT-AUDIT-004"] {
        assert_eq!(check(&findings, id)["status"], "n/a", "{id}");
    }

    let admins = check(&findings, "FT-ACCESS-001");
    assert_eq!(admins["status"], "pass", "three administrators, the limit");
    assert_eq!(
        ids(admins),
        ["brisk_falcon", "copper_willow", "tidy_lantern"]
    );
    let maya = &admins["items"].as_array().expect("items")[2];
    assert_eq!(maya["id"], "tidy_lantern");
    assert_eq!(
        maya["via"],
        serde_json::json!(["direct", "team:grand_compass"])
    );
    assert_eq!(ids(check(&findings, "FT-ACCESS-003")), ["frozen_pebble"]);
    assert_eq!(ids(check(&findings, "FT-ACCESS-004")), ["copper_willow"]);
    assert_eq!(
        check(&findings, "FT-ACCESS-002")["count"],
        0,
        "nobody idle 10 years"
    );
    assert!(ids(check(&findings, "FT-ACCESS-005")).contains(&"silent_orbit"));
    let connections = check(&findings, "FT-CONN-001");
    assert_eq!(
        ids(connections),
        [
            "9c4e2a7f1b3d48e6a5f0c2d7e8b91a34",
            "brittle_canyon",
            "lone_sextant"
        ]
    );
    assert_eq!(
        connections["items"][1]["problems"],
        serde_json::json!(["broken"])
    );
    let keys = check(&findings, "FT-KEYS-001");
    assert_eq!(keys["status"], "fail");
    assert!(ids(keys).contains(&"lucid_otter"), "{keys}");
    assert_eq!(check(&findings, "FT-HOOK-001")["status"], "pass");
    // The billing database's certificate was approved by copper_willow, suspended since.
    let trust = check(&findings, "FT-TRUST-001");
    assert_eq!(trust["status"], "fail", "{trust}");
    assert_eq!(
        ids(trust),
        ["connection/crimson_atlas/r-u4QL4MGvZeK2n9Xb7dPq1sT8wYc3Fh6Jm0Va5Lo2E"]
    );
    assert_eq!(trust["items"][0]["validated_by"], "copper_willow");
    assert_eq!(check(&findings, "FT-AUDIT-001")["status"], "pass");
    // crimson_atlas keeps its credentials in a manager the list does not show; fervent_ledger's
    // and warm_harbor's are listed.
    let secret = check(&findings, "FT-SECRET-001");
    assert_eq!(secret["status"], "fail", "{secret}");
    assert_eq!(ids(secret), ["lapsed_keyring"]);
    assert_eq!(
        secret["items"][0]["referenced_by"],
        serde_json::json!(["connection crimson_atlas"])
    );
    // The SDK packages were last changed weeks before this run's 24-hour window.
    assert_eq!(check(&findings, "FT-CODE-001")["status"], "pass");
    for i in findings["items"].as_array().expect("items") {
        assert!(i["proves"].as_str().is_some_and(|s| !s.is_empty()), "{i}");
        assert!(
            i["cannot_prove"].as_str().is_some_and(|s| !s.is_empty()),
            "{i}"
        );
    }
}

#[test]
fn an_sdk_package_changed_in_the_window_is_named_with_its_hash_author_and_time() {
    let fake = server(acme());
    let an_hour_ago = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1))
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    fake.edit(|a| {
        let package = &mut a.connector_sdk_packages[1];
        package["updated_at"] = an_hour_ago.clone().into();
        package["last_updated_by"] = "brisk_falcon".into();
        package["file_sha256_hash"] = "0".repeat(64).into();
    });
    let run = collect(&fake, &["--resources", "findings"]);
    run.assert_code(0);
    let findings = run.json("findings.json");
    let code = check(&findings, "FT-CODE-001");
    assert_eq!(code["status"], "fail", "{code}");
    assert_eq!(ids(code), ["ledger_sprout_pkg"]);
    let package = &code["items"][0];
    assert_eq!(package["change"], "updated");
    assert_eq!(package["by"], "brisk_falcon");
    assert_eq!(package["at"], an_hour_ago.as_str());
    assert_eq!(package["file_sha256_hash"], "0".repeat(64));
}

#[test]
fn secrets_managers_left_out_make_the_reference_check_n_a_not_a_failure() {
    let fake = server(acme());
    let run = collect(
        &fake,
        &["--resources", "findings", "--skip", "secrets_managers"],
    );
    run.assert_code(0);
    let findings = run.json("findings.json");
    let secret = check(&findings, "FT-SECRET-001");
    assert_eq!(secret["status"], "n/a", "{secret}");
    assert_eq!(secret["count"], 0);
    let reason = secret["reason"].as_str().expect("reason");
    assert!(
        reason.contains("secrets_managers.json (unavailable)")
            && reason.contains("a reference cannot be told missing"),
        "{reason}"
    );
}

#[test]
fn a_threshold_out_of_range_is_refused() {
    let fake = server(acme());
    for (flag, value) in [("--inactive-days", "0"), ("--max-admins", "0")] {
        let run = collect(&fake, &[flag, value]);
        run.assert_code(2);
        assert!(run.stderr.contains(flag), "{}", run.stderr);
    }
}

/// The administrator limit is the operator's: `--max-admins 2` fails the three administrators
/// acme has, says so in the title and records the limit in the manifest.
#[test]
fn the_administrator_limit_is_an_option_recorded_in_the_manifest() {
    let fake = server(acme());
    let run = collect(&fake, &["--resources", "findings", "--max-admins", "2"]);
    run.assert_code(0);
    assert_eq!(run.manifest()["options"]["max_admins"], 2);
    let findings = run.json("findings.json");
    let admins = check(&findings, "FT-ACCESS-001");
    assert_eq!(admins["status"], "fail", "{admins}");
    assert_eq!(admins["title"], "account administrators (fails above 2)");
    assert_eq!(ids(admins).len(), 3);
    let report = crate::support::run(
        &[
            "report",
            crate::support::arg(&run.bundle()),
            "--format",
            "md",
        ],
        &[],
    );
    report.assert_code(0);
    // Markdown escapes the underscore.
    assert!(
        report.stdout.contains("max\\_admins 2"),
        "{}",
        report.stdout
    );
}
