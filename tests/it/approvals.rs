//! `certificates.json` and `fingerprints.json`: the TLS certificates and SSH host keys approved
//! per connection and destination, read only for the parents whose configuration names a host
//! Fivetran connects to (the cost rule of `resources::approvals`).

use serde_json::{Value, json};

use crate::support::{acme, collect, manifest_artifact, requests_to, server};

fn sort_keys(artifact: &Value) -> Vec<&str> {
    artifact["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["sort_key"].as_str().expect("sort_key"))
        .collect()
}

#[test]
fn approvals_are_read_only_where_a_host_or_tunnel_is_configured() {
    let fake = server(acme());
    let run = collect(&fake, &[]);
    run.assert_code(0);

    let certificates = run.json("certificates.json");
    assert_eq!(certificates["status"], "complete");
    assert_eq!(
        sort_keys(&certificates),
        [
            "connection/crimson_atlas/r-u4QL4MGvZeK2n9Xb7dPq1sT8wYc3Fh6Jm0Va5Lo2E",
            "destination/4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7/Zx7-Pm2Qa9Lk4Wd1Vn6Bc3Hr8Ty5Ue0Is2Og7Jf4Ka1",
        ]
    );
    let first = &certificates["items"][0];
    assert_eq!(first["validated_by"], "copper_willow");
    assert_eq!(first["parent_type"], "connection");
    assert!(
        first["sha256"]
            .as_str()
            .is_some_and(|h| h.starts_with("9a:3c"))
    );
    assert_eq!(
        certificates["asked"],
        json!({"connections": 2, "destinations": 3})
    );
    assert_eq!(
        certificates["not_asked"],
        json!({"connections": 9, "destinations": 1})
    );

    let fingerprints = run.json("fingerprints.json");
    assert_eq!(
        sort_keys(&fingerprints),
        ["connection/fervent_ledger/SHA256-kq2xVb9Ld4Rt7Yp1Nm8Cw3Zf6Hs0Ge5Ja2Ku9Qo4Ti"]
    );
    assert_eq!(
        fingerprints["asked"],
        json!({"connections": 1, "destinations": 0})
    );

    // A SaaS source has nothing to approve and is not asked; a database is, once per list.
    assert_eq!(
        requests_to(&fake, "/v1/connections/velvet_summit/certificates"),
        0
    );
    assert_eq!(
        requests_to(&fake, "/v1/connections/velvet_summit/fingerprints"),
        0
    );
    assert_eq!(
        requests_to(&fake, "/v1/connections/fervent_ledger/certificates"),
        1
    );
    assert_eq!(
        requests_to(&fake, "/v1/connections/fervent_ledger/fingerprints"),
        1
    );
    let asked = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/certificates") || r.path.ends_with("/fingerprints"))
        .count();
    assert_eq!(
        asked, 6,
        "5 certificate lists (2 connections, 3 destinations) and 1 fingerprint list"
    );
}

#[test]
fn a_refused_first_parent_makes_the_artifact_forbidden_without_asking_the_rest() {
    let mut account = acme();
    account.forbidden.insert(
        "/v1/connections/crimson_atlas/certificates".into(),
        "Access denied. Required permission: CONNECTOR_MANAGE".into(),
    );
    let fake = server(account);
    let run = collect(&fake, &["--resources", "certificates"]);
    run.assert_code(3);
    let entry = manifest_artifact(&run.manifest(), "certificates").clone();
    assert_eq!(entry["status"], "forbidden", "{entry}");
    assert!(
        entry["reason"]
            .as_str()
            .is_some_and(|r| r.contains("CONNECTOR_MANAGE"))
    );
    let asked = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/certificates"))
        .count();
    assert_eq!(asked, 1, "only the probe");
}

#[test]
fn a_parent_deleted_during_the_run_is_counted_not_a_failure() {
    let fake = server(acme());
    fake.edit(|a| {
        a.destination_details
            .remove("4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7");
    });
    let run = collect(&fake, &["--resources", "certificates"]);
    let certificates = run.json("certificates.json");
    assert_eq!(certificates["deleted_during_run"], 1, "{certificates}");
    assert_eq!(sort_keys(&certificates).len(), 1);
}
