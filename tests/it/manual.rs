//! `iru-fivetran completions SHELL` and `iru-fivetran man`: generated from the clap types,
//! printed on stdout, offline.

use std::io::Write as _;
use std::process::{Command, Stdio};

use clap::CommandFactory as _;
use iru_fivetran::cli::Cli;

use crate::support::run;

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

/// Whether `program` can be started here (tests that need it skip cleanly otherwise).
fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Feeds `input` to `program args` and returns (success, stderr).
fn pipe(program: &str, args: &[&str], input: &str) -> (bool, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes");
    let output = child.wait_with_output().expect("finishes");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every visible subcommand name, from the same clap types the binary uses.
fn subcommand_names() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_owned())
        .collect()
}

#[test]
fn completions_for_every_shell_name_collect_and_its_flags() {
    for shell in SHELLS {
        let r = run(&["completions", shell], &[]);
        r.assert_code(0);
        assert!(!r.stdout.trim().is_empty(), "{shell}: empty script");
        assert!(r.stdout.contains("collect"), "{shell}: no collect");
        // fish names a long flag without its dashes: `complete ... -l credentials-file`.
        let flag = match shell {
            "fish" => "-l credentials-file",
            _ => "--credentials-file",
        };
        assert!(r.stdout.contains(flag), "{shell}: no {flag}");
        assert!(r.stderr.is_empty(), "{shell}: stderr {}", r.stderr);
    }
}

#[test]
fn bash_completion_script_is_valid_bash() {
    if !available("bash") {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let r = run(&["completions", "bash"], &[]);
    r.assert_code(0);
    let (ok, stderr) = pipe("bash", &["-n"], &r.stdout);
    assert!(ok, "bash -n rejects the script: {stderr}");
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error_listing_the_shells() {
    let r = run(&["completions", "tcsh"], &[]);
    r.assert_code(2);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    for shell in SHELLS {
        assert!(
            r.stderr.contains(shell),
            "{shell} not offered: {}",
            r.stderr
        );
    }
}

#[test]
fn man_page_is_one_roff_page_naming_every_command() {
    let r = run(&["man"], &[]);
    r.assert_code(0);
    assert!(r.stdout.starts_with(".TH "), "{}", r.stdout);
    let names = subcommand_names();
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        // roff escapes the hyphen; the section title is upper case.
        let listed = format!("\\fBiru\\-fivetran {name}\\fR");
        let section = format!(".SH \"IRU-FIVETRAN {}\"", name.to_uppercase());
        assert!(r.stdout.contains(&listed), "{name} not listed");
        assert!(r.stdout.contains(&section), "{name} has no section");
    }
}

#[test]
fn man_page_formats_without_warnings() {
    if !available("groff") {
        eprintln!("skipped: groff is not installed");
        return;
    }
    let r = run(&["man"], &[]);
    r.assert_code(0);
    let (ok, stderr) = pipe("groff", &["-man", "-Tutf8", "-ww", "-z"], &r.stdout);
    assert!(ok && stderr.is_empty(), "groff: {stderr}");
}

#[test]
fn man_page_to_a_full_disk_fails_with_the_reason() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    // Not through support::run, which captures stdout: no credentials are set, so there is
    // no secret to leak.
    let output = Command::new(env!("CARGO_BIN_EXE_iru-fivetran"))
        .arg("man")
        .env_clear()
        .stdout(full)
        .output()
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot write the man page to stdout: "),
        "{stderr}"
    );
}

#[test]
fn completions_offer_the_artifact_and_schema_names() {
    let zsh = run(&["completions", "zsh"], &[]);
    zsh.assert_code(0);
    let resources = zsh
        .stdout
        .lines()
        .find(|l| l.contains("--resources="))
        .expect("a --resources line");
    for name in crate::support::ARTIFACTS {
        assert!(resources.contains(name), "{name} in {resources}");
    }
    let schema = zsh
        .stdout
        .lines()
        .find(|l| l.starts_with("'::name -- The file whose schema to print"))
        .expect("the schema name argument");
    for name in ["manifest", "verify", "doctor", "summary", "period", "users"] {
        assert!(
            schema.contains(name),
            "schema name {name} offered: {schema}"
        );
    }
    let bash = run(&["completions", "bash"], &[]);
    assert!(
        bash.stdout
            .contains("hybrid_deployment_agents connector_sdk_packages secrets_managers transformations transformation_projects certificates fingerprints sync_history audit_trail audit_coverage"),
        "bash completes the names too"
    );
}

#[test]
fn collect_help_groups_its_options_and_ends_with_examples() {
    let help = run(&["collect", "--help"], &[]);
    help.assert_code(0);
    let at = |s: &str| help.stdout.find(s).unwrap_or_else(|| panic!("{s} in help"));
    // Headings in order, each above its options.
    assert!(at("Output:") < at("-o, --out <DIR>"));
    assert!(at("What to collect:") < at("--resources <LIST>"));
    assert!(at("Account:") < at("--credentials-file <PATH>"));
    assert!(at("Pace:") < at("--rate <N>"));
    assert!(at("Logging:") < at("--log-format"));
    assert!(at("Examples:") > at("--log-format"));
    assert!(
        help.stdout
            .contains("iru-fivetran collect --credentials-file fivetran.toml -o evidence")
    );
}

/// The exit codes `collect` can give, signals and a stdout that cannot be written included,
/// are in `--help` and in the man page's EXIT STATUS (both from the same clap text).
#[test]
fn help_and_man_page_list_every_exit_code_of_collect() {
    let help = run(&["collect", "--help"], &[]);
    help.assert_code(0);
    let man = run(&["man"], &[]);
    man.assert_code(0);
    let exit_status = man
        .stdout
        .split(".SH \"EXIT STATUS\"")
        .nth(1)
        .expect("an EXIT STATUS section");
    // roff escapes hyphens; compare without them.
    let exit_status = exit_status.replace("\\-", "-");
    for needle in [
        "129, 130, 131, 143",
        "stopped by SIGHUP, SIGINT (Ctrl-C), SIGQUIT or SIGTERM",
        "its path could not be written to stdout",
        "A reader that closes stdout early (collect | head) stopped reading on purpose",
        "--out is a bundle or inside one; too few file descriptors",
    ] {
        assert!(
            help.stdout.contains(needle),
            "--help: {needle}\n{}",
            help.stdout
        );
        assert!(exit_status.contains(needle), "man: {needle}\n{exit_status}");
    }
}
