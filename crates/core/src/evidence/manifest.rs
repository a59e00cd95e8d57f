//! `manifest.json`: what was collected, from where, by which key identity, how completely, with
//! every file's hash, and what the API cannot show.

use schemars::JsonSchema;
use serde::Serialize;

use crate::client::StatsSnapshot;
use crate::controls::ControlEntry;
use crate::evidence::redact::Redaction;
use crate::vocab::audit::AuditFacts;
use crate::vocab::{AccountInfo, Kind, RunStatus, Status, TOOL_NAME};

/// The manifest's file name.
pub const FILE_NAME: &str = "manifest.json";
/// The manifest's schema id.
pub const SCHEMA: &str = "iru-fivetran/manifest/v1";

/// The manifest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Manifest {
    /// Always `iru-fivetran/manifest/v1`.
    #[schemars(extend("const" = SCHEMA))]
    pub schema: &'static str,
    /// Tool name and version.
    pub tool: Tool,
    /// The bundle directory's name.
    pub bundle_id: String,
    /// Account and key identity (ids only, never the key or secret).
    pub account: AccountInfo,
    /// When the run started, RFC 3339 UTC to the second.
    pub started_at: String,
    /// When the manifest was built, RFC 3339 UTC to the second.
    pub finished_at: String,
    /// Options that shaped the run.
    pub options: Options,
    /// How the run ended.
    pub status: RunStatus,
    /// Why the run failed, for a failed run.
    pub error: Option<String>,
    /// Requests, retries, 429s and quota.
    pub requests: Requests,
    /// One entry per artifact file.
    pub artifacts: Vec<ArtifactEntry>,
    /// One entry per spreadsheet export (`access.csv`, ...), made from an artifact.
    pub tables: Vec<TableEntry>,
    /// One entry per endpoint template.
    pub endpoints: Vec<EndpointEntry>,
    /// The audit trail's facts per audit source and destination (window asked and covered,
    /// rows, gaps); absent when `audit_trail` was not collected, so bundles from before it
    /// existed read the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_trail: Option<AuditFacts>,
    /// What Fivetran's API cannot show, and where that evidence lives instead.
    pub not_available_from_api: Vec<Limitation>,
    /// The SOC 2 and ISO/IEC 27001 controls this bundle's files and findings give evidence
    /// for, each with what every file shows for it (`docs/auditors.md`).
    pub controls: Vec<ControlEntry>,
}

/// Tool identity.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Tool {
    /// `iru-fivetran`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

impl Tool {
    /// This build.
    pub fn current() -> Self {
        Self {
            name: TOOL_NAME,
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Options recorded in the manifest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Options {
    /// Artifact names selected (with the sources of derived ones).
    pub resources: Vec<&'static str>,
    /// `--skip`: artifacts among `resources` written `unavailable` without a request, by the
    /// operator's choice.
    pub skip: Vec<&'static str>,
    /// Start of the sync-history window (`--since`), RFC 3339 UTC.
    pub since: String,
    /// `--inactive-days`: the threshold of findings.json's inactivity checks.
    pub inactive_days: u32,
    /// `--stale-days`: the threshold of findings.json's connection check.
    pub stale_days: u32,
    /// `--max-admins`: the threshold of findings.json's administrator check.
    pub max_admins: u32,
    /// API root used.
    pub api_url: String,
    /// Requests per second allowed at most (`--rate`).
    pub rate: f64,
    /// `--max-wait` in seconds.
    pub max_wait_secs: u64,
    /// `--max-time` in seconds: the run's deadline.
    pub max_time_secs: u64,
    /// `--concurrency`.
    pub concurrency: usize,
    /// `--reserve`: requests, or a percentage of the quota.
    pub reserve: String,
    /// `--on-quota`: `slow` or `stop`.
    #[schemars(extend("enum" = ["slow", "stop"]))]
    pub on_quota: &'static str,
    /// The vault profile whose key collected the bundle; absent when the run used no profile,
    /// so bundles from before profiles existed read the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// Request counters.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Requests {
    /// Attempts sent, retries included.
    pub total: u64,
    /// Retries after 5xx, timeouts or bad bodies.
    pub retries: u64,
    /// 429 answers (each waited out with every other request, unless the wait budget could
    /// not cover it).
    pub rate_limited: u64,
    /// Times a 429 made the run slow down (429s of requests already in flight then joined
    /// the same slow-down).
    pub slowdowns: u64,
    /// The rate in force at the end, requests per second (at most `options.rate`).
    pub final_rate: f64,
    /// The lowest rate in force during the run.
    pub lowest_rate: f64,
    /// Time spent waiting on retries, 429s and the quota reserve, in milliseconds; a pause
    /// every request waited out counts once.
    pub waited_ms: u64,
    /// Time lost in attempts that timed out, in milliseconds (counted against `--max-wait`
    /// with `waited_ms`).
    pub timed_out_ms: u64,
    /// Of that, time spent waiting for the quota reserve.
    pub reserve_wait_ms: u64,
    /// Time requests spent queued at the rate limiter, summed over requests.
    pub limiter_wait_ms: u64,
    /// `X-Rate-Limit` as reported.
    pub quota: Option<u64>,
    /// Lowest `X-Rate-Limit-Remaining` seen.
    pub lowest_remaining: Option<u64>,
}

impl From<&StatsSnapshot> for Requests {
    fn from(s: &StatsSnapshot) -> Self {
        Self {
            total: s.requests,
            retries: s.retries,
            rate_limited: s.rate_limited,
            slowdowns: s.slowdowns,
            final_rate: s.rate,
            lowest_rate: s.lowest_rate,
            waited_ms: s.waited_ms,
            timed_out_ms: s.timed_out_ms,
            reserve_wait_ms: s.reserve_wait_ms,
            limiter_wait_ms: s.limiter_wait_ms,
            quota: s.quota,
            lowest_remaining: s.lowest_remaining,
        }
    }
}

/// One artifact file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ArtifactEntry {
    /// Artifact name.
    pub resource: &'static str,
    /// Collected from the API, or derived from the other artifacts.
    pub kind: Kind,
    /// File name inside the bundle.
    pub path: &'static str,
    /// SHA-256 of the file, lower-case hex.
    #[schemars(regex(pattern = "^[0-9a-f]{64}$"))]
    pub sha256: String,
    /// File size.
    pub bytes: u64,
    /// Items in the file.
    pub count: usize,
    /// Completeness.
    pub status: Status,
    /// Why it is not complete.
    pub reason: Option<String>,
    /// What was redacted (paths and counts, never values).
    pub redactions: Vec<Redaction>,
}

/// One spreadsheet export, made from an artifact of the bundle.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TableEntry {
    /// File name inside the bundle, e.g. `access.csv`.
    pub path: &'static str,
    /// Always `derived`: computed from an artifact, never altering it.
    pub kind: Kind,
    /// The artifact each row is an item of.
    pub from: &'static str,
    /// SHA-256 of the file, lower-case hex.
    #[schemars(regex(pattern = "^[0-9a-f]{64}$"))]
    pub sha256: String,
    /// File size.
    pub bytes: u64,
    /// Rows, the header row not counted.
    pub rows: u64,
}

/// One endpoint template.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EndpointEntry {
    /// `GET /v1/...` template.
    pub endpoint: String,
    /// Attempts sent.
    pub requests: u64,
    /// Retries.
    pub retries: u64,
    /// 429s waited out.
    pub rate_limited: u64,
    /// Pages read (lists only).
    pub pages: u64,
    /// Items read (lists only, before de-duplication).
    pub items: u64,
    /// Lists started (one per parent item).
    pub lists: u64,
    /// Whether every list on this endpoint was read to its last page (`null` for objects).
    pub cursor_drained: Option<bool>,
}

impl EndpointEntry {
    /// Builds the per-endpoint entries from the counters.
    pub fn from_stats(stats: &StatsSnapshot) -> Vec<Self> {
        stats
            .endpoints
            .iter()
            .map(|(template, e)| Self {
                endpoint: format!("GET /v1{template}"),
                requests: e.requests,
                retries: e.retries,
                rate_limited: e.rate_limited,
                pages: e.pages,
                items: e.items,
                lists: e.lists,
                cursor_drained: (e.lists > 0).then_some(e.lists_drained == e.lists),
            })
            .collect()
    }
}

/// Something the API does not expose.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Limitation {
    /// Short name.
    pub topic: &'static str,
    /// What cannot be seen.
    pub statement: &'static str,
    /// Where the evidence lives instead, and what the operator can do.
    pub instead: &'static str,
}

/// The fixed list of what Fivetran's REST API cannot show.
pub fn limitations() -> Vec<Limitation> {
    vec![
        Limitation {
            topic: "audit_log",
            statement: "Fivetran's REST API has no audit-log endpoint: who changed what and when \
                        (user actions) cannot be read through it.",
            instead: "The user-action audit trail leaves Fivetran through the Fivetran Platform \
                      Connector (tables in your destination, schema fivetran_metadata by \
                      default) or an external log service. With an audit source in the vault \
                      file, audit_trail.json is that trail, read from those tables; \
                      audit_coverage.json says, per destination, whether such an export is \
                      switched on and working; changes.json, kept from run to run, is the \
                      configuration history the API does not keep.",
        },
        Limitation {
            topic: "sso_mfa",
            statement: "SSO/SAML enforcement, SCIM provisioning, two-factor and password policy \
                        settings are not exposed by the API.",
            instead: "Capture them from the Fivetran dashboard (Account Settings) or from your \
                      identity provider.",
        },
        Limitation {
            topic: "personal_api_keys",
            statement: "Users' personal (scoped) API keys cannot be listed: their existence, \
                        creation and last use are not in the API. Only system keys are \
                        (system_keys.json).",
            instead: "Review them per user in the dashboard, or use system keys with expiry for \
                      automation so they appear in this bundle.",
        },
        Limitation {
            topic: "permission_filtered_lists",
            statement: "Lists show only what the collecting key may see; a key with a narrow \
                        role yields fewer items without any error.",
            instead: "Collect with an Account Reviewer (or Administrator) key, or a system key \
                      with READ on every resource type; account.json names the key identity.",
        },
    ]
}
