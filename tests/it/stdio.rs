//! Standard streams that cannot be written: `collect > /dev/full`, a reader that closed the pipe
//! (`collect | true`, `collect 2>&1 | true`), `collect 2>/dev/full`. None panics (exit 101,
//! before `--summary-json` and `--archive` were written): the bundle, the archive and the
//! summary are always written; a stdout that fails is exit 1, a reader gone is the run's own
//! code, a stderr that fails changes nothing. Unix only (`sh`).

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::{self, KEY, SECRET, acme, server};

/// How long a run against the fake may take.
const RUN: Duration = Duration::from_secs(60);

/// The summary at `path`, checked like a run's files.
fn summary(path: &Path) -> Value {
    support::assert_no_secret_in(path);
    serde_json::from_slice(&std::fs::read(path).expect("summary written")).expect("json")
}

/// `collect --archive --summary-json` against `fake`, started by `sh -c script` (`$0` is the
/// binary, `"$@"` its arguments), into a fresh `--out`. Returns the run and the summary path.
fn collect_via(
    fake: &iru_fivetran_fake::FakeServer,
    script: &str,
    dir: &Path,
) -> (support::Run, PathBuf) {
    let url = fake.api_url();
    let summary = dir.join("summary.json");
    let summary_arg = summary.display().to_string();
    let child = support::spawn_via(
        &["sh", "-c", script],
        &[
            "collect",
            "--api-url",
            &url,
            "--rate",
            "1000",
            "--archive",
            "--summary-json",
            &summary_arg,
        ],
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    );
    (child.wait(RUN), summary)
}

/// The bundle and archive the summary names are there and whole.
fn assert_bundle_and_archive(summary: &Value) {
    let bundle = PathBuf::from(summary["bundle"].as_str().expect("a bundle"));
    iru_fivetran_core::verify::verify(&bundle).expect("the bundle verifies");
    let archive = PathBuf::from(summary["archive"]["path"].as_str().expect("an archive"));
    let bytes = std::fs::read(&archive).expect("archive written");
    assert_eq!(
        summary["archive"]["sha256"],
        iru_fivetran_core::files::sha256_hex(&bytes)
    );
}

#[test]
fn a_stdout_that_cannot_be_written_fails_the_run_but_keeps_bundle_archive_and_summary() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let (run, path) = collect_via(&fake, r#"exec "$0" "$@" >/dev/full"#, dir.path());
    run.assert_code(1);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: cannot write the bundle path to stdout: No space left on device")
            && run.stderr.contains("the bundle is written and stays: ")
            && run.stderr.contains("hint:"),
        "{}",
        run.stderr
    );
    let summary = summary(&path);
    assert_eq!(summary["status"], "failed", "{summary}");
    assert_eq!(summary["exit_code"], 1);
    assert!(
        summary["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot write the bundle path to stdout")),
        "{summary}"
    );
    assert_bundle_and_archive(&summary);
}

/// A reader that closed the pipe chose to stop reading (`man | head`): the run finishes and
/// exits with its own code, whether stdout alone or stdout and stderr go to the pipe. `sh`
/// gives the pipeline `true`'s status, so the binary's is written to a file.
#[test]
fn a_reader_that_closed_the_pipe_loses_nothing_and_the_code_is_the_runs() {
    let fake = server(acme());
    for redirect in ["", "2>&1"] {
        let dir = tempfile::tempdir().expect("tmp");
        let code_file = dir.path().join("code");
        let script = format!(
            r#"{{ "$0" "$@" {redirect}; echo $? > '{}'; }} | true"#,
            code_file.display()
        );
        let (run, path) = collect_via(&fake, &script, dir.path());
        run.assert_code(0);
        let code = std::fs::read_to_string(&code_file).expect("code written");
        assert_eq!(code.trim(), "0", "`{redirect}`: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        let summary = summary(&path);
        assert_eq!(summary["status"], "complete", "{summary}");
        assert_eq!(summary["exit_code"], 0);
        assert!(summary["error"].is_null(), "{summary}");
        assert_bundle_and_archive(&summary);
    }
}

/// The end-of-run table went to stderr with `eprint!`, which panicked on `/dev/full`.
#[test]
fn a_stderr_that_cannot_be_written_changes_nothing() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let (run, path) = collect_via(&fake, r#"exec "$0" "$@" 2>/dev/full"#, dir.path());
    run.assert_code(0);
    let bundle = run.bundle();
    let summary = summary(&path);
    assert_eq!(summary["status"], "complete", "{summary}");
    assert_eq!(summary["bundle"], bundle.display().to_string());
    assert_bundle_and_archive(&summary);
}
