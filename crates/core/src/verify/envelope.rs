//! The envelope check of one artifact file, made while the file is streamed through SHA-256:
//! `schema`, `resource`, `kind`, `status` and `count` against the manifest entry and the
//! artifact's fixed kind, and `count` against the number of `items`, which are counted
//! without being held in memory.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::vocab::{Artifact, Kind, Status};

use crate::text::printable;

/// What the manifest entry says about an artifact file.
pub(super) struct Expected<'a> {
    /// The entry's `resource`.
    pub resource: &'a str,
    /// The entry's `kind`, if it has one.
    pub kind: Option<&'a str>,
    /// The entry's `status`, if it has one.
    pub status: Option<&'a str>,
    /// The entry's `count`, if it has one.
    pub count: Option<u64>,
}

/// The parts of an envelope that are checked; `items` is counted, not held.
#[derive(Deserialize)]
pub(super) struct Head {
    schema: Option<Value>,
    resource: Option<Value>,
    kind: Option<Value>,
    status: Option<Value>,
    count: Option<Value>,
    items: Option<Items>,
}

/// `items` as far as the check needs it: an array's length, or not an array.
enum Items {
    Array(u64),
    Other,
}

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ItemsVisitor)
    }
}

struct ItemsVisitor;

impl<'de> Visitor<'de> for ItemsVisitor {
    type Value = Items;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
        let mut n = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(Items::Array(n))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Items, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Items::Other)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Items, E> {
        Ok(Items::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Items, E> {
        Ok(Items::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Items, E> {
        Ok(Items::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Items, E> {
        Ok(Items::Other)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Items, E> {
        Ok(Items::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Items, E> {
        Ok(Items::Other)
    }
}

/// Every status an envelope may carry.
const STATUSES: [Status; 5] = [
    Status::Complete,
    Status::Partial,
    Status::Forbidden,
    Status::Failed,
    Status::Unavailable,
];

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Collected => "collected",
        Kind::Derived => "derived",
    }
}

/// What is wrong with an envelope, one message per problem (empty when it is right).
pub(super) fn check(head: Result<Head, serde_json::Error>, expected: &Expected<'_>) -> Vec<String> {
    let head = match head {
        Ok(head) => head,
        Err(e) => return vec![format!("not a JSON envelope: {e}")],
    };
    let show =
        |v: &Option<Value>| printable(&v.as_ref().map_or("nothing".into(), Value::to_string));
    let text = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(str::to_owned);
    let resource = expected.resource;
    let mut problems = Vec::new();

    let schema_id = format!("iru-fivetran/{resource}/v1");
    if text(&head.schema).as_deref() != Some(schema_id.as_str()) {
        problems.push(format!(
            "envelope schema is {}, expected {}",
            show(&head.schema),
            printable(&schema_id)
        ));
    }
    if text(&head.resource).as_deref() != Some(resource) {
        problems.push(format!(
            "envelope resource is {}, the manifest says {}",
            show(&head.resource),
            printable(resource)
        ));
    }

    // The kind is fixed per artifact: a known artifact must carry its own, an artifact of a
    // later version at least a valid one; and the manifest must agree.
    let kind = text(&head.kind);
    let fixed = Artifact::from_name(resource).map(|a| kind_name(a.kind()));
    match kind.as_deref() {
        Some(k @ ("collected" | "derived")) => {
            if let Some(fixed) = fixed.filter(|f| *f != k) {
                problems.push(format!(
                    "envelope kind is {k}, but {} is always {fixed}",
                    printable(resource)
                ));
            } else if let Some(listed) = expected.kind.filter(|m| !m.is_empty() && *m != k) {
                problems.push(format!(
                    "envelope kind is {k}, the manifest says {}",
                    printable(listed)
                ));
            }
        }
        _ => problems.push(format!(
            "envelope kind is {}, expected collected or derived",
            show(&head.kind)
        )),
    }

    let status = text(&head.status);
    match status.as_deref() {
        Some(s) if STATUSES.iter().any(|v| v.name() == s) => {
            if let Some(listed) = expected.status.filter(|m| *m != s) {
                problems.push(format!(
                    "envelope status is {s}, the manifest says {}",
                    printable(listed)
                ));
            }
        }
        _ => problems.push(format!(
            "envelope status is {}, expected one of complete, partial, forbidden, failed, unavailable",
            show(&head.status)
        )),
    }

    let count = head.count.as_ref().and_then(Value::as_u64);
    match (&head.items, count) {
        (Some(Items::Array(len)), Some(count)) => {
            if count != *len {
                problems.push(format!("envelope count is {count}, but items holds {len}"));
            } else if let Some(listed) = expected.count.filter(|m| *m != count) {
                problems.push(format!(
                    "envelope count is {count}, the manifest says {listed}"
                ));
            }
        }
        (Some(Items::Array(_)), None) => problems.push(format!(
            "envelope count is {}, expected the number of items",
            show(&head.count)
        )),
        (Some(Items::Other) | None, _) => {
            problems.push("envelope items is not a list".to_owned());
        }
    }
    problems
}

#[cfg(test)]
mod tests;
