//! The shapes of the artifact files, as types for schema generation only.
//!
//! The collector builds artifacts as JSON values ([`crate::evidence::envelope`]) so that every
//! field Fivetran returns survives; these types describe those bytes for `schemars` and are
//! never built. Items are open objects: the schema names the fields the collector adds
//! (`_iru`, memberships, `schema_config`) and, for the items the collector makes itself
//! (`sync_history`, `audit_coverage`, `activity`, `access`, `changes`), every field. A test validates
//! real bundles against the schemas, so a drift between these types and the writer fails it.
//! `skip_serializing_if` marks a field that may be absent (it is read by `schemars`, not
//! called).

// Schema-only types: they describe bytes written elsewhere and are never constructed.
#![allow(dead_code)]

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde_json::{Map, Value};

use crate::vocab::{Kind, Status};

/// An artifact file: the common envelope, the items, and the artifact's own fields `X`.
#[derive(JsonSchema)]
pub(super) struct Envelope<I, X> {
    /// `iru-fivetran/<resource>/v1`.
    schema: String,
    /// The resource name, e.g. `users`.
    resource: String,
    /// `collected` (read from the API) or `derived` (computed from the bundle's collected
    /// artifacts); fixed per artifact.
    kind: Kind,
    /// The account id from `/v1/account/info`; null when it could not be read.
    account_id: Option<String>,
    /// When this artifact was produced: RFC 3339 UTC to the second, `YYYY-MM-DDTHH:MM:SSZ`.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"))]
    collected_at: String,
    /// How complete the artifact is.
    status: Status,
    /// Null exactly when `status` is `complete`; otherwise why, in words (not to be parsed).
    reason: Option<String>,
    /// The number of elements of `items`.
    count: u64,
    /// The items, sorted by the artifact's item key.
    items: Vec<I>,
    /// The artifact's own envelope fields, if any.
    #[serde(flatten)]
    extra: X,
}

/// No envelope fields beyond the common ones.
#[derive(JsonSchema)]
pub(super) struct NoExtra {}

/// An item as Fivetran returned it (after redaction), with the collector's notes.
#[derive(JsonSchema)]
pub(super) struct Item {
    /// The collector's notes about the item; absent when there is nothing to note.
    #[serde(rename = "_iru", skip_serializing_if = "absent")]
    iru: Notes,
}

/// The collector's notes on an item (`_iru`).
#[derive(JsonSchema)]
pub(super) struct Notes {
    /// A follow-up request answered 404 not found: the item was deleted during the run, and
    /// what its list said is kept. `{request, code, message}`.
    #[serde(skip_serializing_if = "absent")]
    deleted_during_run: Map<String, Value>,
    /// The follow-up requests that failed, one message each; the artifact is `partial`.
    #[serde(skip_serializing_if = "absent")]
    incomplete: Vec<String>,
    /// Connections: Fivetran has no schema config for it. `{status: "none", code, message}`.
    #[serde(skip_serializing_if = "absent")]
    schema_config: Map<String, Value>,
    /// Connections: its detail was not read, since the probe of its service (named) showed
    /// the detail adds nothing to the list item. `{probe}`.
    #[serde(skip_serializing_if = "absent")]
    detail_from_list: Map<String, Value>,
    /// Log services: the account-wide service from `/v1/external-logging/account`.
    #[serde(skip_serializing_if = "absent")]
    #[schemars(extend("const" = true))]
    account_level: bool,
}

/// A user, with the memberships the collector adds.
#[derive(JsonSchema)]
pub(super) struct UserItem {
    /// The collector's notes about the item.
    #[serde(rename = "_iru", skip_serializing_if = "absent")]
    iru: Notes,
    /// `/v1/users/{id}/groups`, read in full; null if it could not be read (see `_iru`).
    #[serde(skip_serializing_if = "absent")]
    group_memberships: Option<Vec<Map<String, Value>>>,
    /// `/v1/users/{id}/connections`, read in full; null if it could not be read.
    #[serde(skip_serializing_if = "absent")]
    connection_memberships: Option<Vec<Map<String, Value>>>,
}

/// A team, with the memberships the collector adds.
#[derive(JsonSchema)]
pub(super) struct TeamItem {
    /// The collector's notes about the item.
    #[serde(rename = "_iru", skip_serializing_if = "absent")]
    iru: Notes,
    /// `/v1/teams/{id}/users`, read in full; null if it could not be read.
    #[serde(skip_serializing_if = "absent")]
    user_memberships: Option<Vec<Map<String, Value>>>,
    /// `/v1/teams/{id}/groups`, read in full; null if it could not be read.
    #[serde(skip_serializing_if = "absent")]
    group_memberships: Option<Vec<Map<String, Value>>>,
    /// `/v1/teams/{id}/connections`, read in full; null if it could not be read.
    #[serde(skip_serializing_if = "absent")]
    connection_memberships: Option<Vec<Map<String, Value>>>,
}

/// A connection: list item and detail merged, with its schema config.
#[derive(JsonSchema)]
pub(super) struct ConnectionItem {
    /// The collector's notes about the item.
    #[serde(rename = "_iru", skip_serializing_if = "absent")]
    iru: Notes,
    /// The `data` of `/v1/connections/{id}/schemas` (not redacted); null when there is none
    /// or it could not be read (see `_iru`).
    #[serde(skip_serializing_if = "absent")]
    schema_config: Option<Map<String, Value>>,
    /// `/v1/connections/{id}/errors`, read in full (its shape inferred: see
    /// `docs/evidence-format.md`); `{status, reason}` when the endpoint was not read for any
    /// connection; null when the connection's could not be read (see `_iru`).
    #[serde(skip_serializing_if = "absent")]
    connection_errors: Option<ConnectionErrors>,
}

/// A connection's active errors, or why no connection's were read.
#[derive(JsonSchema)]
#[serde(untagged)]
pub(super) enum ConnectionErrors {
    /// Each active error as Fivetran returned it, sorted by `type`.
    Read(Vec<Map<String, Value>>),
    /// The first connection's answer said the endpoint cannot be read here.
    NotRead(ErrorsNotRead),
}

/// Why no connection's active errors were read.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ErrorsNotRead {
    /// `unavailable` (not offered, or not the account's feature) or `forbidden` (the key
    /// lacks a permission).
    #[schemars(extend("enum" = ["unavailable", "forbidden"]))]
    status: String,
    /// The answer that said so.
    reason: Option<String>,
}

/// One connection's syncs over the window.
#[derive(JsonSchema)]
pub(super) struct SyncHistoryItem {
    /// The connection's `id`, copied from `connections.json` (null if absent).
    id: Value,
    /// The connection's `service`, copied (null if absent).
    service: Value,
    /// The connection's `schema`, copied (null if absent).
    schema: Value,
    /// The connection's `group_id` (its destination), copied (null if absent).
    group_id: Value,
    /// Fivetran's sync records as returned, sorted by `start_time`; null if not read.
    syncs: Option<Vec<Value>>,
    /// The collector's notes about the item.
    #[serde(rename = "_iru", skip_serializing_if = "absent")]
    iru: Notes,
}

/// `window` of `sync_history`.
#[derive(JsonSchema)]
pub(super) struct SyncHistoryExtra {
    /// The window read.
    window: Window,
}

/// A time window, start inclusive, end exclusive.
#[derive(JsonSchema)]
pub(super) struct Window {
    /// RFC 3339 UTC to the second; the manifest's `options.since`.
    start: String,
    /// RFC 3339 UTC to the second.
    end: String,
}

/// A resource an audit-trail action is about.
#[derive(JsonSchema)]
pub(super) struct AuditResource {
    /// Fivetran's type (`CONNECTION`, `DESTINATION`, `USER`, `TEAM`, `ACCOUNT`, `API_KEY`,
    /// ...), or null when a `LOG` event does not say.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Its id, or null.
    id: Option<String>,
    /// Its name as the bundle knows it (a connection's schema, a group's name, a user's
    /// email, a team's name), or null.
    name: Option<String>,
}

/// Who did an action.
#[derive(JsonSchema)]
pub(super) struct AuditActor {
    /// The user id, or null when only an email names the person and nobody knows it.
    user_id: Option<String>,
    /// The email, or null.
    email: Option<String>,
    /// `given_name family_name`, or null.
    name: Option<String>,
    /// Whether `users.json` lists the person (people deleted since are not listed).
    listed_by_api: bool,
    /// Listed, and `active: true` there: still an active user.
    active: bool,
    /// `USER._fivetran_deleted` in the warehouse, or null when `USER` does not know the
    /// person.
    deleted_in_warehouse: Option<bool>,
}

/// Where an action was read.
#[derive(JsonSchema)]
pub(super) struct AuditSourceRef {
    /// The destination (group) id of the Platform Connector.
    destination: Option<String>,
    /// The Platform Connector's connection id.
    platform_connector: String,
    /// The schema read.
    schema: String,
    /// `audit_trail` or `log`.
    #[schemars(extend("enum" = ["audit_trail", "log"]))]
    table: String,
    /// The row's `id`.
    row_id: String,
    /// `AUDIT_TRAIL` items: the ids of the `LOG` rows recording the same action, merged into
    /// this item.
    #[serde(skip_serializing_if = "absent")]
    also_in_log: Vec<String>,
    /// `LOG` items: the row's `event` (INFO, WARNING, ...).
    #[serde(skip_serializing_if = "absent")]
    log_event: Option<String>,
    /// `LOG` items: the row's `sync_id`.
    #[serde(skip_serializing_if = "absent")]
    sync_id: Option<String>,
}

/// One user action of `audit_trail.json`.
#[derive(JsonSchema)]
pub(super) struct AuditTrailItem {
    /// `<at>|<id>`: the order of the items, by time then id.
    sort_key: String,
    /// `audit_trail:<row id>` or `log:<row id>`.
    id: String,
    /// When, RFC 3339 UTC with six fractional digits.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"))]
    at: String,
    /// `AUDIT_TRAIL`'s `action`, or the verb of `LOG`'s event (`CREATE`, `EDIT`, `DELETE`,
    /// `PAUSE`, `RESUME`, `SYNC`, `GENERATE`, else the event upper-cased).
    action: Option<String>,
    /// `LOG`'s `message_event`, kept as it is (null for `AUDIT_TRAIL`).
    event: Option<String>,
    /// `AUDIT_TRAIL`'s `interaction_method` (`WEB_UI`, `API`, ...; null for `LOG`).
    method: Option<String>,
    /// Who did it; null when a row's actor could not be read.
    actor: Option<AuditActor>,
    /// What it was done to; null when nothing says.
    resource: Option<AuditResource>,
    /// `AUDIT_TRAIL`'s secondary resource, or null.
    secondary: Option<AuditResource>,
    /// `AUDIT_TRAIL`'s `old_values`, parsed and redacted; null for `LOG`.
    old_values: Value,
    /// `AUDIT_TRAIL`'s `new_values`, parsed and redacted; null for `LOG`.
    new_values: Value,
    /// `LOG`'s `message_data`, parsed and redacted; null for `AUDIT_TRAIL`.
    details: Value,
    /// Where it was read.
    source: AuditSourceRef,
    /// The collector's notes: `incomplete` when a value could not be read.
    #[serde(rename = "_iru", skip_serializing_if = "absent")]
    iru: Notes,
}

/// The envelope fields of `audit_trail`.
#[derive(JsonSchema)]
pub(super) struct AuditTrailExtra {
    /// Per audit source: where, what was read, the window asked and covered, the gaps.
    sources: Vec<crate::vocab::audit::SourceFacts>,
    /// Per destination: whether its audit trail was read.
    destinations: Vec<crate::vocab::audit::DestinationCoverage>,
}

/// Whether a destination's audit trail is exported.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum Verdict {
    /// A route that counts exports it.
    Exported,
    /// No route exports it.
    NotExported,
    /// A source could not be read in full.
    Unknown,
}

/// One destination's audit coverage.
#[derive(JsonSchema)]
pub(super) struct AuditCoverageItem {
    /// The destination's id (the group id).
    id: String,
    /// The group's `name`, copied (null if no group has this id).
    name: Value,
    /// The destination's `service`, copied (null if no destination has this id).
    destination_service: Value,
    /// The verdict.
    verdict: Verdict,
    /// The verdict's reason, in words.
    reason: String,
    /// The destination's own Platform Connectors (connector views).
    platform_connectors: Vec<Map<String, Value>>,
    /// The destination's own log service view, or null.
    log_service: Option<Map<String, Value>>,
    /// The webhooks whose `group_id` is this id (webhook views).
    webhooks: Vec<Map<String, Value>>,
}

/// The envelope fields of `audit_coverage`.
#[derive(JsonSchema)]
pub(super) struct AuditCoverageExtra {
    /// A fixed statement of where the audit trail itself lives.
    audit_trail: String,
    /// The routes that cover every destination.
    account_level: AccountLevel,
    /// The number of destinations per verdict; a verdict no destination got is absent.
    verdicts: BTreeMap<String, u64>,
}

/// The account-level audit routes.
#[derive(JsonSchema)]
pub(super) struct AccountLevel {
    /// The account-level Platform Connector views.
    platform_connectors: Vec<Map<String, Value>>,
    /// The account-level log service view, or null.
    log_service: Option<Map<String, Value>>,
    /// The views of the webhooks whose `type` is `account`.
    webhooks: Vec<Map<String, Value>>,
}

/// One activity event.
#[derive(JsonSchema)]
pub(super) struct ActivityItem {
    /// The time, in UTC with six fractional digits: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    time: String,
    /// The event name, e.g. `user_created`.
    event: String,
    /// What the event is about, e.g. `user`.
    subject_type: String,
    /// The subject item's `id`, or null.
    subject_id: Option<String>,
    /// The subject's label, copied from its item (null if absent).
    subject_label: Value,
    /// The user id Fivetran names as having done it, copied; null otherwise.
    actor: Value,
    /// For membership events, what the membership points to: `{type, id, role}`; else null.
    object: Option<Map<String, Value>>,
    /// The artifact the fact comes from.
    source: String,
    /// The field the time comes from.
    field: String,
}

/// One effective-access item: a user, a resource, a role, and the path that grants it.
#[derive(JsonSchema)]
pub(super) struct AccessItem {
    /// `user_id|resource_type|resource_id|via|team_id`: the order of the items.
    sort_key: String,
    /// The user's `id`.
    user_id: String,
    /// The user's `email`; null for a team member `users.json` does not have.
    user_email: Value,
    /// `given_name family_name`, or null.
    user_name: Option<String>,
    /// The user's `active`, copied (null if absent).
    user_active: Value,
    /// `account`, `group` (a destination) or `connection`.
    #[schemars(extend("enum" = ["account", "group", "connection"]))]
    resource_type: String,
    /// The group or connection id; null for `account`.
    resource_id: Option<String>,
    /// The group's `name` or the connection's `schema`, copied; null if unknown.
    resource_name: Value,
    /// The group the resource is in (a group's own id), copied; null for `account`.
    group_id: Value,
    /// The role granted, copied; null for a user with no account role.
    role: Value,
    /// Whether `roles.json` marks the role custom; null when it does not list it.
    role_is_custom: Option<bool>,
    /// `direct` or `team`.
    #[schemars(extend("enum" = ["direct", "team"]))]
    via: String,
    /// The team that grants it, for `via` `team`; else null.
    team_id: Option<String>,
    /// That team's `name`, copied; else null.
    team_name: Value,
}

/// One reviewer-facing check of `findings.json`.
#[derive(JsonSchema)]
pub(super) struct FindingsItem {
    /// The check's stable id, e.g. `FT-ACCESS-001`.
    id: String,
    /// What it checks, with its threshold.
    title: String,
    /// `n/a` when the artifact it reads could not be read, or when evidence it needs is
    /// missing from the items it read and no subject fails it.
    #[schemars(extend("enum" = ["pass", "fail", "n/a"]))]
    status: String,
    /// Why the check is `n/a`, or what evidence was missing beside the subjects that fail it;
    /// null otherwise. Absent from bundles written before it was added.
    #[serde(skip_serializing_if = "absent")]
    reason: Option<String>,
    /// How many subjects are listed in `items`.
    count: u64,
    /// The subjects behind the status: `id`, `label` and the field that matters.
    items: Vec<Value>,
    /// What the check shows.
    proves: String,
    /// What it does not show.
    cannot_prove: String,
}

/// Whether a change is about access or configuration.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum Category {
    /// Users, teams, memberships, roles and system keys.
    Access,
    /// Everything else.
    Configuration,
}

/// One change since the baseline.
#[derive(JsonSchema)]
pub(super) struct ChangeItem {
    /// What changed, e.g. `user_role_changed`.
    kind: String,
    /// `access` or `configuration`.
    category: Category,
    /// The artifact the item is in.
    artifact: String,
    /// The item's key value (a role's `name`).
    id: String,
    /// A readable name of the item, or null.
    label: Option<String>,
    /// A dotted path, from the item, of what changed.
    field: String,
    /// The value in the baseline, null where absent.
    before: Value,
    /// The value in this bundle, null where absent.
    after: Value,
    /// Null, or a fixed sentence for changes that need one.
    note: Option<String>,
    /// The order of the change.
    sort_key: String,
    /// What the audit trail says of it: who made it, or that nothing explains it.
    audit: ChangeAudit,
}

/// What the newer bundle's audit trail says of a change.
#[derive(JsonSchema)]
pub(super) struct ChangeAudit {
    /// `explained` (actions on the item between the two bundles' collections), `unexplained`
    /// (none, although the audit trail covers from the baseline's collection) or `not_covered`
    /// (no audit trail covers that time: nothing can be said).
    #[schemars(extend("enum" = ["explained", "unexplained", "not_covered"]))]
    status: String,
    /// The actions, oldest first, at most 20: `{id, at, action, event, method, actor:
    /// {user_id, email}}`, from `audit_trail.json`.
    events: Vec<Map<String, Value>>,
    /// Actions beyond the 20 listed.
    more_events: u64,
    /// The end of what the audit trail covered (the Platform Connector's last sync): a change
    /// made after it cannot be explained yet. Null for `not_covered`.
    covered_until: Option<String>,
    /// `not_covered`: why nothing can be said.
    #[serde(skip_serializing_if = "absent")]
    reason: String,
}

/// The envelope fields of `changes`.
#[derive(JsonSchema)]
pub(super) struct ChangesExtra {
    /// The bundle compared against; null when `changes.json` is `unavailable` or `failed`.
    baseline: Option<Baseline>,
    /// The number of changes per `kind`.
    summary: BTreeMap<String, u64>,
    /// The artifacts left out of the comparison because they are not whole in one of the two
    /// bundles; empty when every collected artifact was compared.
    not_compared: Vec<NotComparedArtifact>,
}

/// An artifact of `changes` not compared.
#[derive(JsonSchema)]
pub(super) struct NotComparedArtifact {
    /// The artifact's name.
    artifact: String,
    /// Its status in that bundle: `partial`, `forbidden` or `failed`.
    status: String,
    /// `old` (the baseline) or `new` (this bundle).
    bundle: String,
}

/// The baseline of `changes`.
#[derive(JsonSchema)]
pub(super) struct Baseline {
    /// The baseline's `bundle_id`.
    bundle_id: Option<String>,
    /// The baseline's `started_at`.
    started_at: Option<String>,
    /// The baseline's account id.
    account_id: Option<String>,
    /// SHA-256 (64 lower-case hex digits) of the baseline's `manifest.json`, as it was verified
    /// (and, in a run that signs or names `--public-key`, as its signature was checked): the
    /// baseline named by its content, not only by its name. Written by every run that has a
    /// baseline; absent from a `changes.json` written before the field existed.
    #[serde(skip_serializing_if = "absent")]
    manifest_sha256: Option<String>,
}

/// An item of `certificates` or `fingerprints`: one approval as Fivetran returned it (`id`,
/// `hash`, `public_key`, `validated_by`, `validated_date`; certificates also `name`, `type`,
/// `sha1`, `sha256`), with whose approval it is.
#[derive(JsonSchema)]
pub(super) struct ApprovalItem {
    /// `connection` or `destination`.
    #[schemars(extend("enum" = ["connection", "destination"]))]
    parent_type: String,
    /// The connection's or destination's id.
    parent_id: String,
    /// `<parent_type>/<parent_id>/<id>`: the item key.
    sort_key: String,
}

/// Of `certificates` and `fingerprints`: which parents were asked (docs/evidence-format.md,
/// "Certificates and fingerprints"); absent when the artifact was not read.
#[derive(JsonSchema)]
pub(super) struct ApprovalsExtra {
    /// The parents whose list was read, per kind.
    #[serde(skip_serializing_if = "absent")]
    asked: PerParent,
    /// The parents the rule did not ask (no host, no tunnel), per kind.
    #[serde(skip_serializing_if = "absent")]
    not_asked: PerParent,
    /// Parents deleted before or during the run, not asked or answering `NotFound_*`.
    #[serde(skip_serializing_if = "absent")]
    deleted_during_run: u64,
}

/// A count per kind of parent.
#[derive(JsonSchema)]
pub(super) struct PerParent {
    /// Connections.
    connections: u64,
    /// Destinations.
    destinations: u64,
}
