//! `connection_errors` of each `connections.json` item: the connection's active errors, from
//! `GET /v1/connections/{id}/errors`.
//!
//! What is known: the endpoint is in Fivetran's REST API changelog of November 2026 and its
//! reference page ("Retrieve Connection Errors", a private preview), not in the public OpenAPI
//! file. That page describes a list of the connection's active errors, one per task type
//! active on it, read with `cursor` and `limit` (1..1000) and `Accept:
//! application/json;version=2`, each error with a machine-readable type (`reconnect`,
//! `unknown_sync_failure`, `sync_warning`...), a title, a short reason, a plain-text
//! description with remediation guidance and the time it last occurred.
//!
//! What is inferred, not documented: the envelope is taken to be the usual paginated one
//! (`data.items`, `data.next_cursor`), and the field names to be `type`, `title`, `reason`,
//! `description` and `last_occurred_at` (the fixtures use them; the collector keeps whatever
//! fields come). Errors are told apart by `type` (one per active task type), and sorted by it.
//! How an account that is not offered the endpoint answers is not documented either: a 404
//! that does not name the connection, a 405 or a 501 is taken to mean "not offered here".
//!
//! How it is read: the first connection with an id is asked first, alone, and its answer is
//! judged as sync history's is ([`super::probe`]). If it says the endpoint is not offered (or
//! that the account lacks the feature), every connection's field is `{"status":
//! "unavailable", "reason": ...}` and no other request is made; a 403 that is a missing
//! permission makes it `{"status": "forbidden", ...}` the same way, and the artifact partial.
//! Otherwise each connection's errors are read after its schema config: the field is the
//! list (empty when the connection has no active error), `null` with `_iru.deleted_during_run`
//! for a connection deleted during the run, or what was read (`null` if nothing) with
//! `_iru.incomplete` for any other failure, which makes the artifact partial.
//!
//! Bounds: a connection's errors are held inside its item, so at most [`LIMITS`] (10 pages,
//! 1,000 errors, 4 MiB of text); past that the list is kept as read and marked incomplete.
//! Their text is scrubbed of the tool's secrets where it enters (`client/page.rs`) and
//! redacted with the rest of the item when it is written.
//!
//! Requests: one per connection with an id (plus one per extra page); exactly one when the
//! endpoint is not offered; none without connections.

use serde_json::{Value, json};

use crate::client::ApiError;
use crate::endpoints::CONNECTION_ERRORS;
use crate::paginate::{self, Limits};
use crate::vocab::{Collected, Status, sort_items};

use super::{Notes, probe};

/// The field of a connections.json item that holds them.
pub const FIELD: &str = "connection_errors";

/// What tells two errors of one connection apart, and orders them (inferred: one error per
/// active task type).
const KEY: &str = "type";

/// How much of one connection's errors is held.
pub const LIMITS: Limits = Limits {
    pages: 10,
    items: 1_000,
    bytes: 4 * 1024 * 1024,
    scope: "a connection's active errors may hold",
};

// Held inside its item: well below what any list held in memory may hold.
const _: () =
    assert!(LIMITS.items < paginate::MAX_HELD_ITEMS && LIMITS.bytes < paginate::MAX_HELD_BYTES);

/// Why an unavailable endpoint is not a failure.
const NOT_OFFERED: &str = "Fivetran does not offer a connection's active errors to this account or at this API version (a private preview when it was announced)";

/// How the endpoint says it is not offered.
const OFFER: probe::Offer = probe::Offer {
    statuses: &[404, 405, 501],
    not_offered: NOT_OFFERED,
};

/// Whether the endpoint can be read here.
#[derive(Debug, Clone)]
pub enum Offered {
    /// Not known yet: no connection with an id was asked.
    Unknown,
    /// Read for each connection.
    Yes,
    /// Not to be asked.
    No {
        /// The value every connection's field holds: `{"status", "reason"}`.
        field: Value,
        /// Whether the artifact is partial for it (a missing permission, not a feature).
        partial: bool,
    },
}

/// What one connection's read gave.
#[derive(Debug)]
pub enum Read {
    /// Its errors, sorted.
    Errors(Vec<Value>),
    /// The connection was deleted during the run.
    Gone(ApiError),
    /// Anything else; what was read before (`None` when no page was).
    Failed {
        /// The failure.
        error: ApiError,
        /// The errors read before it.
        read: Option<Vec<Value>>,
    },
}

/// Reads connection `id`'s errors. `Err` only for a fatal error (the key was refused).
pub async fn read(ctx: &super::Ctx<'_>, id: &str) -> Result<Read, ApiError> {
    let path = match CONNECTION_ERRORS.path(&[id]) {
        Ok(path) => path,
        Err(e) => {
            return Ok(Read::Failed {
                error: ApiError::Pagination {
                    path: CONNECTION_ERRORS.display(),
                    message: e.to_string(),
                },
                read: None,
            });
        }
    };
    let mut listed =
        paginate::list_all_limited(ctx.client, CONNECTION_ERRORS, &path, &[], KEY, LIMITS).await;
    sort_items(&mut listed.items, KEY);
    Ok(match listed.error.take() {
        None => Read::Errors(listed.items),
        Some(e) if e.is_fatal() => return Err(e),
        Some(e) if probe::connection_gone(&e) => Read::Gone(e),
        Some(error) => Read::Failed {
            error,
            read: (listed.pages > 0).then_some(listed.items),
        },
    })
}

/// What a first request's `error` says about the endpoint for every connection
/// ([`probe::refusal`], with this endpoint's statuses); `doctor` judges its probe with it.
pub fn refusal(error: &ApiError) -> Option<Collected> {
    probe::refusal(error, &OFFER)
}

/// What the first connection's read says about the endpoint for all of them.
pub fn judge(first: &Read) -> Offered {
    let Read::Failed { error, read: None } = first else {
        return Offered::Yes;
    };
    match refusal(error) {
        Some(whole) => Offered::No {
            field: json!({"status": whole.status.name(), "reason": whole.reason}),
            partial: whole.status == Status::Forbidden,
        },
        None => Offered::Yes,
    }
}

/// The field of one connection: its `pre`-read errors (the probe's), or read now, or the
/// value that stands for every connection when the endpoint is not offered. Notes what failed.
pub(super) async fn field(
    ctx: &super::Ctx<'_>,
    offered: &Offered,
    pre: Option<Read>,
    notes: &mut Notes,
    id: &str,
) -> Result<Value, ApiError> {
    if let Offered::No { field, .. } = offered {
        return Ok(field.clone());
    }
    let read = match pre {
        Some(read) => read,
        None => read(ctx, id).await?,
    };
    Ok(match read {
        Read::Errors(errors) => Value::Array(errors),
        Read::Gone(e) => {
            notes.deleted(&e);
            Value::Null
        }
        Read::Failed { error, read } => {
            notes.incomplete(format!("{FIELD}: {error}"));
            read.map_or(Value::Null, Value::Array)
        }
    })
}

#[cfg(test)]
mod tests;
