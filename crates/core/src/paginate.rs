//! Reads a list endpoint to its end: `limit=1000`, following `next_cursor` until it is missing,
//! null or empty. A cursor seen twice or an absurd number of pages ends the list with an error
//! rather than a loop; an item repeated across pages is kept once.

use std::collections::HashSet;

use serde_json::Value;

use crate::client::{ApiError, Client};
use crate::endpoints::Endpoint;

/// More pages than this (10 million items at 1,000 a page) means the cursor never ends.
pub const MAX_PAGES: u32 = 10_000;

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

/// Reads every page of `endpoint` at `path`. `key` names the field that identifies an item
/// (`id` for most, `user_id` for team users, `name` for roles).
pub async fn list_all(client: &Client, endpoint: Endpoint, path: &str, key: &str) -> Listed {
    list_all_capped(client, endpoint, path, &[], key, MAX_PAGES).await
}

/// [`list_all`] with extra query parameters (sent on every page, before `cursor`).
pub async fn list_all_with(
    client: &Client,
    endpoint: Endpoint,
    path: &str,
    query: &[(&str, String)],
    key: &str,
) -> Listed {
    list_all_capped(client, endpoint, path, query, key, MAX_PAGES).await
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
    let mut pager = Pager::new(client, endpoint, path, query, key);
    pager.max_pages = max_pages;
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

/// Reads a list a page at a time, so that a caller can process one page while the next is
/// read and never holds the whole list. Same rules as [`list_all`]; only the items' keys are
/// remembered (to drop repeats).
pub struct Pager<'a> {
    client: &'a Client,
    endpoint: Endpoint,
    path: &'a str,
    query: &'a [(&'a str, String)],
    key: &'a str,
    max_pages: u32,
    seen_keys: HashSet<String>,
    seen_cursors: HashSet<String>,
    cursor: Option<String>,
    done: bool,
    /// Pages read so far.
    pub pages: u32,
    /// Items dropped because an earlier page had the same key.
    pub duplicates: usize,
    /// Why the list stopped early, once it has; `None` while it goes on or when it ended.
    pub error: Option<ApiError>,
}

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
            max_pages: MAX_PAGES,
            seen_keys: HashSet::new(),
            seen_cursors: HashSet::new(),
            cursor: None,
            done: false,
            pages: 0,
            duplicates: 0,
            error: None,
        }
    }

    /// The next page's new items; `None` once the list has ended or stopped (see
    /// [`Pager::error`]).
    pub async fn next_page(&mut self) -> Option<Vec<Value>> {
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
        stats.record_page(self.endpoint.template, page.items.len());
        let mut items = Vec::with_capacity(page.items.len());
        for item in page.items {
            match item.get(self.key).and_then(Value::as_str) {
                Some(k) if !self.seen_keys.insert(k.to_owned()) => self.duplicates += 1,
                _ => items.push(item),
            }
        }
        let Some(next) = page.next_cursor else {
            stats.record_drained(self.endpoint.template);
            self.done = true;
            return Some(items);
        };
        let problem = if !self.seen_cursors.insert(next.clone()) {
            Some(
                "the API returned a cursor it had already returned; stopped to avoid a loop".into(),
            )
        } else if self.pages >= self.max_pages {
            Some(format!(
                "more than {} pages; stopped, the cursor does not seem to end",
                self.max_pages
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            self.error = Some(ApiError::Pagination {
                path: self.path.to_owned(),
                message,
            });
            self.done = true;
        }
        self.cursor = Some(next);
        Some(items)
    }
}
