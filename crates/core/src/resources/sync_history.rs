//! `sync_history.json`: each connection's syncs over the `--since` window, from
//! `GET /v1/connections/{id}/sync-history`.
//!
//! What Fivetran documents ("Retrieve Connection Sync History", fivetran.com REST API
//! reference): the endpoint returns a list of sync history records for one connection, in the
//! usual paginated envelope (`data.items`, `data.next_cursor`; `cursor`, `limit` 1..1000),
//! with `Accept: application/json;version=2`. `start_time` and `end_time` are ISO 8601 times;
//! the range between them is at most 7 days, `end_time` must be after `start_time`, and a
//! missing one defaults to one hour from the other. `duration` is deprecated. Each record
//! carries the UTC time the sync started (ISO 8601, null if it has not started) and its status.
//!
//! What is inferred, not documented: the field names of a record beyond that description
//! (the fixtures use `sync_id`, `start_time`, `end_time`, `status`, after the `sync_id` of
//! Fivetran's log events); whether a sync that spans two windows is returned in both (it is
//! kept once either way); and how an account that is not offered the endpoint answers. The
//! endpoint is absent from the public OpenAPI file, so a 400, or a 404 that does not name a
//! missing connection, is taken to mean "not offered here".
//!
//! How it is read:
//!
//! - The window is cut to whole seconds (both ends truncated, so a `7d` window stays exactly
//!   7 days) and split into consecutive windows of at most 7 days ([`split`]); each is read to
//!   its last page with `start_time`/`end_time` in RFC 3339 UTC.
//! - The first connection (in id order) is read alone first. If its first request answers 400,
//!   404 other than `NotFound_Connection`/`NotFound_Connector`, 405 or 501, the artifact is
//!   unavailable with that answer as its reason, and no other sync-history request is made; a
//!   403 makes it forbidden the same way (the judgement is [`super::probe`]'s, shared with
//!   the connections' active errors). Otherwise the other
//!   connections are read [`Ctx::fan_out`] at a time.
//! - A connection whose sync history answers `NotFound_Connection` was deleted during the run:
//!   it is kept with `syncs: null` and `_iru.deleted_during_run`, which is not a failure. Any
//!   other failure stops that connection's reading: what was read is kept, `_iru.incomplete`
//!   says what is missing, and the artifact is partial. A refused key (401) ends the run.
//!
//! Requests: one per window per connection, plus one per extra page of 1,000 syncs; exactly
//! one when the endpoint is not offered; none without connections.
//!
//! Each item is `{id, service, schema, group_id, syncs}`, the first four copied from
//! `connections.json`; `syncs` holds each sync once (by `sync_id`, else `id`, else the whole
//! record) sorted by start time, then by JSON text. The envelope adds `window: {start, end}`.

use std::collections::HashSet;

use futures::StreamExt as _;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use crate::client::ApiError;
use crate::endpoints::SYNC_HISTORY;
use crate::paginate;
use crate::vocab::{Artifact, Collected, NOTES_KEY, Sink, Window, id_of, rfc3339};

use super::{Capacity, Ctx, Filler, Notes, Problems, assemble, mark_full, probe};

/// The widest window one request may ask for, as documented.
pub const MAX_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

/// The field that identifies a sync, as far as the paginator is concerned (repeats across the
/// pages of one window are dropped there; [`sync_key`] catches the rest).
const SYNC_ID: &str = "sync_id";

/// The connection fields copied into each item.
const CONNECTION_FIELDS: [&str; 4] = ["id", "service", "schema", "group_id"];

/// Why an unavailable endpoint is not a failure.
const NOT_OFFERED: &str =
    "Fivetran does not offer sync history to this account or at this API version";

/// How sync history says it is not offered: a 400 too (an API version that does not know its
/// `start_time`/`end_time`).
const OFFER: probe::Offer = probe::Offer {
    statuses: &[400, 404, 405, 501],
    not_offered: NOT_OFFERED,
};

/// What [`collect`] needs of a connections.json item: the fields copied into the output and
/// the note that it was deleted during the run. The rest (settings, schema config) is not
/// kept in memory while sync history is read.
pub fn project(connection: &Value) -> Value {
    let mut kept = Map::new();
    for field in CONNECTION_FIELDS {
        if let Some(value) = connection.get(field) {
            kept.insert(field.into(), value.clone());
        }
    }
    if let Some(deleted) = connection
        .get(NOTES_KEY)
        .and_then(|n| n.get("deleted_during_run"))
    {
        kept.insert(NOTES_KEY.into(), json!({"deleted_during_run": deleted}));
    }
    Value::Object(kept)
}

/// Reads the sync history of every connection in `connections` (items of connections.json,
/// whole or [`project`]ed); each finished item goes to `sink`. `Err` only for a fatal error
/// (the key was refused).
pub async fn collect(
    ctx: &Ctx<'_>,
    connections: Vec<Value>,
    sink: &mut dyn Sink,
) -> Result<Collected, ApiError> {
    let window = whole_seconds(ctx.window);
    let windows = split(window);
    let windows = windows.as_slice();
    // Each connection is dropped as its target is made: only the targets stay.
    let mut targets: Vec<Target> = connections.into_iter().map(|c| Target::new(&c)).collect();
    targets.sort_by_cached_key(|t| (id_of(&t.item, "id"), t.item.to_string()));

    let mut problems = Problems::default();
    let mut sink = Filler::new(sink, Artifact::SyncHistory, Capacity::ARTIFACT);
    // Returns whether the artifact is full, and reading must stop.
    let mut finished = |target: Target| {
        let (item, item_problems) = target.apply();
        sink.push(item);
        problems.extend(item_problems);
        sink.full().is_some()
    };
    let mut pending = targets.into_iter();
    // The probe: every target up to and including the first that can be requested. Those
    // before it are held until it shows the endpoint can be read (they are few: no id, or
    // already deleted).
    let mut before = Vec::new();
    for target in pending.by_ref() {
        let Some(path) = target.path.clone() else {
            before.push(target);
            continue;
        };
        let read = read(ctx, &path, windows).await;
        if let Some(failure) = &read.failure {
            if failure.error.is_fatal() {
                return Err(failure.error.clone());
            }
            if failure.first_request
                && let Some(whole) = refusal(&failure.error)
            {
                return Ok(with_window(whole, window));
            }
        }
        finished(target.finish(read));
        break;
    }
    for target in before {
        finished(target);
    }
    let mut rest = futures::stream::iter(pending)
        .map(|target| async move {
            let read = match &target.path {
                Some(path) => Some(read(ctx, path, windows).await),
                None => None,
            };
            (target, read)
        })
        .buffer_unordered(ctx.fan_out.max(1));
    while let Some((target, read)) = rest.next().await {
        let full = match read {
            Some(read) => {
                if let Some(failure) = &read.failure
                    && failure.error.is_fatal()
                {
                    return Err(failure.error.clone());
                }
                finished(target.finish(read))
            }
            None => finished(target),
        };
        if full {
            break;
        }
    }
    drop(rest);
    let collected = mark_full(assemble(None, 0, true, &problems), &sink);
    Ok(with_window(collected, window))
}

/// Splits `window` into consecutive windows of at most [`MAX_WINDOW`], in order, the last one
/// shorter; none when the window is empty.
pub fn split(window: Window) -> Vec<Window> {
    let mut windows = Vec::new();
    let mut start = window.start;
    while start < window.end {
        let end = start
            .checked_add(MAX_WINDOW)
            .map_or(window.end, |end| end.min(window.end));
        windows.push(Window { start, end });
        start = end;
    }
    windows
}

/// The query of one request over `window` (at most [`MAX_WINDOW`] long): `start_time` and
/// `end_time` in RFC 3339 UTC, whole seconds. `doctor` probes with the same.
pub fn window_query(window: Window) -> [(&'static str, String); 2] {
    let window = whole_seconds(window);
    [
        ("start_time", rfc3339(window.start)),
        ("end_time", rfc3339(window.end)),
    ]
}

/// Both ends truncated to the second (the length of a window given as a duration is kept).
fn whole_seconds(window: Window) -> Window {
    let truncate = |t: Timestamp| Timestamp::from_second(t.as_second()).unwrap_or(t);
    Window {
        start: truncate(window.start),
        end: truncate(window.end),
    }
}

fn with_window(mut collected: Collected, window: Window) -> Collected {
    collected.extra.insert(
        "window".into(),
        json!({"start": rfc3339(window.start), "end": rfc3339(window.end)}),
    );
    collected
}

/// The whole artifact when the probe's first request says the endpoint cannot be read here
/// ([`probe::refusal`]): unavailable for a 400 or a 404 that does not name the connection (or
/// a 405 or 501), forbidden for a 403.
pub fn refusal(error: &ApiError) -> Option<Collected> {
    probe::refusal(error, &OFFER)
}

/// One connection being read: its output item, the request path if it can be requested, and
/// the notes so far.
struct Target {
    item: Value,
    path: Option<String>,
    notes: Notes,
}

impl Target {
    /// The output item for one connections.json item. No path when the id cannot be used or
    /// the connection was already found deleted while connections were read.
    fn new(connection: &Value) -> Self {
        let mut item = Map::new();
        for field in CONNECTION_FIELDS {
            let value = connection.get(field).cloned().unwrap_or(Value::Null);
            item.insert(field.into(), value);
        }
        item.insert("syncs".into(), Value::Null);
        let mut notes = Notes::default();
        let deleted = connection
            .get(NOTES_KEY)
            .and_then(|n| n.get("deleted_during_run"));
        let path = match (id_of(connection, "id"), deleted) {
            (_, Some(deleted)) => {
                notes.set("deleted_during_run", deleted.clone());
                None
            }
            (None, None) => {
                notes.incomplete("a connection without an `id`: sync history not read".into());
                None
            }
            (Some(id), None) => match SYNC_HISTORY.path(&[&id]) {
                Ok(path) => Some(path),
                Err(e) => {
                    notes.incomplete(format!("{}: {e}", SYNC_HISTORY.display()));
                    None
                }
            },
        };
        Self {
            item: Value::Object(item),
            path,
            notes,
        }
    }

    /// Records what reading gave.
    fn finish(mut self, read: Read) -> Self {
        let syncs = match read.failure {
            None => Some(read.syncs),
            Some(Failure { error, .. }) if probe::connection_gone(&error) => {
                self.notes.deleted(&error);
                None
            }
            Some(Failure { error, window, .. }) => {
                self.notes.incomplete(format!(
                    "{error} (window {} to {}); later windows not read",
                    rfc3339(window.start),
                    rfc3339(window.end)
                ));
                read.any_page.then_some(read.syncs)
            }
        };
        if let Some(syncs) = syncs
            && let Some(obj) = self.item.as_object_mut()
        {
            obj.insert("syncs".into(), Value::Array(syncs));
        }
        self
    }

    /// The finished item and the problems for the artifact's reason.
    fn apply(mut self) -> (Value, Vec<String>) {
        let problems = self.notes.apply(&mut self.item);
        (self.item, problems)
    }
}

/// What reading one connection's windows gave.
struct Read {
    /// Each sync once, sorted.
    syncs: Vec<Value>,
    /// Whether any page was read.
    any_page: bool,
    /// The failure that stopped the reading.
    failure: Option<Failure>,
}

struct Failure {
    error: ApiError,
    /// The window being read.
    window: Window,
    /// Whether it was the connection's very first request.
    first_request: bool,
}

/// Reads every window of one connection in order, each to its last page; stops at the first
/// failure.
async fn read(ctx: &Ctx<'_>, path: &str, windows: &[Window]) -> Read {
    let mut syncs = Vec::new();
    let mut seen = HashSet::new();
    let mut any_page = false;
    for &window in windows {
        let query = window_query(window);
        let listed = paginate::list_all_with(ctx.client, SYNC_HISTORY, path, &query, SYNC_ID).await;
        let first_request = !any_page && listed.pages == 0;
        any_page |= listed.pages > 0;
        for sync in listed.items {
            if seen.insert(sync_key(&sync)) {
                syncs.push(sync);
            }
        }
        if let Some(error) = listed.error {
            sort_syncs(&mut syncs);
            return Read {
                syncs,
                any_page,
                failure: Some(Failure {
                    error,
                    window,
                    first_request,
                }),
            };
        }
    }
    sort_syncs(&mut syncs);
    Read {
        syncs,
        any_page,
        failure: None,
    }
}

/// What identifies a sync: its `sync_id`, else its `id`, else the whole record.
fn sync_key(sync: &Value) -> String {
    for field in [SYNC_ID, "id"] {
        match sync.get(field) {
            Some(Value::String(s)) => return format!("{field}:{s}"),
            Some(n @ Value::Number(_)) => return format!("{field}:{n}"),
            _ => {}
        }
    }
    format!("record:{sync}")
}

/// By start time (a sync not started yet last), then by JSON text.
fn sort_syncs(syncs: &mut [Value]) {
    syncs.sort_by_cached_key(|s| {
        let started = s
            .get("start_time")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok());
        (started.is_none(), started, s.to_string())
    });
}

#[cfg(test)]
mod tests;
