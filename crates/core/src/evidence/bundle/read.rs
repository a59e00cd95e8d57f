//! Reading an artifact file back an item at a time: the envelope's fields are kept, each
//! element of `items` is handed on as it is parsed, so memory holds one item whatever the
//! file's size.
//!
//! This is the one reader of artifact files: `verify` checks envelopes with [`read_envelope`],
//! and `diff`, baseline selection, the report and the derived artifacts read items with
//! [`read_items`], so a file one of them accepts is a file all of them accept. Every value,
//! an item's included, is parsed in full as a `serde_json::Value`: invalid UTF-8, a lone
//! surrogate escape (`\ud800`) or nesting past serde_json's limit of 128 is an error for all.
//! A key twice at the envelope's top level is an error too: readers that keep the first and
//! readers that keep the last would otherwise see different envelopes.

use std::fmt;
use std::io;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// What an envelope's `items` turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Items {
    /// The envelope has no `items`.
    Absent,
    /// A list of this many items, each handed on as it was parsed.
    List(u64),
    /// Something other than a list (parsed in full, then dropped).
    NotAList,
}

/// Reads an artifact envelope from `reader`, handing each element of its `items` to `each` as
/// it is parsed, and returns the other fields and what `items` was. An error for bytes that
/// are not one JSON object, hold a value `serde_json::Value` refuses, or repeat a top-level
/// key.
pub fn read_envelope(
    reader: impl io::Read,
    each: impl FnMut(Value),
) -> serde_json::Result<(Map<String, Value>, Items)> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let found = EnvelopeSeed(each).deserialize(&mut de)?;
    de.end()?;
    Ok(found)
}

/// Reads an artifact envelope from `reader`, handing each element of its `items` to `each` as
/// it is parsed, and returns the other fields. [`read_envelope`], and an error when `items` is
/// there but not a list.
pub fn read_items(
    reader: impl io::Read,
    each: impl FnMut(Value),
) -> serde_json::Result<Map<String, Value>> {
    let (fields, items) = read_envelope(reader, each)?;
    if items == Items::NotAList {
        return Err(de::Error::custom("`items` is not a list"));
    }
    Ok(fields)
}

/// Deserializes an envelope, streaming its `items`.
struct EnvelopeSeed<F>(F);

impl<'de, F: FnMut(Value)> DeserializeSeed<'de> for EnvelopeSeed<F> {
    type Value = (Map<String, Value>, Items);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(Value)> Visitor<'de> for EnvelopeSeed<F> {
    type Value = (Map<String, Value>, Items);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an artifact envelope")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Map::new();
        let mut items = Items::Absent;
        while let Some(key) = map.next_key::<String>()? {
            let repeated = if key == "items" {
                let first = items == Items::Absent;
                items = map.next_value_seed(ItemsSeed(&mut self.0))?;
                !first
            } else {
                let value = map.next_value::<Value>()?;
                fields.insert(key.clone(), value).is_some()
            };
            if repeated {
                return Err(de::Error::custom(format_args!(
                    "the envelope has the key {} more than once",
                    Value::String(key)
                )));
            }
        }
        Ok((fields, items))
    }
}

/// Deserializes `items`: a list's elements are handed on one at a time; anything else is
/// parsed in full (so it is held to the same rules) and dropped.
struct ItemsSeed<'f, F>(&'f mut F);

impl<'de, F: FnMut(Value)> DeserializeSeed<'de> for ItemsSeed<'_, F> {
    type Value = Items;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Items, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(Value)> Visitor<'de> for ItemsSeed<'_, F> {
    type Value = Items;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
        let mut n = 0;
        while let Some(item) = seq.next_element::<Value>()? {
            (self.0)(item);
            n += 1;
        }
        Ok(Items::List(n))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Items, A::Error> {
        while map.next_entry::<String, Value>()?.is_some() {}
        Ok(Items::NotAList)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Items, E> {
        Ok(Items::NotAList)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Items, E> {
        Ok(Items::NotAList)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Items, E> {
        Ok(Items::NotAList)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Items, E> {
        Ok(Items::NotAList)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Items, E> {
        Ok(Items::NotAList)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Items, E> {
        Ok(Items::NotAList)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Items, E> {
        Ok(Items::NotAList)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Items, E> {
        Ok(Items::NotAList)
    }
}
