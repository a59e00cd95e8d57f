//! The Snowflake audit source of the tests: a fake SQL API (`iru_fivetran_fake::snowflake`)
//! serving the rows of the test warehouse's `fivetran_metadata` (read from the real
//! PostgreSQL, so both sources hold the same rows), a key pair made once per test binary, a
//! programmatic access token, and the Platform Connector `lone_sextant` on the account's
//! Snowflake destination `warm_harbor`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use iru_fivetran_fake::snowflake::{FakeSnowflake, Faults, Login, Platform};
use jiff::Timestamp;

use super::postgres::{DATABASE, Warehouse};

/// The account as the JWT names it.
pub const ACCOUNT: &str = "ACME-PROD";
/// The reader.
pub const USER: &str = "IRU_READER";
/// A programmatic access token (a secret: it must appear nowhere).
pub const TOKEN: &str = "snowflake-pat-Qm7J-never-printed";
/// The Platform Connector on the Snowflake destination.
pub const CONNECTOR: &str = "lone_sextant";
/// The Snowflake destination.
pub const DESTINATION: &str = "warm_harbor";

/// A key pair: the private key as PKCS#8 PEM, its public key (SubjectPublicKeyInfo DER).
pub struct Keys {
    /// The PEM text.
    pub pem: String,
    /// The public key.
    pub spki: Vec<u8>,
}

fn make_keys() -> Keys {
    let key = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key");
    let der = key.as_der().expect("pkcs8");
    let b64 = BASE64.encode(der.as_ref());
    let lines: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    Keys {
        pem: format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        ),
        spki: key.public_key().as_der().expect("spki").as_ref().to_vec(),
    }
}

/// The user's key pair.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(make_keys)
}

/// Another key pair (one Snowflake does not know).
pub fn other_keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(make_keys)
}

/// What must appear in no output: the token, and lines of each private key's PEM (only once
/// a test has made them, so the other tests do not pay for a key).
pub fn secret_needles() -> Vec<String> {
    let mut needles = vec![TOKEN.to_owned()];
    for keys in [keys(), other_keys()] {
        needles.extend(
            keys.pem
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .take(3)
                .map(str::to_owned),
        );
    }
    needles
}

/// The login the fake checks: the user's public key and the token.
pub fn login() -> Login {
    Login {
        account: ACCOUNT.into(),
        user: USER.into(),
        public_key: Some(keys().spki.clone()),
        token: Some(TOKEN.into()),
    }
}

/// The rows of `fivetran_metadata` in the test warehouse, as Snowflake holds them.
pub fn platform(w: &Warehouse) -> Platform {
    iru_fivetran_fake::postgres::dump::platform(&w.server, DATABASE, "fivetran_metadata")
        .expect("dump")
}

/// Starts a fake Snowflake holding the test warehouse's rows.
pub fn start(w: &Warehouse, faults: Faults) -> FakeSnowflake {
    FakeSnowflake::start(login(), platform(w), faults).expect("fake snowflake")
}

/// A fake Snowflake holding no tables (for tests that only need its address).
pub fn start_empty() -> FakeSnowflake {
    FakeSnowflake::start(login(), Platform::default(), Faults::default()).expect("fake snowflake")
}

/// The fake account with both Platform Connectors synced at `sync`: the PostgreSQL one, and
/// `lone_sextant` on the Snowflake destination (paused in the fixture), resumed.
pub fn account(sync: Timestamp) -> iru_fivetran_fake::FakeAccount {
    let mut account = super::postgres::acme_synced_at(sync);
    let at = serde_json::Value::String(sync.to_string());
    for c in account
        .connections
        .iter_mut()
        .chain(account.connection_details.values_mut())
    {
        if c["id"] == CONNECTOR {
            c["succeeded_at"] = at.clone();
            c["paused"] = false.into();
        }
    }
    account
}

/// How the source authenticates.
pub enum Auth<'a> {
    /// The key file, written into the vault's directory with mode 0600.
    Key(&'a Keys),
    /// A token.
    Token(&'a str),
}

/// The TOML of a Snowflake audit source on `fake`, its key file written into `dir`.
pub fn source_toml(fake: &FakeSnowflake, dir: &Path, auth: Auth<'_>, extra: &str) -> String {
    let auth = match auth {
        Auth::Key(keys) => {
            let path: PathBuf = dir.join("rsa_key.p8");
            std::fs::write(&path, &keys.pem).expect("key");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .expect("chmod");
            }
            "private_key_file = \"rsa_key.p8\"".to_owned()
        }
        Auth::Token(t) => format!("token = \"{t}\""),
    };
    format!(
        "[[audit_sources]]\nkind = \"snowflake\"\naccount = \"acme-prod\"\nuser = \"iru_reader\"\n\
         database = \"FIVETRAN_DB\"\nwarehouse = \"AUDIT_WH\"\nrole = \"IRU_AUDIT_READER\"\n\
         destination = \"{DESTINATION}\"\nurl = \"{}\"\n{auth}\n{extra}\n",
        fake.url()
    )
}
