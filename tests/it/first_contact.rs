//! An API that cannot be reached at all (a closed port, a name that does not resolve, a TLS
//! handshake that fails) stops `collect` and `doctor` at their first request, after one quick
//! retry, with the network hint and no `.failed` bundle; once the API has answered, a storm of
//! transport faults shows one WARN line per artifact, its retries at debug level only.
//! Attempts are counted (the run summary's `requests.total`, `doctor --format json`'s
//! `requests`, the connections a listener accepted), never timed.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use iru_fivetran_core::client::FIRST_CONTACT_ATTEMPTS;
use iru_fivetran_fake::{Fault, Transport};
use serde_json::Value;

use crate::support::{self, ARTIFACTS, KEY, SECRET, acme, server};

const CREDENTIALS: [(&str, &str); 2] = [("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)];

/// A loopback port nothing listens on: bound, its number taken, then closed.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

/// A listener that answers every connection in plain HTTP (a 404) and counts them: asked
/// through `https://`, every TLS handshake with it fails.
struct PlainHttp {
    port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl PlainHttp {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (Arc::clone(&accepted), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                        let _ = stream.read(&mut [0u8; 1024]);
                        let _ = stream.write_all(
                            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Self {
            port,
            accepted,
            stop,
        }
    }

    fn https_url(&self) -> String {
        format!("https://127.0.0.1:{}/v1", self.port)
    }
}

impl Drop for PlainHttp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Runs `collect --api-url url --summary-json ...`; returns the run and its summary.
fn collect_at(url: &str) -> (support::Run, Value) {
    let dir = tempfile::tempdir().expect("tmp");
    let summary = dir.path().join("summary.json");
    let run = support::run(
        &[
            "collect",
            "--api-url",
            url,
            "--summary-json",
            support::arg(&summary),
        ],
        &CREDENTIALS,
    );
    let text = std::fs::read_to_string(&summary).expect("the summary is written");
    (run, serde_json::from_str(&text).expect("json"))
}

/// Runs `doctor --api-url url --format json`; returns the run and its checkup.
fn doctor_at(url: &str) -> (support::Run, Value) {
    let run = support::run(
        &["doctor", "--api-url", url, "--format", "json"],
        &CREDENTIALS,
    );
    let checkup = serde_json::from_str(&run.stdout).expect("the checkup on stdout");
    (run, checkup)
}

/// What every unreachable first contact shows: exit 1, the host named, the hint, no retry
/// lines, a few lines in all.
fn assert_stopped_at_once(run: &support::Run, host: &str) {
    run.assert_code(1);
    assert!(
        run.stderr
            .contains(&format!("cannot reach the Fivetran API at {host}")),
        "{}",
        run.stderr
    );
    for needle in ["hint:", "--api-url", "HTTPS_PROXY", "--ca-cert"] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    assert!(!run.stderr.contains("retrying"), "{}", run.stderr);
    assert!(!run.stderr.contains("WARN"), "{}", run.stderr);
    let lines = run.stderr.lines().count();
    assert!(lines <= 12, "{lines} lines: {}", run.stderr);
}

/// `collect`: two attempts of the first request, no other request, nothing left under `--out`.
fn assert_collect_stopped(url: &str, host: &str) {
    let (run, summary) = collect_at(url);
    assert_stopped_at_once(&run, host);
    assert!(run.stdout.is_empty());
    assert_eq!(
        summary["requests"]["total"],
        u64::from(FIRST_CONTACT_ATTEMPTS),
        "{summary}"
    );
    assert_eq!(summary["status"], "failed");
    assert!(summary["failed_bundle"].is_null(), "{summary}");
    assert!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .count()
            == 1,
        "{}",
        run.stderr
    );
    assert!(run.out_entries().is_empty(), "{:?}", run.out_entries());
}

/// `doctor`: the same two attempts and the same hint.
fn assert_doctor_stopped(url: &str, host: &str) {
    let (run, checkup) = doctor_at(url);
    assert_stopped_at_once(&run, host);
    assert_eq!(checkup["verdict"], "failed");
    assert_eq!(
        checkup["requests"],
        u64::from(FIRST_CONTACT_ATTEMPTS),
        "{checkup}"
    );
}

#[test]
fn a_closed_port_stops_collect_and_doctor_at_the_first_request() {
    let url = closed_port_url();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_owned();
    assert_collect_stopped(&url, &host);
    assert_doctor_stopped(&url, &host);
}

#[test]
fn an_unresolvable_host_stops_collect_and_doctor_at_the_first_request() {
    // RFC 6761: no name under .invalid ever resolves, with a network or without one.
    let url = "https://nonexistent.invalid/v1";
    assert_collect_stopped(url, "nonexistent.invalid");
    assert_doctor_stopped(url, "nonexistent.invalid");
}

#[test]
fn a_failed_tls_handshake_stops_collect_and_doctor_at_the_first_request() {
    let plain = PlainHttp::start();
    let host = format!("127.0.0.1:{}", plain.port);
    assert_collect_stopped(&plain.https_url(), &host);
    assert_eq!(
        plain.accepted.load(Ordering::SeqCst),
        FIRST_CONTACT_ATTEMPTS as usize,
        "one connection per attempt, then none"
    );
    assert_doctor_stopped(&plain.https_url(), &host);
    assert_eq!(
        plain.accepted.load(Ordering::SeqCst),
        2 * FIRST_CONTACT_ATTEMPTS as usize
    );
}

#[test]
fn a_transport_storm_mid_run_gives_one_warn_line_per_artifact() {
    let fake = server(acme());
    // The account answers: the API is reached. Then every list resets its connections.
    let storm = [
        "/v1/users",
        "/v1/roles",
        "/v1/teams",
        "/v1/groups",
        "/v1/webhooks",
        "/v1/system-keys",
    ];
    for path in storm {
        fake.inject(Fault::transport(path, Transport::Reset, "").times(100));
    }
    let run = support::collect(&fake, &[]);
    run.assert_code(3);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(" WARN "))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for line in &warnings {
        let message = line.split(" WARN ").nth(1).expect("a message");
        let artifact = ARTIFACTS
            .iter()
            .find(|a| message.starts_with(&format!("{a}: ")))
            .unwrap_or_else(|| panic!("a WARN line not about one artifact: {line}"));
        assert!(
            seen.insert(*artifact),
            "a second WARN line for {artifact}: {line}"
        );
    }
    for artifact in [
        "users",
        "roles",
        "teams",
        "groups",
        "webhooks",
        "system_keys",
    ] {
        assert!(seen.contains(artifact), "{artifact}: {}", run.stderr);
    }
    // Every reset request was retried to its last attempt, without a line each.
    let requests = fake.requests();
    for path in storm {
        let sent = requests.iter().filter(|r| r.path == path).count();
        assert_eq!(sent, 6, "{path}");
    }
    assert!(!run.stderr.contains("retrying"), "{}", run.stderr);
}
