//! `iru-fivetran demo`: a real collection of the built-in sample account, no key needed.

use base64::Engine as _;
use iru_fivetran::commands::demo::{DEMO_KEY, DEMO_SECRET};

use crate::support::{self, KEY, SECRET};

#[test]
fn the_demo_writes_a_verifiable_bundle_and_never_reads_the_users_credentials() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = out.path().join("demo");
    let dir_arg = dir.to_str().expect("utf8");
    // The user's own credentials are in the environment: the demo must not use them.
    let run = support::run(
        &["demo", "--out", dir_arg],
        &[
            ("FIVETRAN_API_KEY", KEY),
            ("FIVETRAN_API_SECRET", SECRET),
            ("IRU_FIVETRAN_CREDENTIALS_FILE", "/nonexistent/vault.toml"),
        ],
    );
    run.assert_code(0);
    let bundle = run.bundle();
    assert!(bundle.starts_with(&dir), "{}", bundle.display());
    iru_fivetran_core::verify::verify(&bundle).expect("an intact bundle");

    let manifest = run.manifest();
    // A real partial run: the sample key may not read one list.
    assert_eq!(manifest["status"], "partial");
    assert_eq!(
        support::manifest_artifact(&manifest, "hybrid_deployment_agents")["status"],
        "forbidden"
    );
    assert_eq!(
        support::manifest_artifact(&manifest, "users")["status"],
        "complete"
    );
    let syncs: usize = run.json("sync_history.json")["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["syncs"].as_array().map(Vec::len))
        .sum();
    assert!(syncs > 0, "the sample's syncs are moved into the last day");
    assert!(run.stderr.contains("audit_coverage.json"), "{}", run.stderr);
    assert!(run.stderr.contains("no real account is contacted"));

    // Neither the demo's secret nor the user's appears anywhere.
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_KEY}:{DEMO_SECRET}"));
    for needle in [DEMO_SECRET, basic.as_str()] {
        assert!(!run.stdout.contains(needle) && !run.stderr.contains(needle));
        for file in support::files_under(&dir) {
            let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).into_owned();
            assert!(!text.contains(needle), "{needle} in {}", file.display());
        }
    }

    // Again into the same --out: changes.json compares the two bundles.
    let again = support::run(&["demo", "--out", dir_arg, "--quiet"], &[]);
    again.assert_code(0);
    assert!(again.stderr.is_empty(), "quiet: {}", again.stderr);
    let changes = again.json("changes.json");
    assert_eq!(changes["status"], "partial", "{changes}");
    assert!(changes["baseline"]["bundle_id"].is_string(), "{changes}");
}
