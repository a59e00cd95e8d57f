//! Unit tests of `credentials::audit::databricks`: a source with a personal access token or an
//! OAuth client, each missing or extra key named, and the workspace URL held to HTTPS.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::*;
use crate::credentials::audit::check as check_any;
use crate::text::Scrubber;

const TOKEN: &str = "dapi-NEVER-shown-0123456789abcdef";
const SECRET: &str = "dose-NEVER-shown-client-secret";

fn raw() -> VaultAuditSource {
    VaultAuditSource {
        kind: Some("databricks".into()),
        host: Some("https://dbc-a1b2c3d4-e5f6.cloud.databricks.com".into()),
        warehouse_id: Some("1234567890abcdef".into()),
        catalog: Some("fivetran".into()),
        token: Some(TOKEN.into()),
        ..VaultAuditSource::default()
    }
}

fn checked(raw: VaultAuditSource) -> Result<AuditSource, Problem> {
    check_any(raw, 2, Path::new("."))
}

#[test]
fn a_token_source_maps_catalog_to_database_and_keeps_the_token_secret() {
    let s = checked(raw()).expect("valid");
    assert_eq!(s.kind, Kind::Databricks);
    assert_eq!(s.host, "dbc-a1b2c3d4-e5f6.cloud.databricks.com");
    assert_eq!(s.port, 443);
    assert_eq!(s.database, "fivetran");
    assert_eq!(s.schema, None);
    let rest = s.rest.as_ref().expect("rest");
    assert_eq!(rest.warehouse.as_deref(), Some("1234567890abcdef"));
    assert!(matches!(rest.auth, RestAuth::Token(_)));
    let shown = format!("{s:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    let mut scrubber = Scrubber::default();
    let header = rest.auth.static_token(&mut scrubber).expect("a token");
    assert!(header.is_sensitive());
    assert_eq!(scrubber.scrub(&format!("echo {TOKEN}")), "echo <redacted>");
}

#[test]
fn an_oauth_client_names_the_service_principal_and_exposes_its_secret_only_as_basic() {
    let s = checked(VaultAuditSource {
        token: None,
        client_id: Some("6f1b2c3d-0000-4a4a-9999-123456789abc".into()),
        client_secret: Some(SECRET.into()),
        host: Some("adb-1234567890123456.7.azuredatabricks.net".into()),
        schema: Some("fivetran_metadata".into()),
        ..raw()
    })
    .expect("valid");
    assert_eq!(s.user, "6f1b2c3d-0000-4a4a-9999-123456789abc");
    assert_eq!(s.schema.as_deref(), Some("fivetran_metadata"));
    let rest = s.rest.as_ref().expect("rest");
    assert_eq!(
        rest.url.as_str(),
        "https://adb-1234567890123456.7.azuredatabricks.net/"
    );
    let RestAuth::Client(client) = &rest.auth else {
        panic!("an OAuth client")
    };
    assert!(!format!("{s:?}").contains(SECRET));
    let mut scrubber = Scrubber::default();
    let header = client.basic_header(&mut scrubber);
    assert!(header.is_sensitive());
    let expected = BASE64.encode(format!("{}:{SECRET}", client.id));
    assert_eq!(header.to_str().expect("ascii"), format!("Basic {expected}"));
    for form in [SECRET.to_owned(), expected] {
        assert_eq!(scrubber.scrub(&form), "<redacted>");
    }
}

#[test]
fn each_missing_or_foreign_key_is_named_with_a_hint() {
    let cases: Vec<(VaultAuditSource, &str)> = vec![
        (
            VaultAuditSource {
                warehouse_id: None,
                ..raw()
            },
            "has no `warehouse_id`",
        ),
        (
            VaultAuditSource {
                catalog: None,
                ..raw()
            },
            "has no `catalog`",
        ),
        (
            VaultAuditSource {
                host: None,
                ..raw()
            },
            "has no `host`",
        ),
        (
            VaultAuditSource {
                token: None,
                ..raw()
            },
            "has neither `token` nor `client_id` and `client_secret`",
        ),
        (
            VaultAuditSource {
                client_id: Some("sp".into()),
                client_secret: Some(SECRET.into()),
                ..raw()
            },
            "has both `token` and `client_id`/`client_secret`",
        ),
        (
            VaultAuditSource {
                token: None,
                client_id: Some("sp".into()),
                ..raw()
            },
            "has `client_id` but no `client_secret`",
        ),
        (
            VaultAuditSource {
                database: Some("x".into()),
                ..raw()
            },
            "has `database`, which kind \"databricks\" does not use",
        ),
        (
            VaultAuditSource {
                password: Some("x".into()),
                ..raw()
            },
            "has `password`, which kind \"databricks\" does not use",
        ),
        (
            VaultAuditSource {
                warehouse_id: Some("abc'; DROP".into()),
                ..raw()
            },
            "has a `warehouse_id` that is not a SQL warehouse id",
        ),
    ];
    for (raw, expected) in cases {
        let e = checked(raw).expect_err(expected);
        assert_eq!(e.problem, expected);
        assert!(!e.hint.is_empty());
        assert!(!e.problem.contains(TOKEN) && !e.problem.contains(SECRET));
    }
    // Databricks' keys on another kind are refused too.
    let e = check_any(
        VaultAuditSource {
            kind: Some("postgres".into()),
            host: Some("db.internal".into()),
            database: Some("d".into()),
            user: Some("u".into()),
            password: Some("p".into()),
            catalog: Some("c".into()),
            ..VaultAuditSource::default()
        },
        1,
        Path::new("."),
    )
    .expect_err("catalog on postgres");
    assert_eq!(
        e.problem,
        "has `catalog`, which kind \"postgres\" does not use"
    );
}

#[test]
fn the_workspace_is_https_or_loopback_and_carries_nothing_else() {
    assert!(workspace("https://dbc-1.cloud.databricks.com/").is_ok());
    assert_eq!(
        workspace("dbc-1.cloud.databricks.com")
            .expect("bare")
            .scheme(),
        "https"
    );
    assert!(workspace("http://127.0.0.1:8080").is_ok());
    for bad in [
        "http://dbc-1.cloud.databricks.com",
        "https://user:pw@dbc-1.cloud.databricks.com",
        "https://dbc-1.cloud.databricks.com/?o=123",
        "https://dbc-1.cloud.databricks.com/api/2.0",
        "ftp://dbc-1.cloud.databricks.com",
    ] {
        assert!(workspace(bad).is_err(), "{bad}");
    }
}
