//! Reads a list endpoint to its end: `limit=1000`, following `next_cursor` until it is missing,
//! null or empty. A cursor seen twice, or a list past its [`Limits`] (pages, items, bytes),
//! ends the list with an error rather than a loop or an allocation without end; an item
//! repeated across pages is kept once. A page whose `data` holds keys besides `items` and
//! `next_cursor` (a `nextCursor`, a `has_more`) is followed as far as `next_cursor` goes, but
//! the list then ends with an error naming them: the collector cannot tell that it was read
//! whole.
//!
//! Items stay as the text the server sent until they are used ([`Items`]): a page costs its body
//! and a few bytes an item, whatever the size of its items' trees.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::hash::{BuildHasher, RandomState};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::client::{ApiError, Client, Page};
use crate::endpoints::Endpoint;
use crate::files::MAX_FILE_BYTES;

/// More pages than this (10 million items at 1,000 a page) means the cursor never ends.
pub const MAX_PAGES: u32 = 10_000;

/// The most items one artifact holds: its spill index and the keys kept to drop repeats grow
/// by a few dozen bytes an item, so this bounds the memory of any list at about 100 MiB.
pub const MAX_ARTIFACT_ITEMS: usize = 1_000_000;

/// The most items of a list held whole in memory: a membership list embedded in its user or
/// team, one window of a connection's sync history, the log services.
pub const MAX_HELD_ITEMS: usize = 100_000;

/// The most bytes of item text of a list held whole in memory.
pub const MAX_HELD_BYTES: u64 = 64 * 1024 * 1024;

// A list held in memory is bounded well below what an artifact streamed to disk may hold.
const _: () = assert!(MAX_HELD_ITEMS < MAX_ARTIFACT_ITEMS && MAX_HELD_BYTES < MAX_FILE_BYTES);

/// How far one list may go before it is stopped as incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Pages read at most.
    pub pages: u32,
    /// New items kept at most (repeats are not counted).
    pub items: usize,
    /// Bytes of item text kept at most, as the server sent it.
    pub bytes: u64,
    /// What the limits are those of, for the reason given when one is reached.
    pub scope: &'static str,
}

impl Limits {
    /// A list whose items go to the bundle one at a time (an artifact's own list): at most
    /// what one artifact may hold, and no more bytes than `verify` accepts in a file.
    pub const STREAMED: Limits = Limits {
        pages: MAX_PAGES,
        items: MAX_ARTIFACT_ITEMS,
        bytes: MAX_FILE_BYTES,
        scope: "one artifact may hold",
    };

    /// A list held whole in memory ([`MAX_HELD_ITEMS`], [`MAX_HELD_BYTES`]).
    pub const HELD: Limits = Limits {
        pages: MAX_PAGES,
        items: MAX_HELD_ITEMS,
        bytes: MAX_HELD_BYTES,
        scope: "a list held in memory may hold",
    };
}

/// What reading a list gave.
#[derive(Debug, Default)]
pub struct Listed {
    /// Items in the order received, each key once.
    pub items: Vec<Value>,
    /// Pages read.
    pub pages: u32,
    /// Items dropped because an earlier page had the same key.
    pub duplicates: usize,
    /// Why the list stopped early; `None` when it was read to its end.
    pub error: Option<ApiError>,
}

impl Listed {
    /// Whether the list was read to its end. For tests (the `test-support` feature).
    #[cfg(any(test, feature = "test-support"))]
    pub fn drained(&self) -> bool {
        self.error.is_none()
    }
}

/// Reads every page of `endpoint` at `path` into memory, within [`Limits::HELD`]. `key` names
/// the field that identifies an item (`id` for most, `user_id` for team users, `name` for
/// roles).
pub async fn list_all(client: &Client, endpoint: Endpoint, path: &str, key: &str) -> Listed {
    list_all_limited(client, endpoint, path, &[], key, Limits::HELD).await
}

/// [`list_all`] with extra query parameters (sent on every page, before `cursor`).
pub async fn list_all_with(
    client: &Client,
    endpoint: Endpoint,
    path: &str,
    query: &[(&str, String)],
    key: &str,
) -> Listed {
    list_all_limited(client, endpoint, path, query, key, Limits::HELD).await
}

/// [`list_all_with`] with a page cap other than [`MAX_PAGES`].
pub async fn list_all_capped(
    client: &Client,
    endpoint: Endpoint,
    path: &str,
    query: &[(&str, String)],
    key: &str,
    max_pages: u32,
) -> Listed {
    let limits = Limits {
        pages: max_pages,
        ..Limits::HELD
    };
    list_all_limited(client, endpoint, path, query, key, limits).await
}

/// [`list_all_with`] within `limits`.
pub async fn list_all_limited(
    client: &Client,
    endpoint: Endpoint,
    path: &str,
    query: &[(&str, String)],
    key: &str,
    limits: Limits,
) -> Listed {
    let mut pager = Pager::new(client, endpoint, path, query, key).within(limits);
    let mut items = Vec::new();
    while let Some(page) = pager.next_page().await {
        items.extend(page);
    }
    Listed {
        items,
        pages: pager.pages,
        duplicates: pager.duplicates,
        error: pager.error,
    }
}

/// The new items of one page, kept as the server's text and parsed one at a time as they are
/// iterated.
pub struct Items {
    page: Page,
    keep: Vec<usize>,
}

impl fmt::Debug for Items {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("items", &self.keep.len())
            .finish_non_exhaustive()
    }
}

impl Items {
    /// How many items.
    pub fn len(&self) -> usize {
        self.keep.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.keep.is_empty()
    }

    /// Each item, parsed as the iterator is advanced.
    pub fn iter(&self) -> impl Iterator<Item = Value> + '_ {
        self.keep.iter().map(|&i| self.page.item(i))
    }
}

impl IntoIterator for Items {
    type Item = Value;
    type IntoIter = ItemsIter;

    fn into_iter(self) -> ItemsIter {
        ItemsIter {
            page: self.page,
            keep: self.keep.into_iter(),
        }
    }
}

/// The items of a page, parsed one at a time.
pub struct ItemsIter {
    page: Page,
    keep: std::vec::IntoIter<usize>,
}

impl Iterator for ItemsIter {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        self.keep.next().map(|i| self.page.item(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.keep.size_hint()
    }
}

/// Reads a list a page at a time, so that a caller can process one page while the next is
/// read and never holds the whole list. Same rules as [`list_all`], within [`Limits::STREAMED`]
/// unless told otherwise ([`Pager::within`]); only the items' keys are remembered (to drop
/// repeats).
pub struct Pager<'a> {
    client: &'a Client,
    endpoint: Endpoint,
    path: &'a str,
    query: &'a [(&'a str, String)],
    key: &'a str,
    limits: Limits,
    /// The keys of the items kept, as two independent 64-bit hashes: 16 bytes an item
    /// whatever the key's length, and a chance of two keys colliding of about one in 10^26
    /// at a million items.
    seen_keys: HashSet<(u64, u64)>,
    hashers: (RandomState, RandomState),
    seen_cursors: HashSet<String>,
    /// Keys of `data` the collector does not know, from any page so far.
    unknown_keys: BTreeSet<String>,
    cursor: Option<String>,
    done: bool,
    /// Items kept so far.
    kept: usize,
    /// Bytes of the items kept so far, as sent.
    kept_bytes: u64,
    /// Pages read so far.
    pub pages: u32,
    /// Items dropped because an earlier page had the same key.
    pub duplicates: usize,
    /// Why the list stopped early, once it has; `None` while it goes on or when it ended.
    pub error: Option<ApiError>,
}

/// Unknown envelope keys named in a reason at most.
const QUOTED_KEYS: usize = 5;

impl<'a> Pager<'a> {
    /// A pager for `endpoint` at `path`, with `query` sent on every page; `key` names the
    /// field that identifies an item.
    pub fn new(
        client: &'a Client,
        endpoint: Endpoint,
        path: &'a str,
        query: &'a [(&'a str, String)],
        key: &'a str,
    ) -> Self {
        client.stats().record_list(endpoint.template);
        Self {
            client,
            endpoint,
            path,
            query,
            key,
            limits: Limits::STREAMED,
            seen_keys: HashSet::new(),
            hashers: (RandomState::new(), RandomState::new()),
            seen_cursors: HashSet::new(),
            unknown_keys: BTreeSet::new(),
            cursor: None,
            done: false,
            kept: 0,
            kept_bytes: 0,
            pages: 0,
            duplicates: 0,
            error: None,
        }
    }

    /// The same pager, within `limits`.
    pub fn within(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn stop(&mut self, message: String) {
        self.error = Some(ApiError::Pagination {
            path: self.path.to_owned(),
            message,
        });
        self.done = true;
    }

    /// The next page's new items; `None` once the list has ended or stopped (see
    /// [`Pager::error`]).
    pub async fn next_page(&mut self) -> Option<Items> {
        if self.done {
            return None;
        }
        let stats = self.client.stats();
        let page = match self
            .client
            .get_page(self.endpoint, self.path, self.query, self.cursor.as_deref())
            .await
        {
            Ok(page) => page,
            Err(e) => {
                self.error = Some(e);
                self.done = true;
                return None;
            }
        };
        self.pages += 1;
        stats.record_page(self.endpoint.template, page.len());
        let mut keep = Vec::with_capacity(page.len());
        let mut full = None;
        for i in 0..page.len() {
            let text = page.item_text(i);
            let key = key_of(text, self.key)
                .map(|k| (self.hashers.0.hash_one(&k), self.hashers.1.hash_one(&k)));
            if key.as_ref().is_some_and(|k| self.seen_keys.contains(k)) {
                self.duplicates += 1;
                continue;
            }
            if let Some(reached) = self.reached(text.len() as u64) {
                full = Some(reached);
                break;
            }
            if let Some(k) = key {
                self.seen_keys.insert(k);
            }
            self.kept += 1;
            self.kept_bytes += text.len() as u64;
            keep.push(i);
        }
        self.unknown_keys.extend(page.unknown_keys());
        let next = page.next_cursor().map(str::to_owned);
        let items = Items { page, keep };
        if let Some(message) = full {
            self.stop(message);
            return Some(items);
        }
        let Some(next) = next else {
            if self.unknown_keys.is_empty() {
                stats.record_drained(self.endpoint.template);
                self.done = true;
            } else {
                let message = self.unknown_keys_message();
                self.stop(message);
            }
            return Some(items);
        };
        // Full, and the list goes on: the next page would be read only to be dropped.
        if let Some(message) = self.reached(0).filter(|_| self.kept >= self.limits.items) {
            self.stop(message);
            return Some(items);
        }
        if !self.seen_cursors.insert(next.clone()) {
            self.stop(
                "the API returned a cursor it had already returned; stopped to avoid a loop".into(),
            );
        } else if self.pages >= self.limits.pages {
            self.stop(format!(
                "more than {} pages; stopped, the cursor does not seem to end",
                self.limits.pages
            ));
        }
        self.cursor = Some(next);
        Some(items)
    }

    /// Why one more item of `bytes` would pass the limits, if it would.
    fn reached(&self, bytes: u64) -> Option<String> {
        let limits = &self.limits;
        if self.kept >= limits.items {
            Some(format!(
                "stopped after {} items, the most {}; the list may go on",
                self.kept, limits.scope
            ))
        } else if self.kept_bytes.saturating_add(bytes) > limits.bytes {
            Some(format!(
                "stopped after {} items ({} bytes): the next would pass {} bytes, the most {}; the list may go on",
                self.kept, self.kept_bytes, limits.bytes, limits.scope
            ))
        } else {
            None
        }
    }

    fn unknown_keys_message(&self) -> String {
        let mut named: Vec<String> = self
            .unknown_keys
            .iter()
            .take(QUOTED_KEYS)
            .map(|k| format!("`{k}`"))
            .collect();
        if self.unknown_keys.len() > QUOTED_KEYS {
            named.push(format!(
                "and {} more",
                self.unknown_keys.len() - QUOTED_KEYS
            ));
        }
        format!(
            "the answers held keys the collector does not know next to `items` ({}); it cannot tell whether the list was read to its end, so it is kept as read, not trusted as whole",
            named.join(", ")
        )
    }
}

/// The string under `key` of an item's text, if the item is an object that has one (the last,
/// if the key is repeated, as a parsed object keeps it). Reads the text without building the
/// item.
pub fn key_of(text: &[u8], key: &str) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(text);
    KeyOf(key).deserialize(&mut de).ok().flatten()
}

struct KeyOf<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for KeyOf<'_> {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(self)
    }
}

/// Whether an object key is the one looked for.
struct IsKey<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for IsKey<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for IsKey<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

impl<'de> Visitor<'de> for KeyOf<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an item")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(is_key) = map.next_key_seed(IsKey(self.0))? {
            if is_key {
                found = match map.next_value::<Value>()? {
                    Value::String(s) => Some(s),
                    _ => None,
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests;
