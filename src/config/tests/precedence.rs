//! Where each run's API root and profile come from: flag, vault entry, environment, default.

use super::*;
use crate::cli::{Cli, Command};
use clap::Parser as _;
use std::io::Write as _;

const VAULT: &str = "[profiles.prod]\napi_key = \"kp\"\napi_secret = \"sp\"\n\
                     [profiles.eu]\napi_key = \"ke\"\napi_secret = \"se\"\napi_url = \"https://eu.example/v1\"\n";

fn vault() -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(VAULT.as_bytes()).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    f
}

/// `(profile, api_url)` of each run for these flags and environment.
fn runs(flags: &[&str], env: &[(&str, &str)]) -> Result<Vec<(String, String)>, String> {
    let f = vault();
    let path = f.path().to_str().expect("utf8").to_owned();
    let mut argv = vec!["iru-fivetran", "collect", "--credentials-file", &path];
    argv.extend_from_slice(flags);
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let Command::Collect(args) = &cli.command else {
        panic!("collect")
    };
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lookup = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let configs = Config::runs(&args.settings(), &lookup).map_err(|e| e.to_string())?;
    Ok(configs
        .iter()
        .map(|c| {
            let profile = c
                .credentials
                .profile()
                .map_or("", |p| p.as_str())
                .to_owned();
            (profile, c.api_url.to_string())
        })
        .collect())
}

fn one(profile: &str, url: &str) -> Vec<(String, String)> {
    vec![(profile.to_owned(), url.to_owned())]
}

#[test]
fn api_url_is_the_flag_then_the_profile_then_the_environment_then_fivetran() {
    let env = [("FIVETRAN_API_URL", "https://env.example/v1")];
    let flag = ["--api-url", "https://flag.example/v1"];
    let with = |profile: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut flags = vec!["--profile", profile];
        flags.extend_from_slice(extra);
        runs(&flags, env).expect("runs")
    };
    assert_eq!(
        with("eu", &flag, &env),
        one("eu", "https://flag.example/v1")
    );
    assert_eq!(with("eu", &[], &env), one("eu", "https://eu.example/v1"));
    assert_eq!(
        with("prod", &[], &env),
        one("prod", "https://env.example/v1")
    );
    assert_eq!(with("prod", &[], &[]), one("prod", DEFAULT_API_URL));
}

#[test]
fn a_bad_profile_url_names_the_profile_and_not_the_url() {
    let f = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        f.path(),
        "[profiles.x]\napi_key = \"k\"\napi_secret = \"s\"\napi_url = \"http://user:pw-S3CRET@example.com/v1\"\n",
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let path = f.path().to_str().expect("utf8");
    let cli = Cli::try_parse_from(["iru-fivetran", "collect", "--credentials-file", path])
        .expect("parses");
    let Command::Collect(args) = &cli.command else {
        panic!("collect")
    };
    let err = Config::runs(&args.settings(), &|_| None)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("api_url of profile `x`"), "{err}");
    assert!(!err.contains("S3CRET"), "{err}");
}

#[test]
fn the_profile_flag_wins_over_the_variable() {
    let env = [("IRU_FIVETRAN_PROFILE", "prod")];
    assert_eq!(runs(&[], &env).expect("env").len(), 1);
    assert_eq!(runs(&[], &env).expect("env")[0].0, "prod");
    assert_eq!(runs(&["--profile", "eu"], &env).expect("flag")[0].0, "eu");
    let err = runs(&[], &[("IRU_FIVETRAN_PROFILE", "nope")]).expect_err("unknown");
    assert!(err.contains("no profile `nope`"), "{err}");
}

#[test]
fn all_profiles_gives_one_run_each_and_ignores_the_variable() {
    let env = [("IRU_FIVETRAN_PROFILE", "prod")];
    let got = runs(&["--all-profiles"], &env).expect("all");
    assert_eq!(
        got,
        [
            ("eu".to_owned(), "https://eu.example/v1".to_owned()),
            ("prod".to_owned(), DEFAULT_API_URL.to_owned()),
        ]
    );
    for clash in [
        &["--all-profiles", "--profile", "eu"][..],
        &["--all-profiles", "--baseline", "/tmp/x"][..],
    ] {
        let err = runs(clash, &[]).expect_err("conflict");
        assert!(err.contains("cannot be used with"), "{err}");
    }
}

#[test]
fn a_later_run_moves_a_relative_window_and_keeps_a_fixed_start() {
    let t0: Timestamp = "2026-11-27T12:00:00Z".parse().expect("time");
    let t1: Timestamp = "2026-11-27T13:30:00Z".parse().expect("time");
    let ago = parse_since_spec("24h", t0).expect("24h");
    assert_eq!(ago.window(t1).start.to_string(), "2026-11-26T13:30:00Z");
    assert_eq!(ago.window(t1).end, t1);
    let at = parse_since_spec("2026-11-20T00:00:00Z", t0).expect("time");
    assert_eq!(at.window(t1).start.to_string(), "2026-11-20T00:00:00Z");
}
