//! An in-process fake of Fivetran's REST API, serving a fake account from a fixture file.
//!
//! It answers the GET endpoints of `iru_fivetran_core::endpoints` the way the OpenAPI definition and the
//! documented behaviour say Fivetran does: the success and error envelopes, cursor pagination
//! (opaque base64 cursors, `next_cursor` left out on the last page), `NotFound_*` codes, 403
//! bodies, rate-limit headers, HTTP Basic auth. Tests read back every request received; with
//! the `faults` feature they also inject faults (429, 5xx, odd bodies) for a number of requests
//! to a path, or let a seeded `Chaos` mix of faults hit a few percent of all requests. The
//! `synthetic` feature generates an account of any size (`synthetic`), and the `postgres` feature
//! starts a real PostgreSQL server on loopback (`postgres`), the warehouse of the audit-trail
//! tests.
//!
//! `/connections/{id}/sync-history` checks its `start_time`/`end_time` window as the
//! documentation describes it, and can be switched off ([`SyncHistoryMode`]) to stand for an
//! account that is not offered it; so can `/connections/{id}/errors`
//! ([`ConnectionErrorsMode`]).
//!
//! It listens on 127.0.0.1 only, on a port the OS picks.

pub mod bigquery;
pub mod databricks;
#[cfg(feature = "faults")]
mod faults;
pub mod platform;
#[cfg(feature = "postgres")]
pub mod postgres;
mod routes;
pub mod snowflake;
#[cfg(feature = "synthetic")]
pub mod synthetic;

#[cfg(feature = "faults")]
pub use faults::{
    Chaos, ChaosFault, ChaosServed, ECHO_AUTHORIZATION, ECHO_CREDENTIALS, Fault, Limit,
};
pub use routes::encode_cursor;
pub use routes::{ConnectionErrorsMode, SYNC_HISTORY_UNAVAILABLE};

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
#[cfg(not(feature = "faults"))]
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A fake account: the items and objects each endpoint serves (see `fixtures/accounts/`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeAccount {
    /// `data` of `/account/info`.
    pub account_info: Value,
    /// `/users` items.
    pub users: Vec<Value>,
    /// `/users/{id}/groups` items per user id.
    #[serde(default)]
    pub user_groups: BTreeMap<String, Vec<Value>>,
    /// `/users/{id}/connections` items per user id.
    #[serde(default)]
    pub user_connections: BTreeMap<String, Vec<Value>>,
    /// `/roles` items.
    pub roles: Vec<Value>,
    /// `/teams` items.
    pub teams: Vec<Value>,
    /// `/teams/{id}/users` items per team id.
    #[serde(default)]
    pub team_users: BTreeMap<String, Vec<Value>>,
    /// `/teams/{id}/groups` items per team id.
    #[serde(default)]
    pub team_groups: BTreeMap<String, Vec<Value>>,
    /// `/teams/{id}/connections` items per team id.
    #[serde(default)]
    pub team_connections: BTreeMap<String, Vec<Value>>,
    /// `/groups` items.
    pub groups: Vec<Value>,
    /// `/destinations` items.
    pub destinations: Vec<Value>,
    /// `/destinations/{id}` per id; a missing id answers 404 `NotFound_Destination`.
    #[serde(default)]
    pub destination_details: BTreeMap<String, Value>,
    /// `/connections` items.
    pub connections: Vec<Value>,
    /// `/connections/{id}` per id; a missing id answers 404 `NotFound_Connection`.
    #[serde(default)]
    pub connection_details: BTreeMap<String, Value>,
    /// `/connections/{id}/schemas` per id; a missing id answers 404 `NotFound_SchemaConfig`.
    #[serde(default)]
    pub connection_schemas: BTreeMap<String, Value>,
    /// `/connections/{id}/sync-history` items per connection id; a missing id has no syncs.
    /// An item is served for a window when its `start_time` lies in `[start_time, end_time)`
    /// of the request (tests place times relative to now through [`FakeServer::edit`]).
    #[serde(default)]
    pub sync_history: BTreeMap<String, Vec<Value>>,
    /// `/connections/{id}/errors` items per connection id (its active errors); a missing id
    /// has none. The endpoint is not in the OpenAPI file: the items' shape is inferred (see
    /// `iru_fivetran_core::resources::connection_errors`).
    #[serde(default)]
    pub connection_errors: BTreeMap<String, Vec<Value>>,
    /// `/webhooks` items.
    pub webhooks: Vec<Value>,
    /// `/external-logging` items.
    pub log_services: Vec<Value>,
    /// `/external-logging/account`; `None` answers 404 `NotFound_LogService`.
    #[serde(default)]
    pub account_log_service: Option<Value>,
    /// `/system-keys` items.
    pub system_keys: Vec<Value>,
    /// `/private-links` items.
    pub private_links: Vec<Value>,
    /// `/proxy` items.
    pub proxy_agents: Vec<Value>,
    /// `/hybrid-deployment-agents` items.
    pub hybrid_deployment_agents: Vec<Value>,
    /// `/connector-sdk/packages` items.
    #[serde(default)]
    pub connector_sdk_packages: Vec<Value>,
    /// `/external-secrets-managers` items.
    #[serde(default)]
    pub secrets_managers: Vec<Value>,
    /// `/transformations` items.
    #[serde(default)]
    pub transformations: Vec<Value>,
    /// `/transformation-projects` items.
    #[serde(default)]
    pub transformation_projects: Vec<Value>,
    /// `/transformation-projects/{id}` per id; a missing id answers 404.
    #[serde(default)]
    pub transformation_project_details: BTreeMap<String, Value>,
    /// `/connections/{id}/certificates` items per connection id.
    #[serde(default)]
    pub connection_certificates: BTreeMap<String, Vec<Value>>,
    /// `/connections/{id}/fingerprints` items per connection id.
    #[serde(default)]
    pub connection_fingerprints: BTreeMap<String, Vec<Value>>,
    /// `/destinations/{id}/certificates` items per destination id.
    #[serde(default)]
    pub destination_certificates: BTreeMap<String, Vec<Value>>,
    /// `/destinations/{id}/fingerprints` items per destination id.
    #[serde(default)]
    pub destination_fingerprints: BTreeMap<String, Vec<Value>>,
    /// `/external-logging/{id}` per id, with the list item's fields laid over it (a test that
    /// edits the list edits the detail); a listed id without one answers its list item.
    #[serde(default)]
    pub log_service_details: BTreeMap<String, Value>,
    /// `/private-links/{id}` per id, with the list item's fields laid over it; a listed id
    /// without one answers its list item.
    #[serde(default)]
    pub private_link_details: BTreeMap<String, Value>,
    /// `/groups/{id}/public-key` per group id; a group without one answers a key made from
    /// its id.
    #[serde(default)]
    pub group_public_keys: BTreeMap<String, Value>,
    /// `/groups/{id}/service-account` per group id; a group without one answers an account
    /// made from its id.
    #[serde(default)]
    pub group_service_accounts: BTreeMap<String, Value>,
    /// Paths (as `/v1/...`) that answer 403, with Fivetran's message.
    #[serde(default)]
    pub forbidden: BTreeMap<String, String>,
}

impl FakeAccount {
    /// Loads a fixture file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// How the last page of a list says it is the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LastPage {
    /// `next_cursor` left out (what the documentation describes).
    #[default]
    Missing,
    /// `"next_cursor": null` (seen in Fivetran's SDK mocks).
    Null,
    /// `"next_cursor": ""`.
    Empty,
    /// The page holding the last items still gives a `next_cursor`; the page it points to has
    /// `"items": []` and no `next_cursor`.
    EmptyPage,
}

/// Whether the fake offers `/connections/{id}/sync-history` (documented by Fivetran, but absent
/// from its OpenAPI file, so possibly not offered to every account or API version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncHistoryMode {
    /// Served from [`FakeAccount::sync_history`].
    #[default]
    Available,
    /// Every request answers 404 `{"code":"NotFound",...}`: an endpoint this account is not
    /// offered.
    NotFound,
    /// Every request answers 400 `BadRequest`: an API version that does not know the endpoint's
    /// parameters.
    BadRequest,
}

/// Settings of a fake server.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// The API key the server accepts.
    pub api_key: String,
    /// The API secret the server accepts.
    pub api_secret: String,
    /// Items per page at most, whatever `limit` asks (small, so fixtures span several pages).
    pub page_size: usize,
    /// How the last page ends.
    pub last_page: LastPage,
    /// Whether `/connections/{id}/sync-history` is offered.
    pub sync_history: SyncHistoryMode,
    /// Whether `/connections/{id}/errors` is offered.
    pub connection_errors: ConnectionErrorsMode,
    /// A seeded random mix of faults on a few percent of requests (`None`: no chaos).
    #[cfg(feature = "faults")]
    pub chaos: Option<Chaos>,
    /// A rate limit in front of every authorized request (`None`: no limit).
    #[cfg(feature = "faults")]
    pub limit: Option<Limit>,
    /// Time spent before answering each request, to stand for the network and Fivetran's own
    /// work (zero: answer at once). Requests wait concurrently, so it costs no CPU and does not
    /// hold up other requests.
    pub latency: Duration,
    /// The hourly quota reported in `X-Rate-Limit`.
    pub quota: u64,
    /// `X-Rate-Limit-Remaining` before the first request; each request takes one, and nothing
    /// comes back (the fake's hour never rolls).
    pub remaining: u64,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            api_key: "fake-key".into(),
            api_secret: "fake-secret".into(),
            page_size: 2,
            last_page: LastPage::Missing,
            sync_history: SyncHistoryMode::Available,
            connection_errors: ConnectionErrorsMode::Available,
            #[cfg(feature = "faults")]
            chaos: None,
            #[cfg(feature = "faults")]
            limit: None,
            latency: Duration::ZERO,
            quota: 20_000,
            remaining: 20_000,
        }
    }
}

/// How a fault misbehaves at the transport level.
#[cfg(feature = "faults")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// The canned status and body are sent normally.
    #[default]
    Normal,
    /// The connection is closed before any response is sent.
    Reset,
    /// The headers announce the whole body, but only half of it is sent before the connection
    /// is cut.
    Truncate,
    /// The answer is sent only after this long (to trip the client's timeout).
    Stall(Duration),
    /// The headers at once, then the body one byte at a time, this long apart (a slowloris).
    Trickle(Duration),
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Raw (percent-encoded) path.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// `Accept` header.
    pub accept: Option<String>,
    /// `User-Agent` header.
    pub user_agent: Option<String>,
    /// Whether the Authorization header matched the expected key and secret.
    pub authorized: bool,
    /// The status answered.
    pub status: u16,
}

pub(crate) struct State {
    account: FakeAccount,
    options: FakeOptions,
    expected_auth: String,
    requests: Vec<Recorded>,
    remaining: u64,
    /// The faults to serve, and what chaos served.
    #[cfg(feature = "faults")]
    faults: faults::Faults,
    /// Ids of the account's users and teams, so that a membership request finds its parent at
    /// once, not by a scan that makes a large fake slower than the client it serves.
    user_ids: HashSet<String>,
    team_ids: HashSet<String>,
    /// Requests being answered now, and the most at once since last asked.
    in_flight: usize,
    peak: usize,
}

impl State {
    fn new(account: FakeAccount, options: FakeOptions) -> Self {
        let expected_auth = format!(
            "Basic {}",
            BASE64.encode(format!("{}:{}", options.api_key, options.api_secret))
        );
        let remaining = options.remaining;
        let (user_ids, team_ids) = (routes::ids(&account.users), routes::ids(&account.teams));
        Self {
            #[cfg(feature = "faults")]
            faults: faults::Faults {
                bucket: options.limit.clone().map(faults::Bucket::new),
                ..faults::Faults::default()
            },
            account,
            options,
            expected_auth,
            requests: Vec::new(),
            remaining,
            user_ids,
            team_ids,
            in_flight: 0,
            peak: 0,
        }
    }

    /// Rebuilds the id sets from the account.
    fn index(&mut self) {
        self.user_ids = routes::ids(&self.account.users);
        self.team_ids = routes::ids(&self.account.teams);
    }
}

/// A running fake server; stops when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    /// Starts the server on its own thread and runtime, on 127.0.0.1 and a free port: it keeps
    /// real time.
    pub fn start(account: FakeAccount, options: FakeOptions) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::new(account, options)));
        let (tx, rx) = oneshot::channel();
        let thread_state = Arc::clone(&state);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("fake-fivetran".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(std_listener) {
                        Ok(listener) => serve(listener, thread_state, rx).await,
                        Err(e) => eprintln!("fake server: {e}"),
                    }
                });
            })?;
        Ok(Self {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Starts the server as a task of the caller's tokio runtime (it must be called inside
    /// one), on 127.0.0.1 and a free port. It keeps that runtime's time: a test whose runtime
    /// pauses time drives the fake (its latency, stalls and rate limit) and the client on one
    /// simulated clock, with no real wait.
    pub fn start_here(account: FakeAccount, options: FakeOptions) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = TcpListener::from_std(std_listener)?;
        let state = Arc::new(Mutex::new(State::new(account, options)));
        let (tx, rx) = oneshot::channel();
        tokio::spawn(serve(listener, Arc::clone(&state), rx));
        Ok(Self {
            addr,
            state,
            shutdown: Some(tx),
            thread: None,
        })
    }

    /// The API root to pass as `--api-url`: `http://127.0.0.1:PORT/v1`.
    pub fn api_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Adds a fault.
    #[cfg(feature = "faults")]
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.injected.push(fault);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The chaos faults served so far, in the order served.
    #[cfg(feature = "faults")]
    pub fn chaos_served(&self) -> Vec<ChaosServed> {
        self.lock().faults.served.clone()
    }

    /// The most requests the server was answering at once since last asked (from arrival to
    /// the headers of the answer, latency included); starts counting again.
    pub fn take_peak_in_flight(&self) -> usize {
        let mut state = self.lock();
        let now = state.in_flight;
        std::mem::replace(&mut state.peak, now)
    }

    /// Changes the account while the server runs.
    pub fn edit(&self, f: impl FnOnce(&mut FakeAccount)) {
        let mut state = self.lock();
        f(&mut state.account);
        state.index();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Accepts connections until `shutdown` fires.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<Mutex<State>>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = Arc::clone(&state);
                let latency = lock(&state).options.latency;
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let state = Arc::clone(&state);
                        async move {
                            {
                                let mut guard = lock(&state);
                                guard.in_flight += 1;
                                guard.peak = guard.peak.max(guard.in_flight);
                            }
                            if !latency.is_zero() {
                                tokio::time::sleep(latency).await;
                            }
                            let answer = handle(&state, &req);
                            lock(&state).in_flight -= 1;
                            respond(answer).await
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// A response body: whole, or (with faults) cut short.
pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// Sends an answer, misbehaving as its fault asks. An `Err` makes hyper drop the connection.
async fn respond(answer: routes::Answer) -> Result<Response<Body>, std::io::Error> {
    let full_length = answer.body.len();
    #[cfg(feature = "faults")]
    let body = faults::body(answer.body, answer.transport).await?;
    #[cfg(not(feature = "faults"))]
    let body: Body = Full::new(answer.body)
        .map_err(|never| match never {})
        .boxed();
    let mut response = Response::builder()
        .status(answer.status)
        .header("content-type", "application/json")
        .header("content-length", full_length.to_string());
    for (name, value) in &answer.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response
        .body(body)
        .map_err(|e| std::io::Error::other(format!("fault: bad header: {e}")))
}

/// The answer to an authorized GET: with faults, an injected or chaos fault may come first
/// (one that echoes the request's `authorization` header, perhaps).
fn answer(
    state: &mut State,
    path: &str,
    query: Option<&str>,
    authorization: Option<&str>,
) -> routes::Answer {
    #[cfg(feature = "faults")]
    return faults::answer(state, path, query, authorization);
    #[cfg(not(feature = "faults"))]
    {
        let _ = authorization;
        routes::route(state, path, query)
    }
}

fn handle(state: &Mutex<State>, req: &Request<Incoming>) -> routes::Answer {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut state = lock(state);
    let authorization = header("authorization");
    let authorized = authorization.as_deref() == Some(state.expected_auth.as_str());
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let mut answer = if !authorized {
        routes::error(401, "AuthFailed", "Invalid API key or secret")
    } else if req.method() != hyper::Method::GET {
        routes::error(405, "MethodNotAllowed", "This tool must only send GET")
    } else {
        answer(
            &mut state,
            &path,
            query.as_deref(),
            authorization.as_deref(),
        )
    };
    state.remaining = state.remaining.saturating_sub(1);
    state.requests.push(Recorded {
        method: req.method().to_string(),
        path,
        query,
        accept: header("accept"),
        user_agent: header("user-agent"),
        authorized,
        status: answer.status,
    });
    answer.headers.extend([
        ("x-rate-limit".to_owned(), state.options.quota.to_string()),
        (
            "x-rate-limit-remaining".to_owned(),
            state.remaining.to_string(),
        ),
    ]);
    answer
}
