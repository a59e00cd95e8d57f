//! Vault profiles: `--profile`, `IRU_FIVETRAN_PROFILE`, their precedence, and
//! `collect --all-profiles` against two fake accounts, one of which refuses its key.

use std::path::{Path, PathBuf};

use iru_fivetran_fake::{FakeOptions, FakeServer, Fault};

use crate::support::{
    self, KEY, KEY_EU, SECRET, SECRET_EU, SECRET_WRONG, acme, arg, options, server,
};

fn eu_server() -> FakeServer {
    FakeServer::start(
        acme(),
        FakeOptions {
            api_key: KEY_EU.into(),
            api_secret: SECRET_EU.into(),
            ..options()
        },
    )
    .expect("fake server starts")
}

/// A `0600` vault with profiles `prod` (the test key) and `eu` (the EU key with `eu_secret`),
/// each with its own `api_url`.
fn write_vault(dir: &Path, prod_url: &str, eu_url: &str, eu_secret: &str, mode: u32) -> PathBuf {
    let path = dir.join("fivetran.toml");
    std::fs::write(
        &path,
        format!(
            "[profiles.prod]\napi_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\napi_url = \"{prod_url}\"\n\n\
             [profiles.eu]\napi_key = \"{KEY_EU}\"\napi_secret = \"{eu_secret}\"\napi_url = \"{eu_url}\"\n"
        ),
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    path
}

/// `collect --resources roles --credentials-file VAULT` plus `extra`, with `env`.
fn collect(vault: &Path, extra: &[&str], env: &[(&str, &str)]) -> support::Run {
    let mut args = vec![
        "collect",
        "--rate",
        "1000",
        "--resources",
        "roles",
        "--credentials-file",
        arg(vault),
    ];
    args.extend_from_slice(extra);
    support::run(&args, env)
}

#[test]
fn the_profile_flag_picks_its_key_and_url_and_the_manifest_names_it() {
    let (prod, eu) = (server(acme()), eu_server());
    let dir = tempfile::tempdir().expect("tmp");
    let vault = write_vault(dir.path(), &prod.api_url(), &eu.api_url(), SECRET_EU, 0o600);
    let run = collect(&vault, &["--profile", "eu"], &[]);
    run.assert_code(0);
    assert!(prod.requests().is_empty(), "prod untouched");
    let requests = eu.requests();
    assert!(!requests.is_empty() && requests.iter().all(|r| r.authorized));
    let options = &run.manifest()["options"];
    assert_eq!(options["profile"], "eu");
    assert_eq!(options["api_url"], eu.api_url());
    assert!(
        run.stderr.contains("profile `eu` of credentials file"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_variable_picks_a_profile_and_the_flag_wins_over_it() {
    let (prod, eu) = (server(acme()), eu_server());
    let dir = tempfile::tempdir().expect("tmp");
    let vault = write_vault(dir.path(), &prod.api_url(), &eu.api_url(), SECRET_EU, 0o600);
    let run = collect(&vault, &[], &[("IRU_FIVETRAN_PROFILE", "prod")]);
    run.assert_code(0);
    assert_eq!(run.manifest()["options"]["profile"], "prod");
    assert!(eu.requests().is_empty());
    let before = prod.requests().len();
    let run = collect(
        &vault,
        &["--profile", "eu"],
        &[("IRU_FIVETRAN_PROFILE", "prod")],
    );
    run.assert_code(0);
    assert_eq!(run.manifest()["options"]["profile"], "eu");
    assert_eq!(prod.requests().len(), before, "the flag won");
}

#[test]
fn several_profiles_and_none_chosen_or_an_unknown_one_is_refused_listing_names() {
    let (prod, eu) = (server(acme()), eu_server());
    let dir = tempfile::tempdir().expect("tmp");
    let vault = write_vault(dir.path(), &prod.api_url(), &eu.api_url(), SECRET_EU, 0o600);
    let run = collect(&vault, &[], &[]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("several profiles and none is chosen")
            && run.stderr.contains("one of: eu, prod"),
        "{}",
        run.stderr
    );
    let run = collect(&vault, &["--profile", "staging"], &[]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("has no profile `staging`")
            && run.stderr.contains("hint: the profiles are: eu, prod"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(KEY) && !run.stderr.contains(KEY_EU));
    assert!(prod.requests().is_empty() && eu.requests().is_empty());
}

#[test]
fn a_profile_name_that_is_not_a_plain_word_is_never_echoed() {
    let (prod, eu) = (server(acme()), eu_server());
    let dir = tempfile::tempdir().expect("tmp");
    let vault = write_vault(dir.path(), &prod.api_url(), &eu.api_url(), SECRET_EU, 0o600);
    let name = "../../pasted-Secret-9vQ";
    for (flags, env) in [
        (vec!["--profile", name], vec![]),
        (vec![], vec![("IRU_FIVETRAN_PROFILE", name)]),
    ] {
        let run = collect(&vault, &flags, &env);
        run.assert_code(2);
        assert!(
            run.stderr.contains("is not a profile name"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("pasted-Secret"), "{}", run.stderr);
        assert!(run.out_entries().is_empty(), "no path made from it");
    }
}

#[test]
fn the_vault_wins_over_the_environment_and_the_url_flag_over_the_profile() {
    let (prod, eu) = (server(acme()), eu_server());
    let dir = tempfile::tempdir().expect("tmp");
    // The profile's own URL is dead; --api-url points at the live server.
    let vault = write_vault(
        dir.path(),
        "http://127.0.0.1:1/v1",
        &eu.api_url(),
        SECRET_EU,
        0o600,
    );
    let env = [
        ("FIVETRAN_API_KEY", KEY_EU),
        ("FIVETRAN_API_SECRET", SECRET_WRONG),
        ("FIVETRAN_API_URL", "http://127.0.0.1:1/v1"),
    ];
    let run = collect(
        &vault,
        &["--profile", "prod", "--api-url", &prod.api_url()],
        &env,
    );
    run.assert_code(0);
    let requests = prod.requests();
    assert!(!requests.is_empty() && requests.iter().all(|r| r.authorized));
    assert_eq!(run.manifest()["options"]["api_url"], prod.api_url());
    // Without the flag the profile's URL beats FIVETRAN_API_URL.
    let run = collect(&vault, &["--profile", "eu"], &env);
    run.assert_code(0);
    assert!(eu.requests().iter().all(|r| r.authorized));
}

#[test]
fn a_run_without_profiles_records_none() {
    let fake = server(acme());
    let run = support::collect(&fake, &["--resources", "roles"]);
    run.assert_code(0);
    let options = run.manifest()["options"].clone();
    assert!(options.get("profile").is_none(), "{options}");
}

#[test]
fn all_profiles_goes_on_after_a_refused_key_and_exits_with_the_worst() {
    let (prod, eu) = (server(acme()), eu_server());
    let dir = tempfile::tempdir().expect("tmp");
    let vault = write_vault(
        dir.path(),
        &prod.api_url(),
        &eu.api_url(),
        SECRET_WRONG,
        0o600,
    );
    // A profile variable is ignored by --all-profiles.
    let run = collect(
        &vault,
        &["--all-profiles"],
        &[("IRU_FIVETRAN_PROFILE", "prod")],
    );
    run.assert_code(1);
    // eu runs first (name order) and is refused; prod still runs.
    assert!(!eu.requests().is_empty() && eu.requests().iter().all(|r| !r.authorized));
    assert!(!prod.requests().is_empty() && prod.requests().iter().all(|r| r.authorized));
    let bundle = run.bundle();
    assert!(bundle.starts_with(run.out.path()), "{bundle:?}");
    assert_eq!(run.manifest()["options"]["profile"], "prod");
    let summary: Vec<&str> = run
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("summary of 2 profile(s):"))
        .collect();
    assert_eq!(summary.len(), 3, "{}", run.stderr);
    assert!(
        summary[1].contains("eu") && summary[1].contains("failed") && summary[1].contains("401"),
        "{}",
        summary[1]
    );
    assert!(
        summary[2].contains("prod")
            && summary[2].contains("complete")
            && summary[2].ends_with(arg(&bundle)),
        "{}",
        summary[2]
    );
    assert!(
        run.stderr.contains("error: profile `eu`:"),
        "{}",
        run.stderr
    );
}

#[test]
fn all_profiles_with_a_partial_and_a_complete_bundle_exits_3_printing_both() {
    let (prod, eu) = (server(acme()), eu_server());
    eu.inject(Fault::status(
        "/v1/roles",
        403,
        "Forbidden",
        "no access to roles",
    ));
    let dir = tempfile::tempdir().expect("tmp");
    let vault = write_vault(dir.path(), &prod.api_url(), &eu.api_url(), SECRET_EU, 0o600);
    let run = collect(
        &vault,
        &["--all-profiles", "--resources", "roles,groups"],
        &[],
    );
    run.assert_code(3);
    let bundles: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(bundles.len(), 2, "{}", run.stdout);
    let profile_of = |dir: &str| {
        let text = std::fs::read_to_string(Path::new(dir).join("manifest.json")).expect("manifest");
        let manifest: serde_json::Value = serde_json::from_str(&text).expect("json");
        (
            manifest["options"]["profile"]
                .as_str()
                .expect("profile")
                .to_owned(),
            manifest["status"].as_str().expect("status").to_owned(),
        )
    };
    assert_eq!(profile_of(bundles[0]), ("eu".into(), "partial".into()));
    assert_eq!(profile_of(bundles[1]), ("prod".into(), "complete".into()));
    assert_ne!(bundles[0], bundles[1], "same account, one bundle each");
}

#[test]
fn all_profiles_refuses_an_open_vault_a_profile_flag_and_a_single_account_file() {
    let (prod, eu) = (server(acme()), eu_server());
    let dir = tempfile::tempdir().expect("tmp");
    let vault = write_vault(dir.path(), &prod.api_url(), &eu.api_url(), SECRET_EU, 0o644);
    let run = collect(&vault, &["--all-profiles"], &[]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains(&format!("chmod 600 {}", vault.display())),
        "{}",
        run.stderr
    );
    let run = collect(&vault, &["--all-profiles", "--profile", "eu"], &[]);
    run.assert_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    let single = dir.path().join("single.toml");
    std::fs::write(
        &single,
        format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n"),
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&single, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let run = collect(
        &single,
        &["--all-profiles", "--api-url", &prod.api_url()],
        &[],
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("--all-profiles needs profiles"),
        "{}",
        run.stderr
    );
    assert!(prod.requests().is_empty() && eu.requests().is_empty());
}

#[test]
fn all_profiles_complete_and_quiet_prints_two_paths_and_nothing_else() {
    let (prod, eu) = (server(acme()), eu_server());
    let dir = tempfile::tempdir().expect("tmp");
    let vault = write_vault(dir.path(), &prod.api_url(), &eu.api_url(), SECRET_EU, 0o600);
    let run = collect(&vault, &["--all-profiles", "-q"], &[]);
    run.assert_code(0);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert_eq!(run.stderr, "", "quiet and all complete: no summary");
    // Without -q the summary is there even when all is well.
    let run = collect(&vault, &["--all-profiles"], &[]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("summary of 2 profile(s):"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_baseline_is_an_earlier_bundle_of_the_same_profile() {
    // Two profiles of one account (both fakes serve acme): each compares with its own bundles.
    let (prod, eu) = (server(acme()), eu_server());
    let dir = tempfile::tempdir().expect("tmp");
    let vault = write_vault(dir.path(), &prod.api_url(), &eu.api_url(), SECRET_EU, 0o600);
    let out = dir.path().join("evidence");
    let run = |profile: &str| {
        let run = collect(
            &vault,
            &[
                "--profile",
                profile,
                "--resources",
                "roles,changes",
                "--out",
                arg(&out),
            ],
            &[],
        );
        run.assert_code(0);
        run
    };
    let first_prod = run("prod");
    let first_eu = run("eu");
    assert_eq!(first_eu.json("changes.json")["status"], "unavailable");
    let second_prod = run("prod");
    let changes = second_prod.json("changes.json");
    assert_eq!(changes["status"], "complete", "{changes}");
    assert_eq!(
        changes["baseline"]["bundle_id"],
        first_prod.manifest()["bundle_id"],
        "the prod bundle, not the newer eu one"
    );
}
