//! Shared test helpers, one concern per module; everything tests use is re-exported here, so
//! call sites say `crate::support::x`.

mod background;
pub mod bigquery;
pub mod databricks;
mod files;
mod fixtures;
mod leaks;
mod library;
mod oracle;
pub mod postgres;
mod readme;
mod run;
pub mod snowflake;

pub use background::{spawn_collect, spawn_via, wait_for};
pub use files::{entries, files_under, manifest_artifact, reason, snapshot};
pub use fixtures::{
    KEY, KEY_EU, PAIRS, PLANTED, SECRET, SECRET_EU, SECRET_WRONG, acme, fixture, options,
    requests_to, server,
};
pub use leaks::{assert_no_secret_in, assert_no_secret_under, leak_needles};
pub use library::{
    client_for, fake_client, list_roles, paused, real_client, runtime, test_env, waiting_client,
};
pub use oracle::{ARTIFACTS, expected_requests};
pub use readme::{doctor_json, readme_block, readme_source, ready_source, refused_source};
pub use run::{Run, arg, collect, run};
