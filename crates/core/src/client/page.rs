//! One page of a list, read without building its tree: the body is checked whole without
//! allocating (exactly what parsing it into a `serde_json::Value` would accept, and the same
//! errors), its items are kept as spans of the body, and each is parsed into a value only when
//! it is used, one at a time. A page of a million small items (24 MB) parsed into one tree took
//! 760 MB; here it costs the body and 8 bytes an item (docs/performance.md).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::text::{Scrubber, clean};

/// The deepest nesting accepted in `data`. Fivetran's deepest objects (schema configs) are
/// about 8 levels; the bundle puts a value up to 2 levels deeper than the answer did, and
/// serde_json reads at most 128, so anything much deeper would make an artifact the tool (and
/// an auditor's JSON tools) cannot read back.
pub const MAX_DEPTH: usize = 64;

/// The keys a list's `data` may hold (Fivetran's OpenAPI: every list answers `items` and
/// `next_cursor`, nothing else).
pub const KNOWN_LIST_KEYS: [&str; 2] = ["items", "next_cursor"];

/// One page of a list: its items, kept as text until used, and what else its `data` held.
pub struct Page {
    body: Vec<u8>,
    /// Where each item's text lies in `body`.
    spans: Vec<(u32, u32)>,
    /// `data.next_cursor` as sent (absent: `None`).
    cursor: Option<Value>,
    /// The other keys of `data`, scrubbed.
    extra: Map<String, Value>,
    scrubber: Arc<Scrubber>,
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("items", &self.spans.len())
            .field("next_cursor", &self.next_cursor())
            .field("unknown_keys", &self.unknown_keys())
            .finish_non_exhaustive()
    }
}

impl Page {
    /// Items on the page.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the page has no item.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// `data.next_cursor`; `None` when missing, null or empty.
    pub fn next_cursor(&self) -> Option<&str> {
        match &self.cursor {
            Some(Value::String(c)) if !c.is_empty() => Some(c),
            _ => None,
        }
    }

    /// The keys of `data` besides `items` and `next_cursor` (a `nextCursor`, a `has_more`...),
    /// made safe for messages, sorted.
    pub fn unknown_keys(&self) -> Vec<String> {
        self.extra.keys().map(|k| clean(k)).collect()
    }

    /// The text of item `i`, as the server sent it.
    pub fn item_text(&self, i: usize) -> &[u8] {
        let (start, end) = self.spans[i];
        &self.body[start as usize..end as usize]
    }

    /// Item `i`, parsed and scrubbed of every secret the client holds.
    pub fn item(&self, i: usize) -> Value {
        let mut item: Value = serde_json::from_slice(self.item_text(i))
            .expect("every item was parsed once already, when the page was decoded");
        self.scrubber.scrub_value(&mut item);
        item
    }

    /// Every item, parsed one at a time as the iterator is advanced.
    pub fn items(&self) -> impl Iterator<Item = Value> + '_ {
        (0..self.len()).map(|i| self.item(i))
    }

    /// The page as the tree `data` would have parsed into (for the decoder's own tests).
    pub(super) fn into_data(self) -> Value {
        let mut data = self.extra.clone();
        data.insert("items".into(), Value::Array(self.items().collect()));
        if let Some(cursor) = self.cursor {
            data.insert("next_cursor".into(), cursor);
        }
        Value::Object(data)
    }
}

/// Decodes a list's answer: the envelope, `data` an object whose `items` is an array and whose
/// `next_cursor` is a string, null or missing, nothing nested past [`MAX_DEPTH`] under `data`.
/// Accepts exactly the bodies [`super::decode`] accepted when it parsed them whole.
pub fn decode_page(body: Vec<u8>, scrubber: Arc<Scrubber>) -> Result<Page, String> {
    decode_page_checked(body, scrubber).map_err(|(why, _)| why)
}

/// [`decode_page`], saying on failure whether the body was well-formed JSON (of the wrong
/// shape: what the server means, not retried) or not JSON at all (a hiccup, retried).
pub(super) fn decode_page_checked(
    body: Vec<u8>,
    scrubber: Arc<Scrubber>,
) -> Result<Page, (String, bool)> {
    // The whole body, checked as a tree parser would read it, without building one.
    serde_json::from_slice::<Depth>(&body).map_err(|e| (e.to_string(), false))?;
    decode_shape(body, scrubber).map_err(|why| (why, true))
}

/// The page of a body already checked to be JSON.
fn decode_shape(body: Vec<u8>, scrubber: Arc<Scrubber>) -> Result<Page, String> {
    let envelope: HashMap<String, &RawValue> =
        serde_json::from_slice(&body).map_err(|_| "no `data` in the answer".to_owned())?;
    let data = envelope.get("data").ok_or("no `data` in the answer")?;
    let fields: HashMap<String, &RawValue> =
        serde_json::from_str(data.get()).map_err(|_| "`data` is not an object".to_owned())?;
    let items = fields.get("items").ok_or("`data.items` is not an array")?;
    let spans = {
        let mut de = serde_json::Deserializer::from_str(items.get());
        Spans(body.as_ptr() as usize)
            .deserialize(&mut de)
            .map_err(|_| "`data.items` is not an array".to_owned())?
    };
    // `data` is an object (1) holding `items`, an array (1) of the items.
    let mut depth = 2;
    for &(start, end) in &spans {
        let text = &body[start as usize..end as usize];
        let item_depth = serde_json::from_slice::<Depth>(text)
            .map_err(|e| e.to_string())?
            .0;
        depth = depth.max(2 + item_depth);
    }
    let mut cursor = None;
    let mut extra = Map::new();
    for (key, raw) in fields {
        if key == "items" {
            continue;
        }
        let value: Value = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
        depth = depth.max(1 + serde_json::from_str::<Depth>(raw.get()).map_or(0, |d| d.0));
        if key == "next_cursor" {
            if !matches!(value, Value::Null | Value::String(_)) {
                return Err("`data.next_cursor` is not a string".into());
            }
            cursor = Some(value);
        } else {
            extra.insert(key, value);
        }
    }
    if depth > MAX_DEPTH {
        return Err(format!(
            "`data` is nested more than {MAX_DEPTH} levels deep"
        ));
    }
    let mut extra = Value::Object(extra);
    scrubber.scrub_value(&mut extra);
    let Value::Object(extra) = extra else {
        unreachable!("scrubbing keeps an object an object")
    };
    if let Some(c) = cursor.as_mut() {
        scrubber.scrub_value(c);
    }
    Ok(Page {
        body,
        spans,
        cursor,
        extra,
        scrubber,
    })
}

/// Reads an array's elements as the spans of the body they lie in, the body starting at the
/// address held: a page's items cost 8 bytes each, not a value or a copy.
struct Spans(usize);

impl<'de> DeserializeSeed<'de> for Spans {
    type Value = Vec<(u32, u32)>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Spans {
    type Value = Vec<(u32, u32)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut spans = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<&RawValue>()? {
            let text = item.get();
            let start = text.as_ptr() as usize - self.0;
            let span = u32::try_from(start)
                .and_then(|s| u32::try_from(start + text.len()).map(|e| (s, e)))
                .map_err(|_| de::Error::custom("the answer is larger than a page can be"))?;
            spans.push(span);
        }
        Ok(spans)
    }
}

/// Nesting depth of a JSON value, read without building it: a scalar is 0, an array or object
/// one more than its deepest member. Deserializing it runs every check a tree parser runs
/// (UTF-8, escapes, numbers, the recursion limit), with the same errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Depth(pub(crate) usize);

impl<'de> de::Deserialize<'de> for Depth {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DepthVisitor).map(Depth)
    }
}

struct DepthVisitor;

impl<'de> DeserializeSeed<'de> for DepthVisitor {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The key serde_json's `arbitrary_precision` uses to hand a number over as a one-entry map.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Reads an object key, noting whether it is [`NUMBER_TOKEN`].
struct KeyIsNumberToken;

impl<'de> DeserializeSeed<'de> for KeyIsNumberToken {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIsNumberToken {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == NUMBER_TOKEN)
    }
}

impl<'de> Visitor<'de> for DepthVisitor {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_i64<E>(self, _: i64) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_u64<E>(self, _: u64) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_f64<E>(self, _: f64) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_str<E>(self, _: &str) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_unit<E>(self) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut deepest = 0;
        while let Some(d) = seq.next_element_seed(DepthVisitor)? {
            deepest = deepest.max(d);
        }
        Ok(1 + deepest)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut deepest = 0;
        let mut first = true;
        while let Some(is_number) = map.next_key_seed(KeyIsNumberToken)? {
            if first && is_number {
                // A number under `arbitrary_precision`, not an object.
                map.next_value::<IgnoredAny>()?;
                return Ok(0);
            }
            first = false;
            deepest = deepest.max(map.next_value_seed(DepthVisitor)?);
        }
        Ok(1 + deepest)
    }
}

#[cfg(test)]
mod tests;
