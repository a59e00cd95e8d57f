//! Unit tests of `credentials::vault`.

use super::*;

fn account(key: &str, secret: &str, url: Option<&str>) -> VaultAccount {
    VaultAccount {
        api_key: key.into(),
        api_secret: secret.into(),
        api_url: url.map(Into::into),
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
        assert!(err.ends_with(expected), "{err} (expected ...{expected})");
        assert!(!err.contains("PLANTED"), "{err}");
    }
}
