//! Unit tests of `report::markdown`.

use super::*;

#[test]
fn escape_neutralises_markup_and_line_breaks() {
    assert_eq!(
        escape("<img src=x> [a](http://e) **b** |c|\nd"),
        r"\<img src=x\> \[a\](http://e) \*\*b\*\* \|c\| d"
    );
}

#[test]
fn code_spans_keep_identifiers_readable() {
    assert_eq!(code("amber_quartz"), "`amber_quartz`");
    assert_eq!(code("a|b"), r"`a\|b`");
    assert_eq!(code("a`b"), r"a\`b");
    assert_eq!(code(""), "");
}

#[test]
fn urls_cannot_become_github_autolinks() {
    assert_eq!(
        escape("see https://evil.example/x and (http://a.b) www.evil.example"),
        r"see https\://evil.example/x and (http\://a.b) www\.evil.example"
    );
    // Where GitHub links nothing, nothing changes: no dot in the host, a word or a quote
    // before the scheme, `www` inside a word.
    for inert in [
        "http://intranet",
        "xhttps://a.b",
        "\"http://a.b\"",
        "awww.a.b",
        "a:b",
    ] {
        assert_eq!(
            escape(inert).replace('\\', ""),
            inert.replace('\\', ""),
            "{inert}"
        );
        assert!(
            !escape(inert).contains(r"\:") && !escape(inert).contains(r"\."),
            "{inert}"
        );
    }
}

#[test]
fn invisible_characters_that_reorder_text_are_shown_as_code_points() {
    assert_eq!(escape("evil\u{202E}txt.exe"), r"evil\[U+202E\]txt.exe");
    assert_eq!(escape("a\u{200B}b\u{2066}"), r"a\[U+200B\]b\[U+2066\]");
    assert_eq!(code("id\u{202E}x"), "`id[U+202E]x`");
}
