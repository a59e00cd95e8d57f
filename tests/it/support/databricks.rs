//! The Databricks audit source of the tests: a fake workspace
//! (`iru_fivetran_fake::databricks`) serving the rows of the test warehouse's
//! `fivetran_metadata` (the Snowflake support's copy, renamed and retyped as Fivetran writes
//! them to Databricks: lower-case names, `STRING`, `TIMESTAMP`), a personal access token, a
//! service principal's OAuth client, and the Platform Connector `lone_sextant` on the
//! destination `warm_harbor`, here a Databricks one.

use iru_fivetran_fake::databricks::{FakeDatabricks, Faults, Login, Platform};
use jiff::Timestamp;

use super::postgres::Warehouse;

/// A personal access token (a secret: it must appear nowhere).
pub const TOKEN: &str = "dapi-fake-8c1d-never-printed";
/// The service principal's application (client) id: not secret, the grants name it.
pub const CLIENT_ID: &str = "6f1b2c3d-1111-4a4a-9999-0123456789ab";
/// Its OAuth secret (a secret: it must appear nowhere).
pub const CLIENT_SECRET: &str = "dose-fake-client-secret-never-printed";
/// The SQL warehouse.
pub const WAREHOUSE_ID: &str = "1a2b3c4d5e6f7a8b";
/// The catalog the Platform Connector writes to.
pub const CATALOG: &str = "fivetran";
/// The Platform Connector.
pub const CONNECTOR: &str = super::snowflake::CONNECTOR;
/// Its destination.
pub const DESTINATION: &str = super::snowflake::DESTINATION;

/// What must appear in no output: the token, the client secret and its Basic form.
pub fn secret_needles() -> Vec<String> {
    use base64::Engine as _;
    vec![
        TOKEN.to_owned(),
        CLIENT_SECRET.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")),
    ]
}

/// The login the fake checks, its access tokens living `token_seconds`.
pub fn login(token_seconds: u64) -> Login {
    Login {
        token: Some(TOKEN.into()),
        client: Some((CLIENT_ID.into(), CLIENT_SECRET.into())),
        token_seconds,
        warehouse_id: WAREHOUSE_ID.into(),
        catalog: CATALOG.into(),
    }
}

/// The rows of `fivetran_metadata` in the test warehouse, as Databricks holds them.
pub fn platform(w: &Warehouse) -> Platform {
    as_databricks(super::snowflake::platform(w))
}

/// Snowflake's copy of a Platform Connector's tables as Fivetran's Databricks tables hold
/// them.
pub fn as_databricks(mut platform: Platform) -> Platform {
    platform.schema = platform.schema.to_ascii_lowercase();
    for table in &mut platform.tables {
        table.name = table.name.to_ascii_lowercase();
        for (name, data_type) in &mut table.columns {
            *name = name.to_ascii_lowercase();
            *data_type = match data_type.as_str() {
                "TIMESTAMP_TZ" => "TIMESTAMP",
                "BOOLEAN" => "BOOLEAN",
                _ => "STRING",
            }
            .to_owned();
        }
    }
    platform
}

/// Starts a fake Databricks holding the test warehouse's rows; tokens live an hour.
pub fn start(w: &Warehouse, faults: Faults) -> FakeDatabricks {
    FakeDatabricks::start(login(3600), platform(w), faults).expect("fake databricks")
}

/// The fake account with both Platform Connectors synced at `sync`, `warm_harbor` a
/// Databricks destination.
pub fn account(sync: Timestamp) -> iru_fivetran_fake::FakeAccount {
    let mut account = super::snowflake::account(sync);
    for d in account
        .destinations
        .iter_mut()
        .chain(account.destination_details.values_mut())
    {
        if d["id"] == DESTINATION {
            d["service"] = "databricks".into();
        }
    }
    account
}

/// How the source authenticates.
pub enum Auth<'a> {
    /// A personal access token.
    Token(&'a str),
    /// An OAuth client id and secret.
    Client(&'a str, &'a str),
}

/// The TOML of a Databricks audit source on `fake`.
pub fn source_toml(fake: &FakeDatabricks, auth: Auth<'_>, extra: &str) -> String {
    let auth = match auth {
        Auth::Token(t) => format!("token = \"{t}\""),
        Auth::Client(id, secret) => format!("client_id = \"{id}\"\nclient_secret = \"{secret}\""),
    };
    format!(
        "[[audit_sources]]\nkind = \"databricks\"\nhost = \"{}\"\nwarehouse_id = \"{WAREHOUSE_ID}\"\n\
         catalog = \"{CATALOG}\"\ndestination = \"{DESTINATION}\"\n{auth}\n{extra}\n",
        fake.url()
    )
}
