//! Unit tests of credential resolution: sources, precedence, vault checks, profile choice.

use super::*;
use std::collections::HashMap;
use std::io::Write as _;

const SECRET: &str = "s3cr3t-VALUE-never-shown";

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

fn vault(contents: &str, mode: u32) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(contents.as_bytes()).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    f
}

fn decoded(c: &Credentials) -> String {
    let header = c.authorization_header(&mut Scrubber::default());
    let b64 = header
        .to_str()
        .expect("ascii")
        .strip_prefix("Basic ")
        .expect("basic");
    String::from_utf8(BASE64.decode(b64).expect("base64")).expect("utf8")
}

#[test]
fn header_is_basic_key_colon_secret_and_sensitive() {
    let c = resolve(
        None,
        &env_of(&[("FIVETRAN_API_KEY", "k1"), ("FIVETRAN_API_SECRET", SECRET)]),
    )
    .expect("creds");
    assert_eq!(decoded(&c), format!("k1:{SECRET}"));
    assert!(
        c.authorization_header(&mut Scrubber::default())
            .is_sensitive()
    );
    assert_eq!(c.source(), &Source::Environment);
}

#[test]
fn the_header_registers_every_form_of_the_secret_with_the_scrubber() {
    let c = resolve(
        None,
        &env_of(&[("FIVETRAN_API_KEY", "k1"), ("FIVETRAN_API_SECRET", SECRET)]),
    )
    .expect("creds");
    let mut scrubber = Scrubber::default();
    let header = c.authorization_header(&mut scrubber);
    let basic = header.to_str().expect("ascii").to_owned();
    let echoed = format!(
        "you sent {basic}, i.e. k1:{SECRET}; secret {} again",
        SECRET.to_uppercase()
    );
    let clean = scrubber.scrub(&echoed);
    assert!(!clean.contains(SECRET) && !clean.to_lowercase().contains(&SECRET.to_lowercase()));
    assert!(
        !clean.contains(basic.trim_start_matches("Basic ")),
        "{clean}"
    );
    assert!(clean.contains("Basic <redacted>"), "{clean}");
    // The key alone is an identifier, not a secret: kept.
    assert!(
        clean.contains("<redacted>") && !clean.contains("k1:"),
        "{clean}"
    );
}

#[test]
fn debug_never_shows_values() {
    let c = resolve(
        None,
        &env_of(&[
            ("FIVETRAN_API_KEY", "key-abc"),
            ("FIVETRAN_API_SECRET", SECRET),
        ]),
    )
    .expect("creds");
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(SECRET) && !dbg.contains("key-abc"), "{dbg}");
}

#[test]
fn file_wins_over_environment() {
    let f = vault(
        &format!("api_key = \"filekey\"\napi_secret = \"{SECRET}\"\n"),
        0o600,
    );
    let c = resolve(
        Some(f.path()),
        &env_of(&[
            ("FIVETRAN_API_KEY", "envkey"),
            ("FIVETRAN_API_SECRET", "envsecret"),
        ]),
    )
    .expect("creds");
    assert_eq!(decoded(&c), format!("filekey:{SECRET}"));
    assert_eq!(c.source(), &Source::File(f.path().to_owned()));
}

#[test]
fn json_vault_is_accepted() {
    let f = vault(
        &format!("{{\"api_key\": \"jk\", \"api_secret\": \"{SECRET}\"}}"),
        0o600,
    );
    let c = resolve(Some(f.path()), &env_of(&[])).expect("creds");
    assert_eq!(decoded(&c), format!("jk:{SECRET}"));
}

#[test]
fn environment_values_are_trimmed() {
    let c = resolve(
        None,
        &env_of(&[
            ("FIVETRAN_API_KEY", " k1\n"),
            ("FIVETRAN_API_SECRET", "s1 \r\n"),
        ]),
    )
    .expect("creds");
    assert_eq!(decoded(&c), "k1:s1");
}

#[test]
fn half_set_and_missing_environment() {
    let err = resolve(None, &env_of(&[("FIVETRAN_API_KEY", "k")]))
        .expect_err("half")
        .to_string();
    assert!(err.contains("FIVETRAN_API_SECRET is not"), "{err}");
    let err = resolve(
        None,
        &env_of(&[("FIVETRAN_API_KEY", ""), ("FIVETRAN_API_SECRET", SECRET)]),
    )
    .expect_err("half")
    .to_string();
    assert!(err.contains("FIVETRAN_API_KEY is not"), "{err}");
    assert!(!err.contains(SECRET));
    let err = resolve(None, &env_of(&[]))
        .expect_err("missing")
        .to_string();
    assert!(
        err.contains("--credentials-file") && err.contains("hint:"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn open_vault_file_is_refused_with_chmod_hint() {
    for mode in [0o644, 0o640, 0o604, 0o660] {
        let f = vault(
            &format!("api_key = \"k\"\napi_secret = \"{SECRET}\"\n"),
            mode,
        );
        let err = resolve(Some(f.path()), &env_of(&[]))
            .expect_err("too open")
            .to_string();
        assert!(
            err.contains(&format!("chmod 600 {}", f.path().display())),
            "{err}"
        );
    }
    let f = vault(
        &format!("api_key = \"k\"\napi_secret = \"{SECRET}\"\n"),
        0o400,
    );
    assert!(resolve(Some(f.path()), &env_of(&[])).is_ok());
}

#[test]
fn malformed_vaults_name_the_problem_without_values() {
    let cases = [
        (
            format!("api_key = \"k\"\napi_secret = {SECRET}\n"),
            "not valid TOML at line 2",
        ),
        ("api_key = \"k\"\n".to_owned(), "no `api_secret`"),
        (format!("api_secret = \"{SECRET}\"\n"), "no `api_key`"),
        (
            "api_key = \"k\"\napi_secret = 42\n".to_owned(),
            "`api_secret` that is not a string",
        ),
        (
            format!("api_key = \"k\"\napi_secret = \"{SECRET}\"\nextra = 1\n"),
            "a key other than api_key, api_secret, api_url and profiles",
        ),
        (
            format!("{{\"api_key\": \"k\", \"api_secret\": \"{SECRET}\""),
            "not valid JSON",
        ),
        ("[1, 2]".to_owned(), "not valid TOML"),
        (
            format!("api_key = \"\"\napi_secret = \"{SECRET}\"\n"),
            "api_key from credentials file",
        ),
        (
            format!("api_key = \"a:b\"\napi_secret = \"{SECRET}\"\n"),
            "contains `:`",
        ),
        ("".to_owned(), "no `api_key`"),
        (
            format!("{{\"api_key\": \"k\", \"api_secret\": \"x\", \"api_secret\": \"{SECRET}\"}}"),
            "names a key twice",
        ),
        (
            format!("api_key = \"k\"\napi_secret = \"x\"\napi_secret = \"{SECRET}\"\n"),
            "not valid TOML at line 3",
        ),
    ];
    for (text, needle) in cases {
        let f = vault(&text, 0o600);
        let err = resolve(Some(f.path()), &env_of(&[]))
            .expect_err(needle)
            .to_string();
        assert!(err.contains(needle), "want {needle:?} in {err:?}");
        assert!(!err.contains(SECRET), "secret echoed: {err}");
        assert!(err.contains("hint:"), "{err}");
    }
}

#[test]
fn missing_file_names_the_path() {
    let err = resolve(Some(Path::new("/nonexistent/vault.toml")), &env_of(&[]))
        .expect_err("missing")
        .to_string();
    assert!(err.contains("/nonexistent/vault.toml"), "{err}");
}

const TWO: &str = "[profiles.prod]\napi_key = \"kp\"\napi_secret = \"sp-s3cr3t-VALUE-never-shown\"\n\
                   [profiles.eu]\napi_key = \"ke\"\napi_secret = \"se-s3cr3t-VALUE-never-shown\"\napi_url = \"https://eu.example/v1\"\n";

fn named(name: &str) -> Choice {
    Choice::Named {
        name: name.into(),
        from: "--profile",
    }
}

fn choose(text: &str, choice: &Choice) -> Result<Vec<Credentials>, String> {
    let f = vault(text, 0o600);
    resolve_choice(Some(f.path()), choice, &env_of(&[])).map_err(|e| e.to_string())
}

#[test]
fn a_named_profile_is_the_one_used_with_its_url() {
    let got = choose(TWO, &named("eu")).expect("eu");
    assert_eq!(got.len(), 1);
    assert_eq!(decoded(&got[0]), "ke:se-s3cr3t-VALUE-never-shown");
    assert_eq!(got[0].profile().map(ProfileName::as_str), Some("eu"));
    assert_eq!(got[0].api_url(), Some("https://eu.example/v1"));
    assert!(
        got[0]
            .source()
            .to_string()
            .starts_with("profile `eu` of credentials file")
    );
}

#[test]
fn without_a_name_default_then_the_only_profile_else_an_error_listing_names() {
    let with_default = format!("{TWO}[profiles.default]\napi_key = \"kd\"\napi_secret = \"sd\"\n");
    let got = choose(&with_default, &Choice::Default).expect("default");
    assert_eq!(decoded(&got[0]), "kd:sd");
    let only = "[profiles.solo]\napi_key = \"k1\"\napi_secret = \"s1\"\n";
    let got = choose(only, &Choice::Default).expect("only one");
    assert_eq!(got[0].profile().map(ProfileName::as_str), Some("solo"));
    let err = choose(TWO, &Choice::Default).expect_err("several");
    assert!(
        err.contains("several profiles and none is chosen") && err.contains("one of: eu, prod"),
        "{err}"
    );
    assert!(!err.contains("s3cr3t"), "{err}");
}

#[test]
fn an_unknown_profile_lists_the_names_only() {
    let err = choose(TWO, &named("staging")).expect_err("unknown");
    assert!(err.contains("has no profile `staging`"), "{err}");
    assert!(err.contains("hint: the profiles are: eu, prod"), "{err}");
    assert!(!err.contains("s3cr3t") && !err.contains("kp"), "{err}");
    let single = format!("api_key = \"k\"\napi_secret = \"{SECRET}\"\n");
    let err = choose(&single, &named("prod")).expect_err("single form");
    assert!(err.contains("one account without profiles"), "{err}");
}

#[test]
fn a_bad_profile_name_is_refused_without_being_quoted() {
    for bad in [
        "../../etc/passwd",
        "a b",
        "",
        &"x".repeat(MAX_PROFILE_NAME + 1),
        "pröd",
    ] {
        let err = choose(TWO, &named(bad)).expect_err("bad name");
        assert!(err.contains("--profile is not a profile name"), "{err}");
        if !bad.is_empty() {
            assert!(!err.contains(bad), "{err}");
        }
    }
}

#[test]
fn all_profiles_in_name_order_and_only_from_a_file_with_profiles() {
    let got = choose(TWO, &Choice::All).expect("all");
    let names: Vec<&str> = got
        .iter()
        .filter_map(|c| c.profile().map(ProfileName::as_str))
        .collect();
    assert_eq!(names, ["eu", "prod"]);
    let single = format!("api_key = \"k\"\napi_secret = \"{SECRET}\"\n");
    let err = choose(&single, &Choice::All).expect_err("no profiles");
    assert!(err.contains("--all-profiles needs profiles"), "{err}");
    // One bad profile stops them all, before any request.
    let bad = format!("{TWO}[profiles.zz]\napi_key = \"a:b\"\napi_secret = \"s\"\n");
    let err = choose(&bad, &Choice::All).expect_err("bad profile");
    assert!(
        err.contains("api_key from profile `zz`") && err.contains("contains `:`"),
        "{err}"
    );
}

#[test]
fn profiles_need_a_file_and_the_file_still_wins_over_the_environment() {
    let env = env_of(&[
        ("FIVETRAN_API_KEY", "envkey"),
        ("FIVETRAN_API_SECRET", "envsecret"),
    ]);
    let err = resolve_choice(None, &named("prod"), &env)
        .expect_err("no file")
        .to_string();
    assert!(err.contains("--profile needs a credentials file"), "{err}");
    let from_env = Choice::Named {
        name: "prod".into(),
        from: env::PROFILE,
    };
    let err = resolve_choice(None, &from_env, &env)
        .expect_err("no file")
        .to_string();
    assert!(err.contains("or unset IRU_FIVETRAN_PROFILE"), "{err}");
    let err = resolve_choice(None, &Choice::All, &env)
        .expect_err("no file")
        .to_string();
    assert!(
        err.contains("--all-profiles needs a credentials file"),
        "{err}"
    );
    let f = vault(TWO, 0o600);
    let got = resolve_choice(Some(f.path()), &named("prod"), &env).expect("file");
    assert_eq!(decoded(&got[0]), "kp:sp-s3cr3t-VALUE-never-shown");
}

#[cfg(unix)]
#[test]
fn an_open_profiles_file_is_refused_for_every_choice() {
    for choice in [Choice::Default, named("eu"), Choice::All] {
        let f = vault(TWO, 0o640);
        let err = resolve_choice(Some(f.path()), &choice, &env_of(&[]))
            .expect_err("too open")
            .to_string();
        assert!(err.contains("chmod 600"), "{choice:?}: {err}");
    }
}

#[test]
fn audit_sources_come_checked_from_the_vault_and_name_their_profile_when_bad() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("vault.toml");
    let write = |text: &str| {
        std::fs::write(&path, text).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
    };
    write(&format!(
        "[profiles.prod]\napi_key = \"k\"\napi_secret = \"{SECRET}\"\n\
         [[profiles.prod.audit_sources]]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\n\
         database = \"analytics\"\nuser = \"r\"\npassword = \"{SECRET}\"\ntls = \"disable\"\n"
    ));
    let creds = resolve(Some(&path), &|_| None).expect("resolves");
    assert_eq!(creds.audit_sources().len(), 1);
    assert_eq!(creds.audit_sources()[0].host, "127.0.0.1");
    assert!(!format!("{creds:?}").contains(SECRET));
    write(&format!(
        "[profiles.prod]\napi_key = \"k\"\napi_secret = \"s\"\n\
         [[profiles.prod.audit_sources]]\nkind = \"postgres\"\nhost = \"db.example.com\"\n\
         database = \"analytics\"\nuser = \"r\"\npassword = \"{SECRET}\"\ntls = \"disable\"\n"
    ));
    let e = resolve(Some(&path), &|_| None).expect_err("plaintext refused");
    let text = e.to_string();
    assert!(
        text.contains(
            "audit source 1 in profile `prod` has tls = \"disable\" for host db.example.com"
        ),
        "{text}"
    );
    assert!(text.contains("hint: "), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    // From the environment there are none.
    let env = env_of(&[("FIVETRAN_API_KEY", "k"), ("FIVETRAN_API_SECRET", "s")]);
    assert!(resolve(None, &env).expect("env").audit_sources().is_empty());
}
