//! Unit tests of `paginate`.

use super::*;

#[test]
fn an_items_key_is_read_from_its_text_as_a_parsed_item_would_give_it() {
    assert_eq!(
        key_of(br#"{"id":"a","x":[1,{"id":"b"}]}"#, "id").as_deref(),
        Some("a")
    );
    assert_eq!(
        key_of(br#"{"name":"r1","id":5}"#, "name").as_deref(),
        Some("r1")
    );
    assert_eq!(
        key_of(br#"{"id":"a","id":"b"}"#, "id").as_deref(),
        Some("b")
    );
    assert_eq!(key_of(br#"{"id":"a","id":3}"#, "id"), None);
    assert_eq!(key_of(br#"{"id":7}"#, "id"), None);
    assert_eq!(key_of(br#"["id","a"]"#, "id"), None);
    assert_eq!(key_of(br#""id""#, "id"), None);
    assert_eq!(
        key_of(br#"{"i\u0064":"esc"}"#, "id").as_deref(),
        Some("esc")
    );
}
