//! The evidence of code and secrets in pipelines (issue 19): connector SDK packages, external
//! secrets managers, transformations and dbt transformation projects, with every secret they
//! may hold masked and nothing planted in the fixture written anywhere.

use serde_json::{Value, json};

use crate::support::{acme, collect, manifest_artifact, requests_to, server};

fn item<'a>(artifact: &'a Value, id: &str) -> &'a Value {
    artifact["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {artifact}"))
}

#[test]
fn packages_secrets_managers_and_transformations_are_collected_with_secrets_masked() {
    let fake = server(acme());
    let run = collect(&fake, &[]);
    run.assert_code(0);
    let manifest = run.manifest();
    for name in [
        "connector_sdk_packages",
        "secrets_managers",
        "transformations",
        "transformation_projects",
    ] {
        assert_eq!(
            manifest_artifact(&manifest, name)["status"],
            "complete",
            "{name}"
        );
    }

    let packages = run.json("connector_sdk_packages.json");
    assert_eq!(
        item(&packages, "quill_harbor_pkg")["file_sha256_hash"],
        "3f1c9a0e7b5d42c68e1f0a9b7c3d5e2f4a6b8c0d1e2f3a4b5c6d7e8f9a0b1c2d"
    );

    let managers = run.json("secrets_managers.json");
    let vault = &item(&managers, "steady_vault")["config"];
    assert_eq!(vault["secret_id"], "<redacted>");
    assert_eq!(vault["vault_address"], "https://vault.acme.example:8200");

    let transformations = run.json("transformations.json");
    assert_eq!(
        item(&transformations, "brisk_ember")["schedule"]["connection_ids"],
        json!(["fervent_ledger", "velvet_summit"])
    );
    assert_eq!(item(&transformations, "quiet_orchard")["paused"], true);

    let projects = run.json("transformation_projects.json");
    let project = item(&projects, "amber_forge");
    let config = &project["project_config"];
    assert_eq!(
        config["git_remote_url"],
        "git@github.com:acme-analytics/dbt-warehouse.git"
    );
    assert_eq!(config["git_branch"], "main");
    assert_eq!(
        config["environment_vars"],
        json!([
            "DBT_TARGET_ENV=<redacted>",
            "DBT_SNOWFLAKE_PASSWORD=<redacted>"
        ])
    );
    assert_eq!(config["private_key"], "<redacted>");
    assert!(
        config["public_key"]
            .as_str()
            .is_some_and(|k| k.starts_with("ssh-ed25519 ")),
        "the deploy key's public half is kept: {config}"
    );
    assert_eq!(project["setup_tests"][0]["status"], "PASSED");
    assert_eq!(
        requests_to(&fake, "/v1/transformation-projects/amber_forge"),
        1
    );
    // The manifest says what was masked, by path.
    let redactions =
        manifest_artifact(&manifest, "transformation_projects")["redactions"].to_string();
    assert!(
        redactions.contains("$.items[*].project_config.environment_vars[*]"),
        "{redactions}"
    );
}

#[test]
fn a_feature_the_account_lacks_is_unavailable_and_a_missing_permission_forbidden() {
    let mut account = acme();
    account.forbidden.insert(
        "/v1/connector-sdk/packages".into(),
        "Connector SDK is not enabled for this account".into(),
    );
    account.forbidden.insert(
        "/v1/transformations".into(),
        "Access denied. Required permission: TRANSFORMATION_READ".into(),
    );
    let fake = server(account);
    let run = collect(&fake, &[]);
    run.assert_code(3);
    let manifest = run.manifest();
    let packages = manifest_artifact(&manifest, "connector_sdk_packages");
    assert_eq!(packages["status"], "unavailable", "{packages}");
    assert!(
        packages["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not enabled"))
    );
    let transformations = manifest_artifact(&manifest, "transformations");
    assert_eq!(transformations["status"], "forbidden", "{transformations}");
    assert!(
        transformations["reason"]
            .as_str()
            .is_some_and(|r| r.contains("TRANSFORMATION_READ"))
    );
}
