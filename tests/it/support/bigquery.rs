//! The BigQuery audit source of the tests: a fake BigQuery and token endpoint
//! (`iru_fivetran_fake::bigquery`) serving the rows of the test warehouse's `fivetran_metadata`
//! (the Snowflake fake's rows, named and typed as Fivetran's BigQuery tables are, so both
//! sources hold the same rows as PostgreSQL), a service-account key file written for each
//! test, and the Platform Connector `keen_quarry` on the account's BigQuery destination
//! `quiet_meadow`.

use std::path::Path;

use iru_fivetran_fake::bigquery::{FakeBigQuery, Faults, Login, Platform};
use jiff::Timestamp;
use serde_json::json;

use super::postgres::Warehouse;
use super::snowflake::{self, Keys, keys};

/// The project jobs run in.
pub const PROJECT: &str = "acme-jobs";
/// The project holding the dataset.
pub const DATA_PROJECT: &str = "acme-warehouse";
/// Where the dataset is.
pub const LOCATION: &str = "EU";
/// The service account.
pub const EMAIL: &str = "iru-audit@acme-jobs.iam.gserviceaccount.com";
/// The key's id.
pub const KEY_ID: &str = "4f1c0ffee0d15ea5e";
/// The Platform Connector on the BigQuery destination.
pub const CONNECTOR: &str = "keen_quarry";
/// The BigQuery destination.
pub const DESTINATION: &str = "quiet_meadow";
/// The dataset the Platform Connector writes.
pub const DATASET: &str = "fivetran_metadata";
/// How every token the fake issues starts (a secret: it must appear nowhere).
pub const TOKEN_PREFIX: &str = "ya29.fake-bigquery-";

/// What must appear in no output: any token the fake issued (the service account's key is
/// the Snowflake tests' key, whose lines are needles already).
pub fn secret_needles() -> Vec<String> {
    vec![TOKEN_PREFIX.to_owned()]
}

/// The login the fake checks: the service account's public key and id, the projects and the
/// location.
pub fn login() -> Login {
    Login {
        client_email: EMAIL.into(),
        private_key_id: KEY_ID.into(),
        public_key: keys().spki.clone(),
        project: PROJECT.into(),
        data_project: DATA_PROJECT.into(),
        location: LOCATION.into(),
    }
}

/// The rows of `fivetran_metadata` in the test warehouse, as Fivetran's BigQuery tables hold
/// them: lower-case names, `STRING`, `TIMESTAMP`, `BOOL`, and `message_data` as `JSON` (or a
/// `STRING` when `json` is false).
pub fn platform(w: &Warehouse, json: bool) -> Platform {
    as_bigquery(snowflake::platform(w), json)
}

/// Snowflake's copy of a Platform Connector's tables as Fivetran's BigQuery tables hold them.
pub fn as_bigquery(mut platform: Platform, json: bool) -> Platform {
    platform.schema = DATASET.into();
    for table in &mut platform.tables {
        table.name = table.name.to_ascii_lowercase();
        for (column, data_type) in &mut table.columns {
            *column = column.to_ascii_lowercase();
            *data_type = match data_type.as_str() {
                "TIMESTAMP_TZ" => "TIMESTAMP",
                "BOOLEAN" => "BOOL",
                "VARIANT" if json => "JSON",
                _ => "STRING",
            }
            .to_owned();
        }
    }
    platform
}

/// Starts a fake BigQuery holding the test warehouse's rows (`message_data` as `JSON`).
pub fn start(w: &Warehouse, faults: Faults) -> FakeBigQuery {
    FakeBigQuery::start(login(), platform(w, true), faults).expect("fake bigquery")
}

/// The fake account with the PostgreSQL Platform Connector synced at `sync`, and
/// `keen_quarry` on the BigQuery destination, synced then too.
pub fn account(sync: Timestamp) -> iru_fivetran_fake::FakeAccount {
    let mut account = super::postgres::acme_synced_at(sync);
    let mut connector = account
        .connections
        .iter()
        .find(|c| c["id"] == "lone_sextant")
        .cloned()
        .expect("the Snowflake Platform Connector to copy");
    connector["id"] = CONNECTOR.into();
    connector["group_id"] = DESTINATION.into();
    connector["schema"] = DATASET.into();
    connector["paused"] = false.into();
    connector["succeeded_at"] = sync.to_string().into();
    connector["config"] = json!({});
    connector["status"]["sync_state"] = "scheduled".into();
    account.connections.push(connector.clone());
    account
        .connection_details
        .insert(CONNECTOR.to_owned(), connector);
    account
}

/// Writes a key file of the service account into `dir` (mode 0600), its `type` as given.
pub fn write_key_file(fake: &FakeBigQuery, dir: &Path, keys: &Keys, kind: &str) {
    let file = json!({
        "type": kind,
        "project_id": PROJECT,
        "private_key_id": KEY_ID,
        "private_key": keys.pem,
        "client_email": EMAIL,
        "client_id": "109876543210987654321",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": fake.token_uri(),
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    });
    let path = dir.join("sa.json");
    std::fs::write(&path, file.to_string()).expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}

/// The TOML of a BigQuery audit source on `fake`, its key file (of `keys`) written into
/// `dir`.
pub fn source_toml(fake: &FakeBigQuery, dir: &Path, keys: &Keys, extra: &str) -> String {
    write_key_file(fake, dir, keys, "service_account");
    format!(
        "[[audit_sources]]\nkind = \"bigquery\"\nproject = \"{PROJECT}\"\n\
         data_project = \"{DATA_PROJECT}\"\nlocation = \"{LOCATION}\"\nkey_file = \"sa.json\"\n\
         destination = \"{DESTINATION}\"\nurl = \"{}\"\n{extra}\n",
        fake.url()
    )
}
