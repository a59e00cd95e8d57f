//! Unit tests of `report::html`.

use super::*;

#[test]
fn escape_leaves_no_markup() {
    assert_eq!(
        escape(r#"<script>alert("x")</script> & 'y'"#),
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
    );
    assert_eq!(escape("a\u{0}b\u{1b}c\td"), "a\u{FFFD}b\u{FFFD}c\td");
}

#[test]
fn status_classes_are_a_fixed_set() {
    assert_eq!(status_class("fail\" onmouseover=\"x"), "status-other");
    assert_eq!(status_class("pass"), "status-pass");
}
