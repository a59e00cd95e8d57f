//! `certificates.json` and `fingerprints.json`: the TLS certificates and SSH host keys someone
//! approved for a connection or a destination (`GET /v1/connections/{id}/certificates`,
//! `/fingerprints`, and the same under `/v1/destinations/{id}`), with who approved each and
//! when (`validated_by`, `validated_date`).
//!
//! Cost. Both are per-parent lists, and most services never have anything to approve: a
//! certificate is approved only where Fivetran connects to a host the customer runs over TLS
//! and does not trust its certificate, a fingerprint only where it connects over SSH. The API
//! cannot say which parents have approvals, but their configuration says which parents
//! Fivetran connects to at all, so only those are asked ([`asks`]):
//!
//! - certificates: a parent whose `config` names a `host` or a `tunnel_host`;
//! - fingerprints: a parent whose `config` names a `tunnel_host` (an SSH tunnel), or whose
//!   service is an SFTP source (it logs in over SSH to its `host`).
//!
//! A parent outside the rule (a SaaS API source, a warehouse reached by URL) is not asked, and
//! the envelope's `not_asked` counts them: an approval held by such a parent would be missed,
//! which the artifact's documentation says. The rule reads the redacted configuration of
//! `connections.json` and `destinations.json` in the bundle, never the API.
//!
//! Reading. The first asked parent is read alone: a 403 there makes the artifact `forbidden`
//! (or `unavailable` when it says the feature is not enabled) and nothing more is asked.
//! Then the rest, [`Ctx::fan_out`] at a time. A parent deleted during the run (`NotFound_*`)
//! is skipped and counted; any other failure makes the artifact partial, naming the parent.
//!
//! Each item is one approval as Fivetran returned it, plus `parent_type` (`connection` or
//! `destination`), `parent_id` and `sort_key` (`<parent_type>/<parent_id>/<id>`), its key: the
//! same certificate approved for two parents is two items.

use futures::StreamExt as _;
use serde_json::{Map, Value, json};

use crate::client::ApiError;
use crate::endpoints::{
    CONNECTION_CERTIFICATES, CONNECTION_FINGERPRINTS, DESTINATION_CERTIFICATES,
    DESTINATION_FINGERPRINTS, Endpoint,
};
use crate::paginate;
use crate::vocab::{Artifact, Collected, NOTES_KEY, Sink, id_of, sort_items};

use super::{Capacity, Ctx, Filler, Problems, assemble};

/// What [`collect`] needs of a connection or destination: its id, which kind it is, whether
/// it was deleted during the run, and whether each list is asked for it. Its configuration is
/// not kept in memory.
pub fn project(source: Artifact, item: &Value) -> Value {
    let config = item.get("config");
    let named = |field: &str| {
        config
            .and_then(|c| c.get(field))
            .and_then(Value::as_str)
            .is_some_and(|v| !v.trim().is_empty())
    };
    let service = item.get("service").and_then(Value::as_str).unwrap_or("");
    let sftp = service.to_ascii_lowercase().contains("sftp");
    let deleted = item
        .get(NOTES_KEY)
        .and_then(|n| n.get("deleted_during_run"))
        .is_some();
    json!({
        "id": item.get("id").cloned().unwrap_or(Value::Null),
        "parent_type": if source == Artifact::Destinations { "destination" } else { "connection" },
        "certificates": named("host") || named("tunnel_host"),
        "fingerprints": named("tunnel_host") || (sftp && named("host")),
        "deleted": deleted,
    })
}

/// Whether `artifact`'s list is asked for a [`project`]ed parent.
pub fn asks(artifact: Artifact, parent: &Value) -> bool {
    let field = if artifact == Artifact::Certificates {
        "certificates"
    } else {
        "fingerprints"
    };
    parent.get(field).and_then(Value::as_bool) == Some(true)
}

/// The endpoint of `artifact` for a parent of `parent_type`.
fn endpoint(artifact: Artifact, parent_type: &str) -> Endpoint {
    match (
        artifact == Artifact::Certificates,
        parent_type == "destination",
    ) {
        (true, false) => CONNECTION_CERTIFICATES,
        (true, true) => DESTINATION_CERTIFICATES,
        (false, false) => CONNECTION_FINGERPRINTS,
        (false, true) => DESTINATION_FINGERPRINTS,
    }
}

/// How many parents of each kind were asked, and not.
#[derive(Debug, Default)]
struct Counts {
    asked: [usize; 2],
    not_asked: [usize; 2],
    deleted: usize,
}

fn slot(parent_type: &str) -> usize {
    usize::from(parent_type == "destination")
}

/// Reads `artifact` (certificates or fingerprints) for every [`project`]ed parent the rule
/// asks; each approval goes to `sink`. `Err` only for a fatal error (the key was refused).
pub async fn collect(
    ctx: &Ctx<'_>,
    artifact: Artifact,
    mut parents: Vec<Value>,
    sink: &mut dyn Sink,
) -> Result<Collected, ApiError> {
    parents.sort_by_cached_key(|p| (p["parent_type"].to_string(), p["id"].to_string()));
    let mut counts = Counts::default();
    let mut asked = Vec::new();
    for parent in parents {
        let kind = parent["parent_type"]
            .as_str()
            .unwrap_or("connection")
            .to_owned();
        let Some(id) = id_of(&parent, "id") else {
            continue;
        };
        if parent["deleted"] == true {
            // Gone before its approvals could be asked: its configuration may be missing too.
            counts.deleted += 1;
        } else if !asks(artifact, &parent) {
            counts.not_asked[slot(&kind)] += 1;
        } else {
            counts.asked[slot(&kind)] += 1;
            asked.push((kind, id));
        }
    }
    let mut sink = Filler::new(sink, artifact, Capacity::ARTIFACT);
    let mut problems = Problems::default();
    let mut rest = asked.into_iter();
    if let Some((kind, id)) = rest.next() {
        match read(ctx, artifact, &kind, &id).await {
            Read::Items(items) => items.into_iter().for_each(|i| sink.push(i)),
            Read::Gone => counts.deleted += 1,
            Read::Failed(e) if e.is_fatal() => return Err(e),
            // The first answer says the key, or the account, cannot have this list at all.
            Read::Failed(e) if e.forbidden_message().is_some() => {
                let mut whole = assemble(Some(e), 0, false, &Problems::default());
                whole.extra = extra(&counts);
                return Ok(whole);
            }
            Read::Failed(e) => problems.extend(vec![format!("{kind} {id}: {e}")]),
        }
    }
    let mut reads = futures::stream::iter(rest)
        .map(|(kind, id)| async move {
            let read = read(ctx, artifact, &kind, &id).await;
            (kind, id, read)
        })
        .buffer_unordered(ctx.fan_out.max(1));
    while let Some((kind, id, read)) = reads.next().await {
        match read {
            Read::Items(items) => items.into_iter().for_each(|i| sink.push(i)),
            Read::Gone => counts.deleted += 1,
            Read::Failed(e) if e.is_fatal() => return Err(e),
            Read::Failed(e) => problems.extend(vec![format!("{kind} {id}: {e}")]),
        }
        if sink.full().is_some() {
            break;
        }
    }
    let mut collected = assemble(None, 1, sink.count() > 0, &problems);
    collected.extra = extra(&counts);
    Ok(super::mark_full(collected, &sink))
}

/// What one parent's list gave.
enum Read {
    /// Its approvals, each with its parent and sort key.
    Items(Vec<Value>),
    /// The parent was deleted during the run.
    Gone,
    /// Anything else.
    Failed(ApiError),
}

async fn read(ctx: &Ctx<'_>, artifact: Artifact, parent_type: &str, id: &str) -> Read {
    let endpoint = endpoint(artifact, parent_type);
    let path = match endpoint.path(&[id]) {
        Ok(path) => path,
        Err(e) => {
            return Read::Failed(ApiError::NotFound {
                path: endpoint.display(),
                code: "UnusableId".into(),
                message: e.to_string(),
            });
        }
    };
    let mut listed = paginate::list_all(ctx.client, endpoint, &path, "id").await;
    match listed.error.take() {
        Some(e)
            if e.not_found_code()
                .is_some_and(|c| c.starts_with("NotFound_")) =>
        {
            Read::Gone
        }
        Some(e) => Read::Failed(e),
        None => {
            sort_items(&mut listed.items, "id");
            let items = listed
                .items
                .into_iter()
                .map(|mut item| {
                    let own = id_of(&item, "id")
                        .or_else(|| id_of(&item, "hash"))
                        .unwrap_or_default();
                    if let Some(obj) = item.as_object_mut() {
                        obj.insert("parent_type".into(), json!(parent_type));
                        obj.insert("parent_id".into(), json!(id));
                        obj.insert(
                            "sort_key".into(),
                            json!(format!("{parent_type}/{id}/{own}")),
                        );
                    }
                    item
                })
                .collect();
            Read::Items(items)
        }
    }
}

/// The envelope's `asked` and `not_asked`, per parent kind, and the parents deleted during
/// the run.
fn extra(counts: &Counts) -> Map<String, Value> {
    let per_kind = |n: [usize; 2]| json!({"connections": n[0], "destinations": n[1]});
    let mut extra = Map::new();
    extra.insert("asked".into(), per_kind(counts.asked));
    extra.insert("not_asked".into(), per_kind(counts.not_asked));
    extra.insert("deleted_during_run".into(), json!(counts.deleted));
    extra
}
