//! Redaction on arbitrary JSON. The first byte picks the artifact, the rest is parsed as JSON
//! (an array is the item list, anything else one item). Checks, cheaply: under a key that names a
//! secret no non-empty string and no number is left, identifiers aside (`bucket_name` under
//! `aws_credentials`, a report's `primary_keys`); anything else is unchanged, or masked by the
//! rules that do not go by the key's own name (a name/value pair, a value's shape), and then
//! holds the marker; dropped fields are gone; a second pass changes nothing.

#![no_main]

use iru_fivetran_core::evidence::redact::{
    Action, MARKER, is_identifier_key, is_secret_key, redact_items,
};
use iru_fivetran_core::vocab::Artifact;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// A key lower-cased with every character but letters and digits removed.
fn norm(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether an array under `key` holds reports.
fn reports(key: &str) -> bool {
    norm(key) == "reports"
}

/// Whether the value under `key` is secret, beneath a secret or not (`secret`), in a report
/// (an object of a `reports` array) or not.
fn secret_under(key: &str, secret: bool, in_report: bool) -> bool {
    let report_key = in_report && norm(key) == "primarykeys";
    !is_identifier_key(key) && !report_key && (secret || is_secret_key(key))
}

/// `after` is `before` with every non-empty string and every number under a secret masked.
fn check(before: &Value, after: &Value, secret: bool, in_reports: bool, in_report: bool) {
    match (before, after) {
        (Value::String(s), _) if secret && !s.is_empty() => assert_eq!(after, MARKER),
        (Value::Number(_), _) if secret => assert_eq!(after, MARKER),
        (Value::String(b), Value::String(a)) if a != b => assert!(a.contains(MARKER), "{b:?} became {a:?}"),
        (Value::Number(_), Value::String(a)) => assert_eq!(a, MARKER),
        (Value::Array(b), Value::Array(a)) => {
            assert_eq!(b.len(), a.len());
            for (b, a) in b.iter().zip(a) {
                check(b, a, secret, false, in_reports);
            }
        }
        (Value::Object(b), Value::Object(a)) => {
            assert_eq!(b.len(), a.len());
            for (k, b) in b {
                let child = secret_under(k, secret, in_report);
                check(b, &a[k], child, reports(k), false);
            }
        }
        _ => assert_eq!(before, after),
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&pick, json)) = input.split_first() else {
        return;
    };
    let artifact = Artifact::ALL[usize::from(pick) % Artifact::ALL.len()];
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    let before = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut items = before.clone();
    let record = redact_items(artifact, &mut items);

    let mut dropped = 0;
    for (before, after) in before.iter().zip(&items) {
        let (Value::Object(b), Value::Object(a)) = (before, after) else {
            check(before, after, false, false, false);
            continue;
        };
        for (key, b) in b {
            let drop = key == "connect_card" || (artifact == Artifact::Users && key == "picture");
            if drop {
                assert!(!a.contains_key(key), "{key} kept");
                dropped += 1;
            } else if artifact == Artifact::Connections && key == "schema_config" {
                assert_eq!(b, &a[key]);
            } else if key == artifact.key() && b.is_string() {
                assert_eq!(b, &a[key], "an item's own key is kept whole");
            } else {
                let secret = key != artifact.key() && secret_under(key, false, false);
                check(b, &a[key], secret, reports(key), false);
            }
        }
    }
    let recorded: u64 = record
        .iter()
        .filter(|r| r.action == Action::Dropped)
        .map(|r| r.count)
        .sum();
    assert_eq!(recorded, dropped);

    let mut again = items.clone();
    let second = redact_items(artifact, &mut again);
    assert_eq!(again, items, "a second pass changed something");
    assert!(second.iter().all(|r| r.action == Action::Masked));
});
