//! `iru-fivetran doctor` with audit sources in the vault: each source checked against the test
//! warehouse, the grants of a least-privilege reader printed, through `support::run` (leak
//! checks cover the warehouse passwords).

use serde_json::Value;

use crate::support::postgres::{
    PARTIAL, PARTIAL_PASSWORD, READER, READER_PASSWORD, WRONG_PASSWORD, Warehouse, acme_synced_at,
    source_toml, vault_with, warehouse,
};
use crate::support::{self, requests_to, server};

/// `doctor --format json` against the fake account (its Platform Connector synced at the
/// base) with `sources` in the vault.
fn doctor(w: &Warehouse, sources: &str) -> (support::Run, Value, usize) {
    let fake = server(acme_synced_at(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(dir.path(), sources);
    let url = fake.api_url();
    let run = support::run(
        &[
            "doctor",
            "--api-url",
            &url,
            "--credentials-file",
            support::arg(&vault),
            "--format",
            "json",
        ],
        &[],
    );
    let report: Value = serde_json::from_str(&run.stdout).expect("json report");
    let connections = requests_to(&fake, "/v1/connections");
    (run, report, connections)
}

fn kiln(w: &Warehouse, user: &str, password: &str) -> String {
    source_toml(w, user, password, "destination = \"sturdy_kiln\"")
}

#[test]
fn a_reader_with_the_grants_is_ready_and_sees_the_window() {
    let Some(w) = warehouse() else { return };
    let (run, report, connections) = doctor(w, &kiln(w, READER, READER_PASSWORD));
    run.assert_code(0);
    assert_eq!(report["verdict"], "ready");
    // The connection list is read whole to find the Platform Connectors, besides the key
    // check's own first page.
    let pages = support::acme()
        .connections
        .len()
        .div_ceil(support::options().page_size);
    assert_eq!(connections, 1 + pages);
    let check = &report["audit_sources"][0];
    assert_eq!(check["fine"], true, "{check}");
    assert_eq!(check["connected"], true);
    assert_eq!(check["platform_connector"], "quiet_abacus");
    assert_eq!(check["destination"], "sturdy_kiln");
    assert_eq!(check["schema"], "fivetran_metadata");
    assert_eq!(check["freshness"], "last synced 1 h ago");
    assert_eq!(
        check["warehouse"],
        format!("postgres {READER}@127.0.0.1:{}/analytics", w.server.port())
    );
    let tables = check["tables"].as_array().expect("tables");
    let rows = |t: &str| {
        tables
            .iter()
            .find(|x| x["table"] == t)
            .unwrap_or_else(|| panic!("{t}"))["rows_in_window"]
            .clone()
    };
    // Over doctor's window, the last day up to now, rows after the last sync included.
    assert_eq!(rows("log"), 14);
    assert_eq!(rows("audit_trail"), 7);
    assert_eq!(
        check["grants"],
        serde_json::json!([
            "GRANT CONNECT ON DATABASE \"analytics\" TO \"iru_reader\";",
            "GRANT USAGE ON SCHEMA \"fivetran_metadata\" TO \"iru_reader\";",
            "GRANT SELECT ON \"fivetran_metadata\".\"log\", \"fivetran_metadata\".\"user\" TO \"iru_reader\";",
            "GRANT SELECT ON \"fivetran_metadata\".\"audit_trail\" TO \"iru_reader\";",
        ])
    );
    crate::schema::Validator::new().check("doctor", &report, "the doctor report");
    // The text on stderr says the same.
    for line in [
        "audit source 1  postgres iru_reader@127.0.0.1:",
        "  platform connector  quiet_abacus, destination sturdy_kiln, last synced 1 h ago",
        "  schema fivetran_metadata  log: readable, 14 rows in the window; audit_trail: readable, 7 rows in the window; user: readable",
        "  grants for a least-privilege reader:",
        "    GRANT USAGE ON SCHEMA \"fivetran_metadata\" TO \"iru_reader\";",
        "ready: every resource is readable, and every audit source",
    ] {
        assert!(run.stderr.contains(line), "{line}\n{}", run.stderr);
    }
}

#[test]
fn a_missing_grant_makes_doctor_not_ready_and_says_which_to_run() {
    let Some(w) = warehouse() else { return };
    let (run, report, _) = doctor(w, &kiln(w, PARTIAL, PARTIAL_PASSWORD));
    run.assert_code(3);
    assert_eq!(report["verdict"], "not_ready");
    let check = &report["audit_sources"][0];
    assert_eq!(check["fine"], false);
    assert_eq!(check["detail"], "no SELECT on audit_trail");
    assert_eq!(
        check["hint"],
        "run the GRANT statements below as the schema's owner"
    );
    assert!(
        check["grants"][3]
            .as_str()
            .expect("grant")
            .contains("\"audit_trail\" TO \"iru_partial\""),
        "{check}"
    );
    assert!(
        run.stderr
            .contains("not ready: 1 of 1 audit sources cannot be read in full"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_wrong_password_or_a_paused_platform_connector_is_not_ready() {
    let Some(w) = warehouse() else { return };
    let (run, report, _) = doctor(w, &kiln(w, READER, WRONG_PASSWORD));
    run.assert_code(3);
    let check = &report["audit_sources"][0];
    assert_eq!(check["connected"], false);
    assert!(
        check["detail"]
            .as_str()
            .expect("detail")
            .contains("the warehouse refused the login"),
        "{check}"
    );
    assert!(
        check["hint"]
            .as_str()
            .expect("hint")
            .contains("check user and password"),
        "{check}"
    );
    // lone_sextant, on warm_harbor, is paused: its tables get nothing new.
    let paused = source_toml(w, READER, READER_PASSWORD, "destination = \"warm_harbor\"");
    let (run, report, _) = doctor(w, &paused);
    run.assert_code(3);
    let check = &report["audit_sources"][0];
    assert_eq!(check["platform_connector"], "lone_sextant");
    assert!(
        check["freshness"]
            .as_str()
            .expect("freshness")
            .ends_with(", paused"),
        "{check}"
    );
    assert!(
        check["detail"]
            .as_str()
            .expect("detail")
            .contains("is paused"),
        "{check}"
    );
}

#[test]
fn doctor_connects_with_tls_as_configured() {
    let Some(w) = warehouse() else { return };
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ca.pem"), &w.ca_pem).expect("write");
    std::fs::write(dir.path().join("wrong.pem"), &w.wrong_ca_pem).expect("write");
    let tls = |ca: &str| {
        let ca = dir.path().join(ca);
        source_toml(
            w,
            READER,
            READER_PASSWORD,
            &format!(
                "destination = \"sturdy_kiln\"\nca_cert = \"{}\"",
                ca.to_str().expect("utf-8")
            ),
        )
        .replace("tls = \"disable\"", "tls = \"verify-full\"")
    };
    // One run, two sources: the CA that signed the server's certificate, and another.
    let (run, report, _) = doctor(w, &format!("{}{}", tls("ca.pem"), tls("wrong.pem")));
    run.assert_code(3);
    let good = &report["audit_sources"][0];
    assert_eq!(good["fine"], true, "{good}");
    assert_eq!(good["connected"], true);
    let bad = &report["audit_sources"][1];
    assert_eq!(bad["connected"], false, "{bad}");
    assert!(
        bad["detail"]
            .as_str()
            .expect("detail")
            .contains("the TLS handshake with the warehouse failed"),
        "{bad}"
    );
    assert!(
        bad["hint"]
            .as_str()
            .expect("hint")
            .contains("check tls and ca_cert"),
        "{bad}"
    );
}
