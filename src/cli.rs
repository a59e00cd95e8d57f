//! Command-line types, and nothing else: clap parses, [`crate::config`] decides. Flags become
//! [`config::Settings`] here ([`CollectArgs::settings`]).
//!
//! Every environment variable a flag can come from is named by a constant in
//! [`iru_fivetran_core::env`], so `--help` and the README list the same names.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod values;

pub use values::{ColorChoice, LogArgs, LogFormat, OnQuota};
use values::{Offered, artifact_names};

use crate::config;
use iru_fivetran_core::client::quota;
use iru_fivetran_core::env;
use iru_fivetran_core::schema;

/// The exit codes of `collect`, for its help and the top-level help (and so the man page).
macro_rules! collect_exit_codes {
    () => {
        "\
Exit codes:
  0  complete bundle: every selected artifact was collected in full
  1  the run failed (bad key or secret, output not writable, ...); no bundle
     that looks complete is left behind. Also when the bundle was written but
     its path could not be written to stdout (a full disk, an I/O error), or
     --archive or --summary-json could not be written: the bundle stays
  2  usage, configuration or credentials error, found before any request
     (also: --out is a bundle or inside one; too few file descriptors)
  3  partial bundle: the manifest says which artifacts are incomplete and why
  129, 130, 131, 143
     stopped by SIGHUP, SIGINT (Ctrl-C), SIGQUIT or SIGTERM: no bundle, and the
     temporary directory is removed
With --all-profiles, the worst of the profiles' codes: 1, then 3, then 0.
A reader that closes stdout early (collect | head) stopped reading on purpose:
the code is the run's own. A stderr that cannot be written changes nothing."
    };
}

const AFTER_HELP: &str = collect_exit_codes!();

const COLLECT_AFTER_HELP: &str = concat!(
    "\
Examples:
  iru-fivetran collect --credentials-file fivetran.toml -o evidence
  iru-fivetran collect -q --summary-json summary.json --archive        (cron, CI)
  iru-fivetran collect --resources users,teams,connections --since 7d
  iru-fivetran collect --all-profiles --credentials-file accounts.toml

",
    collect_exit_codes!()
);

/// Collects compliance evidence from a Fivetran account (read only).
#[derive(Debug, Parser)]
#[command(name = "iru-fivetran", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
// Parsed once per process: boxing the larger variant would save nothing that matters.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Read the whole account and write an evidence bundle (GET requests only).
    #[command(after_help = COLLECT_AFTER_HELP)]
    Collect(CollectArgs),
    /// Print what changed between two bundles of the same account (offline).
    #[command(after_help = DIFF_AFTER_HELP)]
    Diff(DiffArgs),
    /// Roll every bundle of one account in a folder up into one change log for a period, with
    /// where the series has gaps (offline; JSON, CSV or Markdown).
    #[command(after_help = CHANGES_AFTER_HELP)]
    Changes(ChangesArgs),
    /// Collect a built-in sample account served on loopback: a real run and a real bundle,
    /// no Fivetran key needed.
    Demo(DemoArgs),
    /// Print a shell completion script on stdout (offline).
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff, every command in one page) on stdout (offline).
    #[command(after_help = MAN_AFTER_HELP)]
    Man,
    /// Check a bundle offline: every hash, every envelope, no file missing or added.
    #[command(after_help = VERIFY_AFTER_HELP)]
    Verify(VerifyArgs),
    /// Render a bundle as a report for reviewers: one self-contained HTML file (no scripts, no
    /// network) or Markdown for tickets (offline; the bundle is verified first).
    #[command(after_help = REPORT_AFTER_HELP)]
    Report(ReportArgs),
    /// Check an API key before scheduling collections: where it comes from, whose it is, the
    /// quota left, and whether it can read each resource (about 16 GET requests, no bundle),
    /// and each audit source of its vault entry.
    #[command(after_help = DOCTOR_AFTER_HELP)]
    Doctor(DoctorArgs),
    /// Print the JSON Schema of a bundle file (`users`, `manifest`, ...); without NAME, list the
    /// names.
    Schema(SchemaArgs),
}

/// `iru-fivetran demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory under which the bundle directory is created.
    #[arg(long, value_name = "DIR", default_value = "iru-fivetran-demo")]
    pub out: PathBuf,

    /// Only errors on stderr (the bundle path is still printed on stdout).
    #[arg(short, long)]
    pub quiet: bool,

    /// Colour on stderr: `auto` when it is a terminal and `NO_COLOR` is not set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

const COMPLETIONS_AFTER_HELP: &str = "\
Install, for example (zsh: with ~/.zfunc in fpath):
  iru-fivetran completions bash > ~/.local/share/bash-completion/completions/iru-fivetran
  iru-fivetran completions zsh > ~/.zfunc/_iru-fivetran
  iru-fivetran completions fish > ~/.config/fish/completions/iru-fivetran.fish
  iru-fivetran completions powershell >> $PROFILE
  iru-fivetran completions elvish >> ~/.config/elvish/rc.elv";

const MAN_AFTER_HELP: &str = "\
Install, for example:
  iru-fivetran man > /usr/local/share/man/man1/iru-fivetran.1
Read without installing:
  iru-fivetran man | man -l -";

/// Arguments of `iru-fivetran completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

const VERIFY_AFTER_HELP: &str = "\
Checks, without credentials or network: every hash against SHA256SUMS and the manifest, each
file's size, each artifact's envelope (schema id, resource, kind, status, count), and that no
file is missing or added: every file but manifest.json, manifest.json.sig and SHA256SUMS must
be listed in the manifest. Each problem is one line on stderr, then a one-line verdict that
says whether the bundle is signed and what was checked: unsigned, signed, not checked (no
--public-key), or signature valid for KEY.

Exit codes:
  0  the bundle is intact
  1  it is not (or the path is not a bundle)
  2  usage error";

/// Flags of `iru-fivetran verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle directory (the path `collect` printed).
    pub bundle: PathBuf,
    /// `text`: problems and a verdict on stderr, nothing on stdout; `json`: the same on
    /// stderr, and a report on stdout (`iru-fivetran schema verify` describes it).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Also check `manifest.json.sig` (written by `collect --sign-key`) against this OpenSSH
    /// Ed25519 public key (a `.pub` file): the bundle is intact only if it is signed and the
    /// signature holds.
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<PathBuf>,
    /// Logging options.
    #[command(flatten)]
    pub log: LogArgs,
}

const REPORT_AFTER_HELP: &str = "\
Verifies the bundle first (as `verify` does). A bundle that does not verify is still rendered,
under a warning banner that lists the problems, and the exit code says so. The output depends on
the bundle and the flags only: the same bundle gives the same bytes.

Exit codes:
  0  the report was written from a bundle that verifies (and whose signature holds, with
     --public-key)
  1  no report: the path is not a bundle, or the output could not be written
  2  usage error
  3  the report was written, with a warning banner: the bundle does not verify, or its
     signature does not hold";

/// Flags of `iru-fivetran report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The bundle directory (the path `collect` printed).
    pub bundle: PathBuf,
    /// `html`: one self-contained page (inline CSS and SVG charts) that opens offline and
    /// prints to PDF; `md`: the same content as Markdown, for pasting into a ticket.
    #[arg(long, value_enum, default_value_t = DocumentFormat::Html)]
    pub format: DocumentFormat,
    /// Write the report to this file (replaced whole, never half-written) instead of stdout.
    /// Not inside the bundle: an added file would make it fail verification.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also check `manifest.json.sig` against this OpenSSH Ed25519 public key, as `verify`
    /// does; the report's header says whether it holds.
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<PathBuf>,
    /// Most rows shown per table; the rest are counted, and the bundle's CSV and JSON files
    /// hold them all.
    #[arg(long, value_name = "N", default_value_t = 2000,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_rows: u32,
    /// Logging options.
    #[command(flatten)]
    pub log: LogArgs,
}

/// Output of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocumentFormat {
    /// One self-contained HTML file.
    Html,
    /// Markdown (GitHub-flavoured tables).
    Md,
}

const DOCTOR_AFTER_HELP: &str = "\
Resolves the credentials exactly as `collect` does, reads /v1/account/info, then asks each
resource for the first page of its list (plus one user's memberships, one connection's schema
config and its sync history): one request each, about 16 in all, none when a list is empty.
When the vault entry names audit sources, it also lists the connections to find their Platform
Connectors and checks each source: its Platform Connector and how fresh its tables are, the
connection (TLS as configured), the schema and tables, SELECT on each, the rows in the window,
and prints the GRANT statements of a least-privilege reader.
The table goes to stderr; --format json also writes a report (iru-fivetran/doctor/v1) on
stdout. Nothing is written to disk, and no key, secret or password is ever printed.

Exit codes:
  0  every resource is readable (sync history not offered to the account counts as fine),
     and every audit source
  1  Fivetran refused the key (401) or could not be reached
  2  usage, configuration or credentials error, found before any request
  3  something is forbidden, unavailable or failed: each row says what to grant";

/// Flags of `iru-fivetran doctor`: the account flags of `collect`, and the output format.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The account to check, found as `collect` finds it.
    #[command(flatten)]
    pub account: AccountArgs,

    /// `text`: the table on stderr only; `json`: the table on stderr and a report on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Logging options.
    #[command(flatten)]
    pub log: LogArgs,
}

/// Output of `verify` and `doctor` on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Nothing on stdout: the problems and the verdict are on stderr.
    Text,
    /// A JSON report on stdout.
    Json,
}

/// Flags of `iru-fivetran schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The file whose schema to print: an artifact (`users`), `manifest`, `verify` (the
    /// report of `verify --format json`), `doctor` (that of `doctor --format json`),
    /// `summary` or `period` (that of `changes --format json`). Without it, the names are
    /// listed.
    #[arg(value_parser = Offered(schema::names), hide_possible_values = true)]
    pub name: Option<String>,
}

const DIFF_AFTER_HELP: &str = "\
Both bundles are verified (SHA256SUMS and manifest hashes) before they are compared.

Exit codes:
  0  the change log was printed (whether or not anything changed)
  1  a bundle does not verify, or the two are not comparable (different accounts or
     different resource selections)
  2  usage error";

/// Flags of `iru-fivetran diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier bundle directory.
    pub old: PathBuf,
    /// The later bundle directory.
    pub new: PathBuf,
    /// `text`: a readable summary, access changes first, naming any artifact left out of the
    /// comparison; `json`: the change items only, exactly as `changes.json` would hold them.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Logging options.
    #[command(flatten)]
    pub log: LogArgs,
}

const CHANGES_AFTER_HELP: &str = "\
Every bundle of the account whose run started in the period is verified and compared with the
one before it (the last bundle before the period included, so the period's first changes are
seen). Each change says between which two runs it happened. Gaps are listed: days without a
run (the series is read as a daily one), failed runs, bundles that do not verify (left out),
artifacts not whole and so not compared, and no bundle before the period.

Examples:
  iru-fivetran changes evidence --from 2026-01-01 --to 2026-06-30 > h1.md
  iru-fivetran changes evidence --from 2026-01-01 --to 2026-06-30 --out h1/

Exit codes:
  0  the change log was written, and the series has no gap
  1  no bundle of the account started in the period, or the output could not be written
  2  usage error (a date, a folder of several accounts without --account)
  3  the change log was written, and it lists gaps";

/// Flags of `iru-fivetran changes`.
#[derive(Debug, Args)]
pub struct ChangesArgs {
    /// The folder of bundles (the `--out` of `collect`).
    pub dir: PathBuf,
    /// The period's first day (UTC), `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// The period's last day (UTC), included, `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// The account, when the folder holds bundles of several.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// What to print on stdout: `md` (for a ticket or a workpaper), `json` (schema
    /// iru-fivetran/period/v1) or `csv` (one row per change). Not with --out.
    #[arg(long, value_enum, default_value_t = PeriodFormat::Md, conflicts_with = "out")]
    pub format: PeriodFormat,
    /// Write all three forms into this folder instead (`changes-<account>-<from>-<to>.md`,
    /// `.json`, `.csv`), each replaced whole, never half-written.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Logging options.
    #[command(flatten)]
    pub log: LogArgs,
}

/// Output of `changes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeriodFormat {
    /// Markdown.
    Md,
    /// The JSON document.
    Json,
    /// The changes as CSV.
    Csv,
}

/// Output of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Grouped, counted summary.
    Text,
    /// The same JSON as `changes.json`.
    Json,
}

/// Flags of `iru-fivetran collect`, grouped in `--help` by what they are about.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Directory under which the bundle directory is created.
    #[arg(short, long, value_name = "DIR", default_value = config::DEFAULT_OUT,
          help_heading = "Output")]
    pub out: PathBuf,

    /// Comma-separated artifacts to collect (default: all). `account` is always collected,
    /// since the bundle's name and manifest need it.
    #[arg(long, value_name = "LIST", value_delimiter = ',', help_heading = "What to collect",
          value_parser = Offered(artifact_names), hide_possible_values = true)]
    pub resources: Option<Vec<String>>,

    /// Comma-separated artifacts read from the API that this key is not meant to read (a
    /// system key scoped to some resources, a feature the account does not have). Each is
    /// written as `unavailable`, reason "left out by --skip", with no request made, so the
    /// run stays complete instead of failing every night; the manifest records the list.
    #[arg(long, value_name = "LIST", value_delimiter = ',', help_heading = "What to collect",
          value_parser = Offered(artifact_names), hide_possible_values = true)]
    pub skip: Option<Vec<String>>,

    /// The account to collect.
    #[command(flatten, next_help_heading = "Account")]
    pub account: AccountArgs,

    /// Collect every profile of the vault file, one bundle each, one after the other; one
    /// profile's failure does not stop the others. Exit code: the worst of them (1 over 3 over 0).
    /// Not with `--archive` or `--summary-json`, which describe one run.
    #[arg(long, conflicts_with_all = ["profile", "baseline", "archive", "summary_json"],
          help_heading = "Account")]
    pub all_profiles: bool,

    /// Start of the sync-history window (sync_history.json: the syncs that started since): a
    /// duration back from now (`90m`, `24h`, `1h30m`, `7d`, `2w`), a date (`2026-11-01`, from
    /// its first second, UTC) or an RFC 3339 time (without a zone: UTC). At most 92 days back.
    #[arg(long, value_name = "WHEN", default_value = config::DEFAULT_SINCE, help_heading = "What to collect")]
    pub since: String,

    /// findings.json reports users and system keys unused for more than this many days
    /// (by `logged_in_at` and `last_used_at`).
    #[arg(long, value_name = "DAYS", default_value_t = iru_fivetran_core::derive::findings::DEFAULT_INACTIVE_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=3650), help_heading = "What to collect")]
    pub inactive_days: u32,

    /// findings.json reports connections without a successful sync in this many days.
    #[arg(long, value_name = "DAYS", default_value_t = iru_fivetran_core::derive::findings::DEFAULT_STALE_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=3650), help_heading = "What to collect")]
    pub stale_days: u32,

    /// findings.json's administrator check (FT-ACCESS-001) fails when more users than this
    /// hold the Account Administrator role, directly or through a team.
    #[arg(long, value_name = "N", default_value_t = iru_fivetran_core::derive::findings::DEFAULT_MAX_ADMINS,
          value_parser = clap::value_parser!(u32).range(1..=100_000), help_heading = "What to collect")]
    pub max_admins: u32,

    /// The bundle `changes.json` compares against (default: the newest earlier bundle of the
    /// same account, resources and vault profile, under --out).
    #[arg(long, value_name = "BUNDLE", help_heading = "What to collect")]
    pub baseline: Option<PathBuf>,

    /// The most the run may spend waiting on retries and Fivetran's Retry-After, and lose in
    /// requests that timed out, in all (`90s`, `15m`, `2h`). A wait that would pass it is not
    /// made: that artifact stops with the reason instead of hanging (after a 429, the whole
    /// run: what is left is partial).
    #[arg(long, value_name = "DURATION", default_value = config::DEFAULT_MAX_WAIT, help_heading = "Pace")]
    pub max_wait: String,

    /// The most the whole run may take (`90m`, `6h`, at most `168h`). Past it the run stops:
    /// requests waiting or in flight end, and what is left is partial, with the reason.
    #[arg(long, value_name = "DURATION", default_value = config::DEFAULT_MAX_TIME)]
    pub max_time: String,

    /// Share of Fivetran's hourly quota the run never touches, left to other tools: a number of
    /// requests, or a percentage of the quota such as `20%` (the default).
    #[arg(long, value_name = "N|P%", default_value = config::DEFAULT_RESERVE, help_heading = "Pace")]
    pub reserve: String,

    /// At the reserve: `slow` waits for this run's own requests to leave the rolling hour;
    /// `stop` ends the remaining artifacts as partial with the reason.
    #[arg(long, value_enum, default_value_t = OnQuota::Slow, help_heading = "Pace")]
    pub on_quota: OnQuota,

    /// Requests in flight at once, across every artifact (the artifacts are read side by
    /// side), all through the one rate limiter (default 8, at most 64; fewer while Fivetran
    /// answers 429). Output is the same whatever the value.
    #[arg(long, value_name = "N", help_heading = "Pace")]
    pub concurrency: Option<usize>,

    /// Also write `<bundle>.tar.gz` beside the bundle: reproducible (the same bundle always
    /// gives the same bytes), files 0600; its SHA-256 is logged and put in the run summary.
    #[arg(long, help_heading = "Output")]
    pub archive: bool,

    /// Sign manifest.json with this OpenSSH Ed25519 private key (unencrypted, chmod 600),
    /// writing manifest.json.sig; check it with `ssh-keygen -Y verify -n iru-fivetran`.
    #[arg(long, value_name = "PATH", help_heading = "Output")]
    pub sign_key: Option<PathBuf>,

    /// An OpenSSH Ed25519 public key (a `.pub` file) an earlier bundle may be signed by to be
    /// the baseline of changes.json. With it or --sign-key, only a bundle signed by one of the
    /// two keys is a baseline: an unsigned one, which anyone who can write to --out could
    /// plant, is passed over (changes.json is then unavailable, or failed for --baseline).
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<PathBuf>,

    /// Write a JSON summary of the run to PATH whatever the outcome (schema
    /// iru-fivetran/summary/v1): status, exit code, bundle, artifacts, requests, archive hash.
    #[arg(long, value_name = "PATH", help_heading = "Output")]
    pub summary_json: Option<PathBuf>,

    /// Requests per second allowed by the client-side limiter, retries included
    /// (default 4: 14,400 an hour, 72% of Fivetran's 20,000, leaving the rest to other tools).
    /// The most: the run slows down below it when Fivetran answers 429.
    #[arg(long, value_name = "N", help_heading = "Pace")]
    pub rate: Option<f64>,

    /// Logging options.
    #[command(flatten, next_help_heading = "Logging")]
    pub log: LogArgs,
}

/// Where the account is and where its key comes from: the flags `collect` and `doctor` share.
#[derive(Debug, Args)]
pub struct AccountArgs {
    /// Base URL of the Fivetran REST API. `http://` is accepted for loopback hosts only.
    /// Without it: the vault entry's `api_url`, else FIVETRAN_API_URL, else Fivetran's.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,

    /// Vault file holding `api_key` and `api_secret` (TOML, or JSON with the same keys), or
    /// named accounts under `[profiles.NAME]`. Without it, FIVETRAN_API_KEY and
    /// FIVETRAN_API_SECRET are read.
    #[arg(long, value_name = "PATH", env = env::CREDENTIALS_FILE)]
    pub credentials_file: Option<PathBuf>,

    /// The vault profile to use (default: IRU_FIVETRAN_PROFILE, else the profile named
    /// `default`, else the only one).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// A PEM file of certificates to trust besides the system's, for a company proxy that
    /// re-signs TLS. `HTTPS_PROXY` and `NO_PROXY` are honoured as usual.
    #[arg(long, value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,
}

impl AccountArgs {
    /// The account as [`crate::config`] takes it.
    pub fn account(&self) -> config::Account {
        config::Account {
            api_url: self.api_url.clone(),
            credentials_file: self.credentials_file.clone(),
            profile: self.profile.clone(),
            ca_cert: self.ca_cert.clone(),
        }
    }
}

impl CollectArgs {
    /// The run these flags ask for, as [`crate::config`] takes it.
    pub fn settings(&self) -> config::Settings {
        config::Settings {
            account: self.account.account(),
            all_profiles: self.all_profiles,
            out: self.out.clone(),
            resources: self.resources.clone(),
            skip: self.skip.clone().unwrap_or_default(),
            since: self.since.clone(),
            inactive_days: self.inactive_days,
            stale_days: self.stale_days,
            max_admins: self.max_admins,
            baseline: self.baseline.clone(),
            max_wait: self.max_wait.clone(),
            max_time: self.max_time.clone(),
            reserve: self.reserve.clone(),
            on_quota: match self.on_quota {
                OnQuota::Slow => quota::OnQuota::Slow,
                OnQuota::Stop => quota::OnQuota::Stop,
            },
            concurrency: self.concurrency,
            sign_key: self.sign_key.clone(),
            public_key: self.public_key.clone(),
            rate: self.rate,
        }
    }
}
