//! Serves a fixture account on loopback until Ctrl-C, for trying the collector by hand:
//! `cargo run --example fake_server -- fixtures/accounts/acme.json`, then, in another shell,
//! `FIVETRAN_API_KEY=fake-key FIVETRAN_API_SECRET=fake-secret cargo run -- collect --api-url URL`.

use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer};

fn main() -> Result<(), String> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures/accounts/acme.json".into());
    let account = FakeAccount::load(std::path::Path::new(&path))?;
    let server = FakeServer::start(account, FakeOptions::default()).map_err(|e| e.to_string())?;
    eprintln!("serving {path} at {}", server.api_url());
    eprintln!("key: fake-key  secret: fake-secret  (Ctrl-C to stop)");
    loop {
        std::thread::park();
    }
}
