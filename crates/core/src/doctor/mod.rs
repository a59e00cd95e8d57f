//! Checking an API key, and the audit sources of its vault entry, before collections are
//! scheduled (`iru-fivetran doctor`).
//!
//! Every request goes through the one [`Client`] the caller built as `collect` would: GET only,
//! the pace (one pause for every request on a 429, a rate that finds the server's limit),
//! retries. The check reads `/v1/account/info`, then one page or object per
//! resource ([`probe`]), about 20 requests whatever the account's size, and writes nothing to
//! disk. The [`Checkup`] says where the credentials came from
//! ([`crate::credentials::Credentials::source`]), never what they are.

pub mod audit;
pub mod hints;
pub mod probe;

use serde::Serialize;

use crate::client::error::NETWORK_HINT;
use crate::client::{ApiError, Client};
use crate::endpoints::ACCOUNT_INFO;
use crate::exit;
use crate::vocab::{AccountInfo, Window};

pub use probe::{Outcome, Probe};

/// The schema id of the `--format json` report.
pub const SCHEMA_ID: &str = "iru-fivetran/doctor/v1";

/// The overall finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
// The name the schema was published with (`$defs/Verdict`).
#[schemars(rename = "Verdict")]
pub enum Readiness {
    /// Every resource is readable (exit 0).
    Ready,
    /// Something is forbidden, unavailable or failed (exit 3).
    NotReady,
    /// The key was refused or Fivetran could not be reached (exit 1).
    Failed,
}

/// Fivetran's hourly quota as the last answer reported it.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct QuotaLeft {
    /// `X-Rate-Limit`: requests per rolling hour.
    pub limit: Option<u64>,
    /// `X-Rate-Limit-Remaining` after the check's requests.
    pub remaining: Option<u64>,
}

/// The `--format json` report (schema [`SCHEMA_ID`]).
// (What the check found. The doc line above is the schema's published description.)
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Checkup {
    /// Always [`SCHEMA_ID`].
    #[schemars(extend("const" = SCHEMA_ID))]
    pub schema: &'static str,
    /// The finding.
    pub verdict: Readiness,
    /// The exit code that goes with it.
    pub exit_code: u8,
    /// Where the key and secret came from (a file, a profile or the environment), never them.
    pub credentials: String,
    /// The vault profile, if any.
    pub profile: Option<String>,
    /// The API root asked.
    pub api_url: String,
    /// The account and key identity (`/v1/account/info`), when it was readable.
    pub account: Option<AccountInfo>,
    /// The hourly quota left.
    pub quota: QuotaLeft,
    /// Requests the check sent, retries included.
    pub requests: u64,
    /// One row per resource.
    pub probes: Vec<Probe>,
    /// One entry per audit source of the vault entry ([`audit`]); empty without one.
    pub audit_sources: Vec<audit::AuditCheck>,
    /// Why the check failed, when it did.
    pub error: Option<String>,
}

impl Checkup {
    /// A check not yet made, of the key from `credentials` (where it came from, never the key)
    /// against `api_url`; until [`check`] says otherwise, it failed.
    pub fn new(credentials: String, profile: Option<String>, api_url: String) -> Self {
        Self {
            schema: SCHEMA_ID,
            verdict: Readiness::Failed,
            exit_code: exit::FAILED,
            credentials,
            profile,
            api_url,
            account: None,
            quota: QuotaLeft::default(),
            requests: 0,
            probes: Vec::new(),
            audit_sources: Vec::new(),
            error: None,
        }
    }
}

/// Asks Fivetran through `client`, sync history over `window`; never fails: a refused key or
/// an unreachable API is the checkup's verdict.
pub async fn check(client: &Client, window: Window, mut report: Checkup) -> Checkup {
    let result = probe_all(client, window, &mut report).await;
    let stats = client.stats().snapshot();
    report.requests = stats.requests;
    report.quota = QuotaLeft {
        limit: stats.quota,
        remaining: stats.lowest_remaining,
    };
    match result {
        Ok(()) => {
            let ready = report.probes.iter().all(|p| p.fine);
            (report.verdict, report.exit_code) = if ready {
                (Readiness::Ready, exit::COMPLETE)
            } else {
                (Readiness::NotReady, exit::PARTIAL)
            };
        }
        Err(e) => report.error = Some(e),
    }
    report
}

/// Checks the audit sources (after [`check`], with the same client, over the same window): an
/// audit source that is not fine makes a ready checkup not ready (exit 3); a refused key, a
/// failed one.
pub async fn check_audit(
    client: &Client,
    sources: &[crate::credentials::AuditSource],
    window: Window,
    net: &crate::warehouse::Net,
    mut report: Checkup,
) -> Checkup {
    if sources.is_empty() || report.verdict == Readiness::Failed {
        return report;
    }
    match audit::check_all(client, sources, window, net).await {
        Ok(checks) => {
            if report.verdict == Readiness::Ready && checks.iter().any(|c| !c.fine) {
                (report.verdict, report.exit_code) = (Readiness::NotReady, exit::PARTIAL);
            }
            report.audit_sources = checks;
        }
        Err(e) => {
            (report.verdict, report.exit_code) = (Readiness::Failed, exit::FAILED);
            report.error = Some(e.to_string());
        }
    }
    let stats = client.stats().snapshot();
    report.requests = stats.requests;
    report.quota = QuotaLeft {
        limit: stats.quota,
        remaining: stats.lowest_remaining,
    };
    report
}

/// Fills the account and the rows; `Err` (the message) when the key is refused or
/// `/v1/account/info` gives no answer at all (a connection that cannot be made stops at
/// once with its own hint: `ApiError::Unreachable`).
async fn probe_all(client: &Client, window: Window, report: &mut Checkup) -> Result<(), String> {
    let path = ACCOUNT_INFO.path(&[]).expect("no ids");
    let key_kind = match client.get_object(ACCOUNT_INFO, &path).await {
        Ok(data) => {
            let info = AccountInfo::from_data(&data);
            let kind = info.key_kind;
            report.account = Some(info);
            report
                .probes
                .push(Probe::new("account", ACCOUNT_INFO, Outcome::Readable));
            kind
        }
        Err(e @ ApiError::Forbidden { .. }) => {
            report.probes.push(
                Probe::failed("account", ACCOUNT_INFO, e, "unknown").map_err(|e| e.to_string())?,
            );
            "unknown"
        }
        Err(e) if e.is_fatal() => return Err(e.to_string()),
        Err(e) => return Err(unreachable(&e)),
    };
    let rows = probe::run_all(client, key_kind, window)
        .await
        .map_err(|e| e.to_string())?;
    report.probes.extend(rows);
    Ok(())
}

/// The message of an `/account/info` that gave no usable answer.
fn unreachable(error: &ApiError) -> String {
    format!("{error}\nhint: {NETWORK_HINT}")
}
