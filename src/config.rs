//! Turns what a run is asked to do ([`Settings`]) and the environment into one checked
//! [`Config`], once.
//!
//! [`Settings`] is plain data: `collect`'s flags become one ([`crate::cli::CollectArgs::settings`]),
//! and `doctor` and `demo` build theirs in code, so no command parses another's command line.
//! Nothing below this module reads the environment or clap: the client, the resources and the
//! bundle writer get their settings from [`Config`]. Every problem found here is a usage or
//! configuration error (exit 2), reported before any request is made.

mod parse;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use url::Url;

use iru_fivetran_core::client::quota::{OnQuota, Reserve};
use iru_fivetran_core::client::{self, Delays};
use iru_fivetran_core::credentials::{self, Choice, Credentials, CredentialsError};
use iru_fivetran_core::derive::findings::{
    DEFAULT_INACTIVE_DAYS, DEFAULT_MAX_ADMINS, DEFAULT_STALE_DAYS,
};
use iru_fivetran_core::env;
use iru_fivetran_core::evidence::sign::{SignError, SigningKey, TrustedKey};
use iru_fivetran_core::files;
use iru_fivetran_core::vocab::{Artifact, Window};

/// `--out` when not given.
pub const DEFAULT_OUT: &str = "evidence";

/// `--since` when not given.
pub const DEFAULT_SINCE: &str = "24h";

/// `--max-wait` when not given.
pub const DEFAULT_MAX_WAIT: &str = "15m";

/// `--max-time` when not given: far longer than any account takes at the default rate (the
/// largest benchmarked, 51,732 requests, needs 3 h 35 min at 4 a second), short enough that a
/// server holding every request open cannot keep a scheduled run going into the next one.
pub const DEFAULT_MAX_TIME: &str = "6h";

/// `--reserve` when not given.
pub const DEFAULT_RESERVE: &str = "20%";

/// Fivetran's public API root.
pub const DEFAULT_API_URL: &str = "https://api.fivetran.com/v1";

/// Default client-side rate: 4 requests per second is 14,400 an hour, 72% of the 20,000 a paid
/// account gets per rolling hour, so other tools sharing the quota keep 5,600.
pub const DEFAULT_RATE: f64 = 4.0;

/// The highest `--rate` accepted; far above anything Fivetran allows, low enough to stay sane.
const MAX_RATE: f64 = 1000.0;

/// Default `--concurrency`. Overlap hides latency: to keep a limiter of R requests/s busy
/// when a request takes L seconds, about R × L requests must be in flight. At the default
/// 4 requests/s and Fivetran's usual 0.2–1 s per request (schema configs of big databases take
/// longer) that is 1–4; 8 leaves headroom for slow answers and is still a light load.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// The highest `--concurrency` accepted.
const MAX_CONCURRENCY: usize = 64;

/// The furthest back `--since` may reach: each connection costs one request per 7 days of
/// window, so a quarter keeps a 3,000-connection account at 42,000 requests.
const MAX_SINCE_DAYS: i64 = 92;

/// Where a command finds its account: the API root and the key. `collect` and `doctor` take
/// the same four flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    /// `--api-url`.
    pub api_url: Option<String>,
    /// `--credentials-file` (or `IRU_FIVETRAN_CREDENTIALS_FILE`, which clap reads).
    pub credentials_file: Option<PathBuf>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--ca-cert`.
    pub ca_cert: Option<PathBuf>,
}

/// What a `collect` run is asked to do, not yet checked: `collect`'s flags, or what `doctor`
/// and `demo` ask for. [`Settings::default`] is `collect` without a flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The account and its key.
    pub account: Account,
    /// `--all-profiles`.
    pub all_profiles: bool,
    /// `--out`.
    pub out: PathBuf,
    /// `--resources`, split at commas; `None`: all.
    pub resources: Option<Vec<String>>,
    /// `--skip`, split at commas.
    pub skip: Vec<String>,
    /// `--since`.
    pub since: String,
    /// `--inactive-days`.
    pub inactive_days: u32,
    /// `--stale-days`.
    pub stale_days: u32,
    /// `--max-admins`.
    pub max_admins: u32,
    /// `--baseline`.
    pub baseline: Option<PathBuf>,
    /// `--max-wait`.
    pub max_wait: String,
    /// `--max-time`.
    pub max_time: String,
    /// `--reserve`.
    pub reserve: String,
    /// `--on-quota`.
    pub on_quota: OnQuota,
    /// `--concurrency`; `None`: [`DEFAULT_CONCURRENCY`].
    pub concurrency: Option<usize>,
    /// `--sign-key`.
    pub sign_key: Option<PathBuf>,
    /// `--public-key`: a key an earlier bundle may be signed by to be the baseline.
    pub public_key: Option<PathBuf>,
    /// `--rate`; `None`: [`DEFAULT_RATE`].
    pub rate: Option<f64>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            account: Account::default(),
            all_profiles: false,
            out: PathBuf::from(DEFAULT_OUT),
            resources: None,
            skip: Vec::new(),
            since: DEFAULT_SINCE.into(),
            inactive_days: DEFAULT_INACTIVE_DAYS,
            stale_days: DEFAULT_STALE_DAYS,
            max_admins: DEFAULT_MAX_ADMINS,
            baseline: None,
            max_wait: DEFAULT_MAX_WAIT.into(),
            max_time: DEFAULT_MAX_TIME.into(),
            reserve: DEFAULT_RESERVE.into(),
            on_quota: OnQuota::Slow,
            concurrency: None,
            sign_key: None,
            public_key: None,
            rate: None,
        }
    }
}

/// Everything `collect` needs, checked.
#[derive(Debug)]
pub struct Config {
    /// API root, always ending in `/v1`, https unless the host is loopback.
    pub api_url: Url,
    /// Directory under which the bundle is created.
    pub out_dir: PathBuf,
    /// Artifacts to collect; always holds [`Artifact::Account`].
    pub artifacts: BTreeSet<Artifact>,
    /// `--skip`: artifacts read from the API that are written `unavailable` without a request.
    pub skip: BTreeSet<Artifact>,
    /// Requests per second for the client-side limiter.
    pub rate: f64,
    /// Follow-up requests in flight at once.
    pub concurrency: usize,
    /// API key and secret.
    pub credentials: Credentials,
    /// Real or skipped waits.
    pub delays: Delays,
    /// The sync-history window: from `--since` to the start of the run.
    pub window: Window,
    /// `--since` as given, to move the window to a later start ([`Config::restart_at`]).
    pub since: Since,
    /// `--inactive-days`: users and system keys unused longer are reported in findings.json.
    pub inactive_days: u32,
    /// `--stale-days`: connections without a success for longer are reported in findings.json.
    pub stale_days: u32,
    /// `--max-admins`: more administrators than this fail findings.json's FT-ACCESS-001.
    pub max_admins: u32,
    /// `--baseline`, if given.
    pub baseline: Option<PathBuf>,
    /// `--max-wait`: the run's waiting budget.
    pub max_wait: std::time::Duration,
    /// `--max-time`: the run's deadline, from the client's start.
    pub max_time: std::time::Duration,
    /// Certificates from `--ca-cert`.
    pub extra_roots: Vec<reqwest::Certificate>,
    /// `--reserve`.
    pub reserve: Reserve,
    /// `--on-quota`.
    pub on_quota: OnQuota,
    /// `--sign-key`, loaded and checked (Ed25519, unencrypted, not readable by others).
    pub sign_key: Option<SigningKey>,
    /// The keys a baseline of `changes.json` must be signed by (one of): `--sign-key`'s public
    /// half and `--public-key`. Empty: no signature is asked for.
    pub baseline_keys: Vec<TrustedKey>,
}

/// A problem with flags, environment or credentials (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--api-url` is not acceptable.
    #[error("invalid API URL: {reason}\nhint: {hint}")]
    ApiUrl {
        /// What is wrong.
        reason: String,
        /// How to fix it.
        hint: &'static str,
    },
    /// `--resources` names something unknown.
    #[error("unknown resource `{name}` in --resources{}\nhint: valid names are: {valid}", suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownResource {
        /// The offending name, as given.
        name: String,
        /// The valid name it is closest to, if one is close.
        suggestion: Option<&'static str>,
        /// Every valid name, comma-separated.
        valid: String,
    },
    /// `--skip` names something unknown.
    #[error("unknown artifact `{name}` in --skip{}\nhint: it takes the artifacts read from the API: {valid}", suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownSkip {
        /// The offending name, as given.
        name: String,
        /// The valid name it is closest to, if one is close.
        suggestion: Option<&'static str>,
        /// Every name `--skip` takes, comma-separated.
        valid: String,
    },
    /// `--skip` names an artifact it cannot leave out.
    #[error("--skip {name}: {why}\nhint: {hint}")]
    CannotSkip {
        /// The artifact.
        name: &'static str,
        /// Why not.
        why: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// `--resources` was given but names nothing.
    #[error(
        "--resources names no artifact\nhint: leave it out to collect everything, or name some: {valid}"
    )]
    NoResources {
        /// Every valid name, comma-separated.
        valid: String,
    },
    /// `--concurrency` is out of range.
    #[error(
        "--concurrency must be between 1 and {MAX_CONCURRENCY}, got {0}\nhint: the default is {DEFAULT_CONCURRENCY}; the rate limit, not concurrency, bounds the load on Fivetran"
    )]
    Concurrency(usize),
    /// `--rate` is out of range.
    #[error(
        "--rate must be a number of requests per second above 0 and at most {MAX_RATE}, got {0}\nhint: the default is {DEFAULT_RATE}; a trial account (500 requests an hour) needs 0.1"
    )]
    Rate(f64),
    /// `--since` is not a duration or time, or reaches too far back.
    #[error(
        "--since {given:?}: {problem}\nhint: use a duration back from now such as 24h, 1h30m, 7d or 2w, a date such as 2026-11-01 (its first second, UTC), or an RFC 3339 time such as 2026-11-01T00:00:00Z"
    )]
    Since {
        /// The value given (a duration or time, never a secret).
        given: String,
        /// What is wrong.
        problem: String,
    },
    /// `--reserve` is not a number of requests or a percentage.
    #[error(
        "--reserve {0:?} is not a number of requests or a percentage\nhint: use e.g. 4000 or 20% (at most 90%)"
    )]
    Reserve(String),
    /// `--max-wait` is not a duration.
    #[error(
        "--max-wait {0:?} is not a duration\nhint: use seconds, minutes or hours, such as 90s, 15m or 2h (at most 24h)"
    )]
    MaxWait(String),
    /// `--max-time` is not a duration.
    #[error(
        "--max-time {0:?} is not a duration\nhint: use seconds, minutes or hours, such as 90m or 6h (from 1s to 168h)"
    )]
    MaxTime(String),
    /// `--ca-cert` cannot be read or holds no certificate.
    #[error("--ca-cert {path}: {problem}\nhint: give a PEM file with one or more `-----BEGIN CERTIFICATE-----` blocks", path = path.display())]
    CaCert {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Credentials could not be resolved.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// `--sign-key` or `--public-key` cannot be used.
    #[error(transparent)]
    SignKey(#[from] SignError),
}

/// `--since` as given: a duration back from the start of each run, or a fixed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// `24h`, `7d`...: the window ends, and starts this long before, when the run starts.
    Ago(SignedDuration),
    /// An RFC 3339 time.
    At(Timestamp),
}

impl Since {
    /// The sync-history window of a run that starts at `now`.
    pub fn window(self, now: Timestamp) -> Window {
        let start = match self {
            Since::Ago(back) => now.checked_sub(back).unwrap_or(now),
            Since::At(t) => t,
        };
        Window { start, end: now }
    }
}

impl Config {
    /// Builds the configuration of a single `collect` run from its settings and an environment
    /// lookup; with `--all-profiles`, the first profile's (see [`Config::runs`]).
    ///
    /// `env` is injected so tests can drive precedence without touching the process environment.
    pub fn one(
        settings: &Settings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut runs = Self::runs(settings, env)?;
        Ok(runs.remove(0))
    }

    /// The configuration of each run `collect` makes: one, or one per vault profile with
    /// `--all-profiles` (in name order). Everything is checked, every profile included, before
    /// any is returned.
    ///
    /// Precedence: the profile is `--profile`, else `IRU_FIVETRAN_PROFILE` (ignored with
    /// `--all-profiles`); the API root is `--api-url`, else the vault entry's `api_url`, else
    /// `FIVETRAN_API_URL`, else Fivetran's: the vault file wins over the environment for the URL
    /// as for the key.
    pub fn runs(
        settings: &Settings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<Self>, ConfigError> {
        let artifacts = parse_resources(settings.resources.as_deref())?;
        let skip = parse_skip(&settings.skip)?;
        let now = Timestamp::now();
        let since = parse_since_spec(&settings.since, now)?;
        let rate = settings.rate.unwrap_or(DEFAULT_RATE);
        if !(rate > 0.0 && rate <= MAX_RATE) {
            return Err(ConfigError::Rate(rate));
        }
        let max_wait = parse_max_wait(&settings.max_wait)?;
        let max_time = parse_max_time(&settings.max_time)?;
        let reserve = parse_reserve(&settings.reserve)?;
        let on_quota = settings.on_quota;
        let extra_roots = match &settings.account.ca_cert {
            Some(path) => read_ca_cert(path)?,
            None => Vec::new(),
        };
        let concurrency = settings.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(ConfigError::Concurrency(concurrency));
        }
        let sign_key = settings
            .sign_key
            .as_deref()
            .map(SigningKey::load)
            .transpose()?;
        let named = settings.public_key.as_deref().map(TrustedKey::load);
        let own = sign_key.iter().map(SigningKey::trusted_key);
        let baseline_keys: Vec<_> = own.chain(named.transpose()?).collect();
        let flag_url = match &settings.account.api_url {
            Some(raw) => Some(parse_api_url(raw)?),
            None => None,
        };
        let env_url = env(env::API_URL).filter(|v| !v.trim().is_empty());
        let choice = if settings.all_profiles {
            Choice::All
        } else if let Some(name) = &settings.account.profile {
            Choice::Named {
                name: name.clone(),
                from: "--profile",
            }
        } else if let Some(name) = env(env::PROFILE).filter(|v| !v.is_empty()) {
            Choice::Named {
                name,
                from: env::PROFILE,
            }
        } else {
            Choice::Default
        };
        let all = credentials::resolve_choice(
            settings.account.credentials_file.as_deref(),
            &choice,
            env,
        )?;
        let delays = match env(env::TEST_NO_DELAY).as_deref() {
            Some("1") => Delays::Skip,
            _ => Delays::Real,
        };
        all.into_iter()
            .map(|credentials| {
                let api_url = match (&flag_url, credentials.api_url(), &env_url) {
                    (Some(url), _, _) => url.clone(),
                    (None, Some(raw), _) => parse_api_url(raw).map_err(|e| match e {
                        ConfigError::ApiUrl { reason, hint } => ConfigError::ApiUrl {
                            reason: format!("api_url of {}: {reason}", credentials.source()),
                            hint,
                        },
                        other => other,
                    })?,
                    (None, None, Some(raw)) => parse_api_url(raw)?,
                    (None, None, None) => parse_api_url(DEFAULT_API_URL)?,
                };
                Ok(Self {
                    api_url,
                    out_dir: settings.out.clone(),
                    artifacts: artifacts.clone(),
                    skip: skip.clone(),
                    rate,
                    concurrency,
                    credentials,
                    delays,
                    window: since.window(now),
                    since,
                    inactive_days: settings.inactive_days,
                    stale_days: settings.stale_days,
                    max_admins: settings.max_admins,
                    baseline: settings.baseline.clone(),
                    max_wait,
                    max_time,
                    extra_roots: extra_roots.clone(),
                    reserve,
                    on_quota,
                    sign_key: sign_key.clone(),
                    baseline_keys: baseline_keys.clone(),
                })
            })
            .collect()
    }

    /// The client settings of this run: `collect` and `doctor` build their one client from
    /// these.
    pub fn client_options(&self) -> client::Options {
        client::Options {
            api_url: self.api_url.clone(),
            rate: self.rate,
            delays: self.delays,
            policy: client::retry::Policy {
                max_wait: self.max_wait,
                ..client::retry::Policy::default()
            },
            timeout: client::REQUEST_TIMEOUT,
            max_body: client::MAX_BODY_BYTES,
            extra_roots: self.extra_roots.clone(),
            reserve: self.reserve,
            on_quota: self.on_quota,
            concurrency: self.concurrency,
            max_time: Some(self.max_time),
        }
    }

    /// Moves the sync-history window to a run starting at `now` (the second and later runs of
    /// `--all-profiles` start when the one before ends).
    pub fn restart_at(&mut self, now: Timestamp) {
        self.window = self.since.window(now);
    }
}

/// The largest `--ca-cert` file read: far more than any certificate bundle.
const MAX_CA_CERT_BYTES: u64 = 4 * 1024 * 1024;

/// Reads the certificates of `--ca-cert`; the file must be a regular one (a FIFO or
/// `/dev/zero` is refused before it is opened) of at most [`MAX_CA_CERT_BYTES`], holding at
/// least one certificate.
fn read_ca_cert(path: &Path) -> Result<Vec<reqwest::Certificate>, ConfigError> {
    let problem = |problem: String| ConfigError::CaCert {
        path: path.to_owned(),
        problem,
    };
    let pem = files::read_input(path, MAX_CA_CERT_BYTES).map_err(|failure| match failure {
        files::InputFailure::TooLarge(_) => {
            problem("larger than a certificate bundle can be (4 MiB)".into())
        }
        other => problem(other.to_string()),
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| problem(format!("not a PEM certificate bundle ({e})")))?;
    if certs.is_empty() {
        return Err(problem("holds no certificate".into()));
    }
    Ok(certs)
}

pub use parse::{
    closest, parse_api_url, parse_max_time, parse_max_wait, parse_reserve, parse_resources,
    parse_since, parse_since_spec, parse_skip,
};

#[cfg(test)]
mod tests;
