//! Where the API key and secret come from, and the one place the secret is exposed.
//!
//! Sources, in order: a vault file named by `--credentials-file` / `IRU_FIVETRAN_CREDENTIALS_FILE`
//! (TOML or JSON, one account or named profiles: see [`vault`]), else `FIVETRAN_API_KEY` and
//! `FIVETRAN_API_SECRET`. Sources are never mixed. Both values live in [`SecretString`]s from the
//! moment they are checked; [`Credentials::authorization_header`] is the only function that calls
//! `expose_secret`, and the only one that derives the forms of the secret the client scrubs
//! from server text ([`Scrubber`]). No error message here quotes a value from the file or the
//! environment.
//!
//! Which profile of a file with profiles: the one named (`--profile`, else
//! `IRU_FIVETRAN_PROFILE`; see [`Choice`]); without a name, the profile `default`, else the only
//! one; several and none chosen is an error listing their names. `--all-profiles` takes them all.
//!
//! A vault entry may also name the warehouses its audit trail is read from ([`audit`]); their
//! passwords follow the same rule, exposed only by [`audit::AuditSource::pg_config`].

pub mod audit;
pub mod vault;

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE as BASE64_URL_SAFE};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::env;
use crate::files;
use crate::text::Scrubber;
pub use audit::AuditSource;
pub use vault::{
    MAX_PROFILE_NAME, ProfileName, Vault, VaultAccount, VaultAuditSource, parse_vault,
};

/// A vault file larger than this is not a credentials file; refuse before reading it whole.
const MAX_VAULT_BYTES: u64 = 64 * 1024;

/// Where the credentials were found (said in logs and errors; the values never are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A vault file holding one account.
    File(PathBuf),
    /// A named profile of a vault file.
    Profile(PathBuf, ProfileName),
    /// `FIVETRAN_API_KEY` and `FIVETRAN_API_SECRET`.
    Environment,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => write!(f, "credentials file {}", p.display()),
            Source::Profile(p, name) => {
                write!(f, "profile `{name}` of credentials file {}", p.display())
            }
            Source::Environment => write!(f, "{} and {}", env::API_KEY, env::API_SECRET),
        }
    }
}

/// Which account of the vault file to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// None named: the single account, or the profile `default`, or the only profile.
    Default,
    /// A profile named by the user; `from` says how (`--profile` or the variable), for messages.
    Named {
        /// The name as given, not yet checked.
        name: String,
        /// `--profile` or [`env::PROFILE`].
        from: &'static str,
    },
    /// Every profile, in name order (`--all-profiles`).
    All,
}

/// An API key and secret pair, with the API root its vault entry names, if any. `Debug` shows
/// only the source.
pub struct Credentials {
    key: SecretString,
    secret: SecretString,
    source: Source,
    api_url: Option<String>,
    audit_sources: Vec<AuditSource>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &"[redacted]")
            .field("secret", &"[redacted]")
            .field("source", &self.source)
            .field("audit_sources", &self.audit_sources)
            .finish()
    }
}

impl Credentials {
    /// The audit sources of the vault entry, checked, in the file's order (none from the
    /// environment).
    pub fn audit_sources(&self) -> &[AuditSource] {
        &self.audit_sources
    }

    /// Where these credentials came from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The vault profile these credentials are, if they come from one.
    pub fn profile(&self) -> Option<&ProfileName> {
        match &self.source {
            Source::Profile(_, name) => Some(name),
            Source::File(_) | Source::Environment => None,
        }
    }

    /// The `api_url` of the vault entry, unchecked (`config` checks it like `--api-url`).
    pub fn api_url(&self) -> Option<&str> {
        self.api_url.as_deref()
    }

    /// The `Authorization: Basic base64(key:secret)` header value, marked sensitive so that
    /// reqwest and hyper never print it. This is the only place the key and secret are exposed.
    ///
    /// It also registers with `scrubber` the forms of the secret a server could echo: the
    /// secret, `key:secret` and its base64 form (the header's value, with and without padding,
    /// in both base64 alphabets), so that client can remove them from every answer. They are
    /// derived here, from the one exposure, and held only by the scrubber (zeroed on drop).
    pub fn authorization_header(&self, scrubber: &mut Scrubber) -> HeaderValue {
        let key = self.key.expose_secret();
        let secret = self.secret.expose_secret();
        let pair = Zeroizing::new(format!("{key}:{secret}"));
        let encoded = Zeroizing::new(BASE64.encode(pair.as_bytes()));
        let mut value = HeaderValue::try_from(format!("Basic {}", encoded.as_str()))
            .expect("base64 output is always a valid header value");
        value.set_sensitive(true);
        let url_safe = Zeroizing::new(BASE64_URL_SAFE.encode(pair.as_bytes()));
        let secret_alone = Zeroizing::new(BASE64.encode(secret.as_bytes()));
        for form in [pair.as_str(), secret, &encoded, &url_safe, &secret_alone] {
            // Padded and not: an echo may drop base64's `=` padding.
            scrubber.register(form);
            scrubber.register(form.trim_end_matches('='));
        }
        value
    }
}

/// Why credentials could not be resolved (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// Neither a vault file nor the environment variables.
    #[error(
        "no Fivetran credentials found\nhint: pass --credentials-file PATH (or set {file}), or set {key} and {secret}",
        file = env::CREDENTIALS_FILE, key = env::API_KEY, secret = env::API_SECRET
    )]
    Missing,
    /// One of the two environment variables is set, the other is not.
    #[error("{set} is set but {missing} is not\nhint: set both, or use --credentials-file PATH")]
    HalfSet {
        /// The variable that is set.
        set: &'static str,
        /// The variable that is missing or empty.
        missing: &'static str,
    },
    /// A value is unusable (empty, contains a control character, key contains `:`).
    #[error(
        "{field} from {origin} {problem}\nhint: copy the key and secret again from the Fivetran dashboard"
    )]
    BadValue {
        /// `api_key` or `api_secret` (or the variable name).
        field: &'static str,
        /// Where it came from.
        origin: Source,
        /// What is wrong, never the value.
        problem: &'static str,
    },
    /// The vault file could not be read.
    #[error("cannot read credentials file {path}: {cause}\nhint: check the path given by --credentials-file or {var}", path = path.display(), var = env::CREDENTIALS_FILE)]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The vault file is a directory, a FIFO, a device...: refused before it is opened.
    #[error("credentials file {path} is {kind}, not a regular file\nhint: give the path of the credentials file itself (a TOML or JSON file, readable by its owner only) with --credentials-file or {var}", path = path.display(), var = env::CREDENTIALS_FILE)]
    NotAFile {
        /// The path given.
        path: PathBuf,
        /// What it is (`a directory`, `a FIFO (named pipe)`...).
        kind: &'static str,
    },
    /// The vault file may be read by group or others.
    #[error("credentials file {path} is readable by group or others (mode {mode:03o})\nhint: chmod 600 {path}", path = path.display())]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The vault file is not valid TOML or JSON, or lacks a key, or has one of the wrong type.
    #[error("credentials file {path} {problem}\nhint: the file holds api_key = \"...\" and api_secret = \"...\" (and optionally api_url), or one [profiles.NAME] table of those per account; JSON takes the same keys in objects", path = path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, with a line number where known but never the line's text.
        problem: String,
    },
    /// An `[[audit_sources]]` entry cannot be used.
    #[error("credentials file {path}: audit source {number}{at} {problem}\nhint: {hint}", path = path.display())]
    AuditSource {
        /// The file.
        path: PathBuf,
        /// Its place among the entry's audit sources, from 1.
        number: usize,
        /// ` in profile `x`` or nothing.
        at: String,
        /// What is wrong (no secret).
        problem: String,
        /// What to do.
        hint: String,
    },
    /// A profile was named (or all asked for) but the credentials come from the environment.
    #[error("{from} needs a credentials file with profiles, and none is named\nhint: pass --credentials-file PATH (or set {file}){unset}", file = env::CREDENTIALS_FILE, unset = if *from == env::PROFILE { format!(", or unset {}", env::PROFILE) } else { String::new() })]
    ProfileWithoutFile {
        /// `--profile`, `--all-profiles` or [`env::PROFILE`].
        from: &'static str,
    },
    /// The profile name given is not a name (never quoted: it may be anything).
    #[error(
        "{from} is not a profile name: profile names are 1 to {MAX_PROFILE_NAME} letters, digits, `_` or `-`\nhint: check the name given by {from}"
    )]
    BadProfileName {
        /// `--profile` or [`env::PROFILE`].
        from: &'static str,
    },
    /// The profile named is not in the file.
    #[error(
        "credentials file {path} has no profile `{name}`\nhint: {}",
        available_hint(available)
    )]
    UnknownProfile {
        /// The name, checked.
        name: ProfileName,
        /// The file.
        path: PathBuf,
        /// The file's profile names (empty: a single-account file).
        available: Vec<ProfileName>,
    },
    /// Several profiles, none named `default`, and none chosen.
    #[error(
        "credentials file {path} holds several profiles and none is chosen\nhint: pass --profile NAME (one of: {}), name one `default`, or pass --all-profiles",
        names(available)
    )]
    NoProfileChosen {
        /// The file.
        path: PathBuf,
        /// The file's profile names.
        available: Vec<ProfileName>,
    },
    /// `--all-profiles` with a single-account file.
    #[error("--all-profiles needs profiles, but credentials file {path} holds one account without them\nhint: drop --all-profiles, or put the account under [profiles.NAME]", path = path.display())]
    NoProfiles {
        /// The file.
        path: PathBuf,
    },
}

fn names(available: &[ProfileName]) -> String {
    let all: Vec<&str> = available.iter().map(ProfileName::as_str).collect();
    all.join(", ")
}

fn available_hint(available: &[ProfileName]) -> String {
    if available.is_empty() {
        "the file holds one account without profiles; drop --profile (and IRU_FIVETRAN_PROFILE)"
            .into()
    } else {
        format!("the profiles are: {}", names(available))
    }
}

/// Resolves the credentials of a run without a profile choice: the vault file if one is named
/// (its single account, or its default profile), else the environment.
pub fn resolve(
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, CredentialsError> {
    let mut all = resolve_choice(file, &Choice::Default, env)?;
    Ok(all.remove(0))
}

/// Resolves the credentials `choice` asks for: one, or with [`Choice::All`] every profile in
/// name order. Every entry is checked before any is returned, so a bad profile stops the run
/// before its first request.
pub fn resolve_choice(
    file: Option<&Path>,
    choice: &Choice,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Credentials>, CredentialsError> {
    let named = match choice {
        Choice::Named { name, from } => {
            Some(ProfileName::parse(name).ok_or(CredentialsError::BadProfileName { from })?)
        }
        Choice::Default | Choice::All => None,
    };
    let Some(path) = file else {
        return match choice {
            Choice::Default => from_environment(env).map(|c| vec![c]),
            Choice::Named { from, .. } => Err(CredentialsError::ProfileWithoutFile { from }),
            Choice::All => Err(CredentialsError::ProfileWithoutFile {
                from: "--all-profiles",
            }),
        };
    };
    let chosen = select(
        path,
        read_vault(path)?,
        named.as_ref(),
        choice == &Choice::All,
    )?;
    chosen
        .into_iter()
        .map(|(source, account)| build(account, source))
        .collect()
}

/// The entries of `vault` asked for, with their sources.
fn select(
    path: &Path,
    vault: Vault,
    named: Option<&ProfileName>,
    all: bool,
) -> Result<Vec<(Source, VaultAccount)>, CredentialsError> {
    let profiles = match vault {
        Vault::Single(_) if all => {
            return Err(CredentialsError::NoProfiles {
                path: path.to_owned(),
            });
        }
        Vault::Single(account) => {
            return match named {
                None => Ok(vec![(Source::File(path.to_owned()), account)]),
                Some(name) => Err(CredentialsError::UnknownProfile {
                    name: name.clone(),
                    path: path.to_owned(),
                    available: Vec::new(),
                }),
            };
        }
        Vault::Profiles(profiles) => profiles,
    };
    let source = |name: &ProfileName| Source::Profile(path.to_owned(), name.clone());
    if all {
        return Ok(profiles.into_iter().map(|(n, a)| (source(&n), a)).collect());
    }
    let default = ProfileName::parse("default").expect("a valid name");
    let wanted = match named {
        Some(name) => name.clone(),
        None if profiles.contains_key(&default) => default,
        None if profiles.len() == 1 => profiles.keys().next().expect("one").clone(),
        None => {
            return Err(CredentialsError::NoProfileChosen {
                path: path.to_owned(),
                available: profiles.into_keys().collect(),
            });
        }
    };
    let available: Vec<ProfileName> = profiles.keys().cloned().collect();
    let mut profiles = profiles;
    match profiles.remove(&wanted) {
        Some(account) => Ok(vec![(source(&wanted), account)]),
        None => Err(CredentialsError::UnknownProfile {
            name: wanted,
            path: path.to_owned(),
            available,
        }),
    }
}

fn from_environment(env: &dyn Fn(&str) -> Option<String>) -> Result<Credentials, CredentialsError> {
    let key = env(env::API_KEY).filter(|v| !v.trim().is_empty());
    let secret = env(env::API_SECRET).filter(|v| !v.trim().is_empty());
    match (key, secret) {
        (Some(api_key), Some(api_secret)) => build(
            VaultAccount {
                api_key,
                api_secret,
                api_url: None,
                audit_sources: Vec::new(),
            },
            Source::Environment,
        ),
        (Some(_), None) => Err(CredentialsError::HalfSet {
            set: env::API_KEY,
            missing: env::API_SECRET,
        }),
        (None, Some(_)) => Err(CredentialsError::HalfSet {
            set: env::API_SECRET,
            missing: env::API_KEY,
        }),
        (None, None) => Err(CredentialsError::Missing),
    }
}

fn read_vault(path: &Path) -> Result<Vault, CredentialsError> {
    // What it is, its mode and its size are judged before it is opened: a directory is not
    // told to `chmod 600`, a FIFO never blocks, a device is never read without end.
    let meta = files::input_metadata(path).map_err(|f| input_failure(path, f))?;
    check_permissions(path, &meta)?;
    if meta.len() > MAX_VAULT_BYTES {
        return Err(malformed(
            path,
            format!(
                "is {} bytes, larger than a credentials file can be",
                meta.len()
            ),
        ));
    }
    let bytes = files::read_input(path, MAX_VAULT_BYTES).map_err(|f| input_failure(path, f))?;
    let text = String::from_utf8(bytes).map_err(|_| CredentialsError::Unreadable {
        path: path.to_owned(),
        cause: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ),
    })?;
    parse_vault(&text).map_err(|problem| malformed(path, problem))
}

/// The error for a vault file that [`files::read_input`] refused.
fn input_failure(path: &Path, failure: files::InputFailure) -> CredentialsError {
    let cause = match failure {
        files::InputFailure::NotAFile(kind) => {
            return CredentialsError::NotAFile {
                path: path.to_owned(),
                kind,
            };
        }
        files::InputFailure::TooLarge(limit) => {
            return malformed(
                path,
                format!("is larger than a credentials file can be ({limit} bytes)"),
            );
        }
        files::InputFailure::Missing => {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
        }
        files::InputFailure::Io(e) => e,
    };
    CredentialsError::Unreadable {
        path: path.to_owned(),
        cause,
    }
}

fn malformed(path: &Path, problem: String) -> CredentialsError {
    CredentialsError::Malformed {
        path: path.to_owned(),
        problem,
    }
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &std::fs::Metadata) -> Result<(), CredentialsError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CredentialsError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &Path, _: &std::fs::Metadata) -> Result<(), CredentialsError> {
    Ok(())
}

/// Trims pasted whitespace and checks both values are usable in a Basic header.
fn build(account: VaultAccount, source: Source) -> Result<Credentials, CredentialsError> {
    let check = |field: &'static str, value: &str| -> Result<(), CredentialsError> {
        let problem = if value.is_empty() {
            Some("is empty")
        } else if value.chars().any(char::is_control) {
            Some("contains a control character")
        } else if field == "api_key" && value.contains(':') {
            Some("contains `:`, which no Fivetran key does")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(CredentialsError::BadValue {
                field,
                origin: source.clone(),
                problem,
            }),
            None => Ok(()),
        }
    };
    let key = account.api_key.trim();
    let secret = account.api_secret.trim();
    check("api_key", key)?;
    check("api_secret", secret)?;
    let audit_sources = audit_sources(account.audit_sources, &source)?;
    Ok(Credentials {
        key: SecretString::from(key),
        secret: SecretString::from(secret),
        source,
        api_url: account.api_url,
        audit_sources,
    })
}

/// Checks the audit sources of a vault entry ([`audit::check`]).
fn audit_sources(
    raw: Vec<VaultAuditSource>,
    source: &Source,
) -> Result<Vec<AuditSource>, CredentialsError> {
    let (path, at) = match source {
        Source::File(path) => (path, String::new()),
        Source::Profile(path, name) => (path, format!(" in profile `{name}`")),
        Source::Environment => return Ok(Vec::new()),
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    raw.into_iter()
        .enumerate()
        .map(|(i, raw)| {
            audit::check(raw, i + 1, dir).map_err(|p| CredentialsError::AuditSource {
                path: path.clone(),
                number: i + 1,
                at: at.clone(),
                problem: p.problem,
                hint: p.hint,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
