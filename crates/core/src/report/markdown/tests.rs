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
