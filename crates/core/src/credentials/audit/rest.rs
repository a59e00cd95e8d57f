//! The audit sources reached over HTTPS rather than a database protocol (Snowflake's SQL API),
//! checked, and the secrets they hold: a private key (Snowflake key-pair authentication) or a
//! token (a Snowflake programmatic access token).
//!
//! A private key file is read as the vault file is: a regular file only, refused when group
//! or others may read it, bounded in size, its bytes never quoted in a message. An encrypted
//! key is refused with the command that makes an unencrypted copy: the collector runs
//! unattended and has no passphrase to ask for. The key lives in a [`SecretSlice`] (PKCS#8
//! DER) from the moment it is parsed; [`KeyPair::sign_rs256`] is the only function that
//! exposes it. A token, given or minted, is exposed only by [`bearer_header`], which also
//! registers it with the caller's [`Scrubber`].

use std::fmt;
use std::path::Path;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret as _, SecretSlice, SecretString};
use url::Url;
use zeroize::Zeroizing;

use super::{AuditSource, Common, Kind, Problem, TlsMode, problem, unused};
use crate::credentials::vault::VaultAuditSource;
use crate::files;
use crate::text::Scrubber;

pub mod bigquery;

/// A private key file larger than this is not one RSA key.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// How a warehouse reached over HTTPS is found and authenticated.
#[derive(Clone)]
pub struct Rest {
    /// The API's root (`https://<account>.snowflakecomputing.com` unless `url` says otherwise).
    pub url: Url,
    /// Snowflake: the account identifier as the JWT names it (upper case, no region).
    pub account: String,
    /// Snowflake: the virtual warehouse, if named (else the user's default); Databricks: the
    /// SQL warehouse's id.
    pub warehouse: Option<String>,
    /// Snowflake: the role, if named (else the user's default).
    pub role: Option<String>,
    /// How requests are authenticated.
    pub auth: RestAuth,
    /// BigQuery: the projects, the location and the service account (`None` for the others).
    pub bigquery: Option<bigquery::BigQuery>,
}

impl fmt::Debug for Rest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rest")
            .field("url", &self.url.as_str())
            .field("account", &self.account)
            .field("warehouse", &self.warehouse)
            .field("role", &self.role)
            .field("auth", &self.auth)
            .field("bigquery", &self.bigquery)
            .finish()
    }
}

/// The credential of a warehouse reached over HTTPS.
#[derive(Clone)]
pub enum RestAuth {
    /// An RSA key whose JWTs (RS256) the warehouse verifies (Snowflake key-pair).
    KeyPair(KeyPair),
    /// A bearer token given in the vault file (Snowflake programmatic access token, Databricks
    /// personal access token).
    Token(SecretString),
    /// An OAuth client whose access tokens are fetched with the client-credentials grant
    /// (a Databricks service principal, machine to machine).
    Client(OAuthClient),
}

impl fmt::Debug for RestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestAuth::KeyPair(k) => f
                .debug_struct("KeyPair")
                .field("file", &k.file)
                .field("fingerprint", &k.fingerprint)
                .finish_non_exhaustive(),
            RestAuth::Token(_) => f.write_str("Token([redacted])"),
            RestAuth::Client(c) => f
                .debug_struct("Client")
                .field("id", &c.id)
                .finish_non_exhaustive(),
        }
    }
}

impl RestAuth {
    /// The token given in the vault file, as a header value (registered with `scrubber`), if
    /// this is one; `None` for a key pair, whose tokens are minted.
    pub fn static_token(&self, scrubber: &mut Scrubber) -> Option<HeaderValue> {
        match self {
            RestAuth::Token(t) => Some(bearer_header(t, scrubber)),
            RestAuth::KeyPair(_) | RestAuth::Client(_) => None,
        }
    }
}

/// An OAuth client: its id (not secret) and its secret.
#[derive(Clone)]
pub struct OAuthClient {
    /// The client id (a Databricks service principal's application id).
    pub id: String,
    secret: SecretString,
}

impl OAuthClient {
    /// A client of id `id` and secret `secret`.
    pub fn new(id: String, secret: SecretString) -> Self {
        Self { id, secret }
    }

    /// `Authorization: Basic base64(id:secret)`, marked sensitive, for the token endpoint
    /// (client authentication by HTTP Basic, RFC 6749 section 2.3.1); registers the secret and
    /// both forms with `scrubber`. This is the only place a client secret is exposed.
    pub fn basic_header(&self, scrubber: &mut Scrubber) -> HeaderValue {
        let secret = self.secret.expose_secret();
        let pair = Zeroizing::new(format!("{}:{secret}", self.id));
        let encoded = Zeroizing::new(BASE64.encode(pair.as_bytes()));
        scrubber.register(secret);
        scrubber.register(&pair);
        scrubber.register(&encoded);
        let mut value = HeaderValue::try_from(format!("Basic {}", encoded.as_str()))
            .unwrap_or_else(|_| HeaderValue::from_static("Basic invalid"));
        value.set_sensitive(true);
        value
    }
}

/// An RSA private key, checked, with the fingerprint of its public key.
#[derive(Clone)]
pub struct KeyPair {
    /// The file as the vault names it (for messages).
    pub file: String,
    /// `SHA256:` and the base64 SHA-256 of the public key's DER (SubjectPublicKeyInfo): what
    /// Snowflake's `DESCRIBE USER` shows as `RSA_PUBLIC_KEY_FP`.
    pub fingerprint: String,
    pkcs8: SecretSlice<u8>,
}

impl KeyPair {
    /// Signs `input` with RSASSA-PKCS1-v1_5 and SHA-256 (JWT `RS256`). This is the only place
    /// the private key is exposed.
    pub fn sign_rs256(&self, input: &[u8]) -> Result<Vec<u8>, String> {
        let key = RsaKeyPair::from_pkcs8(self.pkcs8.expose_secret())
            .map_err(|e| format!("the private key cannot sign: {e}"))?;
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input,
            &mut signature,
        )
        .map_err(|_| "the private key cannot sign".to_owned())?;
        Ok(signature)
    }
}

/// `Authorization: Bearer <token>`, marked sensitive; registers the token with `scrubber` so
/// that a server echoing it is scrubbed. This is the only place a warehouse token is exposed.
pub fn bearer_header(token: &SecretString, scrubber: &mut Scrubber) -> HeaderValue {
    let token = token.expose_secret();
    scrubber.register(token);
    let mut value = HeaderValue::try_from(format!("Bearer {token}"))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
    value.set_sensitive(true);
    value
}

/// The hint for a key file the collector cannot use.
const KEY_HINT: &str = "give an unencrypted RSA private key in PEM (`-----BEGIN PRIVATE KEY-----`, as `openssl genrsa 2048 | openssl pkcs8 -topk8 -nocrypt` writes it), readable only by its owner (chmod 600), relative to the vault file's directory or absolute";

/// Reads and checks the private key file `path` (relative to `dir`).
pub fn read_key(path: &str, dir: &Path) -> Result<KeyPair, Problem> {
    let full = dir.join(path);
    let bad = |what: &str| {
        problem(
            format!("has a `private_key_file` {} that {what}", full.display()),
            KEY_HINT,
        )
    };
    let bytes = read_private_file(&full, "private_key_file", MAX_KEY_BYTES, KEY_HINT)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("is not PEM text"))?;
    parse_key(text, path).map_err(|why| match why {
        KeyProblem::Encrypted => problem(
            format!(
                "has a `private_key_file` {} that is encrypted: the collector runs unattended and has no passphrase to give",
                full.display()
            ),
            "write an unencrypted copy readable only by the collector's user: `openssl pkcs8 -in KEY.p8 -nocrypt -out KEY-plain.p8 && chmod 600 KEY-plain.p8` (or use a programmatic access token, `token`)",
        ),
        KeyProblem::Unusable(what) => bad(what),
    })
}

/// Reads a file holding a private key (`key` names it in messages) as the vault file is read:
/// a regular file, readable by its owner only, at most `max` bytes; its bytes are zeroed
/// when dropped and never quoted.
pub(crate) fn read_private_file(
    full: &Path,
    key: &str,
    max: u64,
    hint: &str,
) -> Result<Zeroizing<Vec<u8>>, Problem> {
    let bad = |what: &str| {
        problem(
            format!("has a `{key}` {} that {what}", full.display()),
            hint,
        )
    };
    let meta = files::input_metadata(full).map_err(|e| bad(&input_problem(e)))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(problem(
                format!(
                    "has a `{key}` {} readable by group or others (mode {mode:03o})",
                    full.display()
                ),
                format!("chmod 600 {}", full.display()),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(Zeroizing::new(
        files::read_input(full, max).map_err(|e| bad(&input_problem(e)))?,
    ))
}

/// Why PEM text gave no key.
pub(crate) enum KeyProblem {
    /// It is encrypted.
    Encrypted,
    /// It holds no RSA key this collector can use: what is wrong, for "... that {what}".
    Unusable(&'static str),
}

/// The RSA private key of PEM `text` (PKCS#8, or PKCS#1), checked; `file` names it.
pub(crate) fn parse_key(text: &str, file: &str) -> Result<KeyPair, KeyProblem> {
    let der = pem_key(text).map_err(|why| match why {
        PemProblem::Encrypted => KeyProblem::Encrypted,
        PemProblem::NotAKey => KeyProblem::Unusable("holds no RSA private key"),
    })?;
    let key = match &der {
        Der::Pkcs8(d) => RsaKeyPair::from_pkcs8(d),
        Der::Pkcs1(d) => RsaKeyPair::from_der(d),
    }
    .map_err(|_| {
        KeyProblem::Unusable("holds no RSA private key this collector can use (2048 bits or more)")
    })?;
    let spki = key
        .public_key()
        .as_der()
        .map_err(|_| KeyProblem::Unusable("holds a key whose public half cannot be encoded"))?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki.as_ref());
    let pkcs8 = key
        .as_der()
        .map_err(|_| KeyProblem::Unusable("holds a key that cannot be re-encoded"))?;
    Ok(KeyPair {
        file: file.to_owned(),
        fingerprint: format!("SHA256:{}", BASE64.encode(digest.as_ref())),
        pkcs8: SecretSlice::from(pkcs8.as_ref().to_vec()),
    })
}

fn input_problem(failure: files::InputFailure) -> String {
    match failure {
        files::InputFailure::NotAFile(kind) => format!("is {kind}, not a file"),
        files::InputFailure::TooLarge(limit) => {
            format!("is larger than a key file can be ({limit} bytes)")
        }
        files::InputFailure::Missing => "does not exist".to_owned(),
        files::InputFailure::Io(e) => format!("cannot be read ({e})"),
    }
}

enum PemProblem {
    Encrypted,
    NotAKey,
}

enum Der {
    Pkcs8(Zeroizing<Vec<u8>>),
    Pkcs1(Zeroizing<Vec<u8>>),
}

/// The first private key block of `text`, decoded.
fn pem_key(text: &str) -> Result<Der, PemProblem> {
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || text.contains("Proc-Type: 4,ENCRYPTED")
    {
        return Err(PemProblem::Encrypted);
    }
    for (label, pkcs8) in [("PRIVATE KEY", true), ("RSA PRIVATE KEY", false)] {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let Some(start) = text.find(&begin) else {
            continue;
        };
        let body = &text[start + begin.len()..];
        let Some(stop) = body.find(&end) else {
            return Err(PemProblem::NotAKey);
        };
        let b64: Zeroizing<String> = Zeroizing::new(
            body[..stop]
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect(),
        );
        let der = Zeroizing::new(
            BASE64
                .decode(b64.as_bytes())
                .map_err(|_| PemProblem::NotAKey)?,
        );
        return Ok(if pkcs8 {
            Der::Pkcs8(der)
        } else {
            Der::Pkcs1(der)
        });
    }
    Err(PemProblem::NotAKey)
}

const SNOWFLAKE_HINT: &str = "kind = \"snowflake\" needs account, user, database and one of private_key_file or token (warehouse and role are optional); see the README, \"The audit trail\"";

/// Checks a source reached over HTTPS (`kind` is one).
pub(crate) fn check(
    raw: VaultAuditSource,
    kind: Kind,
    number: usize,
    dir: &Path,
    common: Common,
) -> Result<AuditSource, Problem> {
    debug_assert!(kind.is_rest());
    unused(
        &[
            ("host", raw.host.is_some()),
            ("port", raw.port.is_some()),
            ("password", raw.password.is_some()),
            ("tls", raw.tls.is_some()),
            ("ca_cert", raw.ca_cert.is_some()),
            ("allow_plaintext", raw.allow_plaintext.is_some()),
            ("project", raw.project.is_some()),
            ("dataset", raw.dataset.is_some()),
            ("data_project", raw.data_project.is_some()),
            ("location", raw.location.is_some()),
            ("key_file", raw.key_file.is_some()),
            ("warehouse_id", raw.warehouse_id.is_some()),
            ("catalog", raw.catalog.is_some()),
            ("client_id", raw.client_id.is_some()),
            ("client_secret", raw.client_secret.is_some()),
        ],
        kind,
    )?;
    let name =
        |value: Option<String>, key: &str, required: bool| -> Result<Option<String>, Problem> {
            let Some(value) = value.map(|v| v.trim().to_owned()) else {
                return if required {
                    Err(problem(format!("has no `{key}`"), SNOWFLAKE_HINT))
                } else {
                    Ok(None)
                };
            };
            // Names reach a request body and messages: printable, of a sane length.
            if value.is_empty() || value.len() > 255 || value.chars().any(char::is_control) {
                return Err(problem(
                    format!("has a `{key}` that is not a name (1 to 255 printable characters)"),
                    SNOWFLAKE_HINT,
                ));
            }
            Ok(Some(value))
        };
    let account = name(raw.account, "account", true)?.unwrap_or_default();
    if !account
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(problem(
            "has an `account` that is not an account identifier",
            "give the account identifier, e.g. myorg-myaccount (or a locator such as xy12345.us-east-2.aws)",
        ));
    }
    let user = name(raw.user, "user", true)?.unwrap_or_default();
    let database = name(raw.database, "database", true)?.unwrap_or_default();
    let warehouse = name(raw.warehouse, "warehouse", false)?;
    let role = name(raw.role, "role", false)?;
    let auth = match (raw.private_key_file, raw.token) {
        (Some(file), None) => RestAuth::KeyPair(read_key(file.trim(), dir)?),
        (None, Some(token)) if !token.trim().is_empty() && !token.chars().any(char::is_control) => {
            RestAuth::Token(SecretString::from(token.trim().to_owned()))
        }
        (None, Some(_)) => return Err(problem("has an empty `token`", SNOWFLAKE_HINT)),
        (Some(_), Some(_)) => {
            return Err(problem(
                "has both `private_key_file` and `token`",
                "keep one: a key pair (private_key_file) or a programmatic access token (token)",
            ));
        }
        (None, None) => {
            return Err(problem(
                "has neither `private_key_file` nor `token`",
                SNOWFLAKE_HINT,
            ));
        }
    };
    // Snowflake's host names use `-` where an account name has `_`; its JWTs name the account
    // in upper case, without the region a locator may carry.
    let host_account = account.to_ascii_lowercase().replace('_', "-");
    let url = api_root(
        raw.url,
        format!("https://{host_account}.snowflakecomputing.com"),
    )?;
    let jwt_account = account
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let Common {
        destination,
        schema,
        statement_timeout,
        page_rows,
    } = common;
    Ok(AuditSource {
        number,
        kind,
        destination,
        host: url.host_str().unwrap_or_default().to_owned(),
        port: url.port_or_known_default().unwrap_or(443),
        database,
        user,
        password: None,
        schema,
        tls: TlsMode::VerifyFull,
        ca_cert: None,
        allow_plaintext: false,
        statement_timeout,
        page_rows,
        rest: Some(Rest {
            url,
            account: jwt_account,
            warehouse,
            role,
            auth,
            bigquery: None,
        }),
    })
}

/// The root of an API: `url` as given (HTTPS, or HTTP to loopback for a test's fake), else
/// `default`.
pub fn api_root(url: Option<String>, default: String) -> Result<Url, Problem> {
    let given = url.is_some();
    let text = url.unwrap_or(default);
    let hint = "url is the API's root, e.g. https://myorg-myaccount.snowflakecomputing.com (leave it out for the public endpoint)";
    let parsed =
        Url::parse(text.trim()).map_err(|_| problem("has a `url` that is not a URL", hint))?;
    let loopback = parsed.host_str().is_some_and(super::is_loopback);
    let ok_scheme = parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback);
    if !ok_scheme || parsed.host_str().is_none() {
        return Err(problem(
            if given {
                "has a `url` that is not https (plain http is accepted only to this machine)"
            } else {
                "has an `account` that makes no host name"
            },
            hint,
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some() {
        return Err(problem(
            "has a `url` with credentials or a query in it",
            hint,
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests;
