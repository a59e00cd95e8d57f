//! What `collect` leaves beside and inside the bundle on request: the run summary
//! (`--summary-json`), the reproducible archive (`--archive`) and the manifest's signature
//! (`--sign-key`), checked with the library and, where installed, with tar, sha256sum and
//! ssh-keygen, the tools an auditor has.

use std::path::{Path, PathBuf};
use std::process::Command;

use iru_fivetran_core::evidence::archive::write_archive;
use iru_fivetran_core::evidence::sign::{self, SIGNATURE_FILE, SignError};
use iru_fivetran_fake::Fault;
use serde_json::Value;
use ssh_key::LineEnding;
use ssh_key::private::{Ed25519Keypair, PrivateKey};

use crate::support::{self, KEY, acme, collect, run, server};

/// A temporary directory for the summary (outside `--out`) and the keys.
pub(crate) struct Side {
    dir: tempfile::TempDir,
}

impl Side {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tmp"),
        }
    }

    fn summary_path(&self) -> PathBuf {
        self.dir.path().join("summary.json")
    }

    pub(crate) fn summary_arg(&self) -> String {
        self.summary_path().display().to_string()
    }

    /// Reads the summary, after checking it holds no secret and is private.
    pub(crate) fn summary(&self) -> Value {
        let path = self.summary_path();
        support::assert_no_secret_in(&path);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        serde_json::from_slice(&std::fs::read(&path).expect("summary")).expect("json")
    }

    /// An Ed25519 key pair in OpenSSH files (private `0600`); returns the private key's text.
    pub(crate) fn key(&self, mode: u32) -> (PathBuf, PathBuf, String) {
        let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&[42; 32]));
        key.set_comment("evidence@example.com");
        let private = self.dir.path().join("signing_key");
        let public = self.dir.path().join("signing_key.pub");
        let text = key.to_openssh(LineEnding::LF).expect("encode").to_string();
        std::fs::write(&private, &text).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&private, std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
        #[cfg(not(unix))]
        let _ = mode;
        let line = key.public_key().to_openssh().expect("public");
        std::fs::write(&public, format!("{line}\n")).expect("write");
        (private, public, text)
    }
}

/// The summary agrees with the manifest it summarizes.
fn assert_summary_matches_manifest(summary: &Value, manifest: &Value) {
    assert_eq!(summary["schema"], "iru-fivetran/summary/v1");
    assert_eq!(summary["started_at"], manifest["started_at"]);
    assert_eq!(summary["requests"]["total"], manifest["requests"]["total"]);
    assert_eq!(
        summary["requests"]["lowest_remaining"],
        manifest["requests"]["lowest_remaining"]
    );
    let artifacts = manifest["artifacts"].as_array().expect("artifacts");
    assert_eq!(
        summary["artifacts"].as_object().expect("object").len(),
        artifacts.len()
    );
    for entry in artifacts {
        let name = entry["resource"].as_str().expect("name");
        let summarized = &summary["artifacts"][name];
        for field in ["status", "count", "reason"] {
            assert_eq!(summarized[field], entry[field], "{name}.{field}");
        }
    }
    // The spreadsheet exports, as the manifest's `tables` records them.
    let tables = manifest["tables"].as_array().expect("tables");
    let summarized = summary["tables"].as_object().expect("tables object");
    assert_eq!(summarized.len(), tables.len());
    for entry in tables {
        let path = entry["path"].as_str().expect("path");
        assert_eq!(summarized[path]["rows"], entry["rows"], "{path}.rows");
        assert_eq!(summarized[path]["sha256"], entry["sha256"], "{path}.sha256");
    }
    assert!(
        summary["finished_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

#[test]
fn the_summary_of_a_complete_run() {
    let fake = server(acme());
    let side = Side::new();
    let run = collect(&fake, &["--summary-json", &side.summary_arg()]);
    run.assert_code(0);
    let summary = side.summary();
    assert_eq!(summary["status"], "complete");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["bundle"], run.bundle().display().to_string());
    for absent in ["error", "failed_bundle", "archive", "signature"] {
        assert!(summary[absent].is_null(), "{absent}: {summary}");
    }
    assert_summary_matches_manifest(&summary, &run.manifest());
    assert_eq!(
        summary["requests"]["total"],
        fake.requests().len(),
        "every request counted"
    );
}

#[test]
fn the_summary_of_a_partial_run() {
    let mut account = acme();
    let message = "Access denied. Required permission: TEAM_READ";
    account.forbidden.insert("/v1/teams".into(), message.into());
    let fake = server(account);
    let side = Side::new();
    let run = collect(&fake, &["--summary-json", &side.summary_arg()]);
    run.assert_code(3);
    let summary = side.summary();
    assert_eq!(summary["status"], "partial");
    assert_eq!(summary["exit_code"], 3);
    assert_eq!(summary["bundle"], run.bundle().display().to_string());
    assert_eq!(summary["artifacts"]["teams"]["status"], "forbidden");
    assert_eq!(summary["artifacts"]["teams"]["count"], 0);
    assert!(
        summary["artifacts"]["teams"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(message)),
        "{summary}"
    );
    assert_eq!(summary["artifacts"]["users"]["status"], "complete");
    assert_summary_matches_manifest(&summary, &run.manifest());
}

#[test]
fn the_summary_of_a_failed_run_that_kept_a_signed_failed_bundle() {
    let fake = server(acme());
    fake.inject(Fault::status("/v1/teams", 401, "AuthFailed", "key revoked").times(100));
    let side = Side::new();
    let (private, public, _) = side.key(0o600);
    let private = private.display().to_string();
    let run = collect(
        &fake,
        &[
            "--concurrency",
            "1",
            "--archive",
            "--sign-key",
            &private,
            "--summary-json",
            &side.summary_arg(),
        ],
    );
    run.assert_code(1);
    let summary = side.summary();
    assert_eq!(summary["status"], "failed");
    assert_eq!(summary["exit_code"], 1);
    assert!(summary["bundle"].is_null(), "{summary}");
    assert!(
        summary["archive"].is_null(),
        "a failed bundle is not archived"
    );
    let kept = PathBuf::from(summary["failed_bundle"].as_str().expect("kept"));
    assert!(kept.display().to_string().ends_with(".failed"), "{kept:?}");
    assert!(
        summary["error"].as_str().is_some_and(|e| e.contains("401")),
        "{summary}"
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(kept.join("manifest.json")).expect("m"))
            .expect("json");
    assert_summary_matches_manifest(&summary, &manifest);
    assert!(
        summary["artifacts"]["teams"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("refused the key"))
    );
    assert_eq!(
        summary["signature"]["path"],
        kept.join(SIGNATURE_FILE).display().to_string()
    );
    sign::verify_signature(&kept, &public).expect("the failed bundle is signed too");
    assert_eq!(
        run.out_entries().len(),
        1,
        "no archive beside a failed bundle"
    );
}

#[test]
fn the_summary_of_a_run_refused_at_once_has_no_bundle_and_counts_the_request() {
    let fake = server(acme());
    let side = Side::new();
    let url = fake.api_url();
    let summary_arg = side.summary_arg();
    let run = run(
        &["collect", "--api-url", &url, "--summary-json", &summary_arg],
        &[
            ("FIVETRAN_API_KEY", KEY),
            ("FIVETRAN_API_SECRET", "wrong-secret"),
        ],
    );
    run.assert_code(1);
    let summary = side.summary();
    assert_eq!(summary["status"], "failed");
    assert!(summary["bundle"].is_null() && summary["failed_bundle"].is_null());
    assert_eq!(summary["requests"]["total"], 1);
    assert_eq!(summary["artifacts"], serde_json::json!({}));
    assert!(
        !std::fs::read_to_string(side.summary_path())
            .expect("text")
            .contains("wrong-secret")
    );
}

#[test]
fn the_summary_of_a_usage_error() {
    let fake = server(acme());
    let side = Side::new();
    let run = collect(
        &fake,
        &["--resources", "nope", "--summary-json", &side.summary_arg()],
    );
    run.assert_code(2);
    let summary = side.summary();
    assert_eq!(summary["status"], "usage_error");
    assert_eq!(summary["exit_code"], 2);
    assert!(summary["requests"].is_null());
    assert!(
        summary["error"]
            .as_str()
            .is_some_and(|e| e.contains("nope")),
        "{summary}"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn an_unwritable_summary_fails_the_run_but_keeps_the_bundle() {
    let fake = server(acme());
    let side = Side::new();
    let path = side.dir.path().join("no-such-dir").join("summary.json");
    let run = collect(&fake, &["--summary-json", &path.display().to_string()]);
    run.assert_code(1);
    assert!(run.bundle().is_dir(), "the bundle stays");
    assert!(
        run.stderr.contains("cannot write the run summary"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

/// Runs `program args` in `dir`; `None` if the program is not installed.
fn tool(program: &str, args: &[&str], dir: &Path) -> Option<std::process::Output> {
    match Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("TZ", "UTC")
        .output()
    {
        Ok(output) => Some(output),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("{program} is not installed: skipped");
            None
        }
        Err(e) => panic!("{program}: {e}"),
    }
}

#[test]
fn the_archive_is_reproducible_and_standard_tools_read_it() {
    let fake = server(acme());
    let side = Side::new();
    let run = collect(&fake, &["--archive", "--summary-json", &side.summary_arg()]);
    run.assert_code(0);
    let bundle = run.bundle();
    let name = bundle
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let archive = bundle.with_file_name(format!("{name}.tar.gz"));
    let bytes = std::fs::read(&archive).expect("archive beside the bundle");
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let summary = side.summary();
    assert_eq!(summary["archive"]["path"], archive.display().to_string());
    assert_eq!(summary["archive"]["sha256"], sha256);
    assert!(run.stderr.contains(&sha256), "{}", run.stderr);
    // The archive's hash cannot be inside the bundle, which was sealed before.
    for file in support::files_under(&bundle) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).into_owned();
        assert!(!text.contains(&sha256), "{}", file.display());
        assert!(!text.contains(".tar.gz"), "{}", file.display());
    }

    // The library makes the same bytes again, and from a copy with other times and modes.
    let again = write_archive(&bundle).expect("again");
    assert_eq!(again.sha256, sha256);
    let elsewhere = tempfile::tempdir().expect("tmp");
    let copy = elsewhere.path().join(&name);
    std::fs::create_dir(&copy).expect("mkdir");
    for file in support::files_under(&bundle) {
        let target = copy.join(file.file_name().expect("name"));
        std::fs::copy(&file, &target).expect("copy");
        std::fs::File::options()
            .write(true)
            .open(&target)
            .expect("open")
            .set_modified(std::time::SystemTime::UNIX_EPOCH)
            .expect("touch");
    }
    assert_eq!(write_archive(&copy).expect("copy").sha256, sha256);

    let manifest = run.manifest();
    let started = manifest["started_at"].as_str().expect("started");
    let mut expected: Vec<String> = support::files_under(&bundle)
        .iter()
        .map(|f| format!("{name}/{}", f.file_name().expect("n").to_string_lossy()))
        .collect();
    expected.sort();
    expected.insert(0, format!("{name}/"));
    let dir = archive.parent().expect("out");
    let archive_arg = archive.display().to_string();
    if let Some(listing) = tool("tar", &["-tzvf", &archive_arg], dir) {
        assert!(listing.status.success(), "{listing:?}");
        let text = String::from_utf8(listing.stdout).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), expected.len(), "{text}");
        // `2026-11-27T03:01:40Z` is listed as `2026-11-27 03:01` in UTC.
        let when = format!("{} {}", &started[..10], &started[11..16]);
        for (line, path) in lines.iter().zip(&expected) {
            let mode = if path.ends_with('/') {
                "drwx------"
            } else {
                "-rw-------"
            };
            assert!(line.starts_with(&format!("{mode} 0/0 ")), "{line}");
            assert!(line.contains(&when), "{line} at {when}");
            assert!(line.ends_with(&format!(" {path}")), "{line} is {path}");
        }
    }
    let unpacked = tempfile::tempdir().expect("tmp");
    let target = unpacked.path().display().to_string();
    if let Some(out) = tool("tar", &["-xzf", &archive_arg, "-C", &target], dir) {
        assert!(out.status.success(), "{out:?}");
        let extracted = unpacked.path().join(&name);
        if let Some(check) = tool("sha256sum", &["-c", "SHA256SUMS"], &extracted) {
            assert!(check.status.success(), "{check:?}");
        }
        iru_fivetran_core::verify::verify(&extracted).expect("the extracted bundle verifies");
    }
}

#[test]
fn a_signed_bundle_verifies_with_the_library_and_ssh_keygen_until_one_byte_changes() {
    let fake = server(acme());
    let side = Side::new();
    let (private, public, private_text) = side.key(0o600);
    let private_arg = private.display().to_string();
    let run = collect(
        &fake,
        &[
            "--sign-key",
            &private_arg,
            "--summary-json",
            &side.summary_arg(),
        ],
    );
    run.assert_code(0);
    let bundle = run.bundle();

    // The private key is nowhere: not on stdout or stderr, not in the bundle or the summary.
    let body: Vec<&str> = private_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let mut outputs = vec![run.stdout.clone(), run.stderr.clone()];
    for file in support::files_under(&bundle)
        .into_iter()
        .chain([side.summary_path()])
    {
        outputs.push(String::from_utf8_lossy(&std::fs::read(file).expect("read")).into_owned());
    }
    for text in &outputs {
        for line in &body {
            assert!(!text.contains(line), "private key text leaked");
        }
    }

    // manifest → signature → SHA256SUMS: the sums list the signature, and the bundle verifies.
    let sums = std::fs::read_to_string(bundle.join("SHA256SUMS")).expect("sums");
    assert!(sums.contains(&format!("  {SIGNATURE_FILE}\n")), "{sums}");
    iru_fivetran_core::verify::verify(&bundle).expect("bundle verifies");
    let check = sign::verify_signature(&bundle, &public).expect("signature verifies");
    let summary = side.summary();
    assert_eq!(summary["signature"]["key_fingerprint"], check.fingerprint);
    assert_eq!(
        summary["signature"]["path"],
        bundle.join(SIGNATURE_FILE).display().to_string()
    );
    assert!(run.stderr.contains(&check.fingerprint), "{}", run.stderr);

    let public_line = std::fs::read_to_string(&public).expect("pub");
    let allowed = side.dir.path().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!("evidence@example.com namespaces=\"iru-fivetran\" {public_line}"),
    )
    .expect("allowed_signers");
    let ssh_keygen_verify = |bundle: &Path| -> Option<bool> {
        let manifest = std::fs::File::open(bundle.join("manifest.json")).expect("manifest");
        let output = match Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&allowed)
            .args(["-I", "evidence@example.com", "-n", "iru-fivetran", "-s"])
            .arg(bundle.join(SIGNATURE_FILE))
            .stdin(manifest)
            .output()
        {
            Ok(output) => output,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("ssh-keygen is not installed: skipped");
                return None;
            }
            Err(e) => panic!("ssh-keygen: {e}"),
        };
        Some(output.status.success())
    };
    if let Some(ok) = ssh_keygen_verify(&bundle) {
        assert!(ok, "ssh-keygen -Y verify accepts the signature");
    }

    // The verify command checks the signature too, with --public-key.
    let bundle_arg = bundle.display().to_string();
    let public_arg = public.display().to_string();
    let verified = support::run(&["verify", &bundle_arg, "--public-key", &public_arg], &[]);
    verified.assert_code(0);
    assert!(
        verified
            .stderr
            .contains(&format!("signed by {}", check.fingerprint)),
        "{}",
        verified.stderr
    );
    let other_key = PrivateKey::from(Ed25519Keypair::from_seed(&[7; 32]));
    let other_public = side.dir.path().join("other.pub");
    std::fs::write(
        &other_public,
        other_key.public_key().to_openssh().expect("encode"),
    )
    .expect("write");
    let other = other_public.display().to_string();
    let refused = support::run(&["verify", &bundle_arg, "--public-key", &other], &[]);
    refused.assert_code(1);
    assert!(refused.stderr.contains("error:"), "{}", refused.stderr);

    let manifest_path = bundle.join("manifest.json");
    let mut bytes = std::fs::read(&manifest_path).expect("manifest");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&manifest_path, &bytes).expect("tamper");
    let err = sign::verify_signature(&bundle, &public).expect_err("tampered");
    assert!(matches!(err, SignError::BadSignature { .. }), "{err}");
    if let Some(ok) = ssh_keygen_verify(&bundle) {
        assert!(!ok, "ssh-keygen -Y verify refuses a changed manifest");
    }
}

#[cfg(unix)]
#[test]
fn a_signing_key_others_can_read_is_refused_before_any_request() {
    let fake = server(acme());
    let side = Side::new();
    let (private, _, _) = side.key(0o644);
    let run = collect(&fake, &["--sign-key", &private.display().to_string()]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains(&format!("hint: chmod 600 {}", private.display())),
        "{}",
        run.stderr
    );
    assert!(fake.requests().is_empty());
    assert!(run.out_entries().is_empty());
}
