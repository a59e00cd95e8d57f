//! Unit tests of the report as a whole: what is rendered is what was verified.

use std::fs;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::model::{Check, Signature};
use super::*;
use crate::evidence::bundle::Bundle;
use crate::evidence::{manifest, render as render_json};

fn users(email: &str) -> Vec<u8> {
    render_json(
        &json!({"schema": "iru-fivetran/users/v1", "resource": "users",
        "kind": "collected", "status": "complete", "count": 1,
        "items": [{"id": "u1", "email": email, "role": "Account Reviewer"}]}),
    )
}

/// A finished bundle holding `users.json` with one user.
fn bundle() -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().expect("tmp");
    let mut b = Bundle::create(out.path(), "20260101T000000Z").expect("create");
    let w = b
        .write("users.json", &users("reviewer@example.com"))
        .expect("write");
    let dir = b
        .finish("fivetran-acc-20260101T000000Z", manifest::FILE_NAME, |id| {
            render_json(&json!({
                "schema": manifest::SCHEMA, "bundle_id": id, "status": "complete",
                "account": {"account_id": "acc"}, "started_at": "2026-01-01T00:00:00Z",
                "options": {"resources": ["users"]},
                "artifacts": [{"resource": "users", "kind": "collected", "path": "users.json",
                               "sha256": w.sha256, "bytes": w.bytes, "count": 1,
                               "status": "complete"}],
            }))
        })
        .expect("finish");
    (out, dir)
}

/// Same length, another person: only a hash can tell.
fn swap_in(dir: &std::path::Path) {
    let swapped = users("intruder@example.com");
    assert_eq!(
        swapped.len(),
        fs::metadata(dir.join("users.json")).expect("meta").len() as usize
    );
    fs::write(dir.join("users.json"), swapped).expect("swap");
}

#[test]
fn a_file_replaced_between_the_check_and_the_read_is_a_problem_of_the_model() {
    let (_out, dir) = bundle();
    let found = inspect(&dir);
    assert_eq!(found.problems, []);
    swap_in(&dir);
    let model = read::read(&found, Signature::Unsigned, 100);
    let Check::Problems(problems) = &model.check else {
        panic!("rendered as verified: {:?}", model.check);
    };
    assert_eq!(problems, &["users.json: changed since it was verified"]);
}

#[test]
fn a_file_replaced_between_the_check_and_the_read_gets_the_banner_in_both_formats() {
    let (_out, dir) = bundle();
    let original = fs::read(dir.join("users.json")).expect("read");
    for format in [Format::Html, Format::Markdown] {
        let (text, trusted) = render(&dir, format, None, 100).expect("rendered");
        assert!(trusted, "{format:?}: intact");
        assert!(text.contains("verified: 2 files match"), "{text}");

        let found = inspect(&dir);
        swap_in(&dir);
        let (text, trusted) = render_inspected(found, format, None, 100).expect("rendered");
        assert!(!trusted, "{format:?}");
        assert!(
            text.contains("This bundle does not verify: 1 problem(s)."),
            "{format:?}: {text}"
        );
        assert!(
            text.contains("users.json: changed since it was verified"),
            "{text}"
        );
        assert!(!text.contains("verified: 2 files match"), "{text}");
        fs::write(dir.join("users.json"), &original).expect("restore");
    }
}

#[test]
fn the_manifest_shown_and_signed_is_the_one_inspected() {
    use ssh_key::private::{Ed25519Keypair, PrivateKey};
    let (out, dir) = bundle();
    let key = crate::evidence::sign::SigningKey::from_private_key(PrivateKey::from(
        Ed25519Keypair::from_seed(&[3; 32]),
    ));
    let manifest_bytes = fs::read(dir.join(manifest::FILE_NAME)).expect("manifest");
    let signature = key.sign(&manifest_bytes).expect("sign");
    fs::write(dir.join(crate::evidence::sign::SIGNATURE_FILE), signature).expect("sig");
    let public = out.path().join("key.pub");
    let line = PrivateKey::from(Ed25519Keypair::from_seed(&[3; 32]))
        .public_key()
        .to_openssh()
        .expect("pub");
    fs::write(&public, line).expect("pub");
    let found = inspect(&dir);
    // The manifest on disk changes after the inspection: the signature is checked against the
    // bytes the report shows, which it holds for.
    let mut changed: Value = serde_json::from_slice(&manifest_bytes).expect("json");
    changed["status"] = "partial".into();
    fs::write(dir.join(manifest::FILE_NAME), render_json(&changed)).expect("write");
    assert_eq!(
        signature_of(&found, Some(&public)),
        Signature::Holds(key.fingerprint())
    );
}

fn signature_of(found: &Inspection, key: Option<&std::path::Path>) -> Signature {
    super::signature(found, key)
}
