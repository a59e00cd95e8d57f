//! The workflow files and the systemd units: they cannot run here, so their syntax and the
//! properties the README promises are checked. YAML is read with python3's `yaml` module
//! (turned into JSON); the tests skip cleanly where it is missing.

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
