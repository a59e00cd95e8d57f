//! The JSON Schemas: `iru-fivetran schema`, the committed files under `schemas/` (kept equal
//! to what the types generate), and real bundles validated against them.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{self, acme, collect, run, server};

/// Set to `1` to rewrite `schemas/` from the types instead of comparing.
const BLESS: &str = "IRU_FIVETRAN_BLESS";

/// The schemas besides the artifacts', in the order `schema` lists them after those.
const REPORTS: [&str; 5] = ["manifest", "verify", "doctor", "summary", "period"];

/// Every schema name, in the order `schema` lists them: the artifacts, then the reports.
fn names() -> Vec<&'static str> {
    support::ARTIFACTS.into_iter().chain(REPORTS).collect()
}

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

fn committed(name: &str) -> Value {
    let path = schemas_dir().join(format!("{name}.v1.schema.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("a committed schema is JSON")
}

#[test]
fn schema_lists_every_name_and_prints_each_schema_as_json() {
    let listed = run(&["schema"], &[]);
    listed.assert_code(0);
    assert_eq!(listed.stdout.lines().collect::<Vec<_>>(), names());
    for name in names() {
        let printed = run(&["schema", name], &[]);
        printed.assert_code(0);
        let schema: Value = serde_json::from_str(&printed.stdout).expect("JSON");
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["title"], format!("iru-fivetran/{name}/v1"));
        assert_eq!(schema, committed(name), "{name}: differs from schemas/");
    }
    let unknown = run(&["schema", "userz"], &[]);
    unknown.assert_code(2);
    assert!(
        unknown.stderr.starts_with(
            "error: no schema is named \"userz\"\nhint: the names are account, users,"
        ),
        "{}",
        unknown.stderr
    );
}

#[test]
fn committed_schemas_are_what_the_types_generate() {
    let dir = schemas_dir();
    let bless = std::env::var(BLESS).is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for name in iru_fivetran_core::schema::names() {
        let file = dir.join(iru_fivetran_core::schema::file_name(name));
        let generated = iru_fivetran_core::evidence::render(
            &iru_fivetran_core::schema::generate(name).expect("known"),
        );
        if bless {
            fs::create_dir_all(&dir).expect("schemas/");
            fs::write(&file, &generated).expect("write schema");
        } else if fs::read(&file).ok().as_deref() != Some(generated.as_slice()) {
            stale.push(file.display().to_string());
        }
    }
    let expected: Vec<String> = names()
        .iter()
        .map(|n| format!("{n}.v1.schema.json"))
        .collect();
    let mut present: Vec<String> = fs::read_dir(&dir)
        .expect("schemas/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(present, sorted, "schemas/ holds exactly one file per name");
    assert!(
        stale.is_empty(),
        "these committed schemas differ from what the Rust types generate:\n  {}\n\
         regenerate them with `{BLESS}=1 cargo test --locked --test it schema::committed` and commit the result",
        stale.join("\n  ")
    );
}

/// Every committed schema, compiled once.
pub struct Validator {
    schemas: boon::Schemas,
    index: Vec<(String, boon::SchemaIndex)>,
}

impl Validator {
    pub fn new() -> Self {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        let mut index = Vec::new();
        for name in names() {
            let url = format!("file:///schemas/{name}.v1.schema.json");
            compiler
                .add_resource(&url, committed(name))
                .expect("schema added");
            let compiled = compiler
                .compile(&url, &mut schemas)
                .unwrap_or_else(|e| panic!("{name}: not a valid schema: {e}"));
            index.push((name.to_owned(), compiled));
        }
        Self { schemas, index }
    }

    /// Validates `instance` against the schema `name`, panicking with every error.
    pub fn check(&self, name: &str, instance: &Value, what: &str) {
        let (_, compiled) = self
            .index
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no schema {name}"));
        if let Err(e) = self.schemas.validate(instance, *compiled) {
            panic!("{what} does not match schemas/{name}.v1.schema.json:\n{e:#}");
        }
    }

    /// Validates every JSON file of a bundle: each artifact by its resource, the manifest.
    /// Returns how many artifacts the manifest lists.
    pub fn bundle(&self, dir: &Path) -> usize {
        let read = |name: &str| -> Value {
            serde_json::from_slice(&fs::read(dir.join(name)).expect("read")).expect("JSON")
        };
        let manifest = read("manifest.json");
        self.check(
            "manifest",
            &manifest,
            &format!("{}/manifest.json", dir.display()),
        );
        let artifacts = manifest["artifacts"].as_array().expect("artifacts");
        for entry in artifacts {
            let resource = entry["resource"].as_str().expect("resource");
            let file = entry["path"].as_str().expect("path");
            self.check(resource, &read(file), &format!("{}/{file}", dir.display()));
        }
        artifacts.len()
    }
}

#[test]
fn a_real_bundle_and_its_verify_report_match_the_schemas() {
    let validator = Validator::new();
    let fake = server(acme());
    // Two runs, so that the second bundle's changes.json has a baseline.
    let out = tempfile::tempdir().expect("tmp");
    let out_arg = out.path().to_str().expect("utf-8");
    let first = collect(&fake, &["--out", out_arg]);
    first.assert_code(0);
    let second = collect(&fake, &["--out", out_arg]);
    second.assert_code(0);
    for run in [&first, &second] {
        assert_eq!(validator.bundle(&run.bundle()), 26);
    }
    let bundle = second.bundle();
    let report = run(
        &[
            "verify",
            bundle.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
        &[],
    );
    report.assert_code(0);
    let report: Value = serde_json::from_str(&report.stdout).expect("JSON");
    validator.check("verify", &report, "the verify report");

    // A failing report matches too.
    fs::write(bundle.join("extra.txt"), "x").expect("write");
    let failing = run(
        &[
            "verify",
            bundle.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
        &[],
    );
    failing.assert_code(1);
    let failing: Value = serde_json::from_str(&failing.stdout).expect("JSON");
    validator.check("verify", &failing, "a failing verify report");

    // The run summaries of a complete and of a refused run match theirs.
    let summary = out.path().join("summary.json");
    let summary_arg = summary.to_str().expect("utf-8");
    let third = collect(
        &fake,
        &["--out", out_arg, "--summary-json", summary_arg, "--archive"],
    );
    third.assert_code(0);
    let text = fs::read_to_string(&summary).expect("summary");
    validator.check(
        "summary",
        &serde_json::from_str(&text).expect("JSON"),
        "a summary",
    );
    let refused = run(
        &[
            "collect",
            "--api-url",
            &fake.api_url(),
            "--out",
            out_arg,
            "--summary-json",
            summary_arg,
        ],
        &[("FIVETRAN_API_KEY", "k"), ("FIVETRAN_API_SECRET", "wrong")],
    );
    refused.assert_code(1);
    let text = fs::read_to_string(&summary).expect("summary");
    validator.check(
        "summary",
        &serde_json::from_str(&text).expect("JSON"),
        "a failed run's summary",
    );
}

#[test]
fn the_example_bundle_in_the_docs_matches_the_schemas() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/bundle");
    if !dir.join("manifest.json").exists() {
        return;
    }
    assert_eq!(Validator::new().bundle(&dir), 26);
}

#[test]
fn a_schema_rejects_what_the_format_forbids() {
    let validator = Validator::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/bundle");
    let users: Value =
        serde_json::from_slice(&fs::read(dir.join("users.json")).expect("read")).expect("JSON");
    let rejected = |field: &str, value: Value| {
        let mut envelope = users.clone();
        envelope[field] = value;
        let (_, index) = validator
            .index
            .iter()
            .find(|(n, _)| n == "users")
            .expect("users");
        assert!(
            validator.schemas.validate(&envelope, *index).is_err(),
            "{field} = {} accepted",
            envelope[field]
        );
    };
    rejected("schema", "iru-fivetran/users/v2".into());
    rejected("kind", "derived".into());
    rejected("status", "done".into());
    rejected("collected_at", "yesterday".into());
    rejected(
        "items",
        serde_json::json!([{"id": "u", "group_memberships": "all"}]),
    );
    let mut no_count = users.clone();
    no_count.as_object_mut().expect("object").remove("count");
    let (_, index) = validator
        .index
        .iter()
        .find(|(n, _)| n == "users")
        .expect("users");
    assert!(validator.schemas.validate(&no_count, *index).is_err());
}
