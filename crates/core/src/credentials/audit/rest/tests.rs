//! Unit tests of `credentials::audit::rest`: a Snowflake source checked, its key file read like
//! the vault file, encrypted keys refused, and the key exposed only to sign.

use std::os::unix::fs::PermissionsExt as _;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{self, KeyPair as _, RsaKeyPair};

use super::*;
use crate::credentials::audit::check;

const TOKEN: &str = "pat-Snowflake-NEVER-shown-93";

/// A fresh 2048-bit key as PKCS#8 PEM, and its public key (SubjectPublicKeyInfo DER).
fn key_pem() -> (String, Vec<u8>) {
    let key = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key");
    let der = key.as_der().expect("der");
    let b64 = BASE64.encode(der.as_ref());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let spki = key.public_key().as_der().expect("spki").as_ref().to_vec();
    (pem, spki)
}

fn write(dir: &Path, name: &str, text: &str, mode: u32) {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn raw() -> VaultAuditSource {
    VaultAuditSource {
        kind: Some("snowflake".into()),
        account: Some("myorg-my_account".into()),
        user: Some("iru_reader".into()),
        database: Some("FIVETRAN_DB".into()),
        warehouse: Some("AUDIT_WH".into()),
        private_key_file: Some("rsa_key.p8".into()),
        ..VaultAuditSource::default()
    }
}

#[test]
fn a_key_pair_source_is_read_with_its_fingerprint_and_signs_verifiably() {
    let dir = tempfile::tempdir().expect("dir");
    let (pem, spki) = key_pem();
    write(dir.path(), "rsa_key.p8", &pem, 0o600);
    let s = check(raw(), 1, dir.path()).expect("valid");
    assert_eq!(s.kind, Kind::Snowflake);
    assert_eq!(s.host, "myorg-my-account.snowflakecomputing.com");
    assert_eq!(s.port, 443);
    let rest = s.rest.as_ref().expect("rest");
    assert_eq!(rest.account, "MYORG-MY_ACCOUNT");
    assert_eq!(
        rest.url.as_str(),
        "https://myorg-my-account.snowflakecomputing.com/"
    );
    let RestAuth::KeyPair(key) = &rest.auth else {
        panic!("a key pair")
    };
    let expected = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &spki);
    assert_eq!(
        key.fingerprint,
        format!("SHA256:{}", BASE64.encode(expected.as_ref()))
    );
    let signed = key.sign_rs256(b"header.claims").expect("signs");
    // The public key (SubjectPublicKeyInfo, as Snowflake stores it) verifies it.
    signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &spki)
        .verify(b"header.claims", &signed)
        .expect("verifies");
    // Neither the key's text nor its DER shows in what can be printed.
    let shown = format!("{s:?}");
    let body: String = pem
        .lines()
        .nth(1)
        .expect("a line")
        .chars()
        .take(40)
        .collect();
    assert!(!shown.contains(&body), "{shown}");
    assert!(
        s.label().contains(
            "snowflake iru_reader@myorg-my-account.snowflakecomputing.com:443/FIVETRAN_DB"
        )
    );
}

#[test]
fn a_key_file_others_may_read_is_refused_with_chmod() {
    let dir = tempfile::tempdir().expect("dir");
    let (pem, _) = key_pem();
    write(dir.path(), "rsa_key.p8", &pem, 0o644);
    let p = check(raw(), 1, dir.path()).expect_err("refused");
    assert!(
        p.problem.contains("readable by group or others (mode 644)"),
        "{p:?}"
    );
    assert!(p.hint.starts_with("chmod 600 "), "{p:?}");
}

#[test]
fn an_encrypted_key_is_refused_with_the_command_that_decrypts_it() {
    let dir = tempfile::tempdir().expect("dir");
    write(
        dir.path(),
        "rsa_key.p8",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq\n-----END ENCRYPTED PRIVATE KEY-----\n",
        0o600,
    );
    let p = check(raw(), 1, dir.path()).expect_err("refused");
    assert!(p.problem.contains("is encrypted"), "{p:?}");
    assert!(p.hint.contains("-nocrypt"), "{p:?}");
    assert!(!p.problem.contains("MIIFHDBO") && !p.hint.contains("MIIFHDBO"));
    // Not a key at all, and no file.
    write(dir.path(), "rsa_key.p8", "hello\n", 0o600);
    let p = check(raw(), 1, dir.path()).expect_err("refused");
    assert!(p.problem.contains("holds no RSA private key"), "{p:?}");
    std::fs::remove_file(dir.path().join("rsa_key.p8")).expect("rm");
    let p = check(raw(), 1, dir.path()).expect_err("refused");
    assert!(p.problem.contains("does not exist"), "{p:?}");
}

#[test]
fn a_token_source_and_the_fields_it_cannot_have() {
    let dir = tempfile::tempdir().expect("dir");
    let token = VaultAuditSource {
        private_key_file: None,
        token: Some(TOKEN.into()),
        url: Some("http://127.0.0.1:4000".into()),
        ..raw()
    };
    let s = check(token.clone(), 3, dir.path()).expect("valid");
    assert!(!format!("{s:?}").contains(TOKEN));
    let mut scrubber = Scrubber::default();
    let header = s
        .rest
        .as_ref()
        .expect("rest")
        .auth
        .static_token(&mut scrubber)
        .expect("a token");
    assert!(header.is_sensitive());
    assert_eq!(header.to_str().expect("ascii"), format!("Bearer {TOKEN}"));
    assert_eq!(scrubber.scrub(&format!("echo {TOKEN}")), "echo <redacted>");
    assert_eq!(s.port, 4000);

    for (mutate, problem) in [
        (
            (|r: &mut VaultAuditSource| r.password = Some("pw".into()))
                as fn(&mut VaultAuditSource),
            "has `password`, which kind \"snowflake\" does not use",
        ),
        (|r| r.host = Some("h".into()), "has `host`"),
        (|r| r.account = None, "has no `account`"),
        (
            |r| r.account = Some("a b".into()),
            "not an account identifier",
        ),
        (|r| r.database = None, "has no `database`"),
        (
            |r| r.token = None,
            "has neither `private_key_file` nor `token`",
        ),
        (
            |r| r.private_key_file = Some("k.p8".into()),
            "has both `private_key_file` and `token`",
        ),
        (
            |r| r.url = Some("http://warehouse.example.com".into()),
            "is not https",
        ),
    ] {
        let mut r = token.clone();
        mutate(&mut r);
        let p = check(r, 3, dir.path()).expect_err(problem);
        assert!(p.problem.contains(problem), "{problem}: {p:?}");
        assert!(!p.problem.contains(TOKEN) && !p.hint.contains(TOKEN));
    }
    // A PostgreSQL source may not carry Snowflake's keys either.
    let pg = VaultAuditSource {
        kind: Some("postgres".into()),
        host: Some("h.example.com".into()),
        database: Some("d".into()),
        user: Some("u".into()),
        password: Some("p".into()),
        role: Some("r".into()),
        ..VaultAuditSource::default()
    };
    let p = check(pg, 1, dir.path()).expect_err("refused");
    assert!(
        p.problem
            .contains("has `role`, which kind \"postgres\" does not use"),
        "{p:?}"
    );
}
