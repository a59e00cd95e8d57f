//! Which key names hold a secret, and which hold an identifier that must stay visible.
//!
//! A name is read two ways: normalized (lower-cased, every character but letters and digits
//! removed: `client_secret` → `clientsecret`), for the long words that cannot occur by accident,
//! and as tokens (split at every other character and at camel-case humps: `apiKeyId` → `api`,
//! `key`, `id`), for the short words that would match inside ordinary words if searched for
//! (`pat` in `path`, `sas` in `kansas`, `pass` in `compass`).
//!
//! Every decision taken on a field of Fivetran's configuration schemas is here, with why; the
//! test `redaction_rules::every_config_field_that_looks_secret_is_decided` checks them against
//! every such field of the spec (fixtures/openapi/config-secret-fields.json).

/// Words that make a name a secret wherever they occur in its normalized form.
const SECRET_WORDS: [&str; 15] = [
    "password",
    "passwd",
    "secret",
    "token",
    "passphrase",
    "credential",
    "privatekey",
    "apikey",
    "accesskey",
    "authorization",
    "connectionstring",
    "cookie",
    "keyfile",
    "keystore",
    "truststore",
];

/// Short words that make a name a secret when one of its tokens is exactly one of them.
const SECRET_TOKENS: [&str; 14] = [
    "pwd",
    "pass",
    "pat",
    "pats",
    "jwt",
    "bearer",
    "sas",
    "hmac",
    "salt",
    "cert",
    "certificate",
    "certificates",
    "sig",
    "signature",
];

/// A last token that says the value describes a secret rather than holding it: `auth_type`,
/// `token_url`, `refresh_token_expires_at`, `credentials_path`. Such a name is not a secret
/// (the value shapes in `shapes.rs` still apply to it).
const DESCRIPTORS: [&str; 26] = [
    "type",
    "types",
    "method",
    "mode",
    "kind",
    "url",
    "uri",
    "endpoint",
    "region",
    "path",
    "source",
    "location",
    "at",
    "expires",
    "expiry",
    "expiration",
    "arn",
    "encoding",
    "algorithm",
    "format",
    "version",
    "provider",
    "name",
    "container",
    "database",
    "environment",
];

/// Names a rule above would call secret, that hold identifiers: kept wherever they are, also
/// beneath a secret-named object (normalized form, why).
pub(super) const IDENTIFIERS: [(&str, &str); 14] = [
    (
        "externalsecretsmanagerid",
        "names the secrets manager entry, which is not the secret",
    ),
    (
        "shardauthorizationid",
        "Healthie's shard id, an identifier despite its name",
    ),
    (
        "s3rolearn",
        "an IAM role's name; it grants nothing by itself",
    ),
    ("rolearn", "an IAM role's name; it grants nothing by itself"),
    (
        "s3exportrolearn",
        "an IAM role's name; it grants nothing by itself",
    ),
    ("bucket", "a storage bucket's name"),
    ("bucketname", "a storage bucket's name"),
    ("homefolder", "a folder in a bucket"),
    ("containername", "a storage container's name"),
    ("project", "a project's name"),
    ("projectid", "a project's id"),
    (
        "certificateid",
        "the id under which a certificate is registered",
    ),
    ("tokenid", "the id of a token, not the token"),
    (
        "projectkey",
        "commercetools' project key, which is the project's identifier",
    ),
];

/// Names that hold identifiers inside the reports of a connection's configuration (objects of
/// a `reports` array), where a rule would call them secret (normalized form, why).
pub(super) const REPORT_IDENTIFIERS: [(&str, &str); 1] = [(
    "primarykeys",
    "the column names that make a report's primary key (`reports[].primary_keys[]`); elsewhere \
     `primary_keys` may be Azure's storage keys",
)];

/// Whether a name holds an identifier in an object of a `reports` array.
pub(super) fn is_report_identifier_key(key: &str) -> bool {
    let norm = normalized(key);
    REPORT_IDENTIFIERS.iter().any(|(name, _)| *name == norm)
}

/// Whether an array under this name holds reports, whose fields [`is_report_identifier_key`]
/// judges.
pub(super) fn holds_reports(key: &str) -> bool {
    normalized(key) == "reports"
}

/// Whether an array under this name holds environment variables as `NAME=value` strings (a
/// dbt project's `project_config.environment_vars`): each value is masked, its name kept.
pub(super) fn holds_environment(key: &str) -> bool {
    matches!(
        normalized(key).as_str(),
        "environmentvars" | "environmentvariables" | "envvars"
    )
}

/// Names no rule catches that Fivetran's configuration schemas use for a secret (normalized
/// form, whose).
const EXTRA_SECRETS: [(&str, &str); 4] = [
    ("queryparamvalue", "Alchemer's and Birdeye's API key"),
    ("apiuseridentifier", "ShipNetwork's API credential"),
    ("appid", "Open Exchange Rates' API key (its App Id)"),
    (
        "functiontrigger",
        "a Google Cloud Function's trigger URL, which is its credential",
    ),
];

/// A name lower-cased with every character but ASCII letters and digits removed.
pub(super) fn normalized(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A name's tokens, lower-cased: split at every character that is not an ASCII letter or digit,
/// and between a lower-case letter or digit and the upper-case letter after it.
pub(super) fn tokens(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Whether a name holds an identifier that is kept even where a rule would call it secret.
pub fn is_identifier_key(key: &str) -> bool {
    let norm = normalized(key);
    IDENTIFIERS.iter().any(|(name, _)| *name == norm)
}

/// Whether a key names a secret: everything beneath it is masked (its identifiers aside).
///
/// - a name of [`EXTRA_SECRETS`], or one with the token `sas` (`blob_sas_url`: a SAS URL is
///   the credential itself);
/// - a long word of [`SECRET_WORDS`] anywhere in the normalized name (`db_password`,
///   `clientSecret`);
/// - a short word of [`SECRET_TOKENS`] as a whole token (`pwd`, `github_pat`, `sas_url`,
///   `hmac_key`);
/// - `auth` as a token of a name of more than one token (`basic_auth`, `auth_code`); `auth`
///   alone is not a secret name: Fivetran uses it for the authentication type
///   (`"auth": "PASSWORD"`), so only its value's shape can make it one;
/// - a name ending in `key` or `keys` (`key`, `primary_key`, `signingKey`), except public keys;
///
/// unless its last token is a [descriptor](DESCRIPTORS) (`auth_type`, `token_url`,
/// `credentials_path`) or it is an [identifier](is_identifier_key).
pub fn is_secret_key(key: &str) -> bool {
    let norm = normalized(key);
    if IDENTIFIERS.iter().any(|(name, _)| *name == norm) {
        return false;
    }
    let tokens = tokens(key);
    // A SAS URL or token is the credential itself, whatever follows `sas`.
    if EXTRA_SECRETS.iter().any(|(name, _)| *name == norm) || tokens.iter().any(|t| t == "sas") {
        return true;
    }
    let described = tokens.len() > 1
        && tokens
            .last()
            .is_some_and(|last| DESCRIPTORS.contains(&last.as_str()));
    if described {
        return false;
    }
    if SECRET_WORDS.iter().any(|w| norm.contains(w))
        || tokens.iter().any(|t| SECRET_TOKENS.contains(&t.as_str()))
        || (tokens.len() > 1 && tokens.iter().any(|t| t == "auth"))
    {
        return true;
    }
    let stem = norm.strip_suffix('s').unwrap_or(&norm);
    stem.ends_with("key") && !stem.ends_with("publickey")
}

/// Whether a name says its value is the name of a header, a parameter or a secret: in an
/// object that also has a `value`, a secret-named value there makes the `value` secret
/// (`{"name": "Authorization", "value": "Bearer ..."}`).
pub(super) fn is_pair_name(key: &str) -> bool {
    matches!(
        normalized(key).as_str(),
        "name" | "key" | "header" | "headername" | "field" | "param" | "parameter" | "variable"
    )
}

/// Whether a name is the value half of a name/value pair.
pub(super) fn is_pair_value(key: &str) -> bool {
    matches!(
        normalized(key).as_str(),
        "value" | "values" | "headervalue" | "content"
    )
}

/// Header names that carry a credential although no rule above calls them secret.
const SECRET_HEADERS: [&str; 4] = ["xapikey", "apikey", "xauthtoken", "proxyauthorization"];

/// Whether the name half of a pair names a secret (a header, a parameter, a variable).
pub(super) fn names_a_secret(name: &str) -> bool {
    is_secret_key(name)
        || SECRET_HEADERS.contains(&normalized(name).as_str())
        || normalized(name) == "auth"
}

#[cfg(test)]
mod tests;
