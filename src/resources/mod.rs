//! What each artifact of the bundle is made of, and how its items are gathered.
//!
//! One file per Fivetran resource that needs more than one list: [`users`], [`teams`],
//! [`destinations`], [`connections`], [`log_services`]; the plain lists are in [`lists`].
//! A failure of one artifact never stops the others: it becomes that artifact's status and
//! reason. Only a refused key ([`ApiError::is_fatal`]) ends the run.
//!
//! Items keep every field Fivetran returned. The collector adds only the fields it documents:
//! embedded memberships (`group_memberships`, ...), `schema_config`, and `_iru`, an object of
//! notes about the item (deleted during the run, follow-up requests that failed, ...).

mod account;
mod connections;
mod destinations;
mod lists;
mod log_services;
pub mod sync_history;
mod teams;
mod users;

use std::future::Future;

use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{ApiError, Client};
use crate::endpoints::Endpoint;
use crate::evidence::bundle::ItemSink;
use crate::paginate::{self, Pager};
use jiff::Timestamp;

pub use account::AccountInfo;

/// The key under which the collector puts its notes on an item.
pub const NOTES_KEY: &str = "_iru";

/// One evidence file of the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Artifact {
    /// `account.json`: account id and name, and the identity of the key used.
    Account,
    /// `users.json`: users with their group and connection memberships.
    Users,
    /// `roles.json`: standard and custom roles.
    Roles,
    /// `teams.json`: teams with their user, group and connection memberships.
    Teams,
    /// `groups.json`: groups (one per destination).
    Groups,
    /// `destinations.json`: destinations with config and setup tests.
    Destinations,
    /// `connections.json`: connections with config, status, setup tests and schema config.
    Connections,
    /// `webhooks.json`
    Webhooks,
    /// `log_services.json`: external logging, per destination and account-wide.
    LogServices,
    /// `system_keys.json`: the API keys not tied to a user.
    SystemKeys,
    /// `private_links.json`
    PrivateLinks,
    /// `proxy_agents.json`
    ProxyAgents,
    /// `hybrid_deployment_agents.json`
    HybridDeploymentAgents,
    /// `sync_history.json`: each connection's syncs over the `--since` window.
    SyncHistory,
    /// `audit_coverage.json` (derived): where each destination's audit trail is exported.
    AuditCoverage,
    /// `activity.json` (derived): the activity facts of the other artifacts, sorted by time.
    Activity,
    /// `access.json` (derived): who can reach what, with which role, directly or by a team.
    Access,
    /// `findings.json` (derived): reviewer-facing checks with stable ids, pass or fail.
    Findings,
    /// `changes.json` (derived): what changed since the baseline bundle.
    Changes,
}

/// Whether an artifact is read from the API or computed from other artifacts of the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Read from Fivetran.
    Collected,
    /// Computed from the bundle's collected artifacts; never alters them.
    Derived,
}

impl Artifact {
    /// Every artifact, in the order they are produced (sources before what depends on them).
    pub const ALL: [Artifact; 19] = [
        Artifact::Account,
        Artifact::Users,
        Artifact::Roles,
        Artifact::Teams,
        Artifact::Groups,
        Artifact::Destinations,
        Artifact::Connections,
        Artifact::Webhooks,
        Artifact::LogServices,
        Artifact::SystemKeys,
        Artifact::PrivateLinks,
        Artifact::ProxyAgents,
        Artifact::HybridDeploymentAgents,
        Artifact::SyncHistory,
        Artifact::AuditCoverage,
        Artifact::Activity,
        Artifact::Access,
        Artifact::Findings,
        Artifact::Changes,
    ];

    /// The name used by `--resources`, the manifest and the schema id.
    pub fn name(self) -> &'static str {
        match self {
            Artifact::Account => "account",
            Artifact::Users => "users",
            Artifact::Roles => "roles",
            Artifact::Teams => "teams",
            Artifact::Groups => "groups",
            Artifact::Destinations => "destinations",
            Artifact::Connections => "connections",
            Artifact::Webhooks => "webhooks",
            Artifact::LogServices => "log_services",
            Artifact::SystemKeys => "system_keys",
            Artifact::PrivateLinks => "private_links",
            Artifact::ProxyAgents => "proxy_agents",
            Artifact::HybridDeploymentAgents => "hybrid_deployment_agents",
            Artifact::SyncHistory => "sync_history",
            Artifact::AuditCoverage => "audit_coverage",
            Artifact::Activity => "activity",
            Artifact::Access => "access",
            Artifact::Findings => "findings",
            Artifact::Changes => "changes",
        }
    }

    /// Collected or derived.
    pub fn kind(self) -> Kind {
        match self {
            Artifact::AuditCoverage
            | Artifact::Activity
            | Artifact::Access
            | Artifact::Findings
            | Artifact::Changes => Kind::Derived,
            _ => Kind::Collected,
        }
    }

    /// The artifacts this one is made from; selecting it selects them too.
    pub fn sources(self) -> &'static [Artifact] {
        match self {
            Artifact::SyncHistory => &[Artifact::Connections],
            Artifact::AuditCoverage => &[
                Artifact::Groups,
                Artifact::Destinations,
                Artifact::Connections,
                Artifact::LogServices,
                Artifact::Webhooks,
            ],
            Artifact::Activity => &[
                Artifact::Users,
                Artifact::Teams,
                Artifact::Connections,
                Artifact::SystemKeys,
                Artifact::Webhooks,
                Artifact::PrivateLinks,
                Artifact::ProxyAgents,
                Artifact::HybridDeploymentAgents,
            ],
            Artifact::Access => &[
                Artifact::Users,
                Artifact::Teams,
                Artifact::Roles,
                Artifact::Groups,
                Artifact::Connections,
            ],
            Artifact::Findings => &[
                Artifact::Users,
                Artifact::Teams,
                Artifact::Connections,
                Artifact::SystemKeys,
                Artifact::Webhooks,
                Artifact::AuditCoverage,
            ],
            _ => &[],
        }
    }

    /// The artifact of a `--resources` name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The file it is written to: a fixed name, never derived from API data.
    pub fn file_name(self) -> &'static str {
        match self {
            Artifact::Account => "account.json",
            Artifact::Users => "users.json",
            Artifact::Roles => "roles.json",
            Artifact::Teams => "teams.json",
            Artifact::Groups => "groups.json",
            Artifact::Destinations => "destinations.json",
            Artifact::Connections => "connections.json",
            Artifact::Webhooks => "webhooks.json",
            Artifact::LogServices => "log_services.json",
            Artifact::SystemKeys => "system_keys.json",
            Artifact::PrivateLinks => "private_links.json",
            Artifact::ProxyAgents => "proxy_agents.json",
            Artifact::HybridDeploymentAgents => "hybrid_deployment_agents.json",
            Artifact::SyncHistory => "sync_history.json",
            Artifact::AuditCoverage => "audit_coverage.json",
            Artifact::Activity => "activity.json",
            Artifact::Access => "access.json",
            Artifact::Findings => "findings.json",
            Artifact::Changes => "changes.json",
        }
    }

    /// The field items are identified and sorted by.
    pub fn key(self) -> &'static str {
        match self {
            Artifact::Roles => "name",
            Artifact::Account => "account_id",
            Artifact::Activity => "time",
            Artifact::Access | Artifact::Changes => "sort_key",
            _ => "id",
        }
    }
}

/// How complete an artifact is.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Everything the key can see was read.
    #[default]
    Complete,
    /// Some of it was read; `reason` says what is missing.
    Partial,
    /// Fivetran answered 403 for the list: the key may not read it.
    Forbidden,
    /// Nothing could be read.
    Failed,
    /// The evidence does not exist here, which is not a failure: Fivetran does not offer the
    /// endpoint to this account, or there is no earlier bundle to compare with. `reason` says
    /// which.
    Unavailable,
}

impl Status {
    /// The status as it is written in the bundle.
    pub fn name(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Partial => "partial",
            Status::Forbidden => "forbidden",
            Status::Failed => "failed",
            Status::Unavailable => "unavailable",
        }
    }

    /// Whether the artifact holds all there is to hold (complete, or nothing exists).
    pub fn is_whole(self) -> bool {
        matches!(self, Status::Complete | Status::Unavailable)
    }
}

/// One artifact's items and how complete they are.
#[derive(Debug, Default)]
pub struct Collected {
    /// The items, as Fivetran returned them plus the documented additions.
    pub items: Vec<Value>,
    /// Completeness.
    pub status: Status,
    /// Why it is not complete.
    pub reason: Option<String>,
    /// Fields of this artifact's envelope beyond the common ones (e.g. `window` of
    /// `sync_history`, `baseline` of `changes`).
    pub extra: Map<String, Value>,
}

/// A time window, start inclusive, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
}

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
    sink: &mut ItemSink,
) -> Result<Collected, ApiError> {
    use crate::endpoints as ep;
    match artifact {
        Artifact::Account => account::collect(ctx).await.map(|(c, _)| c),
        Artifact::Users => users::collect(ctx, sink).await,
        Artifact::Roles => lists::collect(ctx, ep::ROLES, "name").await,
        Artifact::Teams => teams::collect(ctx, sink).await,
        Artifact::Groups => lists::collect(ctx, ep::GROUPS, "id").await,
        Artifact::Destinations => destinations::collect(ctx, sink).await,
        Artifact::Connections => connections::collect(ctx, sink).await,
        Artifact::Webhooks => lists::collect(ctx, ep::WEBHOOKS, "id").await,
        Artifact::LogServices => log_services::collect(ctx).await,
        Artifact::SystemKeys => lists::collect(ctx, ep::SYSTEM_KEYS, "id").await,
        Artifact::PrivateLinks => lists::collect(ctx, ep::PRIVATE_LINKS, "id").await,
        Artifact::ProxyAgents => lists::collect(ctx, ep::PROXY_AGENTS, "id").await,
        Artifact::HybridDeploymentAgents => {
            lists::collect(ctx, ep::HYBRID_DEPLOYMENT_AGENTS, "id").await
        }
        Artifact::SyncHistory
        | Artifact::AuditCoverage
        | Artifact::Activity
        | Artifact::Access
        | Artifact::Findings
        | Artifact::Changes => {
            unreachable!("{} is not a plain collected artifact", artifact.name())
        }
    }
}

pub use account::collect as collect_account;

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

/// The string id of an item, if it has one.
fn id_of(item: &Value, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Sorts items by `key` (string), then by their JSON text, so order never depends on the API.
pub fn sort_items(items: &mut [Value], key: &str) {
    items.sort_by_cached_key(|v| (id_of(v, key), v.to_string()));
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
                Some(_) => Status::Forbidden,
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
    sink: &mut ItemSink,
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
            }
            Ok::<_, ApiError>(())
        };
        let (next, enriched) = futures::join!(pager.next_page(), enrich_page);
        enriched?;
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
            if let Some(obj) = item.as_object_mut() {
                obj.extend(detail);
            }
        }
        Ok(_) => unreachable!("the client checks that data is an object"),
        Err(e) if e.is_fatal() => return Err(e),
        Err(e) if e.not_found_code().is_some() => notes.deleted(&e),
        Err(e) => notes.incomplete(e.to_string()),
    }
    Ok(())
}

fn set_field(item: &mut Value, field: &str, value: Value) {
    if let Some(obj) = item.as_object_mut() {
        obj.insert(field.into(), value);
    }
}
