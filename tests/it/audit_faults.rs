//! Every fault an audit source can meet, through the binary: a clear reason naming the source
//! (never its password), the run exit 3, the API artifacts unaffected, and nothing already read
//! lost. The leak check of every run covers the warehouse passwords.

use serde_json::Value;

use crate::support::postgres::{
    CuttingProxy, PARTIAL, PARTIAL_PASSWORD, READER, READER_PASSWORD, WRONG_PASSWORD, Warehouse,
    acme_synced_at, collect_with_vault, source_toml, vault_with, warehouse,
};
use crate::support::{Run, server};

/// Collects the fake account (Platform Connector synced at the base) with `sources` (TOML) in
/// the vault.
fn collect_sources(w: &Warehouse, sources: &str) -> Run {
    let fake = server(acme_synced_at(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = vault_with(dir.path(), sources);
    collect_with_vault(&fake, &vault, &[])
}

fn kiln(extra: &str) -> String {
    format!("destination = \"sturdy_kiln\"\n{extra}")
}

fn ids(trail: &Value) -> Vec<String> {
    trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The API artifacts are complete whatever the warehouse did.
fn api_untouched(run: &Run) {
    for name in ["users.json", "connections.json", "destinations.json"] {
        assert_eq!(run.json(name)["status"], "complete", "{name}");
    }
}

/// The run exits 3, `audit_trail` is `status` with a reason naming source 1 and containing
/// `says`, also in the log, never the password.
fn fails_with(run: &Run, w: &Warehouse, status: &str, says: &str) -> Value {
    run.assert_code(3);
    api_untouched(run);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], status, "{}", trail["reason"]);
    let reason = trail["reason"].as_str().expect("reason");
    let label = format!(
        "audit source 1 (postgres {READER}@127.0.0.1:{}/analytics)",
        w.server.port()
    );
    assert!(reason.starts_with(&label), "{reason}");
    assert!(reason.contains(says), "{reason}");
    assert!(run.stderr.contains(says), "{}", run.stderr);
    assert_eq!(run.manifest()["status"], "partial");
    trail
}

#[test]
fn a_wrong_password_fails_the_source_and_only_it() {
    let Some(w) = warehouse() else { return };
    let run = collect_sources(w, &source_toml(w, READER, WRONG_PASSWORD, &kiln("")));
    let trail = fails_with(
        &run,
        w,
        "failed",
        "the warehouse refused the login: password authentication failed for user \"iru_reader\"; hint: check user and password",
    );
    assert_eq!(trail["count"], 0);
    let facts = &trail["sources"][0];
    assert_eq!(facts["window_covered"], Value::Null);
    assert_eq!(facts["gaps"].as_array().expect("gaps").len(), 1);
    let kiln = trail["destinations"]
        .as_array()
        .expect("destinations")
        .iter()
        .find(|d| d["destination"] == "sturdy_kiln")
        .expect("sturdy_kiln");
    assert_eq!(kiln["coverage"], "failed");
}

#[test]
fn an_unreachable_host_fails_the_source() {
    let Some(w) = warehouse() else { return };
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let toml = source_toml(w, READER, READER_PASSWORD, &kiln("")).replace(
        &format!("port = {}", w.server.port()),
        &format!("port = {closed}"),
    );
    let run = collect_sources(w, &toml);
    run.assert_code(3);
    api_untouched(&run);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "failed");
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains(&format!(
            "127.0.0.1:{closed}/analytics) failed: cannot reach the warehouse"
        )),
        "{reason}"
    );
    assert!(reason.contains("hint: check host and port"), "{reason}");
}

#[test]
fn tls_verify_full_reads_with_the_right_ca_and_fails_with_another() {
    let Some(w) = warehouse() else { return };
    let fake = server(acme_synced_at(w.base));
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ca.pem"), &w.ca_pem).expect("write");
    std::fs::write(dir.path().join("wrong.pem"), &w.wrong_ca_pem).expect("write");
    let tls = |ca: &str| {
        source_toml(
            w,
            READER,
            READER_PASSWORD,
            &kiln(&format!("ca_cert = \"{ca}\"")),
        )
        .replace("tls = \"disable\"", "tls = \"verify-full\"")
    };
    let good = collect_with_vault(&fake, &vault_with(dir.path(), &tls("ca.pem")), &[]);
    good.assert_code(0);
    let trail = good.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(trail["count"], 13);
    assert_eq!(trail["sources"][0]["tls"], "verify-full");
    let bad = collect_with_vault(&fake, &vault_with(dir.path(), &tls("wrong.pem")), &[]);
    fails_with(
        &bad,
        w,
        "failed",
        "the TLS handshake with the warehouse failed",
    );
    assert!(
        bad.json("audit_trail.json")["reason"]
            .as_str()
            .expect("reason")
            .contains("hint: check tls and ca_cert"),
    );
}

#[test]
fn a_table_the_reader_may_not_read_leaves_the_rest_read() {
    let Some(w) = warehouse() else { return };
    let toml = source_toml(w, PARTIAL, PARTIAL_PASSWORD, &kiln(""));
    let run = collect_sources(w, &toml);
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "partial");
    let reason = trail["reason"].as_str().expect("reason");
    assert!(
        reason.contains("audit_trail: permission denied on audit_trail: the user has no SELECT on it; hint: grant the reader SELECT"),
        "{reason}"
    );
    // LOG's actions are all there, the pause from LOG too (nothing to merge it into).
    let ids = ids(&trail);
    assert!(ids.iter().all(|i| i.starts_with("log:")), "{ids:?}");
    assert_eq!(ids.len(), 9, "{ids:?}");
    assert!(ids.contains(&"log:l_002".to_owned()));
    let facts = &trail["sources"][0];
    assert_eq!(facts["window_covered"], Value::Null);
    assert_eq!(facts["tables"]["log"]["read"], true);
    assert_eq!(facts["tables"]["audit_trail"]["read"], false);
}

#[test]
fn an_older_set_up_without_audit_trail_with_connector_id_and_naive_times() {
    let Some(w) = warehouse() else { return };
    let run = collect_sources(
        w,
        &source_toml(
            w,
            READER,
            READER_PASSWORD,
            &kiln("schema = \"fivetran_log\""),
        ),
    );
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "partial");
    assert_eq!(
        ids(&trail),
        ["log:o_001", "log:o_002", "log:o_003", "log:o_004"]
    );
    let items = trail["items"].as_array().expect("items");
    let at = |h: i64| {
        (w.base - jiff::SignedDuration::from_hours(h))
            .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string()
    };
    // Naive times are UTC; connector_id names the connection.
    assert_eq!(items[0]["at"], at(5));
    assert_eq!(items[0]["resource"]["id"], "velvet_summit");
    assert_eq!(items[0]["actor"]["user_id"], "tidy_lantern");
    // The malformed and the 10 MB message_data: kept, said, nothing of the value.
    let notes = |i: usize| {
        items[i]["_iru"]["incomplete"][0]
            .as_str()
            .expect("note")
            .to_owned()
    };
    assert!(
        notes(1).contains("message_data is not valid JSON"),
        "{}",
        notes(1)
    );
    assert!(
        notes(2).contains("over the 1048576-byte bound: not read"),
        "{}",
        notes(2)
    );
    assert_eq!(items[2]["details"], Value::Null);
    let facts = &trail["sources"][0];
    assert_eq!(facts["incomplete_rows"], 2);
    assert_eq!(facts["tables"]["audit_trail"]["present"], false);
    assert_eq!(facts["window_covered"], facts["window_asked"]);
    assert!(
        trail["reason"]
            .as_str()
            .expect("reason")
            .contains("2 row(s) kept with a value that could not be read"),
    );
    // Incomplete rows and the partial source match the committed schemas.
    crate::schema::Validator::new().bundle(&run.bundle());
    // The bundle stays small: the 10 MB value never reached it.
    let bytes = std::fs::metadata(run.bundle().join("audit_trail.json"))
        .expect("file")
        .len();
    assert!(bytes < 64 * 1024, "{bytes}");
}

#[test]
fn a_missing_schema_or_column_fails_the_source_by_name() {
    let Some(w) = warehouse() else { return };
    for (schema, says) in [
        (
            "fivetran_broken",
            "not found in the warehouse: column message_data of table log in schema fivetran_broken",
        ),
        ("nowhere", "not found in the warehouse: schema nowhere"),
    ] {
        let run = collect_sources(
            w,
            &source_toml(
                w,
                READER,
                READER_PASSWORD,
                &kiln(&format!("schema = \"{schema}\"")),
            ),
        );
        fails_with(&run, w, "failed", says);
    }
}

#[test]
fn a_statement_past_its_timeout_stops_the_read_there() {
    let Some(w) = warehouse() else { return };
    let server = &w.server;
    std::thread::scope(|scope| {
        let locker = scope.spawn(|| {
            server.psql(
                crate::support::postgres::DATABASE,
                "BEGIN; LOCK TABLE fivetran_locked.log IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT;",
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let run = collect_sources(
            w,
            &source_toml(
                w,
                READER,
                READER_PASSWORD,
                &kiln("schema = \"fivetran_locked\"\nstatement_timeout = 1"),
            ),
        );
        let trail = fails_with(&run, w, "failed", "a statement timed out");
        let gap = &trail["sources"][0]["gaps"][0];
        assert!(
            gap["reason"]
                .as_str()
                .expect("reason")
                .starts_with("log: a statement timed out"),
            "{gap}"
        );
        locker
            .join()
            .expect("locker")
            .expect("lock held and released");
    });
}

#[test]
fn a_connection_dropped_mid_read_resumes_after_the_last_row() {
    let Some(w) = warehouse() else { return };
    let whole = collect_sources(
        w,
        &source_toml(w, READER, READER_PASSWORD, &kiln("page_rows = 1")),
    );
    whole.assert_code(0);
    // Cut at several points, so that the connection is lost in each pass: with these fixtures
    // and one row a page, about 3,000 bytes in is the catalog and USER, 6,000 the first pass
    // over AUDIT_TRAIL, 8,000 LOG, 10,000 the second pass over AUDIT_TRAIL.
    for cut_after in [3_000, 6_000, 8_000, 10_000] {
        let proxy = CuttingProxy::start(w.server.port(), cut_after);
        let toml = source_toml(w, READER, READER_PASSWORD, &kiln("page_rows = 1")).replace(
            &format!("port = {}", w.server.port()),
            &format!("port = {}", proxy.port),
        );
        let cut = collect_sources(w, &toml);
        cut.assert_code(0);
        let trail = cut.json("audit_trail.json");
        assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
        assert_eq!(
            trail["sources"][0]["reconnects"], 1,
            "cut after {cut_after}"
        );
        assert_eq!(
            proxy.accepted.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "one cut, one reconnection"
        );
        // Resumed after the last row, not read again: the same rows read as an undisturbed
        // read, and the same items, none twice.
        let undisturbed = &whole.json("audit_trail.json")["sources"][0];
        let facts = &trail["sources"][0];
        assert_eq!(
            facts["rows_read"], undisturbed["rows_read"],
            "cut after {cut_after}"
        );
        assert_eq!(facts["tables"], undisturbed["tables"]);
        assert_eq!(facts["repeated_in_other_sources"], 0);
        assert_eq!(
            trail["items"],
            whole.json("audit_trail.json")["items"],
            "byte for byte"
        );
    }
}

#[test]
fn two_sources_one_failing_keep_what_the_other_read() {
    let Some(w) = warehouse() else { return };
    // The account-level Platform Connector runs too, writing the older schema.
    let mut account = acme_synced_at(w.base);
    for c in account
        .connections
        .iter_mut()
        .chain(account.connection_details.values_mut())
    {
        if c["id"] == "lone_sextant" {
            c["paused"] = Value::Bool(false);
            c["succeeded_at"] = Value::String(w.base.to_string());
        }
    }
    let fake = server(account);
    let dir = tempfile::tempdir().expect("dir");
    let both = format!(
        "{}{}",
        source_toml(w, READER, READER_PASSWORD, &kiln("")),
        source_toml(
            w,
            READER,
            READER_PASSWORD,
            "destination = \"warm_harbor\"\nschema = \"fivetran_log\""
        )
    );
    let run = collect_with_vault(&fake, &vault_with(dir.path(), &both), &[]);
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["count"], 13 + 4);
    assert_eq!(trail["sources"][1]["account_level"], true);
    // The account-level source covers every destination.
    for d in trail["destinations"].as_array().expect("destinations") {
        assert!(
            d["sources"]
                .as_array()
                .expect("sources")
                .contains(&Value::from(2)),
            "{d}"
        );
    }
    let failing = format!(
        "{}{}",
        source_toml(w, READER, READER_PASSWORD, &kiln("")),
        source_toml(
            w,
            READER,
            WRONG_PASSWORD,
            "destination = \"warm_harbor\"\nschema = \"fivetran_log\""
        )
    );
    let run = collect_with_vault(&fake, &vault_with(dir.path(), &failing), &[]);
    run.assert_code(3);
    let trail = run.json("audit_trail.json");
    assert_eq!(trail["status"], "partial");
    assert_eq!(trail["count"], 13, "the first source's items are kept");
    assert_eq!(trail["sources"][0]["status"], "complete");
    assert_eq!(trail["sources"][1]["status"], "failed");
    assert!(
        trail["reason"]
            .as_str()
            .expect("reason")
            .starts_with("audit source 2 (postgres iru_reader@127.0.0.1:"),
        "{}",
        trail["reason"]
    );
}
