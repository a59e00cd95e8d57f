//! Reading an artifact file back an item at a time: the envelope's fields are kept, each
//! element of `items` is handed on as it is parsed, so memory holds one item whatever the
//! file's size.

use std::io;

use serde_json::Value;

/// Reads an artifact envelope from `reader`, handing each element of its `items` to `each` as
/// it is parsed, and returns the other fields.
pub fn read_items(
    reader: impl io::Read,
    each: impl FnMut(Value),
) -> serde_json::Result<serde_json::Map<String, Value>> {
    use serde::de::DeserializeSeed as _;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let fields = EnvelopeSeed(each).deserialize(&mut de)?;
    de.end()?;
    Ok(fields)
}

/// Deserializes an envelope, streaming its `items`.
struct EnvelopeSeed<F>(F);

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for EnvelopeSeed<F> {
    type Value = serde_json::Map<String, Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for EnvelopeSeed<F> {
    type Value = serde_json::Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an artifact envelope")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> Result<Self::Value, A::Error> {
        let mut fields = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                map.next_value_seed(ItemsSeed(&mut self.0))?;
            } else {
                let value = map.next_value::<Value>()?;
                fields.insert(key, value);
            }
        }
        Ok(fields)
    }
}

/// Deserializes the `items` array, handing each element on.
struct ItemsSeed<'f, F>(&'f mut F);

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for ItemsSeed<'_, F> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for ItemsSeed<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of items")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            (self.0)(item);
        }
        Ok(())
    }
}
