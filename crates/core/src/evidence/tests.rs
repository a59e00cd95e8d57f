//! Unit tests of `evidence`.

use super::*;

#[test]
fn render_sorts_keys_and_items() {
    let collected = Collected {
        items: vec![
            json!({"id": "b", "z": 1, "a": {"y": 1, "x": 2}}),
            json!({"id": "a"}),
        ],
        ..Collected::default()
    };
    let v = envelope(
        Artifact::Groups,
        Some("acc"),
        "2026-01-01T00:00:00Z",
        collected,
    );
    let text = String::from_utf8(render(&v)).expect("utf8");
    let a = text.find("\"id\": \"a\"").expect("a");
    let b = text.find("\"id\": \"b\"").expect("b");
    assert!(a < b, "{text}");
    assert!(text.find("\"x\"").expect("x") < text.find("\"y\"").expect("y"));
    assert!(text.ends_with("}\n"));
    assert_eq!(v["schema"], "iru-fivetran/groups/v1");
    assert_eq!(v["count"], 2);
    assert_eq!(v["status"], "complete");
}
