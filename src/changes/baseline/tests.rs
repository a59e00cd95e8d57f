//! Unit tests of `changes::baseline`.

use super::*;

#[test]
fn bundle_names_give_stamp_and_suffix() {
    let p = |s: &str| parse_suffix(s);
    assert_eq!(p("20261127T030140Z"), Some(("20261127T030140Z".into(), 1)));
    assert_eq!(
        p("20261127T030140Z-2"),
        Some(("20261127T030140Z".into(), 2))
    );
    assert_eq!(
        p("20261127T030140Z-12"),
        Some(("20261127T030140Z".into(), 12))
    );
    assert_eq!(p("20261127T030140Z.failed"), None);
    assert_eq!(p("x-20261127T030140Z"), None, "another account's prefix");
    assert_eq!(p("20261127T030140Z-"), None);
    assert_eq!(p("20261127X030140Z"), None);
    assert_eq!(p("20261127T030140Z-99999999999"), None);
}
