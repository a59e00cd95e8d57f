//! The test warehouse itself: the PostgreSQL server the audit-trail tests read, its fixture
//! tables and roles, and that it leaves nothing behind when the test process ends.

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::postgres::{DATABASE, PARTIAL, READER, warehouse};

#[test]
fn the_warehouse_holds_the_platform_connector_tables() {
    let Some(w) = warehouse() else { return };
    let count = |sql: &str| {
        w.server
            .psql(DATABASE, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .trim()
            .to_owned()
    };
    assert_eq!(count("SELECT count(*) FROM fivetran_metadata.log"), "16");
    assert_eq!(
        count("SELECT count(*) FROM fivetran_metadata.audit_trail"),
        "8"
    );
    assert_eq!(
        count("SELECT count(*) FROM fivetran_metadata.\"user\""),
        "5"
    );
    assert_eq!(count("SELECT count(*) FROM fivetran_log.log"), "5");
    // Relative times: the pause of LOG is two seconds before AUDIT_TRAIL's, 18 hours before the
    // base.
    assert_eq!(
        count(&format!(
            "SELECT extract(epoch FROM '{}'::timestamptz - time_stamp)::int FROM fivetran_metadata.log WHERE id = 'l_002'",
            w.base
        )),
        (18 * 3600 + 2).to_string()
    );
    // Naive times hold the UTC wall clock.
    assert_eq!(
        count(&format!(
            "SELECT extract(epoch FROM '{}'::timestamptz - (time_stamp AT TIME ZONE 'UTC'))::int FROM fivetran_log.log WHERE id = 'o_001'",
            w.base
        )),
        (5 * 3600).to_string()
    );
    assert_eq!(
        count(
            "SELECT octet_length(message_data) > 10485760 FROM fivetran_log.log WHERE id = 'o_003'"
        ),
        "t"
    );
    let can = |role: &str, table: &str| {
        count(&format!(
            "SELECT has_table_privilege('{role}', '{table}', 'SELECT')"
        ))
    };
    assert_eq!(can(READER, "fivetran_metadata.audit_trail"), "t");
    assert_eq!(can(PARTIAL, "fivetran_metadata.log"), "t");
    assert_eq!(can(PARTIAL, "fivetran_metadata.audit_trail"), "f");
    assert_eq!(count("SHOW ssl"), "on");
}

/// Set in the child process of [`a_test_process_that_fails_leaves_no_server_behind`].
const CHILD: &str = "IRU_FIVETRAN_TEST_WAREHOUSE_CHILD";

#[test]
fn a_test_process_that_fails_leaves_no_server_behind() {
    if std::env::var_os(CHILD).is_some() {
        // The child: start the warehouse, say where it is, and fail.
        let Some(w) = warehouse() else { return };
        eprintln!("warehouse {} {}", w.server.port(), w.server.dir().display());
        panic!("this test fails on purpose, with the server running");
    }
    if warehouse().is_none() {
        return;
    }
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "warehouse::a_test_process_that_fails_leaves_no_server_behind",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .expect("child runs");
    assert!(!output.status.success(), "the child test fails on purpose");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("warehouse "))
        .unwrap_or_else(|| panic!("the child started no warehouse: {stderr}"));
    let (port, dir) = line.split_once(' ').expect("port and dir");
    let port: u16 = port.parse().expect("port");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listening = TcpStream::connect(("127.0.0.1", port)).is_ok();
        let kept = Path::new(dir).exists();
        if !listening && !kept {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "30 s after the child exited: server listening {listening}, directory {dir} kept {kept}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_warehouse_speaks_tls_with_a_certificate_of_its_own_ca() {
    let Some(w) = warehouse() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let psql = |ca_pem: &str| {
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_pem).expect("write CA");
        let bin = iru_fivetran_fake::postgres::binaries().expect("binaries");
        Command::new(bin.join("psql"))
            .args([
                "-X",
                "-A",
                "-t",
                "-h",
                "localhost",
                "-U",
                READER,
                "-d",
                DATABASE,
            ])
            .arg("-p")
            .arg(w.server.port().to_string())
            .args([
                "-c",
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            ])
            .env("PGPASSWORD", crate::support::postgres::READER_PASSWORD)
            .env("PGSSLMODE", "verify-full")
            .env("PGSSLROOTCERT", &ca)
            .output()
            .expect("psql runs")
    };
    let good = psql(&w.ca_pem);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&good.stdout).trim(), "t");
    let wrong = psql(&w.wrong_ca_pem);
    assert!(
        !wrong.status.success(),
        "a CA that did not sign it is refused"
    );
}
