//! `iru-fivetran doctor`: checks an API key before collections are scheduled.
//!
//! The credentials, API root and TLS roots are resolved by [`Config`] exactly as for
//! `collect` (the doctor asks for a `collect` of its account, with its own waiting budget and
//! no quota reserve), one client is built from them, [`doctor::check`] makes the probes and
//! [`doctor::check_audit`] checks the vault entry's audit sources.
//! The table goes to stderr (`show.rs`); `--format json` also writes the [`Checkup`] on stdout.

mod show;

use iru_fivetran_core::client::Client;
use iru_fivetran_core::doctor::{self, Checkup, Readiness};
use iru_fivetran_core::exit;

use crate::cli::{DoctorArgs, OutputFormat};
use crate::config::{Config, Settings};
use crate::output;

/// How long the check may spend waiting on retries and Retry-After: it is meant to answer
/// quickly, and a Fivetran that holds it back longer is itself the finding.
const MAX_WAIT: &str = "2m";

/// The most the check may take in all: twenty requests, even against a server that holds
/// each open to the request timeout.
const MAX_TIME: &str = "5m";

/// Runs `doctor`; returns the exit code.
pub fn command(args: &DoctorArgs, env: &dyn Fn(&str) -> Option<String>) -> u8 {
    let format = args.log.log_format;
    let config = match Config::one(&settings(args), env) {
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
    let checkup = runtime.block_on(check(&config));
    if !args.log.quiet || checkup.verdict != Readiness::Ready {
        show::print_text(&checkup);
    }
    if let Some(error) = &checkup.error {
        output::report_error(format, error);
    }
    if args.format == OutputFormat::Json
        && let Err(e) = show::write_json(&checkup)
    {
        output::report_error(format, &e);
        return exit::FAILED;
    }
    checkup.exit_code
}

/// The doctor's account as a `collect` of it, so [`Config`] resolves it the one way it does.
fn settings(args: &DoctorArgs) -> Settings {
    Settings {
        account: args.account.account(),
        max_wait: MAX_WAIT.into(),
        max_time: MAX_TIME.into(),
        // No reserve: the check's 20 requests are what tells the operator how much quota is
        // left, and a check held back at the reserve would report errors that are not the key's.
        reserve: "0".into(),
        ..Settings::default()
    }
}

/// Builds the client and checks; a client that cannot be built is the checkup's error.
async fn check(config: &Config) -> Checkup {
    let checkup = Checkup::new(
        config.credentials.source().to_string(),
        config.credentials.profile().map(ToString::to_string),
        config.api_url.to_string(),
    );
    match Client::new(&config.client_options(), &config.credentials) {
        Ok(client) => {
            let checkup = doctor::check(&client, config.window, checkup).await;
            let sources = config.credentials.audit_sources();
            let net = iru_fivetran_core::warehouse::Net {
                extra_roots: config.extra_roots.clone(),
                max_wait: config.max_wait,
            };
            doctor::check_audit(&client, sources, config.window, &net, checkup).await
        }
        Err(e) => Checkup {
            error: Some(format!("cannot build the HTTP client: {e}")),
            ..checkup
        },
    }
}
