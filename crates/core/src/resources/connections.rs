//! `connections.json`: every connection, its v2 list item overlaid with its full v2 record
//! (`/connections/{id}`) where that record adds anything, plus `schema_config` from
//! `/connections/{id}/schemas`.
//!
//! **Details are probed, not read blindly** (docs/performance.md, "Per-item requests"). Per
//! Fivetran's OpenAPI, the v2 list item declares every field of the detail; per this project's
//! fixtures, the detail adds `setup_tests`. Which is true of a live account is checked on every
//! run, per `(service, service_version)`: the detail of the first connection of each pair (the
//! probe) is read and compared with its list item. If it adds nothing (same keys, same values;
//! `status`, `succeeded_at` and `failed_at`, which can change between the two reads, aside),
//! the other connections of the pair keep their list item, marked
//! `_iru.detail_from_list: {"probe": "<id>"}`. Otherwise, or if the probe's detail could not be
//! read, every connection of the pair has its detail read. A wrong "differs" costs requests; a
//! wrong "same" would need two connections of one service and version to differ in how their
//! list item relates to their detail.
//!
//! `schema_config` is null where Fivetran has none (`NotFound_SchemaConfig`, normal for some
//! connector types); `_iru.schema_config` then says why. It is read for every connection: no
//! list carries it.
//!
//! `connection_errors` holds the connection's active errors ([`super::connection_errors`]):
//! the first connection with an id has them read before anything else of its page, alone, and
//! that answer says whether the others are asked at all.

use std::collections::HashMap;

use futures::StreamExt as _;
use serde_json::{Map, Value, json};

use crate::client::ApiError;
use crate::endpoints::{CONNECTION, CONNECTION_SCHEMAS, CONNECTIONS};
use crate::paginate::Pager;
use crate::vocab::{Collected, NOTES_KEY, Sink, id_of};

use super::connection_errors::{self as errors, Offered};
use super::{Ctx, Notes, Problems, assemble, fatal, merge_detail, set_field};

/// Fields that may change between the list and the detail read: ignored by the probe.
const VOLATILE: [&str; 4] = ["status", "succeeded_at", "failed_at", NOTES_KEY];

/// What a probe found for one `(service, service_version)`.
#[derive(Debug, Clone)]
enum Verdict {
    /// The probe's detail added nothing to its list item.
    ListSuffices { probe: String },
    /// The detail adds something, or could not be read: read every detail.
    ReadDetails,
}

/// The pair a connection is probed by: its `service` and `service_version`, as JSON text
/// (missing is `null`).
fn pair_of(connection: &Value) -> String {
    let field = |k: &str| connection.get(k).cloned().unwrap_or(Value::Null);
    json!([field("service"), field("service_version")]).to_string()
}

/// Lists connections a page at a time; on each page, first probes the pairs not seen before,
/// then enriches the rest, [`Ctx::fan_out`] at a time, while the next page is read.
pub async fn collect(ctx: &Ctx<'_>, sink: &mut dyn Sink) -> Result<Collected, ApiError> {
    let path = CONNECTIONS.path(&[]).expect("top-level lists have no ids");
    let mut pager = Pager::new(ctx.client, CONNECTIONS, &path, &[], "id");
    let mut verdicts: HashMap<String, Verdict> = HashMap::new();
    let mut problems = Problems::default();
    let fan_out = ctx.fan_out.max(1);
    let mut offered = Offered::Unknown;
    let mut page = pager.next_page().await;
    while let Some(items) = page {
        // The probe of the errors endpoint: the first connection with an id, alone.
        let mut first = None;
        if matches!(offered, Offered::Unknown)
            && let Some(id) = items.iter().find_map(|c| id_of(&c, "id"))
        {
            let read = errors::read(ctx, &id).await?;
            offered = errors::judge(&read);
            if let Offered::No {
                field,
                partial: true,
            } = &offered
            {
                let reason = field["reason"].as_str().unwrap_or_default();
                problems.extend(vec![format!("{}: {reason}", errors::FIELD)]);
            }
            first = Some((id, read));
        }
        let first = std::sync::Mutex::new(first);
        // The probe's read goes to its connection's item, not asked again.
        let pre_read = |c: &Value| {
            let mut first = first
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mine = first
                .as_ref()
                .is_some_and(|(id, _)| id_of(c, "id").as_ref() == Some(id));
            if mine {
                first.take().map(|(_, read)| read)
            } else {
                None
            }
        };
        let offered = &offered;
        let work = async {
            // The first connection with an id of each pair not seen before is its probe.
            let mut probes = Vec::new();
            let mut rest = Vec::new();
            let mut probing = std::collections::HashSet::new();
            for c in items {
                let pair = pair_of(&c);
                if id_of(&c, "id").is_some()
                    && !verdicts.contains_key(&pair)
                    && probing.insert(pair.clone())
                {
                    probes.push((pair, c));
                } else {
                    rest.push(c);
                }
            }
            let mut probed = futures::stream::iter(probes)
                .map(|(pair, c)| {
                    let pre = pre_read(&c);
                    async move { (pair, probe(ctx, c, offered, pre).await) }
                })
                .buffer_unordered(fan_out);
            while let Some((pair, result)) = probed.next().await {
                let (item, item_problems, verdict) = result?;
                verdicts.insert(pair, verdict);
                sink.push(item);
                problems.extend(item_problems);
            }
            if sink.full().is_some() {
                return Ok::<_, ApiError>(());
            }
            let verdicts = &verdicts;
            let mut enriched = futures::stream::iter(rest)
                .map(|c| {
                    let verdict = verdicts.get(&pair_of(&c)).cloned();
                    let pre = pre_read(&c);
                    enrich(ctx, c, verdict, offered, pre)
                })
                .buffer_unordered(fan_out);
            while let Some(result) = enriched.next().await {
                let (item, item_problems) = result?;
                sink.push(item);
                problems.extend(item_problems);
                if sink.full().is_some() {
                    break;
                }
            }
            Ok::<_, ApiError>(())
        };
        let (next, done) = futures::join!(pager.next_page(), work);
        done?;
        if sink.full().is_some() {
            break;
        }
        page = next;
    }
    let pages = pager.pages;
    let error = fatal(pager.error.take())?;
    Ok(assemble(error, pages, sink.count() > 0, &problems))
}

/// Reads a probe's detail and schema config, and judges whether its pair's list items suffice.
async fn probe(
    ctx: &Ctx<'_>,
    connection: Value,
    offered: &Offered,
    pre: Option<errors::Read>,
) -> Result<(Value, Vec<String>, Verdict), ApiError> {
    let id = id_of(&connection, "id").unwrap_or_default();
    let listed = connection.clone();
    let (item, problems) = enrich(ctx, connection, None, offered, pre).await?;
    let detail_read = item
        .get(NOTES_KEY)
        .and_then(|n| n.get("deleted_during_run").or_else(|| n.get("incomplete")))
        .is_none();
    let verdict = if detail_read && adds_nothing(&listed, &item) {
        Verdict::ListSuffices { probe: id }
    } else {
        Verdict::ReadDetails
    };
    Ok((item, problems, verdict))
}

/// Whether `merged` (the list item with the detail laid over it and `schema_config` added)
/// holds nothing `listed` does not, the volatile fields aside.
fn adds_nothing(listed: &Value, merged: &Value) -> bool {
    let (Some(listed), Some(merged)) = (listed.as_object(), merged.as_object()) else {
        return false;
    };
    merged.iter().all(|(key, value)| {
        VOLATILE.contains(&key.as_str())
            || key == "schema_config"
            || key == errors::FIELD
            || listed.get(key) == Some(value)
    })
}

/// Reads a connection's detail (unless `verdict` says its pair's list items suffice), its
/// schema config and its active errors (unless they were `pre`-read, or are not `offered`).
async fn enrich(
    ctx: &Ctx<'_>,
    mut connection: Value,
    verdict: Option<Verdict>,
    offered: &Offered,
    pre: Option<errors::Read>,
) -> Result<(Value, Vec<String>), ApiError> {
    let mut notes = Notes::default();
    let Some(id) = id_of(&connection, "id") else {
        notes.incomplete("a connection without an `id`: detail not read".into());
        let problems = notes.apply(&mut connection);
        return Ok((connection, problems));
    };
    match verdict {
        Some(Verdict::ListSuffices { probe }) => {
            notes.set(
                "detail_from_list",
                Value::Object(Map::from_iter([("probe".to_owned(), Value::String(probe))])),
            );
        }
        Some(Verdict::ReadDetails) | None => {
            merge_detail(ctx, &mut connection, &mut notes, CONNECTION, &id).await?;
        }
    }
    let schema_config = if notes.is_deleted() {
        Value::Null
    } else {
        schema_config(ctx, &mut notes, &id).await?
    };
    set_field(&mut connection, "schema_config", schema_config);
    let active = if notes.is_deleted() {
        Value::Null
    } else {
        errors::field(ctx, offered, pre, &mut notes, &id).await?
    };
    set_field(&mut connection, errors::FIELD, active);
    let problems = notes.apply(&mut connection);
    Ok((connection, problems))
}

async fn schema_config(ctx: &Ctx<'_>, notes: &mut Notes, id: &str) -> Result<Value, ApiError> {
    let path = match CONNECTION_SCHEMAS.path(&[id]) {
        Ok(path) => path,
        Err(e) => {
            notes.incomplete(format!("{}: {e}", CONNECTION_SCHEMAS.display()));
            return Ok(Value::Null);
        }
    };
    match ctx.client.get_object(CONNECTION_SCHEMAS, &path).await {
        Ok(config) => Ok(config),
        Err(e) if e.is_fatal() => Err(e),
        Err(ApiError::NotFound { code, message, .. }) if code == "NotFound_SchemaConfig" => {
            notes.set(
                "schema_config",
                json!({"status": "none", "code": code, "message": message}),
            );
            Ok(Value::Null)
        }
        Err(e) if e.not_found_code().is_some() => {
            notes.deleted(&e);
            Ok(Value::Null)
        }
        Err(e) => {
            notes.incomplete(e.to_string());
            Ok(Value::Null)
        }
    }
}

#[cfg(test)]
mod tests;
