//! Text from the bundle that would mislead a reader of the report or the spreadsheet exports:
//! a bidirectional override (U+202E) that reverses what follows it, and a URL that GitHub would
//! turn into a link in the Markdown report. Both are neutralized end to end.

use iru_fivetran_core::report::{self, Format};
use serde_json::json;

use crate::support::{acme, collect, server};

const REVERSED: &str = "invoice\u{202E}fdp.exe";

#[test]
fn bidi_overrides_and_autolinks_are_neutralized_in_html_markdown_and_csv() {
    let mut account = acme();
    account.users[0]["given_name"] = json!(REVERSED);
    account.groups[0]["name"] = json!("see https://evil.example/login or www.evil.example");
    let fake = server(account);
    let run = collect(&fake, &[]);
    run.assert_code(0);
    let bundle = run.bundle();

    let (html, _) = report::render(&bundle, Format::Html, None, 1000).expect("html");
    let (markdown, _) = report::render(&bundle, Format::Markdown, None, 1000).expect("md");
    let csv = std::fs::read_to_string(bundle.join("users.csv")).expect("users.csv");
    for (name, text, shown) in [
        ("html", &html, "invoice[U+202E]fdp.exe"),
        ("markdown", &markdown, r"invoice\[U+202E\]fdp.exe"),
        ("users.csv", &csv, "invoice[U+202E]fdp.exe"),
    ] {
        assert!(!text.contains('\u{202E}'), "a raw U+202E in the {name}");
        assert!(
            text.contains(shown),
            "the override is not shown in the {name}"
        );
    }
    assert!(
        !markdown.contains("https://evil.example"),
        "an autolink in the Markdown"
    );
    assert!(markdown.contains(r"https\://evil.example/login or www\.evil.example"));
    // The JSON keeps exactly what Fivetran sent.
    let users = run.json("users.json");
    assert!(
        users["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|u| u["given_name"] == REVERSED)
    );
}
