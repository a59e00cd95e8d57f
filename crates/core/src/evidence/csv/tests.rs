//! Unit tests of `evidence::csv`.

use serde_json::json;

use super::*;

#[test]
fn fields_are_quoted_per_rfc_4180() {
    assert_eq!(field("plain"), "plain");
    assert_eq!(field(""), "");
    assert_eq!(field("a,b"), "\"a,b\"");
    assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(field("two\nlines"), "\"two\nlines\"");
    assert_eq!(field("cr\rhere"), "\"cr\rhere\"");
    assert_eq!(
        field("<script>alert(1)</script>"),
        "<script>alert(1)</script>"
    );
}

#[test]
fn control_characters_are_replaced_but_tab_cr_lf_kept() {
    assert_eq!(
        field("\u{1b}[31mred\u{7f}\u{85}"),
        "\u{fffd}[31mred\u{fffd}\u{fffd}"
    );
    assert_eq!(field("a\tb"), "a\tb");
    assert_eq!(field("nul\u{0}"), "nul\u{fffd}");
}

#[test]
fn formula_starts_are_neutralized() {
    for (raw, written) in [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "\"'\rx\""),
        (
            "=HYPERLINK(\"http://x\",\"y\")",
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
        ),
    ] {
        assert_eq!(field(raw), written, "{raw:?}");
    }
    // Only at the start.
    assert_eq!(field("a=b-c"), "a=b-c");
}

#[test]
fn rows_end_in_crlf_and_cells_render_json() {
    let mut out = Vec::new();
    let table = &TABLES[1];
    table.write_header(&mut out).expect("header");
    let user = json!({"id": "u1", "email": "a,b@x", "given_name": "<script>",
                      "family_name": "=cmd", "role": null, "active": true});
    table.write_item(&mut out, &user).expect("row");
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        "id,email,given_name,family_name,role,active,verified,invited,created_at,logged_in_at\r\n\
             u1,\"a,b@x\",<script>,'=cmd,,true,,,,\r\n"
    );
    assert_eq!(cell(Some(&json!({"a": 1}))), "{\"a\":1}");
    assert_eq!(cell(Some(&json!(60))), "60");
}

#[test]
fn invisible_characters_that_reorder_text_are_shown_as_code_points() {
    assert_eq!(field("evil\u{202E}txt.exe"), "evil[U+202E]txt.exe");
    assert_eq!(field("a\u{200F},b"), "\"a[U+200F],b\"");
}
