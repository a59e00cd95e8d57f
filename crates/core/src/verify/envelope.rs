//! The envelope check of one artifact file, made while the file is streamed through SHA-256:
//! `schema`, `resource`, `kind`, `status` and `count` against the manifest entry and the
//! artifact's fixed kind, and `count` against the number of `items`, which are counted
//! without being held in memory. The file is read by
//! [`crate::evidence::bundle::read_envelope`], the reader `diff`, baseline selection and the
//! report use too, so what fails to parse for them fails verification.

use serde_json::{Map, Value};

use crate::evidence::bundle::Items;
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

/// An envelope as [`crate::evidence::bundle::read_envelope`] reads it: the fields other than
/// `items`, and what `items` was (counted, not held).
pub(super) type Read = (Map<String, Value>, Items);

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
pub(super) fn check(read: Result<Read, serde_json::Error>, expected: &Expected<'_>) -> Vec<String> {
    let (fields, items) = match read {
        Ok(read) => read,
        Err(e) => return vec![format!("not a JSON envelope: {e}")],
    };
    let show = |v: Option<&Value>| printable(&v.map_or("nothing".into(), Value::to_string));
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let field = |name: &str| fields.get(name);
    let resource = expected.resource;
    let mut problems = Vec::new();

    let schema_id = format!("iru-fivetran/{resource}/v1");
    if text(field("schema")).as_deref() != Some(schema_id.as_str()) {
        problems.push(format!(
            "envelope schema is {}, expected {}",
            show(field("schema")),
            printable(&schema_id)
        ));
    }
    if text(field("resource")).as_deref() != Some(resource) {
        problems.push(format!(
            "envelope resource is {}, the manifest says {}",
            show(field("resource")),
            printable(resource)
        ));
    }

    // The kind is fixed per artifact: a known artifact must carry its own, an artifact of a
    // later version at least a valid one; and the manifest must agree.
    let kind = text(field("kind"));
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
            show(field("kind"))
        )),
    }

    let status = text(field("status"));
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
            show(field("status"))
        )),
    }

    let count = field("count").and_then(Value::as_u64);
    match (items, count) {
        (Items::List(len), Some(count)) => {
            if count != len {
                problems.push(format!("envelope count is {count}, but items holds {len}"));
            } else if let Some(listed) = expected.count.filter(|m| *m != count) {
                problems.push(format!(
                    "envelope count is {count}, the manifest says {listed}"
                ));
            }
        }
        (Items::List(_), None) => problems.push(format!(
            "envelope count is {}, expected the number of items",
            show(field("count"))
        )),
        (Items::NotAList | Items::Absent, _) => {
            problems.push("envelope items is not a list".to_owned());
        }
    }
    problems
}

#[cfg(test)]
mod tests;
