//! Unit tests of `credentials::audit::rest::bigquery`: a source checked, its service-account key file
//! read like the vault file, other kinds of Google credentials and encrypted keys refused, and
//! the key never quoted.

use std::os::unix::fs::PermissionsExt as _;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{self, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;

use super::*;
use crate::credentials::audit::check as check_source;

const EMAIL: &str = "iru-audit@acme-data.iam.gserviceaccount.com";

fn key_pem() -> (String, Vec<u8>) {
    let key = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key");
    let b64 = BASE64.encode(key.as_der().expect("der").as_ref());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    (
        pem,
        key.public_key().as_der().expect("spki").as_ref().to_vec(),
    )
}

fn key_json(pem: &str) -> serde_json::Value {
    json!({
        "type": "service_account",
        "project_id": "acme-data",
        "private_key_id": "4f1c0ffee",
        "private_key": pem,
        "client_email": EMAIL,
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    })
}

fn write(dir: &Path, text: &str, mode: u32) {
    let path = dir.join("sa.json");
    std::fs::write(&path, text).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn raw() -> VaultAuditSource {
    VaultAuditSource {
        kind: Some("bigquery".into()),
        project: Some("acme-jobs".into()),
        dataset: Some("fivetran_metadata_lone".into()),
        location: Some("EU".into()),
        key_file: Some("sa.json".into()),
        ..VaultAuditSource::default()
    }
}

fn refused(raw: VaultAuditSource, dir: &Path) -> Problem {
    check_source(raw, 1, dir).expect_err("refused")
}

#[test]
fn a_bigquery_source_is_read_with_its_service_account_and_signs_verifiably() {
    let dir = tempfile::tempdir().expect("dir");
    let (pem, spki) = key_pem();
    write(dir.path(), &key_json(&pem).to_string(), 0o600);
    let s = check_source(raw(), 1, dir.path()).expect("valid");
    assert_eq!(s.kind, Kind::BigQuery);
    assert!(s.kind.is_rest());
    assert!(Kind::BigQuery.serves("big_query"));
    assert_eq!(s.host, "bigquery.googleapis.com");
    assert_eq!(s.port, 443);
    assert_eq!(s.user, EMAIL);
    // The data project defaults to the project; the dataset is the schema.
    assert_eq!(s.database, "acme-jobs");
    assert_eq!(s.schema.as_deref(), Some("fivetran_metadata_lone"));
    let rest = s.rest.as_ref().expect("rest");
    let bq = rest.bigquery.as_ref().expect("bigquery");
    assert_eq!(bq.project, "acme-jobs");
    assert_eq!(bq.data_project, "acme-jobs");
    assert_eq!(bq.location.as_deref(), Some("EU"));
    assert_eq!(bq.private_key_id, "4f1c0ffee");
    assert_eq!(bq.token_uri.as_str(), "https://oauth2.googleapis.com/token");
    let RestAuth::KeyPair(key) = &rest.auth else {
        panic!("a key pair")
    };
    let signature = key.sign_rs256(b"header.claims").expect("sign");
    signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &spki)
        .verify(b"header.claims", &signature)
        .expect("verifies with the service account's public key");
    // Neither the key nor its lines appear in what the source prints.
    let shown = format!("{s:?} {}", s.label());
    for line in pem.lines().filter(|l| !l.starts_with("-----")).take(3) {
        assert!(!shown.contains(line));
    }

    let mut other = raw();
    other.data_project = Some("acme-warehouse".into());
    other.dataset = None;
    other.schema = Some("fivetran_metadata".into());
    let s = check_source(other, 1, dir.path()).expect("valid");
    assert_eq!(s.database, "acme-warehouse");
    assert_eq!(s.schema.as_deref(), Some("fivetran_metadata"));
}

#[test]
fn other_kinds_of_google_credentials_are_refused_with_what_to_make_instead() {
    let dir = tempfile::tempdir().expect("dir");
    let (pem, _) = key_pem();
    for (kind, says, hint) in [
        (
            "authorized_user",
            "a user's credentials (type authorized_user)",
            "gcloud iam service-accounts keys create",
        ),
        (
            "external_account",
            "workload identity federation configuration",
            "service account's JSON key file",
        ),
        (
            "impersonated_service_account",
            "not a service-account key",
            "chmod 600",
        ),
    ] {
        let mut file = key_json(&pem);
        file["type"] = kind.into();
        write(dir.path(), &file.to_string(), 0o600);
        let p = refused(raw(), dir.path());
        assert!(p.problem.contains(says), "{p:?}");
        assert!(p.hint.contains(hint), "{p:?}");
        assert!(!p.problem.contains(pem.lines().nth(1).expect("line")));
    }
}

#[test]
fn an_encrypted_key_an_open_file_and_a_foreign_token_uri_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let (pem, _) = key_pem();
    let mut file = key_json(&pem);
    file["private_key"] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n".into();
    write(dir.path(), &file.to_string(), 0o600);
    let p = refused(raw(), dir.path());
    assert!(p.problem.contains("is encrypted"), "{p:?}");
    assert!(
        p.hint.contains("gcloud iam service-accounts keys create"),
        "{p:?}"
    );

    write(dir.path(), &key_json(&pem).to_string(), 0o644);
    let p = refused(raw(), dir.path());
    assert!(p.problem.contains("readable by group or others"), "{p:?}");
    assert!(p.hint.starts_with("chmod 600 "), "{p:?}");

    // The assertion must not go anywhere but a token endpoint over HTTPS.
    let mut file = key_json(&pem);
    file["token_uri"] = "http://oauth2.example.com/token".into();
    write(dir.path(), &file.to_string(), 0o600);
    let p = refused(raw(), dir.path());
    assert!(p.problem.contains("`token_uri`"), "{p:?}");

    write(dir.path(), "not json", 0o600);
    let p = refused(raw(), dir.path());
    assert!(p.problem.contains("is not a JSON key file"), "{p:?}");
}

#[test]
fn the_fields_a_bigquery_source_cannot_have_or_must_have() {
    let dir = tempfile::tempdir().expect("dir");
    let (pem, _) = key_pem();
    write(dir.path(), &key_json(&pem).to_string(), 0o600);
    let mut r = raw();
    r.password = Some("nope".into());
    assert!(
        refused(r, dir.path())
            .problem
            .contains("`password`, which kind \"bigquery\"")
    );
    let mut r = raw();
    r.project = None;
    assert_eq!(refused(r, dir.path()).problem, "has no `project`");
    let mut r = raw();
    r.key_file = None;
    assert_eq!(refused(r, dir.path()).problem, "has no `key_file`");
    let mut r = raw();
    r.dataset = Some("x`; DROP".into());
    assert!(
        refused(r, dir.path())
            .problem
            .contains("not a BigQuery dataset")
    );
    let mut r = raw();
    r.schema = Some("fivetran_metadata".into());
    assert!(
        refused(r, dir.path())
            .problem
            .contains("both `schema` and `dataset`")
    );
    // Snowflake and PostgreSQL sources may not carry BigQuery's keys.
    let mut r = raw();
    r.kind = Some("snowflake".into());
    r.account = Some("acme".into());
    r.user = Some("u".into());
    r.database = Some("d".into());
    r.token = Some("t".into());
    assert!(
        refused(r, dir.path())
            .problem
            .contains("`project`, which kind \"snowflake\"")
    );
}

#[test]
fn a_profile_s_bigquery_source_is_read_from_toml_and_json_vaults() {
    use crate::credentials::vault::{Vault, parse_vault};
    let dir = tempfile::tempdir().expect("dir");
    let (pem, _) = key_pem();
    write(dir.path(), &key_json(&pem).to_string(), 0o600);
    let toml = "[profiles.prod]\napi_key = \"k\"\napi_secret = \"s\"\n\
        [[profiles.prod.audit_sources]]\nkind = \"bigquery\"\nproject = \"acme-jobs\"\n\
        data_project = \"acme-warehouse\"\ndataset = \"fivetran_metadata\"\nlocation = \"US\"\n\
        key_file = \"sa.json\"\n";
    let json = r#"{"profiles": {"prod": {"api_key": "k", "api_secret": "s", "audit_sources": [
        {"kind": "bigquery", "project": "acme-jobs", "data_project": "acme-warehouse",
         "dataset": "fivetran_metadata", "location": "US", "key_file": "sa.json"}]}}}"#;
    for text in [toml, json] {
        let Vault::Profiles(profiles) = parse_vault(text).expect("parses") else {
            panic!("profiles")
        };
        let account = profiles.values().next().expect("prod");
        let s = check_source(account.audit_sources[0].clone(), 1, dir.path()).expect("valid");
        assert_eq!(s.kind, Kind::BigQuery);
        assert_eq!(s.database, "acme-warehouse");
        let bq = s
            .rest
            .as_ref()
            .and_then(|r| r.bigquery.as_ref())
            .expect("bq");
        assert_eq!(bq.location.as_deref(), Some("US"));
    }
}
