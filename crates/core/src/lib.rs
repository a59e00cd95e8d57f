//! The work of iru-fivetran, with no terminal and no command line: reading a Fivetran account
//! through its REST API (GET only), writing the evidence bundle, checking one, comparing two
//! and rendering one as a report. The `iru-fivetran` crate parses flags, reads the
//! environment, shows progress and calls into this one.
//!
//! The modules form layers; a module imports only from layers below it, never from its own
//! layer or above (`tests/layers.rs` checks every `use`):
//!
//! | layer | modules | owns |
//! |---|---|---|
//! | 0 | [`vocab`], [`text`], [`files`], [`env`](mod@env) | the artifact words; the one sanitizer of foreign text; every file read and write primitive; environment variable names |
//! | 1 | [`exit`], [`credentials`], [`endpoints`], [`controls`] | exit codes; the key and secret (the one place the secret is exposed); every endpoint read; which SOC 2 and ISO 27001 controls each artifact and finding supports |
//! | 2 | [`client`] | the only place a request is made to Fivetran: auth, the adaptive pace, retries |
//! | 3 | [`paginate`], [`warehouse`] | reading a list to its end; the only place a query is sent to a warehouse (read-only, fixed statements, bound parameters, requests over HTTPS paced and retried by the client's rules) |
//! | 4 | [`evidence`] | redaction, canonical JSON, the bundle writer (the only place bundle files are written), manifest, signature, archive, run summary |
//! | 5 | [`resources`], [`audit`] | what each collected artifact is made of; the audit trail read from the Platform Connector's tables (discovery, window, items, actors) |
//! | 6 | [`verify`] | checking a finished bundle |
//! | 7 | [`changes`] | what changed between two bundles |
//! | 8 | [`derive`](mod@derive) | the artifacts made from the others, [`derive::produce`] the one entry |
//! | 9 | [`report`], [`doctor`] | the report renderer; checking a key |
//! | 10 | [`period`] | a period's change log, rolled up from a folder of bundles |
//! | 11 | [`schema`] | the JSON Schemas of every file and output |
//!
//! The secret is exposed in exactly one function: [`credentials::Credentials::authorization_header`];
//! a warehouse password in one too: [`credentials::AuditSource::pg_config`]; a warehouse's key,
//! token and OAuth client secret each in one of `credentials::audit::rest`:
//! [`credentials::audit::rest::KeyPair::sign_rs256`] (a Snowflake user's or a BigQuery service
//! account's key), [`credentials::audit::rest::bearer_header`] (a token given or minted, a
//! BigQuery access token), [`credentials::audit::rest::OAuthClient::basic_header`].

pub mod audit;
pub mod changes;
pub mod client;
pub mod controls;
pub mod credentials;
pub mod derive;
pub mod doctor;
pub mod endpoints;
pub mod env;
pub mod evidence;
pub mod exit;
pub mod files;
pub mod paginate;
pub mod period;
pub mod report;
pub mod resources;
pub mod schema;
pub mod text;
pub mod verify;
pub mod vocab;
pub mod warehouse;
