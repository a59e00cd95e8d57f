//! Unit tests of `changes::compare`.

use super::*;
use serde_json::json;

fn side(which: &'static str, items: Value) -> Keyed<std::vec::IntoIter<Value>> {
    let Value::Array(items) = items else {
        panic!("an array")
    };
    Keyed::new(Artifact::Users, which, items.into_iter())
}

/// An id with the item of each side.
type Paired = (String, Option<Value>, Option<Value>);

fn pairs(old: Value, new: Value) -> Result<Vec<Paired>, &'static str> {
    let mut out = Vec::new();
    merge(
        Artifact::Users,
        side("old", old),
        side("new", new),
        &mut |p| out.push((p.id.to_owned(), p.old.cloned(), p.new.cloned())),
    )?;
    Ok(out)
}

#[test]
fn streams_are_paired_by_id_like_the_index_pairs_them() {
    let old = json!([
        {"id": "a"},
        {"id": "b", "n": 1},
        {"id": "b", "n": 2},
        {"id": "d", "_iru": {"deleted_during_run": {}}},
        {"name": "no id"}
    ]);
    let new = json!([{"id": "b", "n": 3}, {"id": "c"}, {"id": "d"}]);
    let got = pairs(old, new).expect("sorted");
    let ids: Vec<&str> = got.iter().map(|(id, ..)| id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(got[0].2, None, "a is only in the old bundle");
    assert_eq!(
        got[1].1,
        Some(json!({"id": "b", "n": 1})),
        "the first b counts"
    );
    assert_eq!(got[1].2, Some(json!({"id": "b", "n": 3})));
    assert_eq!(got[3].1, None, "deleted during its run counts as absent");
}

#[test]
fn a_side_out_of_order_is_refused_not_misread() {
    let sorted = json!([{"id": "a"}, {"id": "b"}]);
    let backwards = json!([{"id": "b"}, {"id": "a"}]);
    assert_eq!(pairs(backwards.clone(), sorted.clone()), Err("old"));
    assert_eq!(pairs(sorted, backwards), Err("new"));
}
