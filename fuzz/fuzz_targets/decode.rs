//! The envelope decoder on arbitrary bytes: it never panics, and it accepts exactly the bodies
//! that are JSON with an object `data` (and, for lists, an array `data.items` and a string, null
//! or absent `data.next_cursor`).

#![no_main]

use iru_fivetran_core::client::decode;
use iru_fivetran_core::endpoints::Shape;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn acceptable(envelope: &Value, shape: Shape) -> bool {
    let Some(data) = envelope.get("data").and_then(Value::as_object) else {
        return false;
    };
    shape == Shape::Object
        || (data.get("items").is_some_and(Value::is_array)
            && matches!(
                data.get("next_cursor"),
                None | Some(Value::Null | Value::String(_))
            ))
}

fuzz_target!(|body: &[u8]| {
    let envelope = serde_json::from_slice::<Value>(body).ok();
    for shape in [Shape::Object, Shape::List] {
        match decode(body, shape) {
            Ok(data) => {
                let envelope = envelope.as_ref().expect("accepted a body that is not JSON");
                assert!(acceptable(envelope, shape), "accepted a bad envelope");
                assert_eq!(Some(&data), envelope.get("data"));
            }
            Err(why) => {
                assert!(!why.is_empty());
                if let Some(envelope) = &envelope {
                    assert!(
                        !acceptable(envelope, shape),
                        "refused a good envelope: {why}"
                    );
                }
            }
        }
    }
});
