//! Redaction on arbitrary JSON. The first byte picks the artifact, the rest is parsed as JSON
//! (an array is the item list, anything else one item). Checks, cheaply: under a key that names a
//! secret no non-empty string and no number is left; everything else is unchanged; dropped fields
//! are gone; a second pass changes nothing.

#![no_main]

use iru_fivetran_core::evidence::redact::{Action, MARKER, is_secret_key, redact_items};
use iru_fivetran_core::vocab::Artifact;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// `after` is `before` with every non-empty string and every number under a secret masked.
fn check(before: &Value, after: &Value, secret: bool) {
    match (before, after) {
        (Value::String(s), _) if secret && !s.is_empty() => assert_eq!(after, MARKER),
        (Value::Number(_), _) if secret => assert_eq!(after, MARKER),
        (Value::Array(b), Value::Array(a)) => {
            assert_eq!(b.len(), a.len());
            for (b, a) in b.iter().zip(a) {
                check(b, a, secret);
            }
        }
        (Value::Object(b), Value::Object(a)) => {
            assert_eq!(b.len(), a.len());
            for (k, b) in b {
                check(b, &a[k], secret || is_secret_key(k));
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
            check(before, after, false);
            continue;
        };
        for (key, b) in b {
            let drop = key == "connect_card" || (artifact == Artifact::Users && key == "picture");
            if drop {
                assert!(!a.contains_key(key), "{key} kept");
                dropped += 1;
            } else if artifact == Artifact::Connections && key == "schema_config" {
                assert_eq!(b, &a[key]);
            } else {
                check(b, &a[key], key != artifact.key() && is_secret_key(key));
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
