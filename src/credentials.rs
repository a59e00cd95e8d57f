//! Where the API key and secret come from, and the one place the secret is exposed.
//!
//! Sources, in order: a vault file named by `--credentials-file` / `IRU_FIVETRAN_CREDENTIALS_FILE`
//! (TOML or JSON with `api_key` and `api_secret`), else `FIVETRAN_API_KEY` and
//! `FIVETRAN_API_SECRET`. Sources are never mixed. Both values live in [`SecretString`]s from the
//! moment they are read; [`Credentials::authorization_header`] is the only function that calls
//! `expose_secret`. No error message here quotes a value from the file or the environment.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::config::env;

/// A vault file larger than this is not a credentials file; refuse before reading it whole.
const MAX_VAULT_BYTES: u64 = 64 * 1024;

/// Where the credentials were found (said in logs and errors; the values never are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A vault file.
    File(PathBuf),
    /// `FIVETRAN_API_KEY` and `FIVETRAN_API_SECRET`.
    Environment,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => write!(f, "credentials file {}", p.display()),
            Source::Environment => write!(f, "{} and {}", env::API_KEY, env::API_SECRET),
        }
    }
}

/// An API key and secret pair. `Debug` shows only the source.
pub struct Credentials {
    key: SecretString,
    secret: SecretString,
    source: Source,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &"[redacted]")
            .field("secret", &"[redacted]")
            .field("source", &self.source)
            .finish()
    }
}

impl Credentials {
    /// Where these credentials came from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The `Authorization: Basic base64(key:secret)` header value, marked sensitive so that
    /// reqwest and hyper never print it. This is the only place the key and secret are exposed.
    pub fn authorization_header(&self) -> HeaderValue {
        let pair = format!(
            "{}:{}",
            self.key.expose_secret(),
            self.secret.expose_secret()
        );
        let mut value = HeaderValue::try_from(format!("Basic {}", BASE64.encode(pair)))
            .expect("base64 output is always a valid header value");
        value.set_sensitive(true);
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
    /// The vault file may be read by group or others.
    #[error("credentials file {path} is readable by group or others (mode {mode:03o})\nhint: chmod 600 {path}", path = path.display())]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The vault file is not valid TOML or JSON, or lacks a key, or has one of the wrong type.
    #[error("credentials file {path} {problem}\nhint: the file holds two strings, api_key = \"...\" and api_secret = \"...\" (TOML), or the same keys in a JSON object", path = path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, with a line number where known but never the line's text.
        problem: String,
    },
}

/// Resolves the credentials: the vault file if one is named, else the environment.
pub fn resolve(
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, CredentialsError> {
    if let Some(path) = file {
        return from_file(path);
    }
    let key = env(env::API_KEY).filter(|v| !v.trim().is_empty());
    let secret = env(env::API_SECRET).filter(|v| !v.trim().is_empty());
    match (key, secret) {
        (Some(key), Some(secret)) => build(key, secret, Source::Environment),
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

fn from_file(path: &Path) -> Result<Credentials, CredentialsError> {
    let unreadable = |cause| CredentialsError::Unreadable {
        path: path.to_owned(),
        cause,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
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
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    let (key, secret) = parse_vault(&text).map_err(|problem| malformed(path, problem))?;
    build(key, secret, Source::File(path.to_owned()))
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

/// Reads `api_key` and `api_secret` from TOML or JSON text. Errors name the problem and at most a
/// line and column, never text from the file. Public for the property tests and the fuzz target.
pub fn parse_vault(text: &str) -> Result<(String, String), String> {
    if text.trim_start().starts_with('{') {
        // serde_json keeps the last of two equal keys without a word; a derived struct refuses
        // them ("duplicate field"), and `IgnoredAny` keeps values out of any message.
        #[derive(serde::Deserialize)]
        struct Keys {
            #[serde(rename = "api_key")]
            _key: Option<serde::de::IgnoredAny>,
            #[serde(rename = "api_secret")]
            _secret: Option<serde::de::IgnoredAny>,
        }
        if let Err(e) = serde_json::from_str::<Keys>(text)
            && e.to_string().starts_with("duplicate field")
        {
            return Err(format!(
                "names a key twice (line {}, column {})",
                e.line(),
                e.column()
            ));
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let serde_json::Value::Object(map) = value else {
            return Err("is not a JSON object".into());
        };
        let get = |k: &str| match map.get(k) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("has `{k}` that is not a string")),
        };
        let unknown = map.keys().find(|k| !VAULT_KEYS.contains(&k.as_str()));
        vault_fields(
            get("api_key")?,
            get("api_secret")?,
            unknown.map(String::as_str),
        )
    } else {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(" at line {line}")
                })
                .unwrap_or_default();
            format!("is not valid TOML{at}")
        })?;
        let get = |k: &str| match table.get(k) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("has `{k}` that is not a string")),
        };
        let unknown = table.keys().find(|k| !VAULT_KEYS.contains(&k.as_str()));
        vault_fields(
            get("api_key")?,
            get("api_secret")?,
            unknown.map(String::as_str),
        )
    }
}

const VAULT_KEYS: [&str; 2] = ["api_key", "api_secret"];

fn vault_fields(
    key: Option<String>,
    secret: Option<String>,
    unknown: Option<&str>,
) -> Result<(String, String), String> {
    if unknown.is_some() {
        // The name is not repeated: a secret pasted where a key name goes would be printed.
        return Err("has a key other than api_key and api_secret; remove it".into());
    }
    match (key, secret) {
        (Some(k), Some(s)) => Ok((k, s)),
        (None, _) => Err("has no `api_key`".into()),
        (_, None) => Err("has no `api_secret`".into()),
    }
}

/// Trims pasted whitespace and checks both values are usable in a Basic header.
fn build(key: String, secret: String, source: Source) -> Result<Credentials, CredentialsError> {
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
    let key = key.trim();
    let secret = secret.trim();
    check("api_key", key)?;
    check("api_secret", secret)?;
    Ok(Credentials {
        key: SecretString::from(key),
        secret: SecretString::from(secret),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Write as _;

    const SECRET: &str = "s3cr3t-VALUE-never-shown";

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn vault(contents: &str, mode: u32) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(contents.as_bytes()).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
        f
    }

    fn decoded(c: &Credentials) -> String {
        let header = c.authorization_header();
        let b64 = header
            .to_str()
            .expect("ascii")
            .strip_prefix("Basic ")
            .expect("basic");
        String::from_utf8(BASE64.decode(b64).expect("base64")).expect("utf8")
    }

    #[test]
    fn header_is_basic_key_colon_secret_and_sensitive() {
        let c = resolve(
            None,
            &env_of(&[("FIVETRAN_API_KEY", "k1"), ("FIVETRAN_API_SECRET", SECRET)]),
        )
        .expect("creds");
        assert_eq!(decoded(&c), format!("k1:{SECRET}"));
        assert!(c.authorization_header().is_sensitive());
        assert_eq!(c.source(), &Source::Environment);
    }

    #[test]
    fn debug_never_shows_values() {
        let c = resolve(
            None,
            &env_of(&[
                ("FIVETRAN_API_KEY", "key-abc"),
                ("FIVETRAN_API_SECRET", SECRET),
            ]),
        )
        .expect("creds");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(SECRET) && !dbg.contains("key-abc"), "{dbg}");
    }

    #[test]
    fn file_wins_over_environment() {
        let f = vault(
            &format!("api_key = \"filekey\"\napi_secret = \"{SECRET}\"\n"),
            0o600,
        );
        let c = resolve(
            Some(f.path()),
            &env_of(&[
                ("FIVETRAN_API_KEY", "envkey"),
                ("FIVETRAN_API_SECRET", "envsecret"),
            ]),
        )
        .expect("creds");
        assert_eq!(decoded(&c), format!("filekey:{SECRET}"));
        assert_eq!(c.source(), &Source::File(f.path().to_owned()));
    }

    #[test]
    fn json_vault_is_accepted() {
        let f = vault(
            &format!("{{\"api_key\": \"jk\", \"api_secret\": \"{SECRET}\"}}"),
            0o600,
        );
        let c = resolve(Some(f.path()), &env_of(&[])).expect("creds");
        assert_eq!(decoded(&c), format!("jk:{SECRET}"));
    }

    #[test]
    fn environment_values_are_trimmed() {
        let c = resolve(
            None,
            &env_of(&[
                ("FIVETRAN_API_KEY", " k1\n"),
                ("FIVETRAN_API_SECRET", "s1 \r\n"),
            ]),
        )
        .expect("creds");
        assert_eq!(decoded(&c), "k1:s1");
    }

    #[test]
    fn half_set_and_missing_environment() {
        let err = resolve(None, &env_of(&[("FIVETRAN_API_KEY", "k")]))
            .expect_err("half")
            .to_string();
        assert!(err.contains("FIVETRAN_API_SECRET is not"), "{err}");
        let err = resolve(
            None,
            &env_of(&[("FIVETRAN_API_KEY", ""), ("FIVETRAN_API_SECRET", SECRET)]),
        )
        .expect_err("half")
        .to_string();
        assert!(err.contains("FIVETRAN_API_KEY is not"), "{err}");
        assert!(!err.contains(SECRET));
        let err = resolve(None, &env_of(&[]))
            .expect_err("missing")
            .to_string();
        assert!(
            err.contains("--credentials-file") && err.contains("hint:"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn open_vault_file_is_refused_with_chmod_hint() {
        for mode in [0o644, 0o640, 0o604, 0o660] {
            let f = vault(
                &format!("api_key = \"k\"\napi_secret = \"{SECRET}\"\n"),
                mode,
            );
            let err = resolve(Some(f.path()), &env_of(&[]))
                .expect_err("too open")
                .to_string();
            assert!(
                err.contains(&format!("chmod 600 {}", f.path().display())),
                "{err}"
            );
        }
        let f = vault(
            &format!("api_key = \"k\"\napi_secret = \"{SECRET}\"\n"),
            0o400,
        );
        assert!(resolve(Some(f.path()), &env_of(&[])).is_ok());
    }

    #[test]
    fn malformed_vaults_name_the_problem_without_values() {
        let cases = [
            (
                format!("api_key = \"k\"\napi_secret = {SECRET}\n"),
                "not valid TOML at line 2",
            ),
            ("api_key = \"k\"\n".to_owned(), "no `api_secret`"),
            (format!("api_secret = \"{SECRET}\"\n"), "no `api_key`"),
            (
                "api_key = \"k\"\napi_secret = 42\n".to_owned(),
                "`api_secret` that is not a string",
            ),
            (
                format!("api_key = \"k\"\napi_secret = \"{SECRET}\"\nextra = 1\n"),
                "a key other than api_key and api_secret",
            ),
            (
                format!("{{\"api_key\": \"k\", \"api_secret\": \"{SECRET}\""),
                "not valid JSON",
            ),
            ("[1, 2]".to_owned(), "not valid TOML"),
            (
                format!("api_key = \"\"\napi_secret = \"{SECRET}\"\n"),
                "api_key from credentials file",
            ),
            (
                format!("api_key = \"a:b\"\napi_secret = \"{SECRET}\"\n"),
                "contains `:`",
            ),
            ("".to_owned(), "no `api_key`"),
            (
                format!(
                    "{{\"api_key\": \"k\", \"api_secret\": \"x\", \"api_secret\": \"{SECRET}\"}}"
                ),
                "names a key twice",
            ),
            (
                format!("api_key = \"k\"\napi_secret = \"x\"\napi_secret = \"{SECRET}\"\n"),
                "not valid TOML at line 3",
            ),
        ];
        for (text, needle) in cases {
            let f = vault(&text, 0o600);
            let err = resolve(Some(f.path()), &env_of(&[]))
                .expect_err(needle)
                .to_string();
            assert!(err.contains(needle), "want {needle:?} in {err:?}");
            assert!(!err.contains(SECRET), "secret echoed: {err}");
            assert!(err.contains("hint:"), "{err}");
        }
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = resolve(Some(Path::new("/nonexistent/vault.toml")), &env_of(&[]))
            .expect_err("missing")
            .to_string();
        assert!(err.contains("/nonexistent/vault.toml"), "{err}");
    }
}
