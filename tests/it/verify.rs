//! `iru-fivetran verify`: an intact bundle of the acme fixture, then one problem at a time
//! (a changed byte, a missing file, an added file, hash lists that disagree, an envelope that
//! lies), each named on stderr with exit 1, and the `--format json` report.

use std::fs;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::support::{Run, acme, collect, run, server};

/// A complete collection of the acme fixture (the bundle lives as long as the run).
fn bundle() -> Run {
    let fake = server(acme());
    let run = collect(&fake, &[]);
    run.assert_code(0);
    run
}

/// Runs `iru-fivetran verify ARGS` through `support::run` (cleared environment, leak check).
fn verify(args: &[&str]) -> Run {
    let mut full = vec!["verify"];
    full.extend_from_slice(args);
    run(&full, &[])
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The JSON report of `verify --format json`.
fn report(dir: &Path) -> (Run, Value) {
    let run = verify(&[path(dir), "--format", "json"]);
    let value = serde_json::from_str(&run.stdout).expect("the report is JSON");
    (run, value)
}

/// `(code, file)` of each problem in a report.
fn problems(report: &Value) -> Vec<(String, String)> {
    report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            let text = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
            (text("code"), text("file"))
        })
        .collect()
}

/// Rewrites `name` and brings the manifest and SHA256SUMS up to date with it, so that only
/// the envelope check can notice what changed.
fn rewrite_consistently(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).expect("write");
    let mut manifest: Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).expect("read")).expect("json");
    for entry in manifest["artifacts"].as_array_mut().expect("artifacts") {
        if entry["path"] == name {
            entry["sha256"] = sha(bytes).into();
            entry["bytes"] = bytes.len().into();
        }
    }
    let manifest = iru_fivetran_core::evidence::render(&manifest);
    fs::write(dir.join("manifest.json"), &manifest).expect("write");
    let sums: String = fs::read_to_string(dir.join("SHA256SUMS"))
        .expect("sums")
        .lines()
        .map(|line| {
            let file = &line[66..];
            let bytes = fs::read(dir.join(file)).expect("listed file");
            format!("{}  {file}\n", sha(&bytes))
        })
        .collect();
    fs::write(dir.join("SHA256SUMS"), sums).expect("write");
}

#[test]
fn an_intact_bundle_verifies_with_a_one_line_verdict() {
    let collected = bundle();
    let dir = collected.bundle();
    let run = verify(&[path(&dir)]);
    run.assert_code(0);
    assert_eq!(run.stdout, "", "text mode prints nothing on stdout");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with(&format!("bundle {} verifies: 30 files", dir.display()))
            && lines[0].ends_with("26 artifacts, run status complete"),
        "{}",
        lines[0]
    );
    // -q leaves nothing on stderr for an intact bundle.
    let quiet = verify(&[path(&dir), "-q"]);
    quiet.assert_code(0);
    assert_eq!(quiet.stderr, "");
}

#[test]
fn the_json_report_lists_every_file_and_no_problem() {
    let collected = bundle();
    let dir = collected.bundle();
    let (run, report) = report(&dir);
    run.assert_code(0);
    assert_eq!(report["schema"], "iru-fivetran/verify/v1");
    assert_eq!(report["verified"], true);
    assert_eq!(report["bundle"], path(&dir));
    assert_eq!(report["account_id"], "sterling_paddock");
    assert_eq!(report["run_status"], "complete");
    assert_eq!(
        report["bundle_id"].as_str(),
        dir.file_name().and_then(|n| n.to_str())
    );
    assert_eq!(report["problems"], Value::Array(Vec::new()));
    let files = report["files"].as_array().expect("files");
    assert_eq!(files.len(), 30);
    let users = files
        .iter()
        .find(|f| f["name"] == "users.json")
        .expect("users.json listed");
    let bytes = fs::read(dir.join("users.json")).expect("read");
    assert_eq!(users["sha256"], sha(&bytes));
    assert_eq!(users["bytes"], bytes.len());
}

#[test]
fn a_one_byte_change_is_named_and_fails() {
    let collected = bundle();
    let dir = collected.bundle();
    let file = dir.join("roles.json");
    let mut bytes = fs::read(&file).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    fs::write(&file, &bytes).expect("write");
    let run = verify(&[path(&dir)]);
    run.assert_code(1);
    assert_eq!(run.stdout, "");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines.contains(&"error: roles.json: sha256 differs from SHA256SUMS (changed)")
            && lines.contains(&"error: roles.json: sha256 differs from manifest.json (changed)"),
        "{}",
        run.stderr
    );
    let verdict = lines.last().expect("verdict");
    assert!(
        verdict.starts_with(&format!(
            "error: bundle {} does not verify: ",
            dir.display()
        )) && verdict.contains("; hint: "),
        "{verdict}"
    );
    let (json_run, report) = report(&dir);
    json_run.assert_code(1);
    assert_eq!(report["verified"], false);
    assert!(problems(&report).contains(&("hash_mismatch".into(), "roles.json".into())));
}

#[test]
fn missing_and_extra_files_are_each_named() {
    let collected = bundle();
    let dir = collected.bundle();
    fs::remove_file(dir.join("webhooks.json")).expect("rm");
    fs::write(dir.join("notes.txt"), "added later\n").expect("write");
    let run = verify(&[path(&dir)]);
    run.assert_code(1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines.contains(&"error: webhooks.json: listed but missing")
            && lines
                .contains(&"error: notes.txt: not listed in SHA256SUMS or the manifest (added)"),
        "{}",
        run.stderr
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("does not verify: 2 problems")),
        "{}",
        run.stderr
    );
    let (_, report) = report(&dir);
    assert_eq!(
        problems(&report),
        [
            ("missing".to_owned(), "webhooks.json".to_owned()),
            ("extra".to_owned(), "notes.txt".to_owned())
        ]
    );
}

#[test]
fn manifest_and_sha256sums_must_agree() {
    // SHA256SUMS names another hash for a file the manifest still has right.
    let collected = bundle();
    let dir = collected.bundle();
    let sums = fs::read_to_string(dir.join("SHA256SUMS")).expect("sums");
    let edited: String = sums
        .lines()
        .map(|l| {
            if l.ends_with("  groups.json") {
                format!("{}  groups.json\n", "0".repeat(64))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    fs::write(dir.join("SHA256SUMS"), edited).expect("write");
    let run = verify(&[path(&dir)]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("error: groups.json: sha256 differs from SHA256SUMS (changed)")
            && !run
                .stderr
                .contains("groups.json: sha256 differs from manifest.json"),
        "{}",
        run.stderr
    );

    // The manifest names another hash, and SHA256SUMS was updated for the edited manifest.
    let collected = bundle();
    let dir = collected.bundle();
    let mut manifest: Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).expect("read")).expect("json");
    for entry in manifest["artifacts"].as_array_mut().expect("artifacts") {
        if entry["path"] == "groups.json" {
            entry["sha256"] = "f".repeat(64).into();
        }
    }
    let text = iru_fivetran_core::evidence::render(&manifest);
    fs::write(dir.join("manifest.json"), &text).expect("write");
    let sums: String = fs::read_to_string(dir.join("SHA256SUMS"))
        .expect("sums")
        .lines()
        .map(|l| {
            if l.ends_with("  manifest.json") {
                format!("{}  manifest.json\n", sha(&text))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    fs::write(dir.join("SHA256SUMS"), sums).expect("write");
    let (run, report) = report(&dir);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("error: groups.json: sha256 differs from manifest.json (changed)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        problems(&report),
        [("hash_mismatch".to_owned(), "groups.json".to_owned())]
    );
}

#[test]
fn an_envelope_that_lies_is_caught_even_with_every_hash_updated() {
    let collected = bundle();
    let dir = collected.bundle();
    let mut users: Value =
        serde_json::from_slice(&fs::read(dir.join("users.json")).expect("read")).expect("json");
    users["count"] = (users["count"].as_u64().expect("count") + 1).into();
    users["kind"] = "derived".into();
    rewrite_consistently(
        &dir,
        "users.json",
        &iru_fivetran_core::evidence::render(&users),
    );
    let run = verify(&[path(&dir)]);
    run.assert_code(1);
    for expected in [
        "error: users.json: envelope kind is derived, but users is always collected",
        "but items holds",
    ] {
        assert!(run.stderr.contains(expected), "{expected}\n{}", run.stderr);
    }
}

#[test]
fn a_directory_that_is_not_a_bundle_is_said_to_be_one() {
    let empty = tempfile::tempdir().expect("tmp");
    fs::write(empty.path().join("readme.txt"), "hello").expect("write");
    let run = verify(&[path(empty.path())]);
    run.assert_code(1);
    let verdict = run.stderr.lines().last().expect("verdict");
    assert_eq!(
        verdict,
        format!(
            "error: {} is not a bundle: it has neither manifest.json nor SHA256SUMS; hint: give the directory `iru-fivetran collect` printed",
            empty.path().display()
        )
    );
    assert!(
        run.stderr.contains("error: readme.txt: not listed"),
        "{}",
        run.stderr
    );

    let (run, report) = report(&empty.path().join("nowhere"));
    run.assert_code(1);
    assert_eq!(
        problems(&report),
        [("not_a_directory".to_owned(), String::new())]
    );
    assert_eq!(report["bundle_id"], Value::Null);
    assert!(
        run.stderr.contains("is not a bundle: not a directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    verify(&[]).assert_code(2);
    let dir = tempfile::tempdir().expect("tmp");
    verify(&[path(dir.path()), "--format", "yaml"]).assert_code(2);
}

#[test]
fn a_folder_of_bundles_is_recognised_by_verify_diff_and_report() {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("ev");
    let sel = ["--out", path(&out), "--resources", "roles"];
    collect(&fake, &sel).assert_code(0);
    let newest = collect(&fake, &sel);
    newest.assert_code(0);
    let newest = newest.bundle();
    let expected = format!(
        "{} is not a bundle: it holds 2 bundle(s); did you mean {}?",
        out.display(),
        newest.display()
    );
    let runs = [
        verify(&[path(&out)]),
        run(&["diff", path(&out), path(&newest)], &[]),
        run(&["report", path(&out)], &[]),
    ];
    for run in runs {
        run.assert_code(1);
        assert!(run.stderr.contains(&expected), "{}", run.stderr);
        assert!(
            run.stderr.contains("hint: give one bundle directory"),
            "{}",
            run.stderr
        );
        // Not a line per file it lacks, nor a line per bundle "added".
        assert!(!run.stderr.contains("listed but missing"), "{}", run.stderr);
        assert!(!run.stderr.contains("(added)"), "{}", run.stderr);
    }
}

/// A complete collection of the acme fixture signed with `Side::key`; returns the run, the
/// keys' holder and the public key's path.
fn signed_bundle() -> (Run, crate::package::Side, std::path::PathBuf) {
    let side = crate::package::Side::new();
    let (private, public, _) = side.key(0o600);
    let fake = server(acme());
    let run = collect(&fake, &["--sign-key", path(&private)]);
    run.assert_code(0);
    (run, side, public)
}

#[test]
fn a_file_added_to_sha256sums_alone_fails_a_signed_bundle_in_verify_and_report() {
    let (collected, _side, public) = signed_bundle();
    let dir = collected.bundle();
    let note = b"<p>Reviewed: no finding.</p>\n";
    fs::write(dir.join("auditor-note.html"), note).expect("write");
    let mut sums = fs::read_to_string(dir.join("SHA256SUMS")).expect("sums");
    sums.push_str(&format!("{}  auditor-note.html\n", sha(note)));
    fs::write(dir.join("SHA256SUMS"), sums).expect("write");

    let run = verify(&[path(&dir), "--public-key", path(&public)]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "error: auditor-note.html: listed in SHA256SUMS but not in the manifest, so no signature covers it (added)"
        ),
        "{}",
        run.stderr
    );
    let (run, json) = report(&dir);
    run.assert_code(1);
    assert_eq!(json["verified"], false);
    assert_eq!(
        problems(&json),
        [("not_in_manifest".to_owned(), "auditor-note.html".to_owned())]
    );

    for format in ["html", "md"] {
        let rendered = crate::support::run(
            &[
                "report",
                path(&dir),
                "--format",
                format,
                "--public-key",
                path(&public),
            ],
            &[],
        );
        rendered.assert_code(3);
        assert!(
            rendered
                .stdout
                .contains("This bundle does not verify: 1 problem(s)."),
            "{format}"
        );
        assert!(rendered.stdout.contains("auditor-note.html"), "{format}");
        assert!(rendered.stderr.contains("(DOES NOT VERIFY)"), "{format}");
    }
}

/// `users.json` with `value` (raw JSON bytes) put in its first item as `"aaa"`.
fn with_value_in_first_user(original: &[u8], value: &[u8]) -> Vec<u8> {
    let items = original
        .windows(9)
        .position(|w| w == b"\"items\": ")
        .expect("items");
    let first = items
        + original[items..]
            .iter()
            .position(|&b| b == b'{')
            .expect("an item");
    let mut bytes = original[..=first].to_vec();
    bytes.extend_from_slice(b"\"aaa\": ");
    bytes.extend_from_slice(value);
    bytes.extend_from_slice(b", ");
    bytes.extend_from_slice(&original[first + 1..]);
    bytes
}

#[test]
fn items_that_diff_cannot_read_fail_verify_and_report_too() {
    let collected = bundle();
    let dir = collected.bundle();
    let original = fs::read(dir.join("users.json")).expect("read");
    let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
    let cases: [(&str, &[u8]); 3] = [
        ("invalid UTF-8", b"\"caf\xe9\""),
        ("a lone surrogate", br#""\ud800""#),
        ("nesting past 128 levels", deep.as_bytes()),
    ];
    // A value the reader takes is fine: only the three below are refused.
    rewrite_consistently(
        &dir,
        "users.json",
        &with_value_in_first_user(&original, br#""caf\u00e9""#),
    );
    verify(&[path(&dir)]).assert_code(0);
    for (what, value) in cases {
        rewrite_consistently(
            &dir,
            "users.json",
            &with_value_in_first_user(&original, value),
        );
        let run = verify(&[path(&dir)]);
        run.assert_code(1);
        assert!(
            run.stderr
                .contains("error: users.json: not a JSON envelope"),
            "{what}: {}",
            run.stderr
        );
        let rendered = crate::support::run(&["report", path(&dir), "--format", "md"], &[]);
        rendered.assert_code(3);
        assert!(
            rendered
                .stdout
                .contains("> **WARNING: This bundle does not verify: 1 problem(s).**"),
            "{what}"
        );
    }
}

#[test]
fn the_verdict_says_whether_the_bundle_is_signed_and_what_was_checked() {
    let plain = bundle();
    let run = verify(&[path(&plain.bundle())]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("SHA256SUMS intact; unsigned; 26 artifacts"),
        "{}",
        run.stderr
    );
    let (_, json) = report(&plain.bundle());
    assert_eq!(
        json["signature"],
        serde_json::json!({"status": "unsigned", "key": null, "message": "unsigned"})
    );

    let (signed, _side, public) = signed_bundle();
    let dir = signed.bundle();
    let run = verify(&[path(&dir)]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("SHA256SUMS intact; signed, not checked (no --public-key); 26 artifacts"),
        "{}",
        run.stderr
    );
    let (_, json) = report(&dir);
    assert_eq!(json["signature"]["status"], "not_checked");

    let run = verify(&[
        path(&dir),
        "--public-key",
        path(&public),
        "--format",
        "json",
    ]);
    run.assert_code(0);
    let json: Value = serde_json::from_str(&run.stdout).expect("json");
    let key = json["signature"]["key"]
        .as_str()
        .expect("the signer")
        .to_owned();
    assert!(key.starts_with("SHA256:"), "{key}");
    assert_eq!(json["signature"]["status"], "valid");
    assert_eq!(
        json["signature"]["message"],
        format!("signature valid for {key}")
    );
    assert!(
        run.stderr.contains(&format!(
            "SHA256SUMS intact; signature valid for {key}; 26 artifacts"
        )),
        "{}",
        run.stderr
    );

    // Another key: the verdict says so, and the JSON does not claim the bundle verified.
    let other = tempfile::tempdir().expect("tmp");
    let other_key = other.path().join("other.pub");
    let pair = ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[7; 32]));
    fs::write(&other_key, pair.public_key().to_openssh().expect("openssh")).expect("write");
    let run = verify(&[
        path(&dir),
        "--public-key",
        path(&other_key),
        "--format",
        "json",
    ]);
    run.assert_code(1);
    let json: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["verified"], false);
    assert_eq!(json["signature"]["status"], "invalid");
    assert_eq!(
        problems(&json),
        [("signature".to_owned(), "manifest.json.sig".to_owned())]
    );
    assert!(
        run.stderr
            .contains("does not verify: 1 problem; signature does not hold:"),
        "{}",
        run.stderr
    );

    // The signature stripped (file and line): unsigned, not "not checked".
    fs::remove_file(dir.join("manifest.json.sig")).expect("rm");
    let sums: String = fs::read_to_string(dir.join("SHA256SUMS"))
        .expect("sums")
        .lines()
        .filter(|l| !l.ends_with("  manifest.json.sig"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(dir.join("SHA256SUMS"), sums).expect("write");
    let run = verify(&[path(&dir)]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("SHA256SUMS intact; unsigned; 26 artifacts"),
        "{}",
        run.stderr
    );
    let run = verify(&[
        path(&dir),
        "--public-key",
        path(&public),
        "--format",
        "json",
    ]);
    run.assert_code(1);
    let json: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["verified"], false);
    assert_eq!(json["signature"]["status"], "unsigned");
    assert!(
        run.stderr
            .contains("the signature does not hold: the bundle is unsigned"),
        "{}",
        run.stderr
    );
}
