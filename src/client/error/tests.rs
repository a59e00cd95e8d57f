//! Unit tests of `client::error`.

use super::*;

#[test]
fn clean_escapes_controls_and_caps_length() {
    assert_eq!(clean("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
    let long = "x".repeat(1000);
    assert_eq!(clean(&long).chars().count(), MAX_MESSAGE_CHARS + 1);
}
