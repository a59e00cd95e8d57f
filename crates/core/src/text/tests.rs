//! Unit tests of `text`.

use super::*;

#[test]
fn clean_escapes_controls_and_caps_length() {
    assert_eq!(clean("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
    let long = "x".repeat(1000);
    assert_eq!(clean(&long).chars().count(), MAX_MESSAGE_CHARS + 1);
}

#[test]
fn one_line_turns_controls_into_spaces_and_cuts_to_the_width() {
    assert_eq!(one_line("a\nb\tc", 80), "a b c");
    assert_eq!(one_line("abcdef", 6), "abcdef");
    assert_eq!(one_line("abcdefg", 6), "abcde…");
    assert_eq!(one_line("abcdefg", 6).chars().count(), 6);
    assert_eq!(one_line("ab", 0), "…");
}

#[test]
fn printable_escapes_what_could_hide_or_reorder_text() {
    assert_eq!(printable("plain é"), "plain é");
    assert_eq!(printable("a\u{7}b\\c\u{202e}"), "a\\u{7}b\\\\c\\u{202e}");
    assert_eq!(printable("\u{200b}\u{feff}"), "\\u{200b}\\u{feff}");
}
