//! The secret: never in outputs or logs at any verbosity, never carried off by a redirect, never
//! in `Debug` output; proxies from the environment, and `--ca-cert` over a real TLS handshake.
//!
//! `Relay` below is a small TCP relay on loopback that plays a plain HTTP forward proxy, a
//! CONNECT proxy, or a TLS terminator (a company proxy that re-signs TLS) in front of the fake.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use iru_fivetran_fake::{FakeServer, Fault};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_rustls::rustls;

use crate::support::{self, KEY, SECRET, acme, collect, server};

fn basic() -> String {
    BASE64.encode(format!("{KEY}:{SECRET}"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Logs

#[test]
fn the_most_verbose_logs_never_show_the_secret_or_the_header() {
    let fake = server(acme());
    let url = fake.api_url();
    let base = ["collect", "--api-url", &url, "--rate", "1000"];
    let creds = [("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)];
    // (extra flags, extra environment, a word the logs must hold to prove they are on)
    type Case<'a> = (&'a [&'a str], Option<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 4] = [
        (&["-vvv", "--resources", "users"], None, "DEBUG GET"),
        (&["-vvv"], Some(("RUST_LOG", "trace")), "TRACE"),
        (&[], Some(("IRU_FIVETRAN_LOG", "trace")), "TRACE"),
        (
            &["--log-format", "json", "--resources", "teams"],
            Some(("RUST_LOG", "trace")),
            "\"level\":\"TRACE\"",
        ),
    ];
    for (flags, var, on) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(flags);
        let mut env = creds.to_vec();
        env.extend(var);
        // `run` checks the secret, its Basic form and the planted secrets everywhere.
        let run = support::run(&args, &env);
        run.assert_code(0);
        assert!(run.stderr.contains(on), "{flags:?} {var:?}: logs are on");
        assert!(
            !run.stderr.contains("Basic "),
            "{flags:?} {var:?}: an Authorization value in the logs"
        );
    }
}

#[test]
fn verbose_and_trace_logs_never_show_the_secret() {
    let fake = server(acme());
    let run = collect(&fake, &["-vv", "--resources", "users"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("GET http://127.0.0.1"),
        "debug logs are on"
    );
    let url = fake.api_url();
    let traced = support::run(
        &[
            "collect",
            "--api-url",
            &url,
            "--rate",
            "1000",
            "--resources",
            "users",
        ],
        &[
            ("FIVETRAN_API_KEY", KEY),
            ("FIVETRAN_API_SECRET", SECRET),
            ("RUST_LOG", "trace"),
        ],
    );
    traced.assert_code(0);
    assert!(traced.stderr.contains("TRACE"), "trace logs are on");
}

// ---------------------------------------------------------------------------------------------
// Redirects

#[test]
fn redirects_are_not_followed_so_the_authorization_header_never_leaves() {
    let elsewhere = server(acme());
    let fake = server(acme());
    for (path, status) in [("/v1/users", 302), ("/v1/roles", 307)] {
        let target = format!("{}{}", elsewhere.api_url(), &path[3..]);
        fake.inject(
            Fault::status(path, status, "Moved", "moved")
                .header("Location", &target)
                .times(10),
        );
    }
    let run = collect(&fake, &["--resources", "users,roles,groups"]);
    run.assert_code(3);
    assert!(
        elsewhere.requests().is_empty(),
        "the other host got nothing, so no Authorization header"
    );
    for (artifact, status) in [("users", 302), ("roles", 307)] {
        let envelope = run.json(&format!("{artifact}.json"));
        assert_eq!(envelope["status"], "failed", "{artifact}");
        let reason = envelope["reason"].as_str().expect("reason");
        assert!(
            reason.contains(&format!("HTTP {status} on GET /v1/{artifact}")),
            "{reason}"
        );
        let asked = fake
            .requests()
            .iter()
            .filter(|r| r.path == format!("/v1/{artifact}"))
            .count();
        assert_eq!(asked, 1, "{artifact}: a redirect is final, not retried");
    }
    assert_eq!(run.json("groups.json")["status"], "complete");
}

// ---------------------------------------------------------------------------------------------
// Debug output and panics

/// Where the secret lives: two `SecretString`s in `Credentials` (read from the vault file or the
/// environment straight into them) and the `Authorization` value built from them once, marked
/// sensitive, held by the client and cloned into each request's headers. A panic message is
/// made from `Display`/`Debug` of values; so if no such value ever shows the secret, no panic
/// can. This test formats every type that holds it, alone and inside what holds it.
#[test]
fn debug_output_of_everything_holding_the_secret_is_redacted() {
    use clap::Parser as _;
    use iru_fivetran::cli::{Cli, Command};
    use iru_fivetran::config::Config;
    use reqwest::header::{AUTHORIZATION, HeaderMap};

    let dir = tempfile::tempdir().expect("tmp");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, Pki::new().ca_pem).expect("write");
    let cli = Cli::try_parse_from([
        "iru-fivetran",
        "collect",
        "--api-url",
        "https://api.fivetran.com/v1",
        "--ca-cert",
        ca.to_str().expect("utf8"),
    ])
    .expect("parses");
    let Command::Collect(args) = &cli.command else {
        panic!("collect")
    };
    let env = |name: &str| match name {
        "FIVETRAN_API_KEY" => Some(KEY.to_owned()),
        "FIVETRAN_API_SECRET" => Some(SECRET.to_owned()),
        _ => None,
    };
    let config = Config::one(&args.settings(), &env).expect("config");
    let mut scrubber = iru_fivetran_core::text::Scrubber::default();
    let header = config.credentials.authorization_header(&mut scrubber);
    assert!(header.is_sensitive());
    assert_eq!(
        header.to_str().ok(),
        Some(format!("Basic {}", basic()).as_str())
    );
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, header.clone());
    let mut request = reqwest::Request::new(
        reqwest::Method::GET,
        "https://api.fivetran.com/v1/users".parse().expect("url"),
    );
    request.headers_mut().insert(AUTHORIZATION, header.clone());

    // A vault file: the source names the file, never its contents.
    let vault = dir.path().join("fivetran.toml");
    std::fs::write(
        &vault,
        format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n"),
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&vault, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let from_file =
        iru_fivetran_core::credentials::resolve(Some(&vault), &|_| None).expect("vault");
    // And refusals that had the secret in hand.
    let bad = |name: &str| match name {
        "FIVETRAN_API_KEY" => Some(format!("{KEY}:x")),
        "FIVETRAN_API_SECRET" => Some(format!("{SECRET}\u{0}")),
        _ => None,
    };
    let refused = Config::one(&args.settings(), &bad).expect_err("refused");

    let shown = [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{:?}", config.credentials),
        format!("{}", config.credentials.source()),
        format!("{from_file:?}"),
        format!("{header:?}"),
        format!("{headers:?}"),
        format!("{request:?}"),
        format!("{:?}", request.headers()),
        format!("{cli:?}"),
        format!("{refused:?}"),
        format!("{refused}"),
        format!("{scrubber:?}"),
    ];
    for text in &shown {
        for needle in [KEY, SECRET, basic().as_str()] {
            assert!(!text.contains(needle), "{needle} in {text}");
        }
    }
    assert!(shown[0].contains("[redacted]"), "{}", shown[0]);
    assert!(shown[5].contains("Sensitive"), "{}", shown[5]);

    // What a panic carrying one of them would print.
    let payload = std::panic::catch_unwind(|| panic!("a bug, with {config:?} and {header:?}"))
        .expect_err("panicked");
    let message = payload.downcast_ref::<String>().expect("message");
    assert!(!message.contains(SECRET) && !message.contains(&basic()));
}

/// The claim the reasoning above rests on: `expose_secret` is called in one function only.
#[test]
fn the_secret_is_exposed_in_one_function_only() {
    // Every crate's sources: the command-line tool's and the libraries' under crates/.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let crates = root.join("crates");
    let mut callers = Vec::new();
    for file in [support::files_under(&src), support::files_under(&crates)].concat() {
        let text = std::fs::read_to_string(&file).expect("read");
        for (n, line) in text.lines().enumerate() {
            if line.contains(".expose_secret()") {
                callers.push(format!(
                    "{}:{}",
                    file.strip_prefix(root)
                        .expect("under the workspace")
                        .display(),
                    n + 1
                ));
            }
        }
    }
    // The key and the secret, once each, in `authorization_header`; a warehouse password once,
    // in `AuditSource::pg_config`.
    let warehouse: Vec<&String> = callers
        .iter()
        .filter(|c| c.starts_with("crates/core/src/credentials/audit.rs:"))
        .collect();
    assert_eq!(
        warehouse.len(),
        1,
        "the warehouse password, once: {callers:?}"
    );
    let audit =
        std::fs::read_to_string(root.join("crates/core/src/credentials/audit.rs")).expect("read");
    let line: usize = warehouse[0]
        .rsplit(':')
        .next()
        .expect("line")
        .parse()
        .expect("n");
    let function = audit
        .lines()
        .take(line)
        .filter(|l| l.trim_start().starts_with("pub fn ") || l.trim_start().starts_with("fn "))
        .last()
        .expect("a function");
    assert!(function.contains("fn pg_config("), "{function}");
    callers.retain(|c| !c.starts_with("crates/core/src/credentials/audit.rs:"));
    // A Snowflake private key once, to sign (`KeyPair::sign_rs256`); a warehouse token, given or
    // minted, once, in `bearer_header`; an OAuth client secret (Databricks) once, in
    // `OAuthClient::basic_header`.
    let rest_file = "crates/core/src/credentials/audit/rest.rs";
    let rest: Vec<usize> = callers
        .iter()
        .filter_map(|c| c.strip_prefix(&format!("{rest_file}:")))
        .map(|n| n.parse().expect("n"))
        .collect();
    let rest_text = std::fs::read_to_string(root.join(rest_file)).expect("read");
    let functions: Vec<&str> = rest
        .iter()
        .map(|line| {
            rest_text
                .lines()
                .take(*line)
                .filter(|l| {
                    l.trim_start().starts_with("pub fn ") || l.trim_start().starts_with("fn ")
                })
                .last()
                .expect("a function")
        })
        .collect();
    assert_eq!(
        functions.len(),
        3,
        "the key, a token and a client secret, once each: {callers:?}"
    );
    for name in ["fn basic_header(", "fn sign_rs256(", "fn bearer_header("] {
        assert_eq!(
            functions.iter().filter(|f| f.contains(name)).count(),
            1,
            "{name} {functions:?}"
        );
    }
    callers.retain(|c| !c.starts_with(rest_file));
    assert_eq!(
        callers.len(),
        2,
        "the key and the secret, once each: {callers:?}"
    );
    let credentials =
        std::fs::read_to_string(crates.join("core/src/credentials.rs")).expect("read");
    let function = credentials
        .split("pub fn authorization_header")
        .nth(1)
        .and_then(|rest| rest.split("\n    }\n").next())
        .expect("authorization_header");
    assert_eq!(function.matches(".expose_secret()").count(), 2);
    assert!(function.contains("set_sensitive(true)"));
}

// ---------------------------------------------------------------------------------------------
// A relay on loopback: forward proxy, CONNECT proxy or TLS terminator

#[derive(Clone)]
enum Mode {
    /// Forwards every byte to this address (a plain HTTP proxy in front of the fake: the fake's
    /// hyper parses the absolute-form request line).
    Forward(SocketAddr),
    /// An HTTPS proxy: answers `CONNECT host:port` and tunnels to it.
    Connect,
    /// Terminates TLS with this configuration and forwards the plain bytes to the address.
    Tls(Arc<rustls::ServerConfig>, SocketAddr),
}

struct Relay {
    addr: SocketAddr,
    /// Every byte clients sent (before TLS termination, for `Tls`).
    seen: Arc<Mutex<Vec<u8>>>,
    /// Connections accepted and not yet done relaying.
    open: Arc<AtomicUsize>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    fn start(mode: Mode) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let open = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let thread_seen = Arc::clone(&seen);
        let thread_open = Arc::clone(&open);
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let (mode, seen) = (mode.clone(), Arc::clone(&thread_seen));
                            let open = Arc::clone(&thread_open);
                            open.fetch_add(1, Ordering::SeqCst);
                            tokio::spawn(async move {
                                let _ = relay(stream, mode, seen).await;
                                open.fetch_sub(1, Ordering::SeqCst);
                            });
                        }
                    }
                }
            });
        });
        Self {
            addr,
            seen,
            open,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<u8> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// How many connections are still being relayed.
    fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn relay(
    mut client: TcpStream,
    mode: Mode,
    seen: Arc<Mutex<Vec<u8>>>,
) -> std::io::Result<()> {
    match mode {
        Mode::Forward(upstream) => {
            let server = TcpStream::connect(upstream).await?;
            pipe(client, server, seen).await
        }
        Mode::Connect => {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !contains(&head, b"\r\n\r\n") {
                let n = client.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                head.extend_from_slice(&buf[..n]);
            }
            seen.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(&head);
            let text = String::from_utf8_lossy(&head).into_owned();
            let target = text
                .strip_prefix("CONNECT ")
                .and_then(|rest| rest.split_whitespace().next())
                .ok_or_else(|| std::io::Error::other("not a CONNECT"))?;
            let server = TcpStream::connect(target).await?;
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await?;
            pipe(client, server, seen).await
        }
        Mode::Tls(config, upstream) => {
            let mut tls = tokio_rustls::TlsAcceptor::from(config)
                .accept(client)
                .await?;
            let mut server = TcpStream::connect(upstream).await?;
            tokio::io::copy_bidirectional(&mut tls, &mut server).await?;
            Ok(())
        }
    }
}

/// Copies both ways until either side closes, keeping what the client sent.
async fn pipe(
    client: TcpStream,
    server: TcpStream,
    seen: Arc<Mutex<Vec<u8>>>,
) -> std::io::Result<()> {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = async {
        let mut buf = [0u8; 8192];
        loop {
            let n = client_read.read(&mut buf).await?;
            if n == 0 {
                return server_write.shutdown().await;
            }
            seen.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(&buf[..n]);
            server_write.write_all(&buf[..n]).await?;
        }
    };
    let down = tokio::io::copy(&mut server_read, &mut client_write);
    let (up, down) = tokio::join!(up, down);
    up.and(down.map(drop))
}

/// The fake's address, from its API URL.
fn fake_addr(fake: &FakeServer) -> SocketAddr {
    let url = fake.api_url();
    url.strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/v1"))
        .and_then(|addr| addr.parse().ok())
        .expect("http://ADDR/v1")
}

/// A private CA and a leaf for `localhost` and 127.0.0.1 signed by it, made at test time: what
/// a company proxy that re-signs TLS presents.
struct Pki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl Pki {
    fn new() -> Self {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "iru-fivetran test proxy CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, &ca_key);

        let leaf_key = KeyPair::generate().expect("leaf key");
        let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("leaf params");
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .expect("leaf certificate");

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf_cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .expect("server config");
        Self {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
        }
    }

    fn write_ca(&self, dir: &Path) -> PathBuf {
        let path = dir.join("proxy-ca.pem");
        std::fs::write(&path, &self.ca_pem).expect("write");
        path
    }
}

/// `collect --resources roles` at `url` with the test credentials and `env` added.
fn collect_at(url: &str, extra: &[&str], env: &[(&str, &str)]) -> support::Run {
    let mut args = vec![
        "collect",
        "--api-url",
        url,
        "--rate",
        "1000",
        "--resources",
        "roles",
    ];
    args.extend_from_slice(extra);
    let mut all = vec![("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)];
    all.extend_from_slice(env);
    support::run(&args, &all)
}

// ---------------------------------------------------------------------------------------------
// Proxies and --ca-cert

/// reqwest 0.13 (hyper-util's proxy matcher) has no special case for loopback targets: a proxy
/// in the environment is used for `http://127.0.0.1` too unless `NO_PROXY` names it. `HTTP_PROXY`
/// serves `http://` URLs and `HTTPS_PROXY` `https://` ones.
#[test]
fn http_proxy_carries_plain_requests_and_no_proxy_bypasses_it() {
    let fake = server(acme());
    let url = fake.api_url();
    let proxy = Relay::start(Mode::Forward(fake_addr(&fake)));

    let run = collect_at(&url, &[], &[("HTTP_PROXY", &proxy.url())]);
    run.assert_code(0);
    let seen = String::from_utf8_lossy(&proxy.seen()).into_owned();
    let request_lines: Vec<&str> = seen.lines().filter(|l| l.starts_with("GET ")).collect();
    assert_eq!(
        request_lines.len(),
        fake.requests().len(),
        "all through the proxy"
    );
    for line in &request_lines {
        assert!(
            line.starts_with(&format!("GET {url}/")) && line.ends_with(" HTTP/1.1"),
            "absolute-form request line: {line}"
        );
    }

    // The first run's connections may still be relaying their last bytes as the process
    // exits: wait until the proxy has finished with every one of them.
    support::wait_for(
        "the proxy to finish the first run's connections",
        std::time::Duration::from_secs(5),
        || proxy.open() == 0,
    );
    let through_proxy = proxy.seen().len();
    let before = fake.requests().len();
    for env in [
        [
            ("HTTP_PROXY", proxy.url()),
            ("NO_PROXY", "127.0.0.1".to_owned()),
        ],
        [
            ("http_proxy", proxy.url()),
            ("no_proxy", "localhost,127.0.0.0/8".to_owned()),
        ],
        // HTTPS_PROXY is for https:// URLs only.
        [("HTTPS_PROXY", proxy.url()), ("NO_PROXY", String::new())],
    ] {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let run = collect_at(&url, &[], &env);
        run.assert_code(0);
    }
    assert_eq!(
        proxy.seen().len(),
        through_proxy,
        "the proxy saw nothing more"
    );
    assert!(fake.requests().len() > before, "the requests went direct");
}

#[test]
fn ca_cert_trusts_a_re_signing_proxy_and_without_it_the_run_fails_clearly() {
    let fake = server(acme());
    let pki = Pki::new();
    let tls = Relay::start(Mode::Tls(Arc::clone(&pki.server), fake_addr(&fake)));
    let dir = tempfile::tempdir().expect("tmp");
    let ca = pki.write_ca(dir.path());
    let url = format!("https://localhost:{}/v1", tls.addr.port());

    // The system store (whatever rustls-platform-verifier finds in a cleared environment) does
    // not know the private CA.
    let run = collect_at(&url, &[], &[]);
    run.assert_code(1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("invalid peer certificate") && run.stderr.contains("UnknownIssuer"),
        "{}",
        run.stderr
    );
    assert!(fake.requests().is_empty(), "no request got through");
    assert!(
        run.stderr
            .contains("pass its CA certificate with --ca-cert PATH"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("after 1 attempt(s)") && !run.stderr.contains("retrying"),
        "an untrusted certificate is not retried: {}",
        run.stderr
    );

    let run = collect_at(&url, &["--ca-cert", ca.to_str().expect("utf8")], &[]);
    run.assert_code(0);
    assert!(iru_fivetran_core::verify::verify(&run.bundle()).is_ok());
    assert_eq!(run.manifest()["options"]["api_url"], url.as_str());
    let requests = fake.requests();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|r| r.authorized));
}

#[test]
fn https_proxy_tunnels_with_connect_and_never_sees_the_header() {
    let fake = server(acme());
    let pki = Pki::new();
    let tls = Relay::start(Mode::Tls(Arc::clone(&pki.server), fake_addr(&fake)));
    let proxy = Relay::start(Mode::Connect);
    let dir = tempfile::tempdir().expect("tmp");
    let ca = pki.write_ca(dir.path());
    let ca = ca.to_str().expect("utf8");
    let url = format!("https://localhost:{}/v1", tls.addr.port());

    let run = collect_at(&url, &["--ca-cert", ca], &[("HTTPS_PROXY", &proxy.url())]);
    run.assert_code(0);
    let seen = proxy.seen();
    let connect = format!("CONNECT localhost:{} HTTP/1.1\r\n", tls.addr.port());
    assert!(
        seen.starts_with(connect.as_bytes()),
        "{}",
        String::from_utf8_lossy(&seen[..seen.len().min(200)])
    );
    for needle in [
        SECRET.as_bytes(),
        basic().as_bytes(),
        b"Basic ",
        b"uthorization",
        b"/v1/roles",
    ] {
        assert!(
            !contains(&seen, needle),
            "{} visible to the proxy",
            String::from_utf8_lossy(needle)
        );
    }
    assert!(fake.requests().iter().all(|r| r.authorized));

    let through_proxy = proxy.seen().len();
    let run = collect_at(
        &url,
        &["--ca-cert", ca],
        &[("HTTPS_PROXY", &proxy.url()), ("NO_PROXY", "localhost")],
    );
    run.assert_code(0);
    assert_eq!(proxy.seen().len(), through_proxy, "NO_PROXY went direct");
}
