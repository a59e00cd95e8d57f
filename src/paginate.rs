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
    /// Whether the list was read to its end.
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
    let stats = client.stats();
    stats.record_list(endpoint.template);
    let mut listed = Listed::default();
    let mut seen_keys = HashSet::new();
    let mut seen_cursors = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match client
            .get_page(endpoint, path, query, cursor.as_deref())
            .await
        {
            Ok(page) => page,
            Err(e) => {
                listed.error = Some(e);
                return listed;
            }
        };
        listed.pages += 1;
        stats.record_page(endpoint.template, page.items.len());
        for item in page.items {
            match item.get(key).and_then(Value::as_str) {
                Some(k) if !seen_keys.insert(k.to_owned()) => listed.duplicates += 1,
                _ => listed.items.push(item),
            }
        }
        let Some(next) = page.next_cursor else {
            stats.record_drained(endpoint.template);
            return listed;
        };
        let problem = if !seen_cursors.insert(next.clone()) {
            Some(
                "the API returned a cursor it had already returned; stopped to avoid a loop".into(),
            )
        } else if listed.pages >= max_pages {
            Some(format!(
                "more than {max_pages} pages; stopped, the cursor does not seem to end"
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            listed.error = Some(ApiError::Pagination {
                path: path.to_owned(),
                message,
            });
            return listed;
        }
        cursor = Some(next);
    }
}
