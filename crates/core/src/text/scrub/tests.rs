//! Unit tests of `text::scrub`.

use super::*;
use serde_json::json;

fn scrubber() -> Scrubber {
    let mut s = Scrubber::default();
    s.register("key-1:sec/ret+VALUE");
    s.register("sec/ret+VALUE");
    s
}

#[test]
fn every_form_and_spelling_is_replaced_whatever_its_case() {
    let s = scrubber();
    assert_eq!(
        s.scrub("bad pair key-1:sec/ret+VALUE!"),
        "bad pair <redacted>!"
    );
    assert_eq!(
        s.scrub("SEC/RET+value and sec/ret+VALUE"),
        "<redacted> and <redacted>"
    );
    assert_eq!(s.scrub("url ?p=sec%2Fret%2BVALUE"), "url ?p=<redacted>");
    assert_eq!(s.scrub("nothing here"), "nothing here");
    assert!(matches!(s.scrub("nothing here"), Cow::Borrowed(_)));
}

#[test]
fn values_are_scrubbed_in_strings_and_keys_at_any_depth() {
    let s = scrubber();
    let mut value = json!({"a": ["x sec/ret+VALUE"], "sec/ret+VALUE": {"b": 1}, "n": 5});
    assert_eq!(s.scrub_value(&mut value), 2);
    assert_eq!(
        value,
        json!({"a": ["x <redacted>"], "<redacted>": {"b": 1}, "n": 5})
    );
}

#[test]
fn short_forms_are_not_searched_and_debug_shows_no_form() {
    let mut s = Scrubber::default();
    s.register("abc");
    assert!(s.is_empty());
    let s = scrubber();
    let shown = format!("{s:?}");
    assert!(!shown.contains("sec/ret"), "{shown}");
    assert!(shown.contains("forms"), "{shown}");
}

#[test]
fn non_ascii_text_around_a_match_is_kept_whole() {
    let s = scrubber();
    assert_eq!(s.scrub("é sec/ret+VALUE ü"), "é <redacted> ü");
}
