//! `iru-fivetran doctor`: checks an API key before collections are scheduled.
//!
//! The credentials, API root and TLS roots are resolved by [`Config`] exactly as for
//! `collect` (the doctor's flags are handed over as `collect` flags), and every request goes
//! through the one [`Client`]: GET only, the rate limiter, retries (no quota reserve). The
//! check reads `/v1/account/info`, then one page or object per resource ([`probe`]), about 16
//! requests whatever the account's size, and writes nothing to disk. The report says where the
//! credentials came from ([`crate::credentials::Credentials::source`]), never what they are.

pub mod hints;
pub mod probe;
mod report;

use serde::Serialize;

use crate::cli::{Cli, CollectArgs, Command, DoctorArgs, ReportFormat};
use crate::client::{ApiError, Client};
use crate::collect::client_options;
use crate::config::Config;
use crate::endpoints::ACCOUNT_INFO;
use crate::exit;
use crate::output;
use crate::vocab::AccountInfo;

pub use probe::{Outcome, Probe};

/// The schema id of the `--format json` report.
pub const SCHEMA_ID: &str = "iru-fivetran/doctor/v1";

/// How long the check may spend waiting on retries and Retry-After: it is meant to answer
/// quickly, and a Fivetran that holds it back longer is itself the finding.
const MAX_WAIT: &str = "2m";

/// The overall finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
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
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// Always [`SCHEMA_ID`].
    #[schemars(extend("const" = SCHEMA_ID))]
    pub schema: &'static str,
    /// The finding.
    pub verdict: Verdict,
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
    /// Why the check failed, when it did.
    pub error: Option<String>,
}

/// Runs `doctor`; returns the exit code.
pub fn doctor_command(args: &DoctorArgs, env: &dyn Fn(&str) -> Option<String>) -> u8 {
    let format = args.log.log_format;
    let config = match collect_args(args)
        .and_then(|c| Config::from_args(&c, env).map_err(|e| e.to_string()))
    {
        Ok(config) => config,
        Err(e) => {
            output::report_error(format, &e);
            return exit::USAGE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::report_error(format, &format_args!("cannot start the async runtime: {e}"));
            return exit::FAILED;
        }
    };
    let report = runtime.block_on(check(&config));
    if !args.log.quiet || report.verdict != Verdict::Ready {
        report::print_text(&report);
    }
    if let Some(error) = &report.error {
        output::report_error(format, error);
    }
    if args.format == ReportFormat::Json
        && let Err(e) = report::write_json(&report)
    {
        output::report_error(format, &e);
        return exit::FAILED;
    }
    report.exit_code
}

/// The doctor's flags as `collect` flags, so [`Config`] resolves them the one way it does.
fn collect_args(args: &DoctorArgs) -> Result<CollectArgs, String> {
    use clap::Parser as _;
    let mut collect = match Cli::try_parse_from(["iru-fivetran", "collect"]) {
        Ok(Cli {
            command: Command::Collect(collect),
        }) => collect,
        _ => return Err("the doctor's collect settings do not parse".into()),
    };
    collect.api_url = args.api_url.clone();
    collect.credentials_file = args.credentials_file.clone();
    collect.profile = args.profile.clone();
    collect.ca_cert = args.ca_cert.clone();
    collect.max_wait = MAX_WAIT.into();
    // No reserve: the check's 16 requests are what tells the operator how much quota is left,
    // and a check held back at the reserve would report errors that are not the key's.
    collect.reserve = "0".into();
    Ok(collect)
}

/// Asks Fivetran; never fails: a refused key or an unreachable API is the report's verdict.
async fn check(config: &Config) -> Report {
    let mut report = Report {
        schema: SCHEMA_ID,
        verdict: Verdict::Failed,
        exit_code: exit::FAILED,
        credentials: config.credentials.source().to_string(),
        profile: config.credentials.profile().map(ToString::to_string),
        api_url: config.api_url.to_string(),
        account: None,
        quota: QuotaLeft::default(),
        requests: 0,
        probes: Vec::new(),
        error: None,
    };
    let client = match Client::new(&client_options(config), &config.credentials) {
        Ok(client) => client,
        Err(e) => {
            report.error = Some(format!("cannot build the HTTP client: {e}"));
            return report;
        }
    };
    let result = probe_all(&client, config, &mut report).await;
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
                (Verdict::Ready, exit::COMPLETE)
            } else {
                (Verdict::NotReady, exit::PARTIAL)
            };
        }
        Err(e) => report.error = Some(e),
    }
    report
}

/// Fills the account and the rows; `Err` (the message) when the key is refused or
/// `/v1/account/info` gives no answer at all.
async fn probe_all(client: &Client, config: &Config, report: &mut Report) -> Result<(), String> {
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
    let rows = probe::run_all(client, key_kind, config.window)
        .await
        .map_err(|e| e.to_string())?;
    report.probes.extend(rows);
    Ok(())
}

/// The message of an `/account/info` that gave no usable answer.
fn unreachable(error: &ApiError) -> String {
    format!(
        "{error}\nhint: check --api-url (it must end in /v1), the network and HTTPS_PROXY; behind a proxy that re-signs TLS, pass --ca-cert PATH"
    )
}
