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

mod reader {
    //! The PostgreSQL-protocol reader (`iru_fivetran_core::warehouse`) against the test
    //! warehouse: what each statement gives back, and each fault it meets.

    use std::time::Duration;

    use iru_fivetran_core::credentials::AuditSource;
    use iru_fivetran_core::vocab::Window;
    use iru_fivetran_core::warehouse::{
        Catalog, Field, Key, Limits, LogRow, Net, Session, Table, WarehouseError,
    };
    use jiff::{SignedDuration, Timestamp};

    use crate::support::postgres::{
        CuttingProxy, DATABASE, PARTIAL, PARTIAL_PASSWORD, READER, READER_PASSWORD, WRONG_PASSWORD,
        Warehouse, source, source_in, warehouse,
    };
    use crate::support::runtime;

    fn ago(w: &Warehouse, hours: i64) -> Timestamp {
        w.base - SignedDuration::from_hours(hours)
    }

    /// The last day before the base.
    fn day(w: &Warehouse) -> Window {
        Window {
            start: ago(w, 24),
            end: w.base,
        }
    }

    fn limits(page_rows: u32) -> Limits {
        Limits {
            page_rows,
            max_field_bytes: 1024 * 1024,
            statement_timeout: Duration::from_secs(30),
        }
    }

    async fn catalog_of(source: &AuditSource, schema: &str) -> Result<Catalog, WarehouseError> {
        let mut session = Session::open(source, &Net::default()).await?;
        let reader = session.begin(limits(100)).await?;
        let catalog = reader.catalog(schema).await;
        reader.finish().await;
        catalog
    }

    async fn log_rows(
        source: &AuditSource,
        schema: &str,
        window: Window,
        after: Option<&Key>,
        page_rows: u32,
    ) -> Result<Vec<LogRow>, WarehouseError> {
        let mut session = Session::open(source, &Net::default()).await?;
        let reader = session.begin(limits(page_rows)).await?;
        let catalog = reader.catalog(schema).await?;
        let mut rows = Vec::new();
        reader
            .log(&catalog, window, after, &mut |row| rows.push(row))
            .await?;
        reader.finish().await;
        Ok(rows)
    }

    fn ids(rows: &[LogRow]) -> Vec<&str> {
        rows.iter().map(|r| r.key.id.as_str()).collect()
    }

    const ACTOR_ROWS: [&str; 11] = [
        "l_001", "l_002", "l_003", "l_005", "l_006", "l_007", "l_010", "l_011", "l_012", "l_013",
        "l_014",
    ];

    #[test]
    fn log_rows_that_name_an_actor_come_in_time_then_id_order_whatever_the_page() {
        let Some(w) = warehouse() else { return };
        let reader = source(w, READER, READER_PASSWORD, |_| {});
        let rt = runtime();
        for page_rows in [1, 2, 5_000] {
            let rows = rt
                .block_on(log_rows(
                    &reader,
                    "fivetran_metadata",
                    day(w),
                    None,
                    page_rows,
                ))
                .expect("read");
            assert_eq!(ids(&rows), ACTOR_ROWS, "page_rows {page_rows}");
        }
        let rows = rt
            .block_on(log_rows(&reader, "fivetran_metadata", day(w), None, 3))
            .expect("read");
        let first = &rows[0];
        assert_eq!(first.key.at, ago(w, 19));
        assert_eq!(first.connection_id.as_deref(), Some("velvet_summit"));
        assert_eq!(first.message_event.as_deref(), Some("edit_connection"));
        assert_eq!(first.event.as_deref(), Some("INFO"));
        let Field::Text(data) = &first.message_data else {
            panic!("{:?}", first.message_data)
        };
        let data: serde_json::Value = serde_json::from_str(data).expect("json");
        assert_eq!(data["actor"], "jonas.weber@acme.example");
        assert_eq!(rows[1].key.at, ago(w, 18) - SignedDuration::from_secs(2));
        // Resuming after a key gives the rest, the tie at l_011/l_012 kept.
        let rest = rt
            .block_on(log_rows(
                &reader,
                "fivetran_metadata",
                day(w),
                Some(&rows[7].key),
                2,
            ))
            .expect("read");
        assert_eq!(ids(&rest), ACTOR_ROWS[8..]);
    }

    #[test]
    fn an_older_log_with_connector_id_text_data_and_naive_times_reads_the_same() {
        let Some(w) = warehouse() else { return };
        let reader = source(w, READER, READER_PASSWORD, |_| {});
        let rows = runtime()
            .block_on(log_rows(&reader, "fivetran_log", day(w), None, 2))
            .expect("read");
        assert_eq!(ids(&rows), ["o_001", "o_002", "o_003", "o_004"]);
        assert_eq!(rows[0].key.at, ago(w, 5), "naive times are UTC");
        assert_eq!(rows[0].connection_id.as_deref(), Some("velvet_summit"));
        assert!(
            matches!(&rows[1].message_data, Field::Text(t) if t.ends_with("\"id\":")),
            "malformed text is read as it is: {:?}",
            rows[1].message_data
        );
        assert!(
            matches!(rows[2].message_data, Field::TooLarge(n) if n > 10 * 1024 * 1024),
            "10 MiB is not transferred: {:?}",
            rows[2].message_data
        );
    }

    #[test]
    fn audit_trail_users_earliest_and_counts() {
        let Some(w) = warehouse() else { return };
        let reader = source(w, READER, READER_PASSWORD, |_| {});
        runtime().block_on(async {
            let mut session = Session::open(&reader, &Net::default()).await.expect("open");
            assert_eq!(session.dialect(), "postgres");
            let tx = session.begin(limits(2)).await.expect("begin");
            let catalog = tx.catalog("fivetran_metadata").await.expect("catalog");
            let log = catalog.table(Table::Log).expect("log");
            assert_eq!(
                log.column("message_data").expect("column").data_type,
                "jsonb"
            );
            assert!(log.time_has_zone(Table::Log) && log.selectable);
            let mut trail = Vec::new();
            tx.audit_trail(&catalog, day(w), None, &mut |r| trail.push(r))
                .await
                .expect("audit trail");
            let trail_ids: Vec<&str> = trail.iter().map(|r| r.key.id.as_str()).collect();
            assert_eq!(
                trail_ids,
                ["at_001", "at_002", "at_003", "at_004", "at_007", "at_008"]
            );
            assert_eq!(
                trail[1].old_values,
                Field::Text("{\"paused\": false}".into())
            );
            assert_eq!(trail[3].user_id, None);
            assert_eq!(
                trail[0].secondary_resource_id.as_deref(),
                Some("quiet_meadow")
            );
            let mut users = Vec::new();
            let more = tx
                .users(&catalog, &mut |u| users.push(u))
                .await
                .expect("users");
            assert!(!more);
            assert_eq!(users.len(), 5);
            let ghost = users.iter().find(|u| u.id == "ghost_heron").expect("ghost");
            assert_eq!(ghost.deleted, Some(true));
            assert_eq!(ghost.email.as_deref(), Some("nora.quist@acme.example"));
            assert_eq!(
                tx.earliest(&catalog, Table::Log).await.expect("earliest"),
                Some(ago(w, 40))
            );
            assert_eq!(
                tx.count(&catalog, Table::Log, day(w)).await.expect("count"),
                13
            );
            tx.finish().await;
        });
    }

    #[test]
    fn the_read_is_a_read_only_transaction_even_for_a_user_who_may_write() {
        let Some(w) = warehouse() else { return };
        // A LOG that writes when read: a view whose filter inserts a row, and a reader allowed
        // to insert it. Only the transaction being read-only can stop the write.
        let touched = || {
            w.server
                .psql(DATABASE, "SELECT count(*) FROM fivetran_writes.touched;")
                .expect("count")
                .trim()
                .to_owned()
        };
        w.server
            .psql(
                DATABASE,
                &format!(
                    "CREATE SCHEMA fivetran_writes;\n\
                     CREATE TABLE fivetran_writes.touched (n int);\n\
                     CREATE FUNCTION fivetran_writes.touch() RETURNS boolean LANGUAGE plpgsql \
                       VOLATILE AS $$ BEGIN INSERT INTO fivetran_writes.touched VALUES (1); \
                       RETURN true; END $$;\n\
                     CREATE VIEW fivetran_writes.log AS SELECT * FROM fivetran_metadata.log \
                       WHERE fivetran_writes.touch();\n\
                     GRANT USAGE ON SCHEMA fivetran_writes TO {READER};\n\
                     GRANT SELECT ON fivetran_writes.log TO {READER};\n\
                     GRANT INSERT ON fivetran_writes.touched TO {READER};\n"
                ),
            )
            .expect("schema");
        // Outside a read-only transaction, reading it writes.
        w.server
            .psql(DATABASE, "SELECT count(*) FROM fivetran_writes.log;")
            .expect("read and write");
        let before = touched();
        assert_ne!(before, "0");
        let reader = source(w, READER, READER_PASSWORD, |_| {});
        let read = runtime().block_on(log_rows(&reader, "fivetran_writes", day(w), None, 100));
        let Err(WarehouseError::Query(detail)) = read else {
            panic!("the write was not refused: {read:?}")
        };
        assert!(detail.contains("read-only transaction"), "{detail}");
        assert_eq!(touched(), before, "nothing written");
    }

    #[test]
    fn the_catalog_says_what_is_missing_and_what_may_not_be_read() {
        let Some(w) = warehouse() else { return };
        let rt = runtime();
        let partial = source(w, PARTIAL, PARTIAL_PASSWORD, |_| {});
        let catalog = rt
            .block_on(catalog_of(&partial, "fivetran_metadata"))
            .expect("catalog");
        assert!(catalog.usable);
        assert!(catalog.table(Table::Log).expect("log").selectable);
        assert!(!catalog.table(Table::AuditTrail).expect("trail").selectable);
        let old = rt
            .block_on(catalog_of(&partial, "fivetran_log"))
            .expect("catalog");
        assert!(!old.usable, "no USAGE on that schema");
        let reader = source(w, READER, READER_PASSWORD, |_| {});
        let old = rt
            .block_on(catalog_of(&reader, "fivetran_log"))
            .expect("catalog");
        assert!(old.table(Table::AuditTrail).is_none());
        assert_eq!(
            old.table(Table::Log).expect("log").connection_column(),
            Some("connector_id")
        );
        let none = rt
            .block_on(catalog_of(&reader, "no_such_schema"))
            .expect("catalog");
        assert_eq!(none.stored_schema, None);
        // Reading what the catalog lacks names it.
        let e = rt
            .block_on(log_rows(&reader, "fivetran_broken", day(w), None, 10))
            .expect_err("no message_data");
        assert!(
            matches!(&e, WarehouseError::Missing(m) if m.contains("message_data")),
            "{e:?}"
        );
        let e = rt
            .block_on(log_rows(&reader, "no_such_schema", day(w), None, 10))
            .expect_err("no schema");
        assert!(matches!(e, WarehouseError::Missing(_)), "{e:?}");
    }

    #[test]
    fn a_table_the_user_may_not_read_is_denied_by_name() {
        let Some(w) = warehouse() else { return };
        let partial = source(w, PARTIAL, PARTIAL_PASSWORD, |_| {});
        let e = runtime()
            .block_on(async {
                let mut session = Session::open(&partial, &Net::default()).await?;
                let tx = session.begin(limits(10)).await?;
                let mut catalog = tx.catalog("fivetran_metadata").await?;
                // Ask even though the catalog says no: the server's refusal is what counts.
                if let Some(t) = catalog.tables.get_mut(&Table::AuditTrail) {
                    t.selectable = true;
                }
                tx.audit_trail(&catalog, day(w), None, &mut |_| {}).await
            })
            .expect_err("denied");
        assert!(
            matches!(&e, WarehouseError::Denied { object, .. } if object == "audit_trail"),
            "{e:?}"
        );
    }

    #[test]
    fn tls_verify_full_checks_the_ca_and_the_name_and_require_only_encrypts() {
        let Some(w) = warehouse() else { return };
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("ca.pem"), &w.ca_pem).expect("write");
        std::fs::write(dir.path().join("wrong.pem"), &w.wrong_ca_pem).expect("write");
        let rt = runtime();
        let with = |host: &str, tls: &str, ca: Option<&str>| {
            source_in(w, READER, READER_PASSWORD, dir.path(), |r| {
                r.host = Some(host.into());
                r.tls = Some(tls.into());
                r.ca_cert = ca.map(Into::into);
            })
        };
        for host in ["127.0.0.1", "localhost"] {
            let catalog = rt
                .block_on(catalog_of(
                    &with(host, "verify-full", Some("ca.pem")),
                    "fivetran_metadata",
                ))
                .unwrap_or_else(|e| panic!("{host}: {e}"));
            assert!(catalog.table(Table::Log).is_some());
        }
        let e = rt
            .block_on(catalog_of(
                &with("127.0.0.1", "verify-full", Some("wrong.pem")),
                "fivetran_metadata",
            ))
            .expect_err("wrong CA");
        assert!(
            matches!(&e, WarehouseError::Tls(d) if d.contains("UnknownIssuer") || d.contains("issuer")),
            "{e:?}"
        );
        assert!(e.hint().expect("hint").contains("ca_cert"));
        // The system's roots do not know the test CA either.
        let e = rt
            .block_on(catalog_of(
                &with("127.0.0.1", "verify-full", None),
                "fivetran_metadata",
            ))
            .expect_err("system roots");
        assert!(matches!(e, WarehouseError::Tls(_)), "{e:?}");
        rt.block_on(catalog_of(
            &with("127.0.0.1", "require", None),
            "fivetran_metadata",
        ))
        .expect("require encrypts without checking");
    }

    #[test]
    fn a_wrong_password_and_a_closed_port_say_which() {
        let Some(w) = warehouse() else { return };
        let rt = runtime();
        let wrong = source(w, READER, WRONG_PASSWORD, |_| {});
        let e = rt
            .block_on(catalog_of(&wrong, "fivetran_metadata"))
            .expect_err("refused");
        assert!(
            matches!(&e, WarehouseError::Auth(d) if d.contains("password authentication failed")),
            "{e:?}"
        );
        assert!(!e.to_string().contains(WRONG_PASSWORD));
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let unreachable = source(w, READER, READER_PASSWORD, |r| {
            r.port = Some(i64::from(closed))
        });
        let e = rt
            .block_on(catalog_of(&unreachable, "fivetran_metadata"))
            .expect_err("closed");
        assert!(matches!(e, WarehouseError::Unreachable(_)), "{e:?}");
    }

    #[test]
    fn a_statement_past_its_timeout_is_a_timeout() {
        let Some(w) = warehouse() else { return };
        // Another session holds the table locked while the reader waits for it.
        let server = &w.server;
        let locker = std::thread::scope(|scope| {
            let handle = scope.spawn(|| {
                server.psql(
                    crate::support::postgres::DATABASE,
                    "BEGIN; LOCK TABLE fivetran_locked.log IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT;",
                )
            });
            std::thread::sleep(Duration::from_millis(1500));
            let mut reader = source(w, READER, READER_PASSWORD, |_| {});
            reader.statement_timeout = Duration::from_secs(1);
            let started = std::time::Instant::now();
            let e = runtime()
                .block_on(async {
                    let mut session = Session::open(&reader, &Net::default()).await?;
                    let tx = session.begin(Limits::of(&reader)).await?;
                    let catalog = tx.catalog("fivetran_locked").await?;
                    tx.log(&catalog, day(w), None, &mut |_| {}).await
                })
                .expect_err("times out");
            assert!(
                matches!(&e, WarehouseError::Timeout(d) if d.contains("log")),
                "{e:?}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{:?}",
                started.elapsed()
            );
            handle.join().expect("locker")
        });
        locker.expect("the lock was taken and released");
    }

    #[test]
    fn a_connection_dropped_mid_read_is_worth_reading_again() {
        let Some(w) = warehouse() else { return };
        let proxy = CuttingProxy::start(w.server.port(), 6_000);
        let reader = source(w, READER, READER_PASSWORD, |r| {
            r.port = Some(i64::from(proxy.port))
        });
        let rt = runtime();
        let mut got = Vec::new();
        let e = rt
            .block_on(async {
                let mut session = Session::open(&reader, &Net::default()).await?;
                let tx = session.begin(limits(1)).await?;
                let catalog = tx.catalog("fivetran_metadata").await?;
                tx.log(&catalog, day(w), None, &mut |r| got.push(r.key.id))
                    .await
            })
            .expect_err("cut");
        assert!(e.is_retryable(), "{e:?}");
        assert!(got.len() < ACTOR_ROWS.len(), "cut mid-read: {got:?}");
        // The next connection passes.
        let rows = rt
            .block_on(log_rows(&reader, "fivetran_metadata", day(w), None, 1))
            .expect("read");
        assert_eq!(ids(&rows), ACTOR_ROWS);
        assert_eq!(proxy.accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
