//! Unit tests of `client::page`.

use super::*;
use serde_json::json;

fn page(body: &str) -> Result<Page, String> {
    decode_page(body.as_bytes().to_vec(), Arc::new(Scrubber::default()))
}

#[test]
fn items_are_parsed_one_at_a_time_from_their_text() {
    let p =
        page(r#"{"code":"Success","data":{"items":[{"id":"a"}, [1,2] ,"s"],"next_cursor":"c2"}}"#)
            .expect("decodes");
    assert_eq!(p.len(), 3);
    assert_eq!(p.item_text(1), b"[1,2]");
    assert_eq!(
        p.items().collect::<Vec<_>>(),
        vec![json!({"id": "a"}), json!([1, 2]), json!("s")]
    );
    assert_eq!(p.next_cursor(), Some("c2"));
    assert!(p.unknown_keys().is_empty());
}

#[test]
fn an_empty_null_or_missing_cursor_ends_and_unknown_keys_are_named() {
    for body in [
        r#"{"data":{"items":[],"next_cursor":""}}"#,
        r#"{"data":{"items":[],"next_cursor":null}}"#,
        r#"{"data":{"items":[]}}"#,
    ] {
        assert_eq!(page(body).expect("decodes").next_cursor(), None, "{body}");
    }
    let p = page(r#"{"data":{"items":[{"id":"a"}],"nextCursor":"c2","has_more":true}}"#)
        .expect("decodes");
    assert_eq!(p.unknown_keys(), vec!["has_more", "nextCursor"]);
    assert_eq!(p.next_cursor(), None);
}

#[test]
fn items_are_scrubbed_as_they_are_parsed() {
    let mut scrubber = Scrubber::default();
    scrubber.register("SECRET-0123456789");
    let body = br#"{"data":{"items":[{"id":"a","echo":"got SECRET-0123456789"}],"x":"SECRET-0123456789"}}"#;
    let p = decode_page(body.to_vec(), Arc::new(scrubber)).expect("decodes");
    assert_eq!(p.item(0)["echo"], "got <redacted>");
    assert_eq!(p.into_data()["x"], "<redacted>");
}

#[test]
fn the_envelope_is_checked_as_the_whole_tree_would_be() {
    for (body, why) in [
        ("[1]", "no `data`"),
        (r#"{"data":[]}"#, "`data` is not an object"),
        (r#"{"data":{"items":{}}}"#, "`data.items` is not an array"),
        (r#"{"data":{}}"#, "`data.items` is not an array"),
        (
            r#"{"data":{"items":[],"next_cursor":1}}"#,
            "`data.next_cursor` is not a string",
        ),
        (
            r#"{"data":{"items":["\ud800"]}}"#,
            "unexpected end of hex escape",
        ),
        (r#"{"data":{"items":[]}} x"#, "trailing characters"),
    ] {
        let err = page(body).expect_err(body);
        assert!(err.contains(why), "{body}: {err}");
    }
    let deep = |n: usize| {
        format!(
            r#"{{"data":{{"items":[{}{}]}}}}"#,
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    assert!(page(&deep(62)).is_ok());
    assert!(
        page(&deep(63))
            .expect_err("too deep")
            .contains("nested more than 64")
    );
}

#[test]
fn depth_is_counted_without_building_the_value() {
    for (text, want) in [
        ("1", 0),
        ("[]", 1),
        ("{\"a\":[1,{\"b\":2}]}", 3),
        ("123456789012345678901234567890", 0),
    ] {
        assert_eq!(
            serde_json::from_str::<Depth>(text).expect(text).0,
            want,
            "{text}"
        );
    }
}
