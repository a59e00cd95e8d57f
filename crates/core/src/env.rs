//! Names of every environment variable the tool reads. Only the command layer reads the
//! environment; everything else gets its settings from it.

/// Base URL of the API, when neither `--api-url` nor the vault entry's `api_url` gives one.
pub const API_URL: &str = "FIVETRAN_API_URL";
/// Vault file path (same as `--credentials-file`).
pub const CREDENTIALS_FILE: &str = "IRU_FIVETRAN_CREDENTIALS_FILE";
/// API key, used when no vault file is named.
pub const API_KEY: &str = "FIVETRAN_API_KEY";
/// API secret, used when no vault file is named.
pub const API_SECRET: &str = "FIVETRAN_API_SECRET";
/// Vault profile to use (same as `--profile`, which wins over it).
pub const PROFILE: &str = "IRU_FIVETRAN_PROFILE";
/// Log filter in `tracing` syntax, overriding `-v`/`-q` (falls back to `RUST_LOG`).
pub const LOG: &str = "IRU_FIVETRAN_LOG";
/// The standard log filter variable, read when [`LOG`] is unset.
pub const RUST_LOG: &str = "RUST_LOG";
/// Set to anything non-empty to turn colour off (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// Test only: `1` makes every retry wait and rate-limit pause return at once (the wait is
/// still computed, logged and counted), so the test suite never sleeps for real.
pub const TEST_NO_DELAY: &str = "IRU_FIVETRAN_TEST_NO_DELAY";
