//! Unit tests of `evidence::redact::names`.

use super::*;

#[test]
fn names_are_split_into_tokens_at_separators_and_humps() {
    assert_eq!(tokens("apiKeyId"), ["api", "key", "id"]);
    assert_eq!(tokens("API-KEY"), ["api", "key"]);
    assert_eq!(tokens("blob_sas_url"), ["blob", "sas", "url"]);
    assert_eq!(tokens("oauth2Secret"), ["oauth2", "secret"]);
    assert_eq!(tokens("x.amz.Signature"), ["x", "amz", "signature"]);
}

#[test]
fn short_words_count_as_whole_tokens_only() {
    for key in [
        "pwd",
        "db_pwd",
        "pass",
        "github_pat",
        "pat",
        "pats",
        "jwt",
        "bearer",
        "sas_token",
        "blob_sas_url",
        "hmac",
        "salt",
        "keyfile",
        "ssl_keystore",
        "client_cert",
        "sig",
        "basic_auth",
        "auth_code",
        "http-auth",
        "query_param_value",
        "x_amz_signature",
    ] {
        assert!(is_secret_key(key), "{key} should be secret");
    }
    for key in [
        "path",
        "compass",
        "passcode",
        "kansas",
        "pattern",
        "signal",
        "auth",
        "Auth",
        "AUTH",
        "auth_type",
        "auth_method",
        "authentication_method",
        "authorization_url",
        "token_url",
        "refresh_token_expires_at",
        "signature_encoding",
        "tde_certificate_name",
        "gcs_service_account_credentials_path",
        "jwt_environment",
        "signer_public_key",
    ] {
        assert!(!is_secret_key(key), "{key} should not be secret");
    }
}

#[test]
fn identifiers_are_never_secret_and_every_decision_says_why() {
    for key in [
        "external_secrets_manager_id",
        "shard_authorization_id",
        "s3_role_arn",
        "bucket_name",
    ] {
        assert!(is_identifier_key(key), "{key}");
        assert!(!is_secret_key(key), "{key}");
    }
    assert!(
        is_secret_key("primary_key"),
        "a primary key of Azure is a secret"
    );
    for (name, why) in IDENTIFIERS.iter().chain(EXTRA_SECRETS.iter()) {
        assert_eq!(*name, normalized(name), "{name} is written normalized");
        assert!(!why.is_empty(), "{name}");
    }
}

#[test]
fn pair_names_that_name_a_secret() {
    for name in [
        "Authorization",
        "X-API-Key",
        "api-key",
        "X-Auth-Token",
        "auth",
        "password",
    ] {
        assert!(names_a_secret(name), "{name}");
    }
    for name in ["Content-Type", "Accept", "region"] {
        assert!(!names_a_secret(name), "{name}");
    }
}
