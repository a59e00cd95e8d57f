//! Usage, configuration and credentials errors: exit 2, before any request.

use std::io::Write as _;

use crate::support::{KEY, SECRET, acme, run, server};

fn assert_usage_error(run: &crate::support::Run, needle: &str) {
    run.assert_code(2);
    assert!(
        run.stderr.contains(needle),
        "want {needle:?} in:\n{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    assert!(run.out_entries().is_empty(), "nothing written");
}

#[test]
fn configuration_errors_exit_2_before_any_request() {
    let fake = server(acme());
    let url = fake.api_url();
    let both = [("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)];
    // (arguments, environment, what the error must say)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["collect", "--api-url", &url],
            vec![],
            "no Fivetran credentials found",
        ),
        (
            vec!["collect", "--api-url", &url],
            vec![("FIVETRAN_API_KEY", KEY)],
            "FIVETRAN_API_SECRET is not",
        ),
        (
            vec!["collect", "--api-url", &url, "--resources", "users,bogus"],
            both.to_vec(),
            "unknown resource `bogus`",
        ),
        (
            vec!["collect", "--api-url", "http://api.fivetran.com/v1"],
            both.to_vec(),
            "loopback",
        ),
        (
            vec![
                "collect",
                "--api-url",
                "https://k:hunter2@api.fivetran.com/v1",
            ],
            both.to_vec(),
            "user name or password",
        ),
        (
            vec!["collect", "--api-url", &url, "--rate", "0"],
            both.to_vec(),
            "--rate must be",
        ),
        (
            vec!["collect", "--bogus-flag"],
            both.to_vec(),
            "unexpected argument",
        ),
    ];
    for (args, env, needle) in cases {
        let r = run(&args, &env);
        assert_usage_error(&r, needle);
        assert!(!r.stderr.contains("hunter2"));
    }
    assert!(fake.requests().is_empty(), "no request was made");
}

#[test]
fn vault_file_is_used_and_an_open_one_is_refused() {
    let fake = server(acme());
    let url = fake.api_url();
    let dir = tempfile::tempdir().expect("tmp");
    let vault = dir.path().join("fivetran.toml");
    let mut f = std::fs::File::create(&vault).expect("create");
    writeln!(f, "api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"").expect("write");
    drop(f);
    let vault_arg = vault.to_str().expect("utf8 path");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&vault, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let r = run(
            &[
                "collect",
                "--api-url",
                &url,
                "--credentials-file",
                vault_arg,
            ],
            &[],
        );
        assert_usage_error(&r, &format!("chmod 600 {vault_arg}"));
        assert!(fake.requests().is_empty());
        std::fs::set_permissions(&vault, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    // Through the environment variable, with the API variables set to something else.
    let r = run(
        &[
            "collect",
            "--api-url",
            &url,
            "--rate",
            "1000",
            "--resources",
            "roles",
        ],
        &[
            ("IRU_FIVETRAN_CREDENTIALS_FILE", vault_arg),
            ("FIVETRAN_API_KEY", "other"),
            ("FIVETRAN_API_SECRET", "other"),
        ],
    );
    r.assert_code(0);
    assert!(r.stderr.contains("credentials file"), "{}", r.stderr);
    assert!(fake.requests().iter().all(|q| q.authorized));
}

#[test]
fn an_unwritable_output_fails_before_any_request() {
    let fake = server(acme());
    let url = fake.api_url();
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    let out = file.join("evidence");
    let out_arg = out.to_str().expect("utf8");
    let r = run(
        &["collect", "--api-url", &url, "--out", out_arg],
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    );
    r.assert_code(1);
    assert!(
        r.stderr.contains("cannot write") && r.stderr.contains("not-a-dir"),
        "{}",
        r.stderr
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn help_lists_exit_codes_and_hides_nothing_secret() {
    let r = run(&["collect", "--help"], &[("FIVETRAN_API_SECRET", SECRET)]);
    r.assert_code(0);
    for needle in [
        "Exit codes:",
        "3  partial bundle",
        "--credentials-file",
        "--rate",
    ] {
        assert!(r.stdout.contains(needle), "{needle} in help");
    }
}
