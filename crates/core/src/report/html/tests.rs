//! Unit tests of `report::html`.

use super::*;
use crate::report::chart::svg;
use crate::report::model::Chart;

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

/// A chart with a label and a title that need escaping.
fn chart() -> Chart {
    Chart {
        title: "Users & <roles>".into(),
        bars: vec![("<b>admin</b>".into(), 4), ("viewer".into(), 1)],
    }
}

#[test]
fn svg_escapes_labels_and_scales_bars_to_the_largest() {
    let svg = svg(&chart(), "roles", escape);
    assert!(svg.contains("Users &amp; &lt;roles&gt;: 5 in all"));
    assert!(svg.contains("&lt;b&gt;admin&lt;/b&gt;"));
    assert!(!svg.contains("<b>"));
    assert!(svg.contains(r#"width="300.0""#), "{svg}");
    assert!(svg.contains(r#"width="75.0""#), "{svg}");
}

#[test]
fn invisible_characters_that_reorder_text_are_shown_as_code_points() {
    assert_eq!(escape("evil\u{202E}txt.exe"), "evil[U+202E]txt.exe");
    assert_eq!(escape("\u{FEFF}a\u{2067}"), "[U+FEFF]a[U+2067]");
}
