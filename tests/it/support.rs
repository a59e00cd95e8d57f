//! Shared test helpers: the fake account, running the binary, and the leak check every
//! binary-running test goes through.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer};
use serde_json::Value;

pub const KEY: &str = "it-key-9f3b";
pub const SECRET: &str = "it-secret-Q7vX2-never-printed";
/// Every planted secret in the fixtures contains this.
pub const PLANTED: &str = "PLANTED";
/// A second account's key and secret, for vault profiles.
pub const KEY_EU: &str = "it-key-eu-41c7";
pub const SECRET_EU: &str = "it-secret-EU-8kLm3-never-printed";
/// A secret the fakes never accept (a profile whose key Fivetran refuses).
pub const SECRET_WRONG: &str = "it-secret-WRONG-z2Pq9-never-printed";
/// Every key and secret pair a test may hand the binary: none may leak, whichever was used.
pub const PAIRS: [(&str, &str); 3] = [(KEY, SECRET), (KEY_EU, SECRET_EU), (KEY_EU, SECRET_WRONG)];

/// What must appear nowhere: each secret, each pair's Basic-auth form, the planted secrets.
pub fn leak_needles() -> Vec<String> {
    let mut needles = vec![PLANTED.to_owned()];
    for (key, secret) in PAIRS {
        needles.push(secret.to_owned());
        needles.push(BASE64.encode(format!("{key}:{secret}")));
    }
    needles
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

pub fn acme() -> FakeAccount {
    FakeAccount::load(&fixture("accounts/acme.json")).expect("acme fixture loads")
}

pub fn options() -> FakeOptions {
    FakeOptions {
        api_key: KEY.into(),
        api_secret: SECRET.into(),
        ..FakeOptions::default()
    }
}

pub fn server(account: FakeAccount) -> FakeServer {
    FakeServer::start(account, options()).expect("fake server starts")
}

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

/// Every artifact of a full bundle, in bundle order (the oracle the tests check the tool's
/// own list against).
pub const ARTIFACTS: [&str; 19] = [
    "account",
    "users",
    "roles",
    "teams",
    "groups",
    "destinations",
    "connections",
    "webhooks",
    "log_services",
    "system_keys",
    "private_links",
    "proxy_agents",
    "hybrid_deployment_agents",
    "sync_history",
    "audit_coverage",
    "activity",
    "access",
    "findings",
    "changes",
];

/// Sets up a run of the binary the way every test runs it: a cleared environment plus `env`
/// and no real waits, `args`, and `--out out_dir` for `collect` unless the test gave one.
/// Returns the `--out` the test gave, if any (scanned for leaks too).
fn prepare(
    cmd: &mut Command,
    args: &[&str],
    env: &[(&str, &str)],
    out_dir: &Path,
) -> Option<PathBuf> {
    cmd.env_clear()
        .env("IRU_FIVETRAN_TEST_NO_DELAY", "1")
        .args(args);
    if args.first() == Some(&"collect") && !args.contains(&"--out") {
        cmd.arg("--out").arg(out_dir);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    args.iter()
        .position(|a| *a == "--out")
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
        let dir = self.out.path().join("evidence");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    pub fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
    }

    /// No secret of [`PAIRS`], no Basic-auth form of them and no planted fixture secret appears
    /// anywhere: not in stdout, not in stderr, not in any file under `--out` (bundle, temporary or failed dirs).
    pub fn assert_no_leaks(&self) {
        let needles = leak_needles();
        for needle in &needles {
            assert!(!self.stdout.contains(needle), "{needle} in stdout");
            assert!(
                !self.stderr.contains(needle),
                "{needle} in stderr:\n{}",
                self.stderr
            );
        }
        let mut files = files_under(self.out.path());
        if let Some(dir) = &self.explicit_out {
            files.extend(files_under(dir));
        }
        for file in files {
            // A file another run is writing into the same --out can be renamed between the
            // listing and the read (`x.partial` -> `x`); that run's own check reads it.
            let bytes = match std::fs::read(&file) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => panic!("{}: {e}", file.display()),
            };
            let text = String::from_utf8_lossy(&bytes);
            for needle in &needles {
                assert!(!text.contains(needle), "{needle} in {}", file.display());
            }
        }
    }
}

fn basic_auth() -> String {
    BASE64.encode(format!("{KEY}:{SECRET}"))
}

/// The same check for a file written outside `--out` (a run summary).
pub fn assert_no_secret_in(path: &Path) {
    let text = String::from_utf8_lossy(&std::fs::read(path).expect("readable")).into_owned();
    for needle in [SECRET, basic_auth().as_str(), PLANTED] {
        assert!(!text.contains(needle), "{needle} in {}", path.display());
    }
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let path = e.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Requests a full collection of `account` needs when the server pages `page_size` at a time:
/// one page per `page_size` items (at least one per list), plus one per detail object. Sync
/// history is read over the default 24-hour window: one window, so one request per connection
/// (each with details; one without is deleted and not asked again) plus one per extra page of
/// the syncs that started in the last 24 hours.
pub fn expected_requests(a: &FakeAccount, page_size: usize) -> usize {
    let pages = |n: usize| n.div_ceil(page_size).max(1);
    let per_parent = |parents: &[Value], map: &std::collections::BTreeMap<String, Vec<Value>>| {
        parents
            .iter()
            .map(|p| {
                let id = p["id"].as_str().expect("id");
                pages(map.get(id).map_or(0, Vec::len))
            })
            .sum::<usize>()
    };
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    let sync_history: usize = a
        .connections
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|id| a.connection_details.contains_key(*id))
        .map(|id| {
            let recent = a.sync_history.get(id).map_or(0, |syncs| {
                syncs
                    .iter()
                    .filter_map(|s| s["start_time"].as_str()?.parse::<jiff::Timestamp>().ok())
                    .filter(|t| *t >= since)
                    .count()
            });
            pages(recent)
        })
        .sum();
    1 // account/info
        + pages(a.users.len())
        + per_parent(&a.users, &a.user_groups)
        + per_parent(&a.users, &a.user_connections)
        + pages(a.roles.len())
        + pages(a.teams.len())
        + per_parent(&a.teams, &a.team_users)
        + per_parent(&a.teams, &a.team_groups)
        + per_parent(&a.teams, &a.team_connections)
        + pages(a.groups.len())
        + pages(a.destinations.len())
        + a.destinations.len()
        + pages(a.connections.len())
        + connection_details(a)
        + a.connections.len() // schemas
        + sync_history
        + pages(a.webhooks.len())
        + pages(a.log_services.len())
        + 1 // external-logging/account
        + pages(a.system_keys.len())
        + pages(a.private_links.len())
        + pages(a.proxy_agents.len())
        + pages(a.hybrid_deployment_agents.len())
}

/// The `/connections/{id}` requests of a collection: per `(service, service_version)`, one for
/// the first connection in list order (the probe); for every other connection of the pair too
/// unless the probe's detail equals its list item (ignoring `status`, `succeeded_at`,
/// `failed_at`).
pub fn connection_details(a: &FakeAccount) -> usize {
    let pair = |c: &Value| (c["service"].to_string(), c["service_version"].to_string());
    let volatile = ["status", "succeeded_at", "failed_at"];
    let mut count = 0;
    let mut seen: std::collections::BTreeMap<(String, String), bool> = Default::default();
    for c in &a.connections {
        let Some(id) = c["id"].as_str() else { continue };
        match seen.get(&pair(c)) {
            Some(true) => {}
            Some(false) => count += 1,
            None => {
                count += 1;
                let suffices = a.connection_details.get(id).is_some_and(|d| {
                    d.as_object()
                        .expect("detail")
                        .iter()
                        .all(|(k, v)| volatile.contains(&k.as_str()) || c.get(k) == Some(v))
                });
                seen.insert(pair(c), suffices);
            }
        }
    }
    count
}

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

/// Names directly under `dir`, sorted (none if it does not exist).
pub fn entries(dir: &Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = read
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// None of the secrets of [`PAIRS`], their Basic-auth forms or the planted fixture secrets is in a file under
/// `dir` (for directories a [`Run`] does not scan, such as a temporary bundle mid-run).
pub fn assert_no_secret_under(dir: &Path) {
    let needles = leak_needles();
    for file in files_under(dir) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for needle in &needles {
            assert!(!text.contains(needle), "{needle} in {}", file.display());
        }
    }
}

/// Every file under `dir` with its bytes, by path relative to `dir` (to check a bundle is left
/// byte for byte as it was).
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).expect("read");
            (f.strip_prefix(dir).expect("under dir").to_owned(), bytes)
        })
        .collect()
}

/// The test credentials as an environment lookup (for in-process runs and clients).
pub fn test_env(name: &str) -> Option<String> {
    match name {
        "FIVETRAN_API_KEY" => Some(KEY.to_owned()),
        "FIVETRAN_API_SECRET" => Some(SECRET.to_owned()),
        _ => None,
    }
}

/// A current-thread runtime for library-level tests.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A client for `url` with the given rate, timeout, body cap and attempts; waits skipped.
pub fn client_for(
    url: &str,
    rate: f64,
    timeout: std::time::Duration,
    max_body: u64,
    max_attempts: u32,
) -> iru_fivetran_core::client::Client {
    use iru_fivetran_core::client::{Client, Options, retry::Policy};
    let creds = iru_fivetran_core::credentials::resolve(None, &test_env).expect("credentials");
    let options = Options {
        api_url: iru_fivetran::config::parse_api_url(url).expect("url"),
        rate,
        delays: iru_fivetran_core::client::Delays::Skip,
        policy: Policy {
            max_attempts,
            ..Policy::default()
        },
        timeout,
        max_body,
        extra_roots: Vec::new(),
        reserve: iru_fivetran_core::client::quota::DEFAULT_RESERVE,
        on_quota: iru_fivetran_core::client::quota::OnQuota::Slow,
        concurrency: 8,
    };
    Client::new(&options, &creds).expect("client")
}

/// An artifact's entry in a manifest.
pub fn manifest_artifact<'a>(manifest: &'a Value, name: &str) -> &'a Value {
    manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|a| a["resource"] == name)
        .unwrap_or_else(|| panic!("{name} in manifest"))
}
