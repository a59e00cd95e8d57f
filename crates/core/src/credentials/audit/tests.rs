//! Unit tests of `credentials::audit`: the checks of an audit source and its one exposure of
//! the password.

use super::*;

const PASSWORD: &str = "wh-pass-NEVER-shown-71";

fn raw(host: &str) -> VaultAuditSource {
    VaultAuditSource {
        kind: Some("postgres".into()),
        host: Some(host.into()),
        database: Some("analytics".into()),
        user: Some("iru_reader".into()),
        password: Some(PASSWORD.into()),
        ..VaultAuditSource::default()
    }
}

fn checked(raw: VaultAuditSource) -> Result<AuditSource, Problem> {
    check(raw, 2, Path::new("/nonexistent"))
}

/// A PEM block the parser accepts (its DER is not looked into here).
const PEM: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydA==\n-----END CERTIFICATE-----\n";

#[test]
fn defaults_are_verify_full_the_kind_s_port_and_bounded_pages() {
    let s = checked(raw("warehouse.example.com")).expect("valid");
    assert_eq!(s.number, 2);
    assert_eq!(s.kind, Kind::Postgres);
    assert_eq!(s.port, 5432);
    assert_eq!(s.tls, TlsMode::VerifyFull);
    assert_eq!(s.statement_timeout, DEFAULT_STATEMENT_TIMEOUT);
    assert_eq!(s.page_rows, DEFAULT_PAGE_ROWS);
    assert!(s.destination.is_none() && s.schema.is_none() && s.ca_cert.is_none());
    let redshift = checked(VaultAuditSource {
        kind: Some("redshift".into()),
        ..raw("cluster.example.com")
    })
    .expect("valid");
    assert_eq!(redshift.port, 5439);
}

#[test]
fn the_password_is_exposed_only_in_the_connection_settings() {
    let s = checked(raw("warehouse.example.com")).expect("valid");
    assert!(!format!("{s:?}").contains(PASSWORD));
    assert!(!s.label().contains(PASSWORD));
    assert_eq!(
        s.label(),
        "audit source 2 (postgres iru_reader@warehouse.example.com:5432/analytics)"
    );
    let config = s.pg_config();
    assert_eq!(config.get_password(), Some(PASSWORD.as_bytes()));
    assert_eq!(config.get_user(), Some("iru_reader"));
    assert_eq!(config.get_dbname(), Some("analytics"));
    assert_eq!(config.get_ports(), &[5432]);
    assert_eq!(
        config.get_ssl_mode(),
        tokio_postgres::config::SslMode::Require
    );
    // The config's own Debug hides the password too (it is logged nowhere, but still).
    assert!(!format!("{config:?}").contains(PASSWORD));
}

#[test]
fn missing_or_unknown_fields_are_refused_without_quoting_values() {
    for (field, mutate) in [
        (
            "kind",
            (|r: &mut VaultAuditSource| r.kind = None) as fn(&mut VaultAuditSource),
        ),
        ("host", |r| r.host = Some("  ".into())),
        ("database", |r| r.database = None),
        ("user", |r| r.user = None),
        ("password", |r| r.password = Some(String::new())),
    ] {
        let mut r = raw("h.example.com");
        mutate(&mut r);
        let e = checked(r).expect_err(field);
        assert_eq!(e.problem, format!("has no `{field}`"));
    }
    let e = checked(VaultAuditSource {
        kind: Some("oracle".into()),
        ..raw("h")
    })
    .expect_err("kind");
    assert!(e.problem.contains("unknown `kind`") && !e.problem.contains("oracle"));
    // Every kind is read, but not with a PostgreSQL source's keys.
    let e = checked(VaultAuditSource {
        kind: Some("databricks".into()),
        ..raw("h")
    })
    .expect_err("a password");
    assert!(
        e.problem.contains("which kind \"databricks\" does not use"),
        "{e:?}"
    );
    for kind in ["snowflake", "bigquery"] {
        let e = checked(VaultAuditSource {
            kind: Some(kind.into()),
            ..raw("h")
        })
        .expect_err("host");
        assert!(e.problem.contains("has `host`"), "{e:?}");
    }
    let e = checked(VaultAuditSource {
        tls: Some("verify-ca".into()),
        ..raw("h")
    })
    .expect_err("tls");
    assert!(e.problem.contains("unknown `tls`"));
    for port in [0, -1, 65536] {
        let e = checked(VaultAuditSource {
            port: Some(port),
            ..raw("h")
        })
        .expect_err("port");
        assert!(e.problem.contains("`port`"));
    }
    let e = checked(VaultAuditSource {
        destination: Some("../etc".into()),
        ..raw("h")
    })
    .expect_err("destination");
    assert!(!e.problem.contains("etc"));
    for (field, value) in [
        ("statement_timeout", 0),
        ("page_rows", 0),
        ("page_rows", 100_001),
    ] {
        let mut r = raw("h");
        match field {
            "statement_timeout" => r.statement_timeout = Some(value),
            _ => r.page_rows = Some(value),
        }
        let e = checked(r).expect_err(field);
        assert!(e.problem.contains(field), "{e:?}");
    }
}

#[test]
fn plain_text_is_for_loopback_unless_allowed() {
    let plain = |host: &str, allow: Option<bool>| VaultAuditSource {
        tls: Some("disable".into()),
        allow_plaintext: allow,
        ..raw(host)
    };
    let e = checked(plain("warehouse.example.com", None)).expect_err("refused");
    assert!(e.problem.contains("not loopback"), "{e:?}");
    assert!(e.hint.contains("allow_plaintext = true"), "{e:?}");
    assert!(checked(plain("warehouse.example.com", Some(false))).is_err());
    for host in ["127.0.0.1", "localhost", "::1", "[::1]"] {
        let s = checked(plain(host, None)).unwrap_or_else(|e| panic!("{host}: {e:?}"));
        assert_eq!(s.tls, TlsMode::Disable);
        assert_eq!(
            s.pg_config().get_ssl_mode(),
            tokio_postgres::config::SslMode::Disable
        );
    }
    let allowed = checked(plain("10.0.0.7", Some(true))).expect("allowed");
    assert!(allowed.allow_plaintext);
}

#[test]
fn ca_cert_is_read_beside_the_vault_and_only_with_verify_full() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ca.pem"), PEM).expect("write");
    std::fs::write(dir.path().join("empty.pem"), "no certificate here\n").expect("write");
    let with_ca = |ca: &str, tls: Option<&str>| VaultAuditSource {
        ca_cert: Some(ca.into()),
        tls: tls.map(Into::into),
        ..raw("warehouse.example.com")
    };
    let s = check(with_ca("ca.pem", None), 1, dir.path()).expect("read");
    let ca = s.ca_cert.expect("ca");
    assert_eq!(ca.path, "ca.pem");
    assert_eq!(ca.certs.len(), 1);
    let e = check(with_ca("empty.pem", None), 1, dir.path()).expect_err("no certificate");
    assert!(e.problem.contains("holds no certificate"), "{e:?}");
    let e = check(with_ca("missing.pem", None), 1, dir.path()).expect_err("missing");
    assert!(e.problem.contains("missing.pem"), "{e:?}");
    let e = check(with_ca("ca.pem", Some("require")), 1, dir.path()).expect_err("require");
    assert!(e.problem.contains("tls = \"require\""), "{e:?}");
}
