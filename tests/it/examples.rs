//! The workflow files and the systemd units: they cannot run here as a whole, so their syntax
//! and the properties the README promises are checked, and the example workflow's shell steps
//! are run for real against the fake API. YAML is read with python3's `yaml` module (turned
//! into JSON); the tests skip cleanly where it, or `jq` for the steps, is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The YAML file as JSON, or `None` when python3 with `yaml` is not installed.
fn yaml(path: &str) -> Option<Value> {
    let script = "import json, sys, yaml\njson.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(repo(path))
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() && stderr.contains("No module named 'yaml'") {
        return None;
    }
    assert!(
        output.status.success(),
        "{path} is not valid YAML: {stderr}"
    );
    Some(serde_json::from_slice(&output.stdout).expect("python wrote JSON"))
}

/// The `on:` table: YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true.
fn triggers(workflow: &Value) -> &Value {
    workflow
        .get("on")
        .or_else(|| workflow.get("true"))
        .expect("a trigger")
}

/// Every step of every job, with the job's name.
fn steps(workflow: &Value) -> Vec<(&str, &Value)> {
    let jobs = workflow["jobs"].as_object().expect("jobs");
    jobs.iter()
        .flat_map(|(name, job)| {
            job["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .map(move |s| (name.as_str(), s))
        })
        .collect()
}

/// Every action is pinned at least to a major version (`@v4`), never a branch.
fn assert_actions_pinned(workflow: &Value, path: &str) {
    for (job, step) in steps(workflow) {
        if let Some(uses) = step["uses"].as_str() {
            let (_, version) = uses.split_once('@').expect("versioned");
            let pinned = version.strip_prefix('v').is_some_and(|v| {
                v.split('.')
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            }) || (version.len() == 40
                && version.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(pinned, "{path}, job {job}: {uses} is not pinned");
        }
    }
}

#[test]
fn ci_workflow_is_valid_yaml() {
    let Some(ci) = yaml(".github/workflows/ci.yml") else {
        eprintln!("skipped: python3 with yaml is not installed");
        return;
    };
    assert_actions_pinned(&ci, "ci.yml");
}

#[test]
fn release_workflow_builds_every_target_and_only_its_release_job_may_write() {
    let Some(release) = yaml(".github/workflows/release.yml") else {
        eprintln!("skipped: python3 with yaml is not installed");
        return;
    };
    assert_eq!(
        triggers(&release)["push"]["tags"],
        serde_json::json!(["v*"])
    );
    assert_eq!(release["permissions"], serde_json::json!({}));
    for (name, job) in release["jobs"].as_object().expect("jobs") {
        let permissions = job["permissions"].as_object().expect("job permissions");
        let writes: Vec<&String> = permissions
            .iter()
            .filter(|(_, v)| v.as_str() == Some("write"))
            .map(|(k, _)| k)
            .collect();
        if name == "release" {
            assert_eq!(writes, ["contents"], "release job");
        } else {
            assert!(writes.is_empty(), "job {name} may write {writes:?}");
        }
    }
    let mut targets: Vec<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("matrix")
        .iter()
        .map(|m| m["target"].as_str().expect("target"))
        .collect();
    targets.sort_unstable();
    assert_eq!(
        targets,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-musl",
        ]
    );
    let runs: String = steps(&release)
        .iter()
        .filter_map(|(_, s)| s["run"].as_str())
        .collect();
    for needle in [
        "README.md LICENSE",
        "sha256sum",
        "SHA256SUMS",
        "gh release create",
    ] {
        assert!(runs.contains(needle), "release.yml: no {needle}");
    }
    assert_actions_pinned(&release, "release.yml");
}

#[test]
fn actions_example_is_scheduled_least_privileged_and_checks_what_it_uploads() {
    let Some(example) = yaml("docs/examples/github-actions.yml") else {
        eprintln!("skipped: python3 with yaml is not installed");
        return;
    };
    let on = triggers(&example);
    assert!(on["schedule"][0]["cron"].is_string(), "{on}");
    assert!(on.get("workflow_dispatch").is_some(), "{on}");
    assert_eq!(example["permissions"], serde_json::json!({}));
    let all = steps(&example);
    let collect = all
        .iter()
        .map(|(_, s)| *s)
        .find(|s| s["id"] == "collect")
        .expect("a collect step");
    assert_eq!(
        collect["env"]["FIVETRAN_API_SECRET"],
        "${{ secrets.FIVETRAN_API_SECRET }}"
    );
    let run = collect["run"].as_str().expect("run");
    for needle in [
        "--summary-json summary.json",
        "--archive",
        "::warning",
        "exit 1",
    ] {
        assert!(run.contains(needle), "collect step: no {needle}");
    }
    assert!(
        all.iter().any(|(_, s)| s["run"]
            .as_str()
            .is_some_and(|r| r.contains("iru-fivetran verify"))),
        "no verify step"
    );
    let upload = all
        .iter()
        .map(|(_, s)| *s)
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .expect("an upload step");
    assert!(upload["with"]["retention-days"].is_string());
    // It downloads the package the release workflow makes, by the same name.
    let text = std::fs::read_to_string(repo("docs/examples/github-actions.yml")).expect("read");
    assert!(text.contains("iru-fivetran-${IRU_FIVETRAN_VERSION}-x86_64-unknown-linux-musl"));
    assert_actions_pinned(&example, "github-actions.yml");
}

/// `Key=value` lines of a unit file (comments and sections left out).
fn unit(path: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(repo(path))
        .expect("unit file")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn value<'a>(unit: &'a [(String, String)], key: &str) -> &'a str {
    unit.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key}="))
}

#[test]
fn systemd_service_is_hardened_and_may_write_only_its_out_dir() {
    let service = unit("docs/examples/systemd/iru-fivetran.service");
    assert_eq!(value(&service, "Type"), "oneshot");
    assert_eq!(value(&service, "NoNewPrivileges"), "yes");
    assert_eq!(value(&service, "ProtectSystem"), "strict");
    let exec = value(&service, "ExecStart");
    let out = exec
        .split_once("--out ")
        .map(|(_, rest)| rest.split(' ').next().unwrap_or_default())
        .expect("--out in ExecStart");
    assert_eq!(value(&service, "ReadWritePaths"), out);
    assert!(exec.contains(" -q"), "{exec}");
    // The credential systemd loads is the file the tool is pointed at.
    let (id, _) = value(&service, "LoadCredential")
        .split_once(':')
        .expect("id:path");
    assert_eq!(
        value(&service, "Environment"),
        format!("IRU_FIVETRAN_CREDENTIALS_FILE=%d/{id}")
    );
    let timer = unit("docs/examples/systemd/iru-fivetran.timer");
    assert!(!value(&timer, "OnCalendar").is_empty());
    assert_eq!(value(&timer, "Persistent"), "true");
}

/// The `run` script of the step named `name`.
fn script<'a>(workflow: &'a Value, name: &str) -> &'a str {
    steps(workflow)
        .into_iter()
        .find(|(_, s)| s["name"] == name)
        .and_then(|(_, s)| s["run"].as_str())
        .unwrap_or_else(|| panic!("no step {name:?} with a run script"))
}

#[test]
fn actions_example_steps_run_against_the_fake_and_make_what_they_upload() {
    use crate::support::{KEY, SECRET, acme, assert_no_secret_under, leak_needles, server};

    let Some(example) = yaml("docs/examples/github-actions.yml") else {
        eprintln!("skipped: python3 with yaml is not installed");
        return;
    };
    if Command::new("jq").arg("--version").output().is_err() {
        eprintln!("skipped: jq is not installed");
        return;
    }
    let fake = server(acme());
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_iru-fivetran"))
        .parent()
        .expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let outputs = dir.join("github_output");
    let step_summary = dir.join("step_summary");
    // As GitHub runs a `run:` step: bash -e -o pipefail, in the workspace. The one change:
    // the collector's --rate is raised from its default of 4 a second, which would make this
    // test wait 20 s for the fake.
    let step = |name: &str, env: &[(&str, String)]| {
        let text = script(&example, name)
            .replace("iru-fivetran collect ", "iru-fivetran collect --rate 1000 ");
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(text)
            .current_dir(dir)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", dir)
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_STEP_SUMMARY", &step_summary)
            .env("IRU_FIVETRAN_TEST_NO_DELAY", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("bash runs");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        for needle in leak_needles() {
            assert!(
                !stdout.contains(&needle) && !stderr.contains(&needle),
                "{needle} leaked"
            );
        }
        assert!(
            out.status.success(),
            "step {name} failed:\n{stdout}\n{stderr}"
        );
    };

    step(
        "Collect",
        &[
            ("FIVETRAN_API_KEY", KEY.to_owned()),
            ("FIVETRAN_API_SECRET", SECRET.to_owned()),
            ("FIVETRAN_API_URL", fake.api_url()),
        ],
    );
    let written = std::fs::read_to_string(&outputs).expect("step outputs");
    let output = |key: &str| {
        written
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no output {key} in {written}"))
            .to_owned()
    };
    assert_eq!(output("code"), "0");
    let (bundle, archive) = (output("bundle"), output("archive"));
    assert!(
        archive.ends_with(".tar.gz") && dir.join(&archive).is_file(),
        "{archive}"
    );
    let summary = std::fs::read_to_string(&step_summary).expect("step summary");
    assert!(summary.contains("status: complete, exit 0, "), "{summary}");
    assert!(
        summary.contains("- users: complete, 8 item(s)"),
        "{summary}"
    );

    step(
        "Verify",
        &[("BUNDLE", bundle.clone()), ("ARCHIVE", archive.clone())],
    );
    step("Report", &[("BUNDLE", bundle)]);
    assert!(
        std::fs::read_to_string(dir.join("report.html"))
            .expect("report.html")
            .starts_with("<!DOCTYPE html>")
    );

    // Every file the upload step names exists.
    let upload = steps(&example)
        .into_iter()
        .find(|(_, s)| s["name"] == "Upload the evidence")
        .expect("upload step")
        .1;
    for line in upload["with"]["path"].as_str().expect("paths").lines() {
        let file = line
            .trim()
            .replace("${{ steps.collect.outputs.archive }}", &archive);
        assert!(
            dir.join(&file).is_file(),
            "the upload names {file}, which is not there"
        );
    }
    assert_no_secret_under(dir);
}

/// The README's `verify` example says what `verify` prints of the example bundle (the same
/// files, artifacts and run status), so a reader's first check looks as promised.
#[test]
fn the_readme_verify_example_is_what_verify_prints() {
    let readme = std::fs::read_to_string(repo("README.md")).expect("README");
    let shown = readme
        .lines()
        .find_map(|l| l.strip_prefix("# bundle evidence/"))
        .and_then(|l| l.split_once(" verifies: "))
        .map(|(_, verdict)| verdict.to_owned())
        .expect("the README shows a verify verdict");
    let run = crate::support::run(
        &[
            "verify",
            repo("docs/examples/bundle").to_str().expect("utf-8"),
        ],
        &[],
    );
    run.assert_code(0);
    let printed = run
        .stderr
        .lines()
        .find_map(|l| l.split_once(" verifies: "))
        .map(|(_, verdict)| verdict.to_owned())
        .expect("verify prints a verdict");
    assert_eq!(shown, printed);
}

/// docs/auditors.md's control tables are the map of the example bundle's manifest (every
/// artifact and finding), row for row, so the page an auditor reads is the map the tool ships.
#[test]
fn the_auditors_control_tables_are_the_manifests_map() {
    let doc = std::fs::read_to_string(repo("docs/auditors.md")).expect("docs/auditors.md");
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(repo("docs/examples/bundle/manifest.json")).expect("manifest"),
    )
    .expect("json");
    let mut expected = Vec::new();
    for framework in ["SOC 2 (TSC 2017)", "ISO/IEC 27001:2022 Annex A"] {
        for c in manifest["controls"].as_array().expect("controls") {
            if c["framework"] != framework {
                continue;
            }
            for e in c["evidence"].as_array().expect("evidence") {
                expected.push(format!(
                    "{framework} | {} | {} | {}",
                    c["control"].as_str().expect("control"),
                    e["source"].as_str().expect("source"),
                    e["shows"].as_str().expect("shows")
                ));
            }
        }
    }
    let mut documented = Vec::new();
    let (mut framework, mut control) = (String::new(), String::new());
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            framework = heading.to_owned();
            continue;
        }
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells.len() != 3 || !cells[1].starts_with('`') {
            continue;
        }
        if let Some(head) = cells[0].trim_start_matches("| ").strip_prefix("**") {
            control = head.split("**").next().expect("control id").to_owned();
        }
        documented.push(format!(
            "{framework} | {control} | {} | {}",
            cells[1].trim_matches('`'),
            cells[2].trim_end_matches(" |")
        ));
    }
    assert!(!expected.is_empty(), "the example manifest has a map");
    assert_eq!(documented, expected);
}
