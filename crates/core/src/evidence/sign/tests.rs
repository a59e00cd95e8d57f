//! Tests of [`super`]: signing, checking, and refusing keys that cannot be trusted or used.

use super::*;
use base64::prelude::*;
use ssh_key::private::Ed25519Keypair;

const MANIFEST: &[u8] = b"{\n  \"schema\": \"iru-fivetran/manifest/v1\"\n}\n";

/// A fixed Ed25519 key: tests need no random numbers.
fn private_key(seed: u8) -> PrivateKey {
    let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]));
    key.set_comment("test@iru-fivetran.invalid");
    key
}

fn write_mode(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::write(path, bytes).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = mode;
}

/// Writes the key's private (0600) and public halves into `dir`; returns their paths.
fn key_files(dir: &Path, seed: u8) -> (PathBuf, PathBuf) {
    let key = private_key(seed);
    let private = dir.join(format!("key{seed}"));
    let public = dir.join(format!("key{seed}.pub"));
    let text = key.to_openssh(LineEnding::LF).expect("encode");
    write_mode(&private, text.as_bytes(), 0o600);
    let line = key.public_key().to_openssh().expect("public");
    std::fs::write(&public, format!("{line}\n")).expect("write");
    (private, public)
}

/// A directory holding `manifest.json` and its signature by `key`.
fn signed_bundle(key: &SigningKey) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join(manifest::FILE_NAME), MANIFEST).expect("manifest");
    let signature = key.sign(MANIFEST).expect("sign");
    std::fs::write(dir.path().join(SIGNATURE_FILE), signature).expect("sig");
    dir
}

#[test]
fn a_signature_made_with_a_loaded_key_verifies_with_its_public_key() {
    let keys = tempfile::tempdir().expect("tmp");
    let (private, public) = key_files(keys.path(), 1);
    let key = SigningKey::load(&private).expect("load");
    assert_eq!(
        key.fingerprint(),
        private_key(1).fingerprint(HashAlg::Sha256).to_string()
    );
    let bundle = signed_bundle(&key);
    let text = std::fs::read_to_string(bundle.path().join(SIGNATURE_FILE)).expect("sig");
    assert!(
        text.starts_with("-----BEGIN SSH SIGNATURE-----\n"),
        "{text}"
    );
    let check = verify_signature(bundle.path(), &public).expect("verifies");
    assert_eq!(check.fingerprint, key.fingerprint());
    assert_eq!(check.manifest_sha256, hex::encode(Sha256::digest(MANIFEST)));
}

#[test]
fn signing_is_deterministic() {
    let key = SigningKey::from_private_key(private_key(2));
    assert_eq!(
        key.sign(MANIFEST).expect("a"),
        key.sign(MANIFEST).expect("b")
    );
    assert_ne!(
        key.sign(MANIFEST).expect("a"),
        key.sign(b"other").expect("b")
    );
}

#[test]
fn one_changed_byte_of_the_manifest_or_the_signature_fails() {
    let keys = tempfile::tempdir().expect("tmp");
    let (_, public) = key_files(keys.path(), 3);
    let key = SigningKey::from_private_key(private_key(3));
    let bundle = signed_bundle(&key);
    let manifest = bundle.path().join(manifest::FILE_NAME);
    let mut bytes = MANIFEST.to_vec();
    bytes[20] ^= 1;
    std::fs::write(&manifest, &bytes).expect("tamper");
    let err = verify_signature(bundle.path(), &public).expect_err("tampered manifest");
    assert!(matches!(err, SignError::BadSignature { .. }), "{err}");
    assert!(
        err.to_string().contains("changed after it was signed"),
        "{err}"
    );

    std::fs::write(&manifest, MANIFEST).expect("restore");
    verify_signature(bundle.path(), &public).expect("restored");
    let sig_path = bundle.path().join(SIGNATURE_FILE);
    let sig = std::fs::read(&sig_path).expect("sig");
    // A byte inside the base64 body, near the end, where the signature bytes are.
    let at = sig.len() - 40;
    let mut damaged = sig.clone();
    damaged[at] = if sig[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&sig_path, &damaged).expect("damage");
    assert!(verify_signature(bundle.path(), &public).is_err());
}

#[test]
fn another_key_or_another_namespace_is_refused() {
    let keys = tempfile::tempdir().expect("tmp");
    let (_, other_public) = key_files(keys.path(), 5);
    let key = SigningKey::from_private_key(private_key(4));
    let bundle = signed_bundle(&key);
    let err = verify_signature(bundle.path(), &other_public).expect_err("wrong key");
    let SignError::WrongKey {
        signed_by,
        expected,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(signed_by, &key.fingerprint());
    assert_eq!(
        expected,
        &private_key(5).fingerprint(HashAlg::Sha256).to_string()
    );
    assert!(err.to_string().contains("hint:"), "{err}");

    let (_, public) = key_files(keys.path(), 4);
    let git = private_key(4)
        .sign("git", HashAlg::Sha512, MANIFEST)
        .expect("sign")
        .to_pem(LineEnding::LF)
        .expect("pem");
    std::fs::write(bundle.path().join(SIGNATURE_FILE), git).expect("write");
    let err = verify_signature(bundle.path(), &public).expect_err("git namespace");
    assert!(matches!(err, SignError::Namespace { .. }), "{err}");
    assert!(err.to_string().contains("\"git\""), "{err}");
}

#[test]
fn missing_or_garbled_files_are_named() {
    let keys = tempfile::tempdir().expect("tmp");
    let (_, public) = key_files(keys.path(), 6);
    let key = SigningKey::from_private_key(private_key(6));
    let bundle = signed_bundle(&key);
    std::fs::remove_file(bundle.path().join(SIGNATURE_FILE)).expect("rm");
    let err = verify_signature(bundle.path(), &public).expect_err("unsigned");
    let text = err.to_string();
    assert!(
        text.contains(SIGNATURE_FILE) && text.contains("no such file"),
        "{text}"
    );
    assert!(text.contains("hint: the bundle was not signed"), "{text}");

    std::fs::write(bundle.path().join(SIGNATURE_FILE), "not a signature").expect("w");
    let err = verify_signature(bundle.path(), &public).expect_err("garbled");
    assert!(matches!(err, SignError::SignatureMalformed { .. }), "{err}");

    let not_public = keys.path().join("not.pub");
    std::fs::write(&not_public, "# a comment\n\nssh-ed25519 !!!\n").expect("w");
    let err = verify_signature(bundle.path(), &not_public).expect_err("bad public key");
    assert!(matches!(err, SignError::PublicKey { .. }), "{err}");
    assert!(err.to_string().contains("not.pub"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_key_readable_by_group_or_others_is_refused_with_a_chmod_hint() {
    use std::os::unix::fs::PermissionsExt as _;
    let keys = tempfile::tempdir().expect("tmp");
    let (private, _) = key_files(keys.path(), 7);
    for mode in [0o644, 0o640, 0o604] {
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let err = SigningKey::load(&private).expect_err("too open");
        let text = err.to_string();
        assert!(matches!(err, SignError::KeyTooOpen { .. }), "{text}");
        assert!(
            text.contains(&format!("hint: chmod 600 {}", private.display())),
            "{text}"
        );
    }
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o400)).expect("chmod");
    SigningKey::load(&private).expect("owner-only is fine");
}

/// An OpenSSH private key file whose private part is "encrypted" (random bytes: it is
/// refused before any decryption is tried, which this build cannot do anyway).
fn encrypted_key_file(public: &PublicKey) -> String {
    fn string(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend(u32::try_from(bytes.len()).expect("small").to_be_bytes());
        out.extend(bytes);
    }
    let mut kdf_options = Vec::new();
    string(&mut kdf_options, &[7; 16]);
    kdf_options.extend(16u32.to_be_bytes());
    let mut body = b"openssh-key-v1\0".to_vec();
    string(&mut body, b"aes256-ctr");
    string(&mut body, b"bcrypt");
    string(&mut body, &kdf_options);
    body.extend(1u32.to_be_bytes());
    string(&mut body, &public.to_bytes().expect("public bytes"));
    string(&mut body, &[0x5a; 160]);
    let encoded = BASE64_STANDARD.encode(body);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

#[test]
fn an_encrypted_key_is_refused_with_a_hint() {
    let keys = tempfile::tempdir().expect("tmp");
    let path = keys.path().join("encrypted");
    let text = encrypted_key_file(private_key(8).public_key());
    write_mode(&path, text.as_bytes(), 0o600);
    let err = SigningKey::load(&path).expect_err("encrypted");
    let message = err.to_string();
    assert!(matches!(err, SignError::KeyEncrypted { .. }), "{message}");
    assert!(message.contains("passphrase"), "{message}");
    assert!(
        message.contains("hint: use a dedicated signing key"),
        "{message}"
    );
}

#[test]
fn a_file_that_is_not_a_key_is_refused_without_quoting_it() {
    let keys = tempfile::tempdir().expect("tmp");
    let path = keys.path().join("notes");
    write_mode(&path, b"PLANTED-not-a-key-at-all\n", 0o600);
    let err = SigningKey::load(&path).expect_err("not a key");
    let message = err.to_string();
    assert!(matches!(err, SignError::KeyMalformed { .. }), "{message}");
    assert!(!message.contains("PLANTED"), "{message}");
    assert!(message.contains("hint:"), "{message}");
    let missing = SigningKey::load(&keys.path().join("nope")).expect_err("missing");
    assert!(missing.to_string().contains("--sign-key"), "{missing}");
}

#[test]
fn debug_shows_the_fingerprint_never_the_private_key() {
    let key = private_key(9);
    let text = key.to_openssh(LineEnding::LF).expect("encode");
    let shown = format!("{:?}", SigningKey::from_private_key(key.clone()));
    assert!(shown.contains("SHA256:"), "{shown}");
    for line in text.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!shown.contains(line), "{shown}");
    }
    let seed_hex = hex::encode([9u8; 32]);
    assert!(!shown.contains(&seed_hex));
}
