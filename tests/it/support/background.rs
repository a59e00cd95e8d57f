//! Running the binary in the background, for tests that signal it or run two at once: [`spawn`]
//! and [`Running`], and [`wait_for`] to poll for a condition instead of sleeping.

use std::path::PathBuf;
use std::process::Command;

use iru_fivetran_fake::FakeServer;

use super::run::prepare;
use super::{KEY, Run, SECRET};

/// A run of the binary in the background (`support::run` with `spawn` in place of `output`), for
/// tests that signal it or run two at once. [`Running::wait`] gives the usual [`Run`], checked
/// for leaks the same way.
pub struct Running {
    child: KillOnDrop,
    out: tempfile::TempDir,
    explicit_out: Option<PathBuf>,
    stdout: std::thread::JoinHandle<Vec<u8>>,
    stderr: std::thread::JoinHandle<Vec<u8>>,
}

/// Starts the binary like [`run`] does (cleared environment plus `env`, `--out` a fresh
/// directory unless given) without waiting for it.
pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Running {
    spawn_via(&[], args, env)
}

/// [`spawn`] through a wrapper command (`wrapper` then the binary's path then `args`), such as
/// `unshare ... sh -c '...; exec "$0" "$@"'`; without a wrapper the binary is started itself.
pub fn spawn_via(wrapper: &[&str], args: &[&str], env: &[(&str, &str)]) -> Running {
    use std::io::Read as _;
    use std::process::Stdio;
    let out = tempfile::tempdir().expect("temp dir");
    let out_dir = out.path().join("evidence");
    let binary = env!("CARGO_BIN_EXE_iru-fivetran");
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut cmd = Command::new(program);
            cmd.args(rest).arg(binary);
            cmd
        }
        None => Command::new(binary),
    };
    let explicit_out = prepare(&mut cmd, args, env, &out_dir);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary starts");
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    Running {
        child: KillOnDrop(child),
        out,
        explicit_out,
        stdout,
        stderr,
    }
}

/// [`spawn`] of `iru-fivetran collect` against `server` with the test credentials, like
/// [`collect`].
pub fn spawn_collect(server: &FakeServer, extra: &[&str]) -> Running {
    let url = server.api_url();
    let mut args = vec!["collect", "--api-url", &url, "--rate", "1000"];
    args.extend_from_slice(extra);
    spawn(
        &args,
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    )
}

impl Running {
    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// The `--out` directory given to the child (the default one unless the test gave one).
    pub fn out_dir(&self) -> PathBuf {
        self.explicit_out
            .clone()
            .unwrap_or_else(|| self.out.path().join("evidence"))
    }

    /// Sends a signal (`INT`, `TERM`...) with the `kill` command.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -s {name} {}", self.pid());
    }

    /// Waits for the exit, at most `timeout` (then kills the child and fails), and checks for
    /// leaks like [`run`].
    pub fn wait(mut self, timeout: std::time::Duration) -> Run {
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.0.try_wait().expect("try_wait") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                drop(self.child);
                let stderr = self.stderr.join().unwrap_or_default();
                panic!(
                    "still running after {timeout:?}; stderr:\n{}",
                    String::from_utf8_lossy(&stderr)
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        let run = Run {
            code: status.code().unwrap_or_else(|| panic!("ended by {status}")),
            stdout: String::from_utf8(self.stdout.join().expect("stdout")).expect("utf8 stdout"),
            stderr: String::from_utf8(self.stderr.join().expect("stderr")).expect("utf8 stderr"),
            out: self.out,
            explicit_out: self.explicit_out,
        };
        run.assert_no_leaks();
        run
    }
}

/// A child process killed (and reaped) when dropped, so a failed test leaves none behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `done` every 10 ms until it holds; fails after `timeout`.
pub fn wait_for(what: &str, timeout: std::time::Duration, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
