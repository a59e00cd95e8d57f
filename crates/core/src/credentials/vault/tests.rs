//! Unit tests of `credentials::vault`.

use super::*;

fn account(key: &str, secret: &str, url: Option<&str>) -> VaultAccount {
    VaultAccount {
        api_key: key.into(),
        api_secret: secret.into(),
        api_url: url.map(Into::into),
        audit_sources: Vec::new(),
    }
}

#[test]
fn profile_names_are_short_plain_words() {
    for ok in ["prod", "eu-west_2", "A", &"x".repeat(MAX_PROFILE_NAME)] {
        assert_eq!(
            ProfileName::parse(ok).map(|n| n.to_string()).as_deref(),
            Some(ok)
        );
    }
    for bad in [
        "",
        "../etc",
        "a b",
        "a.b",
        "é",
        "a\n",
        &"x".repeat(MAX_PROFILE_NAME + 1),
    ] {
        assert!(ProfileName::parse(bad).is_none(), "{bad:?}");
    }
}

#[test]
fn single_account_with_optional_url() {
    assert_eq!(
        parse_vault("api_key = \"k\"\napi_secret = \"s\"\n"),
        Ok(Vault::Single(account("k", "s", None)))
    );
    assert_eq!(
        parse_vault(r#"{"api_key": "k", "api_secret": "s", "api_url": "https://x/v1"}"#),
        Ok(Vault::Single(account("k", "s", Some("https://x/v1"))))
    );
}

#[test]
fn profiles_in_toml_and_json_read_the_same() {
    let toml = "[profiles.prod]\napi_key = \"k1\"\napi_secret = \"s1\"\n\
                    [profiles.eu]\napi_key = \"k2\"\napi_secret = \"s2\"\napi_url = \"https://eu/v1\"\n";
    let json = r#"{"profiles": {"prod": {"api_key": "k1", "api_secret": "s1"},
                       "eu": {"api_key": "k2", "api_secret": "s2", "api_url": "https://eu/v1"}}}"#;
    let want = Vault::Profiles(BTreeMap::from([
        (
            ProfileName::parse("eu").expect("name"),
            account("k2", "s2", Some("https://eu/v1")),
        ),
        (
            ProfileName::parse("prod").expect("name"),
            account("k1", "s1", None),
        ),
    ]));
    assert_eq!(parse_vault(toml), Ok(want.clone()));
    assert_eq!(parse_vault(json), Ok(want));
}

#[test]
fn profile_problems_are_named_without_values() {
    const S: &str = "Z9secretValueNeverShown";
    let cases = [
        (
            format!(
                "api_key = \"k\"\napi_secret = \"{S}\"\n[profiles.a]\napi_key = \"k\"\napi_secret = \"{S}\"\n"
            ),
            "both top-level keys and `profiles`",
        ),
        (
            format!(
                "api_url = \"https://x/v1\"\n[profiles.a]\napi_key = \"k\"\napi_secret = \"{S}\"\n"
            ),
            "both top-level keys",
        ),
        ("profiles = 1\n".into(), "`profiles` that is not a table"),
        ("[profiles]\n".into(), "empty `profiles` table"),
        (
            format!("[profiles.\"{S} x\"]\napi_key = \"k\"\napi_secret = \"s\"\n"),
            "profile name that is not",
        ),
        (
            format!("[profiles]\na = \"{S}\"\n"),
            "profile `a` that is not a table",
        ),
        (
            "[profiles.a]\napi_key = \"k\"\n".into(),
            "no `api_secret` in profile `a`",
        ),
        (
            format!("[profiles.a]\napi_key = \"k\"\napi_secret = \"{S}\"\n{S} = 1\n"),
            "a key other than api_key, api_secret and api_url in profile `a`",
        ),
        (
            format!("[profiles.a]\napi_key = 1\napi_secret = \"{S}\"\n"),
            "`api_key` that is not a string in profile `a`",
        ),
        (
            format!(
                r#"{{"profiles": {{"a": {{"api_key": "k", "api_secret": "{S}", "api_secret": "x"}}}}}}"#
            ),
            "names a key twice",
        ),
        (
            format!(
                r#"{{"profiles": {{"a": {{"api_key": "k", "api_secret": "{S}"}}, "a": {{}}}}}}"#
            ),
            "names a key twice",
        ),
    ];
    for (text, needle) in cases {
        let err = parse_vault(&text).expect_err(needle);
        assert!(err.contains(needle), "want {needle:?} in {err:?}");
        assert!(!err.contains(S), "value echoed: {err}");
    }
}

#[test]
fn debug_hides_key_and_secret() {
    let text = format!(
        "{:?}",
        Vault::Single(account("key-abc", "secret-xyz", None))
    );
    assert!(
        !text.contains("key-abc") && !text.contains("secret-xyz"),
        "{text}"
    );
}

#[test]
fn an_unknown_key_is_located_by_its_line_never_named() {
    let cases = [
        (
            "api_key = \"k\"\napi_secret = \"s\"\nPLANTED-looks-like-a-secret = \"x\"\n",
            "api_url and profiles at line 3; remove it",
        ),
        (
            "[profiles.a]\napi_key = \"k\"\napi_secret = \"s\"\n\n[profiles.b]\napi_key = \"k\"\napi_secret = \"s\"\n  \"PLANTED key\" = 1\n",
            "in profile `b` at line 8; remove it",
        ),
        (
            "{\n  \"api_key\": \"k\",\n  \"api_secret\": \"s\",\n  \"PLANTED\": \"x\"\n}\n",
            "api_url and profiles at line 4; remove it",
        ),
        (
            "{\"profiles\": {\n  \"a\": {\"api_key\": \"k\", \"api_secret\": \"s\"},\n  \"b\": {\"api_key\": \"k\",\n        \"api_secret\": \"s\", \"PLANTED\": 1}}}\n",
            "in profile `b` at line 4; remove it",
        ),
    ];
    for (text, expected) in cases {
        let err = parse_vault(text).expect_err("an unknown key");
        assert!(err.contains(expected), "{err} (expected ...{expected})");
        assert!(!err.contains("PLANTED"), "{err}");
    }
}

#[test]
fn audit_sources_read_the_same_in_toml_json_and_profiles() {
    let toml = r#"
api_key = "k"
api_secret = "s"

[[audit_sources]]
kind = "postgres"
destination = "sturdy_kiln"
host = "warehouse.example.com"
port = 5433
database = "analytics"
user = "iru_reader"
password = "p1"
schema = "fivetran_metadata"
tls = "verify-full"
ca_cert = "ca.pem"
statement_timeout = 30
page_rows = 100

[[audit_sources]]
kind = "redshift"
host = "127.0.0.1"
database = "dev"
user = "reader"
password = "p2"
tls = "disable"
allow_plaintext = false
"#;
    let json = r#"{"api_key": "k", "api_secret": "s", "audit_sources": [
        {"kind": "postgres", "destination": "sturdy_kiln", "host": "warehouse.example.com",
         "port": 5433, "database": "analytics", "user": "iru_reader", "password": "p1",
         "schema": "fivetran_metadata", "tls": "verify-full", "ca_cert": "ca.pem",
         "statement_timeout": 30, "page_rows": 100},
        {"kind": "redshift", "host": "127.0.0.1", "database": "dev", "user": "reader",
         "password": "p2", "tls": "disable", "allow_plaintext": false}]}"#;
    let first = VaultAuditSource {
        kind: Some("postgres".into()),
        destination: Some("sturdy_kiln".into()),
        host: Some("warehouse.example.com".into()),
        port: Some(5433),
        database: Some("analytics".into()),
        user: Some("iru_reader".into()),
        password: Some("p1".into()),
        schema: Some("fivetran_metadata".into()),
        tls: Some("verify-full".into()),
        ca_cert: Some("ca.pem".into()),
        allow_plaintext: None,
        statement_timeout: Some(30),
        page_rows: Some(100),
        ..VaultAuditSource::default()
    };
    let second = VaultAuditSource {
        kind: Some("redshift".into()),
        host: Some("127.0.0.1".into()),
        database: Some("dev".into()),
        user: Some("reader".into()),
        password: Some("p2".into()),
        tls: Some("disable".into()),
        allow_plaintext: Some(false),
        ..VaultAuditSource::default()
    };
    let want = Vault::Single(VaultAccount {
        audit_sources: vec![first.clone(), second],
        ..account("k", "s", None)
    });
    assert_eq!(parse_vault(toml), Ok(want.clone()));
    assert_eq!(parse_vault(json), Ok(want));
    let profiles = "[profiles.prod]\napi_key = \"k\"\napi_secret = \"s\"\n\
                    [[profiles.prod.audit_sources]]\nkind = \"postgres\"\ndestination = \"sturdy_kiln\"\n\
                    host = \"warehouse.example.com\"\nport = 5433\ndatabase = \"analytics\"\n\
                    user = \"iru_reader\"\npassword = \"p1\"\nschema = \"fivetran_metadata\"\n\
                    tls = \"verify-full\"\nca_cert = \"ca.pem\"\nstatement_timeout = 30\npage_rows = 100\n";
    let Ok(Vault::Profiles(parsed)) = parse_vault(profiles) else {
        panic!("profiles");
    };
    assert_eq!(
        parsed.values().next().expect("prod").audit_sources,
        vec![first]
    );
}

#[test]
fn audit_source_problems_name_the_key_never_the_value() {
    let base = "api_key = \"k\"\napi_secret = \"s\"\n";
    for (body, want) in [
        (
            "audit_sources = \"PLANTED-not-a-list\"\n",
            "has `audit_sources` that is not a list of tables",
        ),
        (
            "[[audit_sources]]\nPLANTED-key = \"x\"\n",
            "has audit source 1 with a key other than kind, destination",
        ),
        (
            "[[audit_sources]]\nport = \"PLANTED-5432\"\n",
            "has audit source 1 whose `port` is not an integer",
        ),
        (
            "[[audit_sources]]\nallow_plaintext = \"PLANTED-yes\"\n",
            "has audit source 1 whose `allow_plaintext` is not true or false",
        ),
        (
            "[[audit_sources]]\nkind = \"postgres\"\n[[audit_sources]]\npassword = 7\n",
            "has audit source 2 whose `password` is not a string",
        ),
        (
            "audit_sources = [\"PLANTED-entry\"]\n",
            "has audit source 1 that is not a table",
        ),
    ] {
        let e = parse_vault(&format!("{base}{body}")).expect_err(body);
        assert!(e.starts_with(want), "{body}: {e}");
        assert!(!e.contains("PLANTED"), "{e}");
    }
}

#[test]
fn the_password_of_an_audit_source_is_not_in_debug() {
    let source = VaultAuditSource {
        password: Some("wh-NEVER-in-debug".into()),
        ..VaultAuditSource::default()
    };
    assert!(!format!("{source:?}").contains("wh-NEVER-in-debug"));
    let account = VaultAccount {
        audit_sources: vec![source],
        ..account("k", "s", None)
    };
    assert!(!format!("{account:?}").contains("wh-NEVER-in-debug"));
}
