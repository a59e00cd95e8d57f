//! Library-level helpers, for tests that drive the crate in-process instead of through the
//! binary: the test credentials as an environment lookup, a runtime, clients, and reading a
//! list with one.

use super::{KEY, SECRET};

/// The test credentials as an environment lookup (for in-process runs and clients).
pub fn test_env(name: &str) -> Option<String> {
    match name {
        "FIVETRAN_API_KEY" => Some(KEY.to_owned()),
        "FIVETRAN_API_SECRET" => Some(SECRET.to_owned()),
        _ => None,
    }
}

/// A current-thread runtime with paused time: a fake served on it (`FakeServer::start_here`)
/// and a client with real waits share one simulated clock, which tokio moves on whenever every
/// task waits.
pub fn paused() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime")
}

/// A client of `fake` with real waits (for a paused runtime), at `rate` and `concurrency`, the
/// wait budget `max_wait`, the usual 90 s timeout, no quota reserve and no deadline.
pub fn waiting_client(
    fake: &iru_fivetran_fake::FakeServer,
    rate: f64,
    concurrency: usize,
    max_wait: std::time::Duration,
) -> iru_fivetran_core::client::Client {
    use iru_fivetran_core::client::{Client, Delays, Options, quota, retry::Policy};
    let creds = iru_fivetran_core::credentials::resolve(None, &test_env).expect("credentials");
    let options = Options {
        api_url: iru_fivetran::config::parse_api_url(&fake.api_url()).expect("url"),
        rate,
        delays: Delays::Real,
        policy: Policy {
            max_wait,
            ..Policy::default()
        },
        timeout: iru_fivetran_core::client::REQUEST_TIMEOUT,
        max_body: iru_fivetran_core::client::MAX_BODY_BYTES,
        extra_roots: Vec::new(),
        reserve: quota::Reserve::Requests(0),
        on_quota: quota::OnQuota::Slow,
        concurrency,
        max_time: None,
    };
    Client::new(&options, &creds).expect("client")
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
        max_time: None,
    };
    Client::new(&options, &creds).expect("client")
}

/// A client for `fake` at `rate` whose waits are real (the limiter's pace is then real time).
pub fn real_client(
    fake: &iru_fivetran_fake::FakeServer,
    rate: f64,
) -> iru_fivetran_core::client::Client {
    use iru_fivetran_core::client::{Client, Delays, Options, retry::Policy};
    let creds = iru_fivetran_core::credentials::resolve(None, &test_env).expect("credentials");
    let options = Options {
        api_url: iru_fivetran::config::parse_api_url(&fake.api_url()).expect("url"),
        rate,
        delays: Delays::Real,
        policy: Policy::default(),
        timeout: std::time::Duration::from_millis(500),
        max_body: iru_fivetran_core::client::MAX_BODY_BYTES,
        extra_roots: Vec::new(),
        reserve: iru_fivetran_core::client::quota::DEFAULT_RESERVE,
        on_quota: iru_fivetran_core::client::quota::OnQuota::Slow,
        concurrency: 8,
        max_time: None,
    };
    Client::new(&options, &creds).expect("client")
}

/// A client for `fake` at `rate`, with a 500 ms timeout, the usual body cap and 6 attempts.
pub fn fake_client(
    fake: &iru_fivetran_fake::FakeServer,
    rate: f64,
) -> iru_fivetran_core::client::Client {
    let timeout = std::time::Duration::from_millis(500);
    client_for(
        &fake.api_url(),
        rate,
        timeout,
        iru_fivetran_core::client::MAX_BODY_BYTES,
        6,
    )
}

/// Reads roles to the end (or to the error).
pub fn list_roles(
    client: &iru_fivetran_core::client::Client,
) -> iru_fivetran_core::paginate::Listed {
    runtime().block_on(iru_fivetran_core::paginate::list_all(
        client,
        iru_fivetran_core::endpoints::ROLES,
        "/roles",
        "name",
    ))
}
