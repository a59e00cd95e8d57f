//! What each artifact of the bundle is made of, and how its items are gathered.
//!
//! One file per Fivetran resource that needs more than one list: [`users`], [`teams`],
//! [`destinations`], [`connections`] (with [`connection_errors`]), [`log_services`],
//! [`transformation_projects`]; the plain lists are in [`lists`]. [`probe`] judges the first
//! answer of a per-connection endpoint some accounts are not offered.
//! A failure of one artifact never stops the others: it becomes that artifact's status and
//! reason. Only a refused key ([`ApiError::is_fatal`]) ends the run.
//!
//! Items keep every field Fivetran returned. The collector adds only the fields it documents:
//! embedded memberships (`group_memberships`, ...), `schema_config`, and `_iru`, an object of
//! notes about the item (deleted during the run, follow-up requests that failed, a detail that
//! answered for another id, ...).
//!
//! Each artifact is bounded to what `verify` accepts ([`Capacity`], `fill.rs`): an artifact
//! that reaches it stops reading and is `partial`, and the run goes on.

mod account;
pub mod approvals;
pub mod connection_errors;
mod connections;
mod destinations;
mod fill;
mod groups;
mod lists;
mod log_services;
mod probe;
pub mod sync_history;
mod teams;
mod transformation_projects;
mod users;

use std::future::Future;

use futures::StreamExt as _;
use serde_json::{Map, Value, json};

use crate::client::{ApiError, Client, says_feature_not_enabled};
use crate::endpoints::Endpoint;
use crate::paginate::{self, Pager};
use crate::vocab::{Artifact, Collected, NOTES_KEY, Sink, Status, Window, id_of, sort_items};

pub use fill::{Capacity, ENVELOPE_ROOM, Filler};

/// What the resource functions share.
pub struct Ctx<'a> {
    /// The API client.
    pub client: &'a Client,
    /// Follow-up requests in flight at once.
    pub fan_out: usize,
    /// The window of `sync_history`.
    pub window: Window,
}

/// Collects one artifact. Its items go to `sink` as they are ready, or come back in
/// [`Collected::items`] (short lists); the caller pushes those. `Err` only for a fatal error
/// (the key was refused).
pub async fn collect(
    ctx: &Ctx<'_>,
    artifact: Artifact,
    sink: &mut dyn Sink,
) -> Result<Collected, ApiError> {
    collect_within(ctx, artifact, sink, Capacity::ARTIFACT).await
}

/// [`collect`] within `capacity` (tests use a small one): an artifact that reaches it stops
/// reading and is `partial`, with the reason.
pub async fn collect_within(
    ctx: &Ctx<'_>,
    artifact: Artifact,
    sink: &mut dyn Sink,
    capacity: Capacity,
) -> Result<Collected, ApiError> {
    let mut filler = Filler::new(sink, artifact, capacity);
    let collected = collect_into(ctx, artifact, &mut filler).await?;
    Ok(mark_full(collected, &filler))
}

/// Makes an artifact whose sink filled up `partial`, saying why.
pub fn mark_full(mut collected: Collected, sink: &dyn Sink) -> Collected {
    if let Some(full) = sink.full() {
        if collected.status == Status::Complete {
            collected.status = Status::Partial;
        }
        collected.reason = Some(match collected.reason.take() {
            Some(reason) => format!("{reason}; {full}"),
            None => full.to_owned(),
        });
    }
    collected
}

async fn collect_into(
    ctx: &Ctx<'_>,
    artifact: Artifact,
    sink: &mut dyn Sink,
) -> Result<Collected, ApiError> {
    use crate::endpoints as ep;
    match artifact {
        Artifact::Account => account::collect(ctx).await.map(|(c, _)| c),
        Artifact::Users => users::collect(ctx, sink).await,
        Artifact::Roles => lists::collect(ctx, ep::ROLES, "name", sink).await,
        Artifact::Teams => teams::collect(ctx, sink).await,
        Artifact::Groups => groups::collect(ctx, sink).await,
        Artifact::Destinations => destinations::collect(ctx, sink).await,
        Artifact::Connections => connections::collect(ctx, sink).await,
        Artifact::Webhooks => lists::collect(ctx, ep::WEBHOOKS, "id", sink).await,
        Artifact::LogServices => log_services::collect(ctx).await,
        Artifact::SystemKeys => lists::collect(ctx, ep::SYSTEM_KEYS, "id", sink).await,
        Artifact::PrivateLinks => {
            list_then(ctx, sink, ep::PRIVATE_LINKS, "id", |l| {
                with_detail(ctx, l, ep::PRIVATE_LINK)
            })
            .await
        }
        Artifact::ProxyAgents => lists::collect(ctx, ep::PROXY_AGENTS, "id", sink).await,
        Artifact::HybridDeploymentAgents => {
            lists::collect(ctx, ep::HYBRID_DEPLOYMENT_AGENTS, "id", sink).await
        }
        Artifact::ConnectorSdkPackages => {
            lists::collect(ctx, ep::CONNECTOR_SDK_PACKAGES, "id", sink).await
        }
        Artifact::SecretsManagers => lists::collect(ctx, ep::SECRETS_MANAGERS, "id", sink).await,
        Artifact::Transformations => lists::collect(ctx, ep::TRANSFORMATIONS, "id", sink).await,
        Artifact::TransformationProjects => transformation_projects::collect(ctx, sink).await,
        Artifact::SyncHistory
        | Artifact::AuditTrail
        | Artifact::Certificates
        | Artifact::Fingerprints
        | Artifact::AuditCoverage
        | Artifact::Activity
        | Artifact::Access
        | Artifact::Findings
        | Artifact::Changes => {
            unreachable!("{} is not a plain collected artifact", artifact.name())
        }
    }
}

pub use account::{access as key_access, collect as collect_account};

/// Notes gathered while enriching one item; written to its `_iru` field.
#[derive(Debug, Default)]
struct Notes {
    fields: Map<String, Value>,
    incomplete: Vec<String>,
}

impl Notes {
    /// A follow-up request failed; the artifact becomes partial.
    fn incomplete(&mut self, problem: String) {
        self.incomplete.push(problem);
    }

    /// The item disappeared between the list and a follow-up request: what the list said is
    /// kept, and this is not a failure.
    fn deleted(&mut self, error: &ApiError) {
        self.fields
            .insert("deleted_during_run".into(), describe(error));
    }

    /// A detail answered for another id than the one asked: not merged, noted.
    fn mismatch(&mut self, request: String, asked: &Value, answered: &Value) {
        self.fields.insert(
            "detail_id_mismatch".into(),
            json!({"request": request, "asked": asked, "answered": answered}),
        );
        self.incomplete(format!(
            "{request} answered for id {answered} instead of {asked}: the detail was not merged, the listed item is kept"
        ));
    }

    fn set(&mut self, key: &str, value: Value) {
        self.fields.insert(key.into(), value);
    }

    fn is_deleted(&self) -> bool {
        self.fields.contains_key("deleted_during_run")
    }

    /// Writes the notes into the item and returns the problems for the artifact's reason.
    fn apply(mut self, item: &mut Value) -> Vec<String> {
        if !self.incomplete.is_empty() {
            self.fields
                .insert("incomplete".into(), json!(self.incomplete));
        }
        if !self.fields.is_empty()
            && let Some(obj) = item.as_object_mut()
        {
            obj.insert(NOTES_KEY.into(), Value::Object(self.fields));
        }
        self.incomplete
    }
}

/// A machine-readable description of an API error, for `_iru` notes.
fn describe(error: &ApiError) -> Value {
    match error {
        ApiError::NotFound {
            path,
            code,
            message,
        }
        | ApiError::Forbidden {
            path,
            code,
            message,
        } => json!({"request": format!("GET /v1{path}"), "code": code, "message": message}),
        other => json!({"error": other.to_string()}),
    }
}

/// The follow-up requests of an artifact that failed: how many, and the first few (the items
/// carry each one in `_iru.incomplete`).
#[derive(Debug, Default)]
struct Problems {
    count: usize,
    first: Vec<String>,
}

impl Problems {
    /// How many are quoted in the artifact's reason.
    const QUOTED: usize = 3;

    fn extend(&mut self, problems: Vec<String>) {
        self.count += problems.len();
        let room = Self::QUOTED.saturating_sub(self.first.len());
        self.first.extend(problems.into_iter().take(room));
    }
}

/// Turns the outcome of a top-level list and its follow-ups into an artifact's status and
/// reason (its items are in the sink, or set by the caller). `any_items`: whether any item was
/// gathered at all.
fn assemble(
    listed_error: Option<ApiError>,
    pages: u32,
    any_items: bool,
    problems: &Problems,
) -> Collected {
    let mut reasons = Vec::new();
    let mut status = Status::Complete;
    if let Some(error) = listed_error {
        // Nothing read (items may still come from elsewhere, e.g. the account-level log
        // service, and then the artifact is partial rather than empty-handed).
        if pages == 0 && !any_items {
            status = match error.forbidden_message() {
                // The account does not have the feature: nothing exists to read.
                Some(_) if error.feature_not_enabled() => Status::Unavailable,
                Some(_) => Status::Forbidden,
                None if not_offered(&error) => Status::Unavailable,
                None => Status::Failed,
            };
            reasons.push(error.to_string());
        } else if pages == 0 {
            status = Status::Partial;
            reasons.push(format!("the list could not be read: {error}"));
        } else {
            status = Status::Partial;
            reasons.push(format!("the list stopped after {pages} page(s): {error}"));
        }
    }
    if problems.count > 0 {
        if status == Status::Complete {
            status = Status::Partial;
        }
        let more = problems.count.saturating_sub(problems.first.len());
        let mut text = format!(
            "{} follow-up request(s) failed (see `_iru.incomplete` on the items): {}",
            problems.count,
            problems.first.join("; ")
        );
        if more > 0 {
            text.push_str(&format!("; and {more} more"));
        }
        reasons.push(text);
    }
    Collected {
        items: Vec::new(),
        status,
        reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
        extra: Map::new(),
    }
}

/// Whether a 404 to a top-level list says, in Fivetran's words, that the account does not have
/// the feature (as a 403 may: [`ApiError::feature_not_enabled`]): nothing exists to read.
fn not_offered(error: &ApiError) -> bool {
    matches!(error, ApiError::NotFound { message, .. } if says_feature_not_enabled(message))
}

/// Returns a fatal error, or hands back any other.
fn fatal(error: Option<ApiError>) -> Result<Option<ApiError>, ApiError> {
    match error {
        Some(e) if e.is_fatal() => Err(e),
        other => Ok(other),
    }
}

/// Lists `endpoint` a page at a time and runs `enrich` on each item of a page, up to
/// [`Ctx::fan_out`] at once, while the next page is read; each enriched item goes to `sink` as
/// soon as it is ready. The sink sorts, so the order items finish in does not matter, and
/// memory holds two pages and the items in flight, whatever the size of the list.
async fn list_then<F, Fut>(
    ctx: &Ctx<'_>,
    sink: &mut dyn Sink,
    endpoint: Endpoint,
    key: &str,
    enrich: F,
) -> Result<Collected, ApiError>
where
    F: Fn(Value) -> Fut,
    Fut: Future<Output = Result<(Value, Vec<String>), ApiError>>,
{
    let path = endpoint.path(&[]).expect("top-level lists have no ids");
    let mut pager = Pager::new(ctx.client, endpoint, &path, &[], key);
    let mut problems = Problems::default();
    let mut page = pager.next_page().await;
    while let Some(items) = page {
        let enrich_page = async {
            let mut results = futures::stream::iter(items)
                .map(&enrich)
                .buffer_unordered(ctx.fan_out.max(1));
            while let Some(result) = results.next().await {
                let (item, item_problems) = result?;
                sink.push(item);
                problems.extend(item_problems);
                if sink.full().is_some() {
                    break;
                }
            }
            Ok::<_, ApiError>(())
        };
        let (next, enriched) = futures::join!(pager.next_page(), enrich_page);
        enriched?;
        if sink.full().is_some() {
            break;
        }
        page = next;
    }
    let pages = pager.pages;
    let error = fatal(pager.error.take())?;
    Ok(assemble(error, pages, sink.count() > 0, &problems))
}

/// Reads the list at `endpoint` for `id` and puts it, sorted, under `field` of `item`.
/// A `NotFound` answer means the parent item was deleted during the run.
async fn embed_list(
    ctx: &Ctx<'_>,
    item: &mut Value,
    notes: &mut Notes,
    (field, endpoint, key): (&str, Endpoint, &str),
    id: &str,
) -> Result<(), ApiError> {
    if notes.is_deleted() {
        set_field(item, field, Value::Null);
        return Ok(());
    }
    let path = match endpoint.path(&[id]) {
        Ok(path) => path,
        Err(e) => {
            notes.incomplete(format!("{}: {e}", endpoint.display()));
            set_field(item, field, Value::Null);
            return Ok(());
        }
    };
    // Held whole inside its item: bounded by `Limits::HELD`.
    let mut listed = paginate::list_all(ctx.client, endpoint, &path, key).await;
    let error = fatal(listed.error.take())?;
    sort_items(&mut listed.items, key);
    match error {
        None => set_field(item, field, Value::Array(listed.items)),
        Some(e) if e.not_found_code().is_some() => {
            notes.deleted(&e);
            set_field(item, field, Value::Null);
        }
        Some(e) => {
            notes.incomplete(e.to_string());
            let partial = if listed.pages > 0 {
                Value::Array(listed.items)
            } else {
                Value::Null
            };
            set_field(item, field, partial);
        }
    }
    Ok(())
}

/// Fetches the detail object at `endpoint` for `id` and lays its fields over the list item
/// (the detail wins; fields only the list has are kept).
async fn merge_detail(
    ctx: &Ctx<'_>,
    item: &mut Value,
    notes: &mut Notes,
    endpoint: Endpoint,
    id: &str,
) -> Result<(), ApiError> {
    let path = match endpoint.path(&[id]) {
        Ok(path) => path,
        Err(e) => {
            notes.incomplete(format!("{}: {e}", endpoint.display()));
            return Ok(());
        }
    };
    match ctx.client.get_object(endpoint, &path).await {
        Ok(Value::Object(detail)) => {
            // A detail of another item would put its fields, and its id, in this one's place.
            let asked = item.get("id").cloned().unwrap_or(Value::Null);
            match detail.get("id") {
                Some(answered) if *answered != asked => {
                    notes.mismatch(format!("GET /v1{path}"), &asked, answered);
                }
                _ => {
                    if let Some(obj) = item.as_object_mut() {
                        obj.extend(detail);
                    }
                }
            }
        }
        Ok(_) => unreachable!("the client checks that data is an object"),
        Err(e) if e.is_fatal() => return Err(e),
        Err(e) if e.not_found_code().is_some() => notes.deleted(&e),
        Err(e) => notes.incomplete(e.to_string()),
    }
    Ok(())
}

/// An item of a list overlaid with its detail at `endpoint` ([`merge_detail`]).
async fn with_detail(
    ctx: &Ctx<'_>,
    mut item: Value,
    endpoint: Endpoint,
) -> Result<(Value, Vec<String>), ApiError> {
    let mut notes = Notes::default();
    match id_of(&item, "id") {
        Some(id) => merge_detail(ctx, &mut item, &mut notes, endpoint, &id).await?,
        None => notes.incomplete(format!(
            "an item without an `id`: {} not read",
            endpoint.display()
        )),
    }
    let problems = notes.apply(&mut item);
    Ok((item, problems))
}

fn set_field(item: &mut Value, field: &str, value: Value) {
    if let Some(obj) = item.as_object_mut() {
        obj.insert(field.into(), value);
    }
}

#[cfg(test)]
mod tests;
