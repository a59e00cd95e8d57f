//! Usage, configuration and credentials input: what is refused with exit 2 before any request
//! (unknown flags and resources, odd vault files, odd API URLs, control characters in a value),
//! naming the problem but never a secret, and what is accepted (a vault file, a symlink to a
//! private one, pasted values with stray whitespace).

use std::io::Write as _;
#[cfg(unix)]
use std::path::{Path, PathBuf};

#[cfg(unix)]
use crate::support::arg;
use crate::support::{self, KEY, SECRET, acme, run, server};

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
            vec!["collect", "--api-url", &url, "--resources", "user"],
            both.to_vec(),
            "unknown resource `user` in --resources; did you mean `users`?",
        ),
        (
            vec!["collect", "--api-url", &url, "--resources", ""],
            both.to_vec(),
            "--resources names no artifact",
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

// ---------------------------------------------------------------------------------------------
// Vault files, the environment, the API URL

#[cfg(unix)]
fn write_vault(dir: &Path, name: &str, contents: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    path
}

#[cfg(unix)]
fn collect_with_vault(fake: &iru_fivetran_fake::FakeServer, vault: &Path) -> support::Run {
    let url = fake.api_url();
    support::run(
        &[
            "collect",
            "--api-url",
            &url,
            "--rate",
            "1000",
            "--resources",
            "roles",
            "--credentials-file",
            arg(vault),
        ],
        &[],
    )
}

#[cfg(unix)]
#[test]
fn odd_vault_files_are_refused_naming_the_file_never_a_value() {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let good = format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n");
    // (file contents, mode, what the message must say)
    let cases: Vec<(String, u32, &str)> = vec![
        (good.clone(), 0o644, "chmod 600"),
        (good.clone(), 0o604, "readable by group or others"),
        (String::new(), 0o600, "has no `api_key`"),
        ("\n\n# only a comment\n".into(), 0o600, "has no `api_key`"),
        (
            format!("api_key = \"{KEY}\"\napi_secret = [\"{SECRET}\"]\n"),
            0o600,
            "`api_secret` that is not a string",
        ),
        (
            format!("api_key = 12345\napi_secret = \"{SECRET}\"\n"),
            0o600,
            "`api_key` that is not a string",
        ),
        (
            format!("{{\"api_key\": \"{KEY}\", \"api_secret\": {{\"v\": \"{SECRET}\"}}}}"),
            0o600,
            "`api_secret` that is not a string",
        ),
        (
            format!(
                "{{\"api_key\": \"{KEY}\", \"api_secret\": \"x\", \"api_secret\": \"{SECRET}\"}}"
            ),
            0o600,
            "names a key twice",
        ),
        (
            format!("api_key = \"{KEY}\"\napi_secret = \"x\"\napi_secret = \"{SECRET}\"\n"),
            0o600,
            "not valid TOML at line 3",
        ),
        (
            format!("{good}region = \"eu\"\n"),
            0o600,
            "has a key other than api_key, api_secret, api_url and profiles",
        ),
        (
            format!("api_key = \"{KEY}\"\napi_secret = {SECRET}\n"),
            0o600,
            "not valid TOML at line 2",
        ),
        (
            format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\n"),
            0o600,
            "not valid TOML at line 2",
        ),
        (
            format!("{{\"api_key\": \"{KEY}\", \"api_secret\": \"{SECRET}\""),
            0o600,
            "not valid JSON",
        ),
        (
            format!("api_key = \"{KEY}\"\n"),
            0o600,
            "has no `api_secret`",
        ),
        // A profile belongs under [profiles.NAME]; a bare [name] table is an unknown key.
        (
            format!("[prod]\napi_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n"),
            0o600,
            "has a key other than api_key, api_secret, api_url and profiles",
        ),
        (
            format!("api_key = \"{KEY}\"\napi_secret = \"a\\u0000b{SECRET}\"\n"),
            0o600,
            "contains a control character",
        ),
    ];
    for (i, (contents, mode, needle)) in cases.iter().enumerate() {
        let vault = write_vault(dir.path(), &format!("vault-{i}.toml"), contents, *mode);
        let run = collect_with_vault(&fake, &vault);
        run.assert_code(2);
        assert!(
            run.stderr.contains(needle) && run.stderr.contains(arg(&vault)),
            "case {i}: want {needle:?} and the path in:\n{}",
            run.stderr
        );
        assert!(run.stderr.contains("hint:"), "case {i}: {}", run.stderr);
        // The secret is checked by `run`; the key and the line's text are not shown either.
        assert!(!run.stderr.contains(KEY), "case {i}: {}", run.stderr);
        assert!(run.out_entries().is_empty());
    }
    assert!(fake.requests().is_empty(), "no request was made");
}

#[cfg(unix)]
#[test]
fn a_symlinked_vault_is_judged_by_the_file_it_points_to() {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let good = format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n");
    let private = write_vault(dir.path(), "private.toml", &good, 0o600);
    let open = write_vault(dir.path(), "open.toml", &good, 0o644);
    let to_private = dir.path().join("to-private.toml");
    let to_open = dir.path().join("to-open.toml");
    std::os::unix::fs::symlink(&private, &to_private).expect("symlink");
    std::os::unix::fs::symlink(&open, &to_open).expect("symlink");

    let run = collect_with_vault(&fake, &to_open);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&format!("chmod 600 {}", arg(&to_open))),
        "{}",
        run.stderr
    );
    assert!(fake.requests().is_empty());

    let run = collect_with_vault(&fake, &to_private);
    run.assert_code(0);
    assert!(fake.requests().iter().all(|r| r.authorized));
}

#[test]
fn pasted_environment_values_are_trimmed_before_use() {
    let fake = server(acme());
    let url = format!(" {}\n", fake.api_url());
    let key = format!("{KEY} \n");
    let secret = format!("\t{SECRET}  \r\n");
    let run = support::run(
        &["collect", "--rate", "1000", "--resources", "roles"],
        &[
            ("FIVETRAN_API_URL", &url),
            ("FIVETRAN_API_KEY", &key),
            ("FIVETRAN_API_SECRET", &secret),
        ],
    );
    run.assert_code(0);
    let requests = fake.requests();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| r.authorized),
        "sent trimmed, so the fake accepts them"
    );

    // A control character inside a value is refused, not trimmed away or sent.
    let inside = format!("{SECRET}\nsecond-line");
    let run = support::run(
        &["collect", "--api-url", &fake.api_url()],
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", &inside)],
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("contains a control character"),
        "{}",
        run.stderr
    );
    assert_eq!(fake.requests().len(), requests.len(), "no request");
}

#[test]
fn odd_api_urls_are_refused_without_echoing_them() {
    let fake = server(acme());
    let port = fake.api_url().split(':').nth(2).expect("port").to_owned();
    let port = port.trim_end_matches("/v1");
    let with_secret = format!("http://{KEY}:{SECRET}@127.0.0.1:{port}/v1");
    let with_user = format!("http://{SECRET}@127.0.0.1:{port}/v1");
    let cases = [
        (with_secret.as_str(), "user name or password"),
        (with_user.as_str(), "user name or password"),
        ("https://api.fivetran.com/v2", "does not end in /v1"),
        ("https://api.fivetran.com/", "does not end in /v1"),
        ("https://api.fivetran.com/v1/users", "does not end in /v1"),
        ("https://api.fivetran.com/v1?debug=1", "query or fragment"),
        ("http://api.fivetran.com/v1", "loopback"),
        ("http://localhost.example.com/v1", "loopback"),
        ("http://10.1.2.3:8080/v1", "loopback"),
        ("file:///etc/passwd", "scheme `file`"),
    ];
    for (url, needle) in cases {
        let run = support::run(
            &["collect", "--api-url", url],
            &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
        );
        run.assert_code(2);
        assert!(
            run.stderr.contains(needle) && run.stderr.contains("hint:"),
            "{url}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains(KEY), "{url}: {}", run.stderr);
    }
    assert!(fake.requests().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Input files that are not files

/// `--ca-cert`, `--sign-key` and the credentials file, given a FIFO nobody writes (which hung
/// the run), `/dev/zero` (read without end) or a directory (told to `chmod 600`): each is
/// refused at once, before it is opened, exit 2, naming the file and what it is, with a hint.
#[cfg(unix)]
#[test]
fn input_files_that_are_not_regular_files_are_refused_at_once_naming_them() {
    use std::os::unix::fs::PermissionsExt as _;
    let fake = server(acme());
    let url = fake.api_url();
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    // Private, so that only its kind can be the reason it is refused.
    std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let huge = dir.path().join("huge.pem");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(5 * 1024 * 1024))
        .expect("sparse file");
    let (fifo, folder, huge) = (arg(&fifo), arg(&folder), arg(&huge));
    let env = [("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)];
    // (flag, file, what stderr must say); the credentials come from the environment except
    // when the file is the credentials file.
    let cases: [(&str, &str, String); 7] = [
        (
            "--ca-cert",
            fifo,
            format!("--ca-cert {fifo}: a FIFO (named pipe), not a regular file"),
        ),
        (
            "--sign-key",
            fifo,
            format!("cannot read signing key {fifo}: a FIFO (named pipe), not a regular file"),
        ),
        (
            "--credentials-file",
            fifo,
            format!("credentials file {fifo} is a FIFO (named pipe), not a regular file"),
        ),
        (
            "--ca-cert",
            "/dev/zero",
            "--ca-cert /dev/zero: a character device, not a regular file".into(),
        ),
        (
            "--ca-cert",
            folder,
            format!("--ca-cert {folder}: a directory, not a regular file"),
        ),
        (
            "--credentials-file",
            folder,
            format!("credentials file {folder} is a directory, not a regular file"),
        ),
        (
            "--ca-cert",
            huge,
            format!("--ca-cert {huge}: larger than a certificate bundle can be"),
        ),
    ];
    for (flag, file, needle) in &cases {
        let env: &[(&str, &str)] = match *flag {
            "--credentials-file" => &[],
            _ => &env,
        };
        let child = support::spawn_via(
            &[],
            &["collect", "--api-url", &url, "--rate", "1000", flag, file],
            env,
        );
        let run = child.wait(std::time::Duration::from_secs(20));
        run.assert_code(2);
        assert!(
            run.stderr.contains(needle.as_str()) && run.stderr.contains("hint:"),
            "{flag} {file}: want {needle:?} in:\n{}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("chmod"),
            "{flag} {file}: {}",
            run.stderr
        );
        assert!(run.out_entries().is_empty());
    }
    assert!(fake.requests().is_empty(), "no request was made");
}
