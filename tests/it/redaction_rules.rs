//! Redaction against Fivetran's own configuration schemas, and the decisions taken on them.
//!
//! `fixtures/openapi/config-secret-fields.json` lists every field of the spec's 773 connector,
//! 37 destination and 8 log-service configuration schemas whose format is `password`, or whose
//! title or description says key, token, secret, password, passphrase, SAS, signature or
//! credential (`extract_secret_fields.py` regenerates it from a newer spec). Each is planted in
//! an item of its artifact and redacted: it must come out masked, unless [`KEPT`] names it with
//! the reason it holds no secret. A new field in a newer spec that no rule catches fails here,
//! named, until it is masked or decided.

use std::path::Path;

use iru_fivetran_core::evidence::redact::{MARKER, redact_items};
use iru_fivetran_core::vocab::Artifact;
use serde_json::{Value, json};

/// Fields that look secret in the spec and are kept: identifiers and settings, each with why.
/// Matched on the last segment of the path, or the whole path where a name is ambiguous.
pub const KEPT: &[(&str, &str)] = &[
    (
        "auth_method",
        "an enum: which authentication is used (PASSWORD, KEY_PAIR, OAUTH2...)",
    ),
    ("auth_mode", "an enum: which authentication is used"),
    ("auth_type", "an enum: which authentication is used"),
    (
        "authentication_method",
        "an enum: which authentication is used",
    ),
    (
        "data_access_method",
        "an enum: ACCOUNT_KEY or RESOURCE_TOKEN",
    ),
    (
        "auth",
        "an enum on Snowflake and Databricks (PASSWORD, KEY_PAIR, TOKEN, OAUTH2); a credential under it is caught by its shape",
    ),
    ("algorithm", "the name of an HMAC algorithm"),
    ("signature_encoding", "an enum: BASE64 or HEXA_DECIMAL"),
    (
        "compression",
        "an enum (the spec's description is copied from another field)",
    ),
    ("region", "a region"),
    ("region_token_url", "a region for a token URL"),
    ("token_url_region", "a region for a token URL"),
    (
        "o_auth_service_token_url",
        "the OAuth server's token endpoint, a URL",
    ),
    (
        "refresh_token_expires_at",
        "when a token expires, not the token",
    ),
    ("key_type", "an enum: which kind of key"),
    ("key_store_type", "an enum: which kind of key store"),
    ("key_id", "the id of an App Store Connect key, not the key"),
    ("issuer_id", "the issuer of an App Store Connect key"),
    ("sid", "the id (SID) of a Twilio API key, not its secret"),
    ("client_id", "an OAuth client's id, public by design"),
    ("client_name", "a company name"),
    ("store_hash", "a BigCommerce store's id in its API path"),
    ("host", "a host name"),
    ("hostname", "a host name"),
    ("user", "a user name"),
    ("username", "a user name"),
    ("api_username", "a user name"),
    ("login", "a login e-mail"),
    ("isu", "the name of an integration system user"),
    ("tenant", "a tenant's name"),
    ("tenant_id", "an Azure tenant's id"),
    ("audience", "an API's audience, a URL"),
    ("business_id", "a Birdeye business's id"),
    ("short_code", "a realm's routing code"),
    ("container_name", "a storage container's name"),
    ("token_authenticated_container", "a container's name"),
    ("token_authenticated_database", "a database's name"),
    ("tde_certificate_name", "a certificate's name"),
    ("tde_certificate_path", "a file path, not the certificate"),
    ("tde_private_key_path", "a file path, not the key"),
    (
        "snc_certificate_source",
        "where a certificate comes from, an enum",
    ),
    (
        "schema_registry_credentials_source",
        "where credentials come from, an enum",
    ),
    (
        "gcs_service_account_credentials_path",
        "a file path, not the credentials",
    ),
    ("jwt_environment", "an enum: sandbox or production"),
    (
        "s3_role_arn",
        "an IAM role's ARN: an identifier that grants nothing by itself",
    ),
    ("role_arn", "an IAM role's ARN"),
    ("s3_export_role_arn", "an IAM role's ARN"),
    ("s3role_arn", "an IAM role's ARN"),
    ("shard_authorization_id", "Healthie's shard id"),
    (
        "certificate_id",
        "the id under which a certificate is registered",
    ),
    ("token_id", "the id of a token, not the token"),
    ("signer_public_key", "a public key"),
    ("public_key", "a public key"),
    ("custom_dimension_key_ids", "ids of report dimensions"),
    (
        "ekm_key_identifiers",
        "Azure Key Vault key URLs, identifiers of keys",
    ),
    (
        "primary_keys",
        "column names that make a report's primary key",
    ),
    ("report_type", "an enum of report breakdowns"),
    (
        "custom_payloads",
        "key-value settings passed to a function, not secrets (`secrets` is apart)",
    ),
    (
        "project_key",
        "a commercetools project's name (its key is the project's identifier)",
    ),
    (
        "user_id",
        "HiBob's service user id (the spec swaps the descriptions of user_id and user_token)",
    ),
    ("community_api_key_name", "the name of a key, not the key"),
    ("eu_region", "a flag"),
];

/// The reason for keeping `path`, if [`KEPT`] has one.
fn kept(path: &str) -> Option<&'static str> {
    let last = path
        .rsplit('.')
        .next()
        .unwrap_or(path)
        .trim_end_matches("[*]");
    KEPT.iter()
        .find(|(name, _)| *name == last || *name == path)
        .map(|(_, why)| *why)
}

/// `value` placed at `path` (`config.a.b[*].c`), the objects and arrays on the way made.
fn plant(path: &str, value: Value) -> Value {
    let mut segments: Vec<&str> = path.split('.').collect();
    let last = segments.pop().expect("a path");
    let mut here = leaf(last, value);
    while let Some(segment) = segments.pop() {
        here = leaf(segment, here);
    }
    here
}

fn leaf(segment: &str, value: Value) -> Value {
    match segment.strip_suffix("[*]") {
        Some(name) => json!({ name: [value] }),
        None => json!({ segment: value }),
    }
}

/// The value at `path` in `item`, following `[*]` into the first element.
fn at<'a>(item: &'a Value, path: &str) -> &'a Value {
    let mut here = item;
    for segment in path.split('.') {
        match segment.strip_suffix("[*]") {
            Some(name) => here = &here[name][0],
            None => here = &here[segment],
        }
    }
    here
}

#[test]
fn every_config_field_that_looks_secret_is_decided() {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openapi/config-secret-fields.json");
    let fields: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("fixture")).expect("JSON");
    assert!(fields.len() > 200, "{} fields", fields.len());
    let planted = "spec-sweep-value-0123456789";
    let mut wrong = Vec::new();
    let mut checked = 0;
    for field in &fields {
        let path = field["path"].as_str().expect("path");
        let artifact = match field["kind"].as_str().expect("kind") {
            "connector" => Artifact::Connections,
            "destination" => Artifact::Destinations,
            _ => Artifact::LogServices,
        };
        let (value, probe) = match field["type"].as_str().expect("type") {
            // A flag holds no secret and is never masked.
            "boolean" => continue,
            "array" => (json!([planted]), format!("{path}[*]")),
            _ => (json!(planted), path.to_owned()),
        };
        let service = field["services"][0].as_str().expect("a service");
        let mut item = plant(path, value);
        item["id"] = json!("spec_item");
        item["service"] = json!(service);
        let mut items = vec![item];
        redact_items(artifact, &mut items);
        let got = at(&items[0], &probe);
        let masked = got == MARKER;
        checked += 1;
        match (kept(path), masked) {
            (None, false) => wrong.push(format!("{path} ({service}): not masked, got {got}")),
            (Some(why), true) => wrong.push(format!("{path} ({service}): masked, but kept: {why}")),
            _ => {}
        }
    }
    assert!(checked > 200);
    assert!(
        wrong.is_empty(),
        "{} field(s) of the spec's configuration schemas not as decided:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_fields_the_review_found_are_masked_or_kept_as_decided() {
    let mut items = vec![json!({
        "id": "c1",
        "service": "alchemer",
        "external_secrets_manager_id": "esm_prod",
        "config": {
            "query_param_value": "alchemer-api-key-0123",
            "blob_sas_url": "https://acct.blob.core.windows.net/c?sv=2022&sig=abcDEF123",
            "authorization_url": "https://auth.example.com/oauth/authorize",
            "shard_authorization_id": "shard-7",
            "aws_credentials": {"bucket_name": "acme-logs", "s3_role_arn": "arn:aws:iam::1:role/x",
                                "home_folder": "exports", "secret_access_key": "AKIA-secret-0123"},
            "reports": [{"table": "t", "primary_keys": ["date", "campaign_id"]}],
            "custom_headers": [{"name": "Authorization", "value": "Token abc-0123"},
                               {"name": "Accept", "value": "application/json"}],
            "webhook": "https://hooks.slack.com/services/T0/B0/XyZ0123",
            "dsn": "postgres://fivetran:hunter2@db.example.com/app",
            "note": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
            "github_pat": "ghp_0123456789",
            "auth": "PASSWORD",
        },
    })];
    redact_items(Artifact::Connections, &mut items);
    let c = &items[0]["config"];
    for masked in [
        &c["query_param_value"],
        &c["aws_credentials"]["secret_access_key"],
        &c["custom_headers"][0]["value"],
        &c["github_pat"],
        &c["note"],
    ] {
        assert_eq!(masked, MARKER, "{c}");
    }
    assert_eq!(c["blob_sas_url"], MARKER);
    assert_eq!(items[0]["external_secrets_manager_id"], "esm_prod");
    assert_eq!(
        c["authorization_url"],
        "https://auth.example.com/oauth/authorize"
    );
    assert_eq!(c["shard_authorization_id"], "shard-7");
    assert_eq!(c["aws_credentials"]["bucket_name"], "acme-logs");
    assert_eq!(c["aws_credentials"]["s3_role_arn"], "arn:aws:iam::1:role/x");
    assert_eq!(c["aws_credentials"]["home_folder"], "exports");
    assert_eq!(
        c["reports"][0]["primary_keys"],
        json!(["date", "campaign_id"])
    );
    assert_eq!(c["custom_headers"][1]["value"], "application/json");
    assert_eq!(c["webhook"], "https://hooks.slack.com/services/<redacted>");
    assert_eq!(
        c["dsn"],
        "postgres://fivetran:<redacted>@db.example.com/app"
    );
    assert_eq!(c["auth"], "PASSWORD", "an enum, not a secret");
}
