//! Running the binary in the foreground: a cleared environment, `--out` a fresh directory, and
//! the finished [`Run`] with what it printed and wrote (every run is checked for leaks, see
//! `leaks.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use iru_fivetran_fake::FakeServer;
use serde_json::Value;

use super::{KEY, SECRET, entries};

/// A finished run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub out: tempfile::TempDir,
    /// `--out` when the test gave one (it is scanned for leaks too).
    pub explicit_out: Option<PathBuf>,
}

/// Runs `iru-fivetran collect` against `server` with the test credentials from the environment.
pub fn collect(server: &FakeServer, extra: &[&str]) -> Run {
    let url = server.api_url();
    let mut args = vec!["collect", "--api-url", &url, "--rate", "1000"];
    args.extend_from_slice(extra);
    run(
        &args,
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    )
}

/// A path as a command-line argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("utf8 path")
}

/// Sets up a run of the binary the way every test runs it: a cleared environment plus `env`
/// and no real waits, `args`, and `--out out_dir` for `collect` unless the test gave one.
/// Returns the `--out` the test gave, if any (scanned for leaks too).
pub(super) fn prepare(
    cmd: &mut Command,
    args: &[&str],
    env: &[(&str, &str)],
    out_dir: &Path,
) -> Option<PathBuf> {
    cmd.env_clear()
        .env("IRU_FIVETRAN_TEST_NO_DELAY", "1")
        .args(args);
    let has_out = args.contains(&"--out") || args.contains(&"-o");
    if args.first() == Some(&"collect") && !has_out {
        cmd.arg("--out").arg(out_dir);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    args.iter()
        .position(|a| *a == "--out" || *a == "-o")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
}

/// Runs the binary with a cleared environment plus `env`, `--out` set to a fresh directory,
/// then checks that no secret leaked anywhere.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = tempfile::tempdir().expect("temp dir");
    let out_dir = out.path().join("evidence");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iru-fivetran"));
    let explicit_out = prepare(&mut cmd, args, env, &out_dir);
    let output = cmd.output().expect("binary runs");
    let run = Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("utf8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf8 stderr"),
        out,
        explicit_out,
    };
    run.assert_no_leaks();
    run
}

impl Run {
    /// The bundle directory printed on stdout (its only line).
    pub fn bundle(&self) -> PathBuf {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "stdout: {:?}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        PathBuf::from(lines[0])
    }

    pub fn json(&self, name: &str) -> Value {
        let path = self.bundle().join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        serde_json::from_str(&text).expect("valid JSON")
    }

    pub fn manifest(&self) -> Value {
        self.json("manifest.json")
    }

    /// Names directly under `--out`.
    pub fn out_entries(&self) -> Vec<String> {
        entries(&self.out.path().join("evidence"))
    }

    pub fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
    }
}
