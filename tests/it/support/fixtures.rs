//! The fake account and its server: fixture files, the test credentials the fake accepts (and
//! the ones it does not), and the fake's options.

use std::path::{Path, PathBuf};

use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer};

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

/// How many requests the fake received for `path`.
pub fn requests_to(fake: &FakeServer, path: &str) -> usize {
    fake.requests().iter().filter(|r| r.path == path).count()
}
