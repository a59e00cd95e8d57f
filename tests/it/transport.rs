//! Faults below the HTTP status: an API that refuses connections, connections reset before the
//! headers or mid-body, bodies cut short, servers that accept and never answer (timeouts), and
//! how large a body may be (over the cap it is refused without being read past it or retried;
//! within it, kept whole). The fake serves what it can shape (`Fault::transport`, a huge
//! body); a raw TCP listener ([`Raw`]) the rest. What a body says is in `bodies.rs`.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use iru_fivetran_core::client::{ApiError, MAX_BODY_BYTES};
use iru_fivetran_core::endpoints::{GROUPS, ROLES, WEBHOOKS};
use iru_fivetran_core::{paginate, verify};
use iru_fivetran_fake::{Fault, Transport};
use serde_json::json;

use crate::support::{self, KEY, SECRET, acme, list_roles, reason, requests_to, server};

// ---------------------------------------------------------------------------------------------
// A raw listener, for faults the fake cannot shape

/// A loopback listener that runs `script` on each accepted connection, in its own thread, for
/// faults below HTTP. `script` gets the connection's number (0 for the first).
struct Raw {
    url: String,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Raw {
    fn start(script: impl Fn(usize, TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let script = Arc::new(script);
        let (count, halt) = (Arc::clone(&accepted), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).expect("blocking");
                        let n = count.fetch_add(1, Ordering::SeqCst);
                        let script = Arc::clone(&script);
                        std::thread::spawn(move || script(n, stream));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Self {
            url,
            accepted,
            stop,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads a request's head (a GET has no body).
fn read_request(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
}

/// Blocks until the request has arrived, without reading it: closing a socket with unread
/// data makes Linux send a reset (RST) instead of a normal close.
fn await_request(stream: &TcpStream) {
    let _ = stream.peek(&mut [0u8; 1]);
}

/// Keeps the connection open until the client closes it (or 30 s pass).
fn hold(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

const ROLES_PAGE: &str = r#"{"code":"Success","data":{"items":[{"name":"Account Reviewer"}]}}"#;

/// Answers one request in full and closes.
fn answer_roles(mut stream: TcpStream) {
    read_request(&mut stream);
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        ROLES_PAGE.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(ROLES_PAGE.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// Refused, reset, truncated, silent

#[test]
fn an_unreachable_api_is_a_failed_run() {
    // Port 1 on loopback refuses connections: nothing can be read, so the run fails (exit 1)
    // rather than publishing an empty "partial" bundle. The first request finds it out, and
    // the run stops there, leaving nothing (issue 20: `first_contact.rs`).
    let run = support::run(
        &[
            "collect",
            "--api-url",
            "http://127.0.0.1:1/v1",
            "--rate",
            "1000",
        ],
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    );
    run.assert_code(1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("cannot reach the Fivetran API at 127.0.0.1:1"),
        "{}",
        run.stderr
    );
    let entries = run.out_entries();
    assert!(
        entries.is_empty(),
        "no .failed bundle of nothing: {entries:?}"
    );
}

#[test]
fn resets_cut_bodies_and_timeouts_are_retried() {
    let fake = server(acme());
    let stall = Transport::Stall(Duration::from_secs(3));
    fake.inject(Fault::transport("/v1/roles", Transport::Reset, ""));
    fake.inject(Fault::transport(
        "/v1/groups",
        Transport::Truncate,
        &"x".repeat(4000),
    ));
    fake.inject(Fault::transport("/v1/webhooks", stall, "{}"));
    let client = support::fake_client(&fake, 1000.0);
    let rt = support::runtime();
    for (endpoint, path) in [
        (ROLES, "/roles"),
        (GROUPS, "/groups"),
        (WEBHOOKS, "/webhooks"),
    ] {
        let listed = rt.block_on(paginate::list_all(&client, endpoint, path, "id"));
        assert!(listed.drained(), "{path}: {:?}", listed.error);
        assert!(!listed.items.is_empty(), "{path}");
    }
    let stats = client.stats().snapshot();
    assert_eq!(stats.retries, 3, "one retry each");
}

#[test]
fn transport_failures_that_persist_name_the_cause() {
    let fake = server(acme());
    fake.inject(Fault::transport("/v1/roles", Transport::Reset, "").times(100));
    let client = support::fake_client(&fake, 1000.0);
    let listed = support::runtime().block_on(paginate::list_all(&client, ROLES, "/roles", "name"));
    let error = listed.error.expect("failed").to_string();
    assert!(
        error.contains("GET /v1/roles failed after 6 attempt(s)"),
        "{error}"
    );
    assert_eq!(fake.requests().len(), 6);
}

#[test]
fn a_reset_before_the_headers_or_in_the_body_is_retried() {
    // A real RST each time: the request is left unread when the socket is closed.
    let raw = Raw::start(|n, mut stream| match n {
        0 => await_request(&stream),
        1 => {
            await_request(&stream);
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&ROLES_PAGE.as_bytes()[..30]);
            let _ = stream.flush();
            std::thread::sleep(Duration::from_millis(100));
        }
        _ => answer_roles(stream),
    });
    let client = support::client_for(&raw.url, 1000.0, Duration::from_secs(5), MAX_BODY_BYTES, 6);
    let listed = list_roles(&client);
    assert!(listed.drained(), "{:?}", listed.error);
    assert_eq!(listed.items, [json!({"name": "Account Reviewer"})]);
    assert_eq!(raw.accepted(), 3, "two resets, then the answer");
    assert_eq!(client.stats().snapshot().retries, 2);

    // Resets that do not stop: the request fails after its attempts, naming the cause.
    let raw = Raw::start(|_, stream| await_request(&stream));
    let client = support::client_for(&raw.url, 1000.0, Duration::from_secs(5), MAX_BODY_BYTES, 3);
    let error = list_roles(&client).error.expect("fails");
    let text = error.to_string();
    assert!(
        matches!(error, ApiError::Transport { attempts: 3, .. }),
        "{text}"
    );
    assert!(
        text.starts_with("GET /v1/roles failed after 3 attempt(s): "),
        "{text}"
    );
    assert!(text.contains("reset") || text.contains("closed"), "{text}");
    assert_eq!(raw.accepted(), 3);
}

#[test]
fn a_server_that_accepts_and_never_answers_is_timed_out_each_attempt() {
    let raw = Raw::start(|_, stream| hold(stream));
    let timeout = Duration::from_millis(300);
    let client = support::client_for(&raw.url, 1000.0, timeout, MAX_BODY_BYTES, 3);
    let start = Instant::now();
    let error = list_roles(&client).error.expect("fails");
    let elapsed = start.elapsed();
    let text = error.to_string();
    assert!(
        text.starts_with("GET /v1/roles failed after 3 attempt(s): timed out"),
        "{text}"
    );
    assert_eq!(raw.accepted(), 3, "one connection per attempt");
    assert!(elapsed >= timeout * 3, "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(client.stats().snapshot().retries, 2);
}

// ---------------------------------------------------------------------------------------------
// Body size

#[test]
fn a_body_over_64_mib_fails_that_artifact_at_once() {
    let fake = server(acme());
    let huge = vec![b' '; MAX_BODY_BYTES as usize + 1];
    fake.inject(Fault::status("/v1/roles", 200, "", "").bytes(huge));
    let run = support::collect(&fake, &["--resources", "roles,groups"]);
    run.assert_code(3);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "failed");
    assert_eq!(
        reason(&roles),
        "GET /v1/roles answered more than 67108864 bytes, the most one response may hold"
    );
    assert_eq!(requests_to(&fake, "/v1/roles"), 1, "not retried");
    assert_eq!(run.json("groups.json")["status"], "complete");
}

#[test]
fn a_body_over_the_cap_is_not_read_past_it_nor_retried() {
    const CAP: u64 = 1 << 20;
    let too_large =
        format!("GET /v1/roles answered more than {CAP} bytes, the most one response may hold");
    // From the fake: a 2 MiB page.
    let fake = server(acme());
    let body = format!(
        r#"{{"code":"Success","data":{{"items":[{{"name":"{}"}}]}}}}"#,
        "x".repeat(2 << 20)
    );
    fake.inject(Fault::status("/v1/roles", 200, "", "").body(&body));
    let client = support::client_for(&fake.api_url(), 1000.0, Duration::from_secs(5), CAP, 6);
    let error = list_roles(&client).error.expect("refused");
    assert!(matches!(error, ApiError::TooLarge { limit: CAP, .. }));
    assert_eq!(error.to_string(), too_large);
    assert_eq!(requests_to(&fake, "/v1/roles"), 1, "not retried");

    // A Content-Length over the cap is refused from the headers: the body is never sent here,
    // so reading it would hang until the timeout.
    let raw = Raw::start(|_, mut stream| {
        read_request(&mut stream);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n";
        let _ = stream.write_all(head.as_bytes());
        hold(stream);
    });
    let client = support::client_for(&raw.url, 1000.0, Duration::from_secs(20), CAP, 6);
    let start = Instant::now();
    let error = list_roles(&client).error.expect("refused");
    assert_eq!(error.to_string(), too_large);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(raw.accepted(), 1, "not retried");

    // A chunked body without a length: reading stops at the cap. The server offers 1 GiB and
    // counts what it could hand to the socket before the client hung up.
    let written = Arc::new(AtomicU64::new(0));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let counter = Arc::clone(&written);
    let raw = Raw::start(move |_, mut stream| {
        read_request(&mut stream);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        let _ = stream.write_all(head.as_bytes());
        let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
        for _ in 0..(1 << 14) {
            if stream.write_all(chunk.as_bytes()).is_err() {
                break;
            }
            counter.fetch_add(0x10000, Ordering::SeqCst);
        }
        let _ = done_tx.send(());
    });
    let client = support::client_for(&raw.url, 1000.0, Duration::from_secs(20), CAP, 6);
    let error = list_roles(&client).error.expect("refused");
    assert_eq!(error.to_string(), too_large);
    done_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the server stops writing once the client hangs up");
    let sent = written.load(Ordering::SeqCst);
    // What the socket buffers hold on both sides comes on top of the cap; 1 GiB was offered.
    assert!(sent < 64 << 20, "{sent} bytes were taken from the server");
    assert_eq!(raw.accepted(), 1, "not retried");
}

#[test]
fn an_enormous_string_within_the_cap_is_kept_whole() {
    // 20 MB in one string: decoded whole by the client (the cap is 64 MiB).
    let mut account = acme();
    account.roles[0]["description"] = json!("a".repeat(20_000_000));
    let name = account.roles[0]["name"].clone();
    let fake = server(account);
    let client = support::client_for(
        &fake.api_url(),
        1000.0,
        Duration::from_secs(20),
        MAX_BODY_BYTES,
        6,
    );
    let listed = list_roles(&client);
    assert!(listed.drained(), "{:?}", listed.error);
    let role = listed
        .items
        .iter()
        .find(|r| r["name"] == name)
        .expect("role");
    assert_eq!(role["description"].as_str().map(str::len), Some(20_000_000));
    assert_eq!(client.stats().snapshot().retries, 0);

    // And written whole into the bundle (2 MB here, to keep the debug build quick).
    let mut account = acme();
    account.roles[0]["description"] = json!("b".repeat(2_000_000));
    let fake = server(account);
    let run = support::collect(&fake, &["--resources", "roles"]);
    run.assert_code(0);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "complete");
    let role = roles["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["name"] == name)
        .expect("role");
    assert_eq!(role["description"].as_str().map(str::len), Some(2_000_000));
    assert!(
        support::manifest_artifact(&run.manifest(), "roles")["bytes"]
            .as_u64()
            .expect("bytes")
            > 2_000_000
    );
    verify::verify(&run.bundle()).expect("verifies");
}
