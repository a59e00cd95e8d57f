//! `iru-fivetran report`: both formats from real bundles, the Markdown snapshot of the example
//! bundle, escaping of hostile values, the warning banner of a bundle that does not verify,
//! and where the report may be written. The headless-browser test is in `report_browser.rs`.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::package::Side;
use crate::support::{self, Run, acme, collect, run, server};

const BLESS: &str = "IRU_FIVETRAN_BLESS";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs `report` with `args` after the bundle path; checks nothing leaked.
fn report(bundle: &Path, args: &[&str]) -> Run {
    let bundle = bundle.display().to_string();
    let mut all = vec!["report", bundle.as_str()];
    all.extend_from_slice(args);
    run(&all, &[])
}

/// The values a hostile or careless admin could put in Fivetran, each aimed at one escape.
pub const HOSTILE_NAME: &str = "<script>alert(1)</script>";
pub const HOSTILE_FAMILY: &str = "</td></tr></table><img src=x onerror=alert(2)>";
pub const HOSTILE_GROUP: &str = "[click](https://evil.example) **bold** | pipe <b>x</b>";
pub const HOSTILE_SCHEMA: &str = "=HYPERLINK(\"http://evil.example\")\n# heading";

/// The acme account with hostile names in users, groups and connections.
pub fn hostile_account() -> iru_fivetran_fake::FakeAccount {
    let mut account = acme();
    let user = account
        .users
        .iter_mut()
        .find(|u| u["id"] == "amber_quartz")
        .expect("amber_quartz");
    user["given_name"] = json!(HOSTILE_NAME);
    user["family_name"] = json!(HOSTILE_FAMILY);
    let group = account
        .groups
        .iter_mut()
        .find(|g| g["id"] == "warm_harbor")
        .expect("warm_harbor");
    group["name"] = json!(HOSTILE_GROUP);
    let schema = json!(HOSTILE_SCHEMA);
    for c in account.connections.iter_mut() {
        if c["id"] == "brave_lantern" {
            c["schema"] = schema.clone();
        }
    }
    if let Some(detail) = account.connection_details.get_mut("brave_lantern") {
        detail["schema"] = schema;
    }
    account
}

/// Every tag of an HTML page, as `(name, attributes)`, outside the `<style>` element; panics
/// on a `<` that does not open a well-formed tag (escaping failed).
pub fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let style_start = html.find("<style>").expect("a style element");
    let style_end = html.find("</style>").expect("style closes");
    let css = &html[style_start..style_end];
    assert!(!css.contains("url("), "the CSS loads nothing");
    assert!(!css.contains("@import"), "the CSS imports nothing");
    assert!(!css.contains("http"), "the CSS names no address");
    let rest = format!("{}{}", &html[..style_start + 7], &html[style_end..]);
    let mut found = Vec::new();
    let mut s = rest.as_str();
    while let Some(at) = s.find('<') {
        let end = s[at..].find('>').expect("tag closes") + at;
        let inner = &s[at + 1..end];
        s = &s[end + 1..];
        if inner.starts_with('!') {
            assert_eq!(inner, "!DOCTYPE html");
            continue;
        }
        let inner = inner.trim_start_matches('/').trim_end_matches('/');
        let (name, mut attrs_text) = inner.split_once(' ').unwrap_or((inner, ""));
        let mut attrs = Vec::new();
        while let Some(eq) = attrs_text.find("=\"") {
            let key = attrs_text[..eq].trim().to_owned();
            let value_end = attrs_text[eq + 2..].find('"').expect("attribute closes") + eq + 2;
            attrs.push((key, attrs_text[eq + 2..value_end].to_owned()));
            attrs_text = &attrs_text[value_end + 1..];
        }
        assert!(
            attrs_text.trim().is_empty(),
            "stray attribute text in <{inner}>"
        );
        found.push((name.to_owned(), attrs));
    }
    found
}

/// The page uses only the tags and attributes the renderer writes: nothing that loads,
/// runs or links outside the page.
pub fn assert_self_contained(html: &str) {
    const TAGS: &[&str] = &[
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "h1",
        "h2",
        "h3",
        "p",
        "div",
        "strong",
        "ul",
        "li",
        "nav",
        "a",
        "main",
        "section",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "span",
        "figure",
        "figcaption",
        "svg",
        "text",
        "rect",
        "footer",
    ];
    const ATTRS: &[&str] = &[
        "lang",
        "charset",
        "http-equiv",
        "content",
        "name",
        "class",
        "role",
        "href",
        "id",
        "colspan",
        "viewBox",
        "width",
        "height",
        "aria-labelledby",
        "x",
        "y",
        "rx",
        "text-anchor",
    ];
    let tags = tags(html);
    assert!(tags.len() > 100, "a whole page");
    for (name, attrs) in &tags {
        assert!(TAGS.contains(&name.as_str()), "unexpected tag <{name}>");
        for (key, value) in attrs {
            assert!(
                ATTRS.contains(&key.as_str()),
                "unexpected attribute {key} on <{name}>"
            );
            if key == "href" {
                assert!(value.starts_with('#'), "a link out of the page: {value}");
            }
            if key == "content" && name == "meta" && value.contains("default-src") {
                assert_eq!(value, "default-src 'none'; style-src 'unsafe-inline'");
            }
        }
    }
    assert!(
        tags.iter().any(|(n, a)| n == "meta"
            && a.iter()
                .any(|(k, v)| k == "http-equiv" && v == "Content-Security-Policy")),
        "a Content-Security-Policy"
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compares `actual` with the committed file, or rewrites it under `IRU_FIVETRAN_BLESS=1`.
fn snapshot(path: &str, actual: &str) {
    let file = repo(path);
    if std::env::var_os(BLESS).is_some() {
        std::fs::write(&file, actual).expect("bless");
        return;
    }
    let expected = read(&file);
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or(expected.lines().count().min(actual.lines().count()), |n| n);
        panic!(
            "{path} differs from the rendered report at line {}:\n  committed: {:?}\n  rendered:  {:?}\nrerun with {BLESS}=1 if the change is intended (docs/examples/regenerate.sh does)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line),
        );
    }
}

#[test]
fn the_example_bundle_renders_as_the_committed_markdown_and_html() {
    // Relative, as the committed files show it (tests run from the crate root).
    let bundle = Path::new("docs/examples/bundle");
    let md = report(bundle, &["--format", "md"]);
    md.assert_code(0);
    assert!(
        md.stderr.contains(
            "Markdown report of bundle docs/examples/bundle (verified) written to stdout"
        ),
        "{}",
        md.stderr
    );
    snapshot("docs/examples/report.md", &md.stdout);
    let html = report(bundle, &[]);
    html.assert_code(0);
    assert_self_contained(&html.stdout);
    snapshot("docs/examples/report.html", &html.stdout);
}

#[test]
fn every_section_is_there_with_the_bundles_facts() {
    let md = report(&repo("docs/examples/bundle"), &["--format", "md"]).stdout;
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&repo("docs/examples/bundle/manifest.json"))).expect("json");
    let manifest_hash = iru_fivetran_core::verify::verify(&repo("docs/examples/bundle"))
        .expect("verifies")
        .files["manifest.json"]
        .sha256
        .clone();
    for needle in [
        "# Fivetran evidence report: Acme Analytics Inc.",
        "## Account and provenance",
        "## Findings",
        "## Access review",
        "## Destinations and connections",
        "## Trust, code and secrets",
        "## Audit coverage",
        "## Audit trail",
        "## Changes since the baseline",
        "## Files of the bundle",
        // Provenance: when, which key (and whose), which bundle, verified.
        "- **API key:** tidy\\_lantern (user key of maya.okafor@acme.example)",
        "- **Verification:** verified: 30 files",
        "- **Signature:** not signed",
        // A failing finding and its subjects.
        "| `FT-ACCESS-001` | **FAIL** | account administrators (fails above 3) | 4 |",
        "| erik.lindqvist@acme.example | `copper_willow` | via: team:grand\\_compass |",
        // The four charts, as tables in Markdown.
        "**Users by their own account role",
        "**Users by time since last login (at the run's start)** (8 in all)",
        "**Connections by state** (11 in all)",
        "**Connections by sync frequency** (11 in all)",
        // Changes since the baseline.
        "| access | `user_role_changed` | users | priya.raman@acme.example | `role` | Account Reviewer | Account Administrator |",
        // The API's limits are said, not hidden.
        "Fivetran's REST API has no audit-log endpoint",
    ] {
        assert!(md.contains(needle), "{needle:?} not in\n{md}");
    }
    assert!(md.contains(&manifest_hash), "the manifest's hash");
    let bundle_id = manifest["bundle_id"]
        .as_str()
        .expect("id")
        .replace('_', "\\_");
    assert!(md.contains(&bundle_id), "the bundle id");
    // Administrators first in the users table.
    let users = md
        .split("### Users, administrators first")
        .nth(1)
        .expect("users");
    let first_rows: Vec<&str> = users
        .lines()
        .filter(|l| l.starts_with("| "))
        .skip(1)
        .take(3)
        .collect();
    assert!(
        first_rows
            .iter()
            .all(|r| r.contains("Account Administrator")),
        "{first_rows:#?}"
    );
}

#[test]
fn hostile_values_stay_text_in_both_formats() {
    let fake = server(hostile_account());
    let collected = collect(&fake, &[]);
    collected.assert_code(0);
    let bundle = collected.bundle();

    let html = report(&bundle, &[]);
    html.assert_code(0);
    let page = &html.stdout;
    assert_self_contained(page);
    for (raw, escaped) in [
        (HOSTILE_NAME, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (
            HOSTILE_FAMILY,
            "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;img src=x onerror=alert(2)&gt;",
        ),
        (
            HOSTILE_GROUP,
            "[click](https://evil.example) **bold** | pipe &lt;b&gt;x&lt;/b&gt;",
        ),
        (
            "=HYPERLINK(\"http://evil.example\")",
            "=HYPERLINK(&quot;http://evil.example&quot;)",
        ),
    ] {
        assert!(!page.contains(raw), "{raw:?} unescaped in the page");
        assert!(page.contains(escaped), "{escaped:?} not in the page");
    }

    let md = report(&bundle, &["--format", "md"]);
    md.assert_code(0);
    let text = &md.stdout;
    for raw in ["<script>", "<img", "<b>", "[click]", "**bold**", "| pipe"] {
        // Each occurrence must start with a backslash escape.
        for (at, _) in text.match_indices(raw) {
            assert!(
                text[..at].ends_with('\\'),
                "{raw:?} unescaped in the Markdown: {}",
                &text[at.saturating_sub(40)..(at + 40).min(text.len())]
            );
        }
    }
    assert!(text.contains(r"\<script\>alert(1)\</script\>"));
    // The link's URL cannot become one of GitHub's autolinks either (issue 15).
    assert!(text.contains(r"\[click\](https\://evil.example) \*\*bold\*\* \| pipe"));
    // The schema's newline cannot start a heading: every line is ours.
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("# heading") || l.starts_with("\\# heading"))
    );
    assert!(text.contains(r#"=HYPERLINK("http://evil.example") \# heading"#));
}

#[test]
fn a_bundle_that_does_not_verify_is_rendered_under_a_warning_and_exits_3() {
    let fake = server(acme());
    let collected = collect(&fake, &[]);
    let bundle = collected.bundle();
    let users = bundle.join("users.json");
    let text = read(&users).replace("priya.raman@acme.example", "priya.raman@evil.example");
    std::fs::write(&users, text).expect("tamper");
    std::fs::write(bundle.join("notes.txt"), "added").expect("add");

    let html = report(&bundle, &[]);
    html.assert_code(3);
    assert!(
        html.stdout
            .contains("This bundle does not verify: 3 problem(s).")
    );
    assert!(html.stdout.contains("class=\"banner bad\" role=\"alert\""));
    assert!(html.stdout.contains("DOES NOT VERIFY"));
    assert!(
        html.stdout.contains("users.json"),
        "the problem names the file"
    );
    assert!(html.stdout.contains("notes.txt"), "the added file is named");
    assert!(
        html.stderr.contains("(DOES NOT VERIFY)")
            && html.stderr.contains("hint: `iru-fivetran verify"),
        "{}",
        html.stderr
    );

    let md = report(&bundle, &["--format", "md"]);
    md.assert_code(3);
    assert!(md.stdout.starts_with("# Fivetran evidence report"));
    assert!(
        md.stdout
            .contains("> **WARNING: This bundle does not verify: 3 problem(s).**")
    );
    // What was read is still shown, so the reviewer can see what changed.
    assert!(md.stdout.contains("priya.raman@evil.example"));
}

#[test]
fn a_partial_run_is_flagged_and_its_incomplete_parts_named() {
    let mut account = acme();
    account
        .forbidden
        .insert("/v1/users".into(), "No permission to list users".into());
    let fake = server(account);
    let collected = collect(&fake, &[]);
    collected.assert_code(3);
    let md = report(&collected.bundle(), &["--format", "md"]);
    md.assert_code(0);
    assert!(
        md.stdout.contains("> **Note: This run was partial.**"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("> **Note:** users.json is forbidden"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("| `users.json` | collected | forbidden |")
    );
}

#[test]
fn trust_code_and_secrets_say_who_approved_what_and_which_code_runs() {
    let md = report(&repo("docs/examples/bundle"), &["--format", "md"]).stdout;
    let section = md
        .split("## Trust, code and secrets")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the section");
    for needle in [
        // Each listing says what it shows and what it cannot.
        "### Approved TLS certificates",
        "### Approved SSH host keys",
        "### Transformations",
        "### dbt projects in production",
        "### Secrets managers",
        "### Connector SDK packages",
        "Cannot show whether the host still presents that certificate",
        "Cannot show the code itself, whether it was reviewed",
        // Who approved which certificate when, by email where users.json has them.
        "| connection crimson\\_atlas | billing-db.corp.acme.example | `9a:3c:51:f0:2e:8b:d7:64:1f:a9:c3:08:5e:b2:77:d1:40:6a:e9:13:cc:5f:82:0b:d4:39:a6:e1:7c:28:f5:93` | erik.lindqvist@acme.example (copper\\_willow) | 2025-02-11T09:41:17.302Z |",
        "- **Asked:** 2 connection(s), 3 destination(s)",
        // Which repository and branch run in production.
        "| `git@github.com:acme-analytics/dbt-warehouse.git` | main | /warehouse | 1.8.7 |",
        // Which SDK package hash, updated by whom and when.
        "| `quill_harbor_pkg` | `amber_sluice` | `3f1c9a0e7b5d42c68e1f0a9b7c3d5e2f4a6b8c0d1e2f3a4b5c6d7e8f9a0b1c2d` | maya.okafor@acme.example (tidy\\_lantern) | 2026-11-20T16:42:09.118Z |",
        "- **Through Hybrid Deployment:** 1",
        "- **Paused:** 1",
    ] {
        assert!(section.contains(needle), "{needle:?} not in\n{section}");
    }
    // Someone users.json does not list is shown by the id Fivetran recorded.
    assert!(
        section.contains("| f2a91c7d03e84b6c9d51e7a8b0c4f6e2 |"),
        "{section}"
    );
}

#[test]
fn a_bundle_without_a_baseline_says_there_is_no_change_log() {
    let fake = server(acme());
    let collected = collect(&fake, &["--resources", "users,groups,connections"]);
    collected.assert_code(0);
    let md = report(&collected.bundle(), &["--format", "md"]).stdout;
    assert!(md.contains("This run had no baseline"), "{md}");
    // Artifacts not selected are said to be absent, not shown as empty.
    assert!(
        md.contains("> **Note:** findings.json is not in this bundle."),
        "{md}"
    );
    assert!(
        md.contains("> **Note:** access.json is not in this bundle."),
        "{md}"
    );
    // The trust, code and secrets listings too, each under its heading.
    for file in [
        "certificates.json",
        "fingerprints.json",
        "transformations.json",
        "transformation_projects.json",
        "secrets_managers.json",
        "connector_sdk_packages.json",
    ] {
        // Markdown escapes the underscores of a file name.
        let shown = file.replace('_', "\\_");
        assert!(
            md.contains(&format!("> **Note:** {shown} is not in this bundle.")),
            "{file}: {md}"
        );
    }
}

#[test]
fn max_rows_caps_every_table_and_says_where_the_rest_is() {
    let md = report(
        &repo("docs/examples/bundle"),
        &["--format", "md", "--max-rows", "2"],
    );
    md.assert_code(0);
    let text = &md.stdout;
    assert!(text.contains(
        "_Showing the first 2 of 8 rows (--max-rows); users.json and users.csv hold them all._"
    ));
    assert!(text.contains(
        "_Showing the first 2 of 48 rows (--max-rows); access.json and access.csv hold them all._"
    ));
    // The charts still count every item.
    assert!(text.contains("(8 in all)"));
    let zero = report(&repo("docs/examples/bundle"), &["--max-rows", "0"]);
    zero.assert_code(2);
}

#[test]
fn the_out_file_is_written_whole_and_matches_stdout() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("report.html");
    let out_arg = out.display().to_string();
    let bundle = repo("docs/examples/bundle");
    let written = report(&bundle, &["--out", &out_arg, "--quiet"]);
    written.assert_code(0);
    assert_eq!(written.stdout, "");
    assert_eq!(written.stderr, "", "--quiet");
    support::assert_no_secret_in(&out);
    let again = report(&bundle, &[]);
    assert_eq!(read(&out), again.stdout, "same bundle, same bytes");
    assert_eq!(
        support::entries(dir.path()),
        ["report.html"],
        "no partial file left"
    );
}

#[test]
fn out_inside_the_bundle_is_refused_and_the_bundle_stays_intact() {
    let fake = server(acme());
    let collected = collect(&fake, &[]);
    let bundle = collected.bundle();
    let inside = bundle.join("report.html").display().to_string();
    let refused = report(&bundle, &["--out", &inside]);
    refused.assert_code(2);
    assert!(
        refused.stderr.contains("is inside the bundle"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("hint: write the report beside the bundle")
    );
    assert!(!bundle.join("report.html").exists());
    iru_fivetran_core::verify::verify(&bundle).expect("still verifies");
}

#[test]
fn a_path_that_is_not_a_bundle_gives_no_report() {
    let empty = tempfile::tempdir().expect("tmp");
    let r = report(empty.path(), &[]);
    r.assert_code(1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("no report:"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("hint: give the directory `iru-fivetran collect` printed")
    );
    let unwritable = report(
        &repo("docs/examples/bundle"),
        &["--out", "/nonexistent-dir/report.html"],
    );
    unwritable.assert_code(1);
    assert!(
        unwritable
            .stderr
            .contains("cannot write the report to /nonexistent-dir/report.html")
    );
}

#[test]
fn the_signature_is_checked_when_a_public_key_is_given() {
    let side = Side::new();
    let (private, public, _) = side.key(0o600);
    let fake = server(acme());
    let collected = collect(&fake, &["--sign-key", &private.display().to_string()]);
    collected.assert_code(0);
    let bundle = collected.bundle();
    let public = public.display().to_string();

    let unchecked = report(&bundle, &["--format", "md"]);
    unchecked.assert_code(0);
    assert!(
        unchecked
            .stdout
            .contains("signed (manifest.json.sig), not checked")
    );

    let checked = report(&bundle, &["--format", "md", "--public-key", &public]);
    checked.assert_code(0);
    assert!(
        checked
            .stdout
            .contains("- **Signature:** holds: manifest.json is signed by SHA256:"),
        "{}",
        checked.stdout
    );

    // Another key: the signature does not hold, and the report says so at the top.
    let other = tempfile::tempdir().expect("tmp");
    let other_key = other.path().join("other.pub");
    let key = ssh_key::PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[7; 32]));
    std::fs::write(&other_key, key.public_key().to_openssh().expect("openssh")).expect("write");
    let wrong = report(
        &bundle,
        &[
            "--format",
            "md",
            "--public-key",
            &other_key.display().to_string(),
        ],
    );
    wrong.assert_code(3);
    assert!(
        wrong
            .stdout
            .contains("> **WARNING: The manifest's signature does not hold.**")
    );
}

/// Every string of `value` wrapped in markup, except under the keys named in `keep`.
fn poison(value: &mut serde_json::Value, keep: &[&str]) {
    match value {
        serde_json::Value::String(s) => *s = format!("<i>{s}</i>\"'&"),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| poison(v, keep)),
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if !keep.contains(&key.as_str()) {
                    poison(v, keep);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn every_string_of_a_bundle_is_escaped_in_both_formats() {
    // The example bundle with every string of every JSON file turned into markup (but the
    // manifest's own structure, so the files are still found). It no longer verifies, so it is
    // rendered under the banner: the values are all shown, and none may become markup.
    let dir = tempfile::tempdir().expect("tmp");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).expect("mkdir");
    for entry in std::fs::read_dir(repo("docs/examples/bundle")).expect("example") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        let text = read(&path);
        let out = if path.extension().is_some_and(|e| e == "json") {
            let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
            let keep: &[&str] = if name == "manifest.json" {
                &["schema", "path", "resource", "kind", "status", "sha256"]
            } else {
                &["schema", "resource", "kind"]
            };
            poison(&mut value, keep);
            serde_json::to_string_pretty(&value).expect("json")
        } else {
            text
        };
        std::fs::write(bundle.join(name), out).expect("write");
    }

    let html = report(&bundle, &[]);
    html.assert_code(3);
    // The tag allow-list would stop at an <i> element; the values are there, as text.
    assert_self_contained(&html.stdout);
    let shown = html.stdout.matches("&lt;i&gt;").count();
    assert!(shown > 500, "the poisoned values are shown: {shown}");
    assert!(
        html.stdout
            .contains("&lt;i&gt;Acme Analytics Inc.&lt;/i&gt;&quot;&#39;&amp;")
    );

    let md = report(&bundle, &["--format", "md"]);
    md.assert_code(3);
    let text = &md.stdout;
    let mut count = 0;
    for (at, _) in text.match_indices("<i>") {
        // Escaped, or the start of a code span (whose content Markdown shows literally).
        assert!(
            text[..at].ends_with('\\') || text[..at].ends_with('`'),
            "unescaped <i> at byte {at}: {}",
            &text[at.saturating_sub(60)..at + 20]
        );
        count += 1;
    }
    let escaped = text.matches("\\<i\\>").count();
    assert!(
        count + escaped > 500,
        "the poisoned values are shown: {count} + {escaped}"
    );
}

#[test]
fn a_destination_shows_its_audit_verdict_even_when_the_audit_table_is_cut() {
    // With --max-rows 1 the audit table keeps its first row by the audit item's own name.
    // Renamed so that row is another destination's, the destinations table (first row:
    // Analytics EU) must still show Analytics EU's verdict, read from every audit item.
    let dir = tempfile::tempdir().expect("tmp");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).expect("mkdir");
    for entry in std::fs::read_dir(repo("docs/examples/bundle")).expect("example") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, bundle.join(path.file_name().expect("name"))).expect("copy");
    }
    let audit = bundle.join("audit_coverage.json");
    let text = read(&audit).replace(
        "\"name\": \"Analytics EU\"",
        "\"name\": \"zz Analytics EU\"",
    );
    std::fs::write(&audit, text).expect("rename");

    let md = report(&bundle, &["--format", "md", "--max-rows", "1"]);
    md.assert_code(3);
    let per_destination = md
        .stdout
        .split("### Per destination")
        .nth(1)
        .expect("audit table");
    assert!(
        per_destination.contains("| Production | snowflake | exported |"),
        "{per_destination}"
    );
    assert!(
        md.stdout.contains(
            "| Analytics EU | big\\_query | GCP\\_EUROPE\\_WEST3 | connected | 5 | exported | `quiet_meadow` |"
        ),
        "{}",
        md.stdout
    );
}

/// A paragraph the bundle states is shown whole, never cut mid-word ("the l…"): the audit
/// coverage statement (over 500 characters) ends as it does in `audit_coverage.json`.
#[test]
fn long_statements_are_shown_whole() {
    let bundle = repo("docs/examples/bundle");
    let coverage: serde_json::Value =
        serde_json::from_str(&read(&bundle.join("audit_coverage.json"))).expect("json");
    let statement = coverage["audit_trail"].as_str().expect("statement");
    assert!(
        statement.chars().count() > 500,
        "long enough to have been cut"
    );
    let md = report(&bundle, &["--format", "md"]).stdout;
    let last_words: String = statement
        .split_whitespace()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(md.contains(&last_words), "{last_words:?} missing");
    assert!(!md.contains('…'), "nothing is cut in the example report");
}
