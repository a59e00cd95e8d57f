//! `audit_coverage.json`: for every destination, whether its audit trail leaves Fivetran, and
//! how. Fivetran's REST API has no audit-log endpoint; the trail is exported only by
//! - a **Fivetran Platform Connector** (a connection with service `fivetran_log`): one in a
//!   destination's group writes that destination's logs (a `LOG` table) into its warehouse;
//!   one with `config.is_account_level_connector: true` writes the whole account's logs;
//! - an **external log service** (`/v1/external-logging`): per destination (its id is the
//!   group id) or account-wide (`/v1/external-logging/account`).
//!
//! A route *counts* when it is switched on and working: a Platform Connector not paused, with
//! `setup_state` connected and a successful sync on record; a log service enabled with
//! `setup_state` connected. When Fivetran leaves out what says so (a log service without
//! `status`, which the spec allows; a connector without `paused`), whether the route counts
//! is *not known*: missing evidence is never read as a route that does not work. Verdicts
//! per destination:
//! - `exported`: at least one route counts;
//! - `unknown`: none counts, and a source it depends on (connections, log services) is not
//!   complete, so a working route may exist unseen, or a route's state is not known;
//! - `not_exported`: none counts, every route is known not to, and the sources are complete.
//!
//! Webhooks are listed with their events: they push sync and status events, not the
//! user-action audit trail, so they never make a destination `exported`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::vocab::{Artifact, Collected, NOTES_KEY, Status};

use super::{Inputs, Sources, mark_incomplete_sources};

/// Where the audit trail itself lives, stated in the artifact.
pub const AUDIT_TRAIL: &str = "Fivetran's REST API has no audit-log endpoint. The user-action \
    audit trail (events such as create_user, edit_connection, generate_api_secret) leaves \
    Fivetran only through the Fivetran Platform Connector, which writes it into a LOG table (and, \
    on some plans, an AUDIT_TRAIL table; schema fivetran_metadata by default) in the \
    destination it belongs to, and through external log services where they are configured. This artifact \
    shows, per destination, whether such an export is switched on and working. The trail \
    itself is in audit_trail.json where the vault file names an audit source for the \
    warehouse holding those tables (audit_trail.json says, per destination, whether it was \
    read); otherwise it must be read where it is exported to.";

const PLATFORM_CONNECTOR: &str = "fivetran_log";

fn text<'a>(item: &'a Value, pointer: &str) -> Option<&'a str> {
    item.pointer(pointer).and_then(Value::as_str)
}

fn is_connected(state: Option<&str>) -> bool {
    state.is_some_and(|s| s.eq_ignore_ascii_case("connected"))
}

fn is_account_level_connector(c: &Value) -> bool {
    c.pointer("/config/is_account_level_connector")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn is_account_level_service(s: &Value) -> bool {
    s.pointer(&format!("/{NOTES_KEY}/account_level")) == Some(&Value::Bool(true))
}

/// Whether a route exports the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counts {
    /// Switched on and working.
    Yes,
    /// Known not to: off, broken, paused, never synced.
    No,
    /// Fivetran's answer leaves out what would say.
    NotKnown,
}

impl Counts {
    fn view(self) -> Value {
        match self {
            Counts::Yes => Value::Bool(true),
            Counts::No => Value::Bool(false),
            Counts::NotKnown => Value::Null,
        }
    }
}

/// Why a route does not count: `Ok` when it is known not to, `Err` when it is not known.
type WhyNot = Result<String, String>;

fn counts(why_not: &Option<WhyNot>) -> Counts {
    match why_not {
        None => Counts::Yes,
        Some(Ok(_)) => Counts::No,
        Some(Err(_)) => Counts::NotKnown,
    }
}

/// One way the audit trail may leave Fivetran.
struct Route {
    /// What the artifact shows of it.
    view: Value,
    /// Whether it is switched on and working.
    counts: Counts,
    /// One sentence on its state, for the verdict's reason.
    note: String,
}

fn platform_connector(c: &Value) -> Route {
    // Missing values stay null in the artifact; the sentence names them in words.
    let id = text(c, "/id").unwrap_or("(without an id)");
    let paused = c.get("paused").and_then(Value::as_bool);
    let setup_state = text(c, "/status/setup_state");
    let succeeded_at = c.get("succeeded_at").cloned().unwrap_or(Value::Null);
    let account_level = is_account_level_connector(c);
    let deleted = c
        .pointer(&format!("/{NOTES_KEY}/deleted_during_run"))
        .is_some();
    let why_not: Option<WhyNot> = if deleted {
        Some(Ok("was deleted during the run".to_owned()))
    } else if paused == Some(true) {
        Some(Ok("is paused".to_owned()))
    } else if paused.is_none() {
        Some(Err(
            "has no `paused` state, so whether it runs is not known".to_owned(),
        ))
    } else if setup_state.is_none() {
        Some(Err(
            "has no setup state, so whether it works is not known".to_owned()
        ))
    } else if !is_connected(setup_state) {
        Some(Ok(format!(
            "has setup state {}",
            setup_state.unwrap_or("unknown")
        )))
    } else if c.get("succeeded_at").is_none() {
        Some(Err(
            "has no `succeeded_at`, so whether it ever synced is not known".to_owned(),
        ))
    } else if succeeded_at.is_null() {
        Some(Ok("has never synced successfully".to_owned()))
    } else {
        None
    };
    let scope = if account_level { "account-level " } else { "" };
    let note = format!(
        "{scope}Platform Connector {id} {}",
        state_words(&why_not, "is running")
    );
    Route {
        view: json!({
            "id": c.get("id"),
            "group_id": c.get("group_id"),
            "schema": c.get("schema"),
            "account_level": account_level,
            "paused": paused,
            "setup_state": setup_state,
            "sync_state": text(c, "/status/sync_state"),
            "succeeded_at": succeeded_at,
            "failed_at": c.get("failed_at"),
            "counts": counts(&why_not).view(),
        }),
        counts: counts(&why_not),
        note,
    }
}

/// The words of a route's note on its state: why it does not count, or `working`.
fn state_words<'a>(why_not: &'a Option<WhyNot>, working: &'a str) -> &'a str {
    match why_not {
        None => working,
        Some(Ok(why) | Err(why)) => why,
    }
}

fn log_service(s: &Value) -> Route {
    let id = text(s, "/id").unwrap_or("(without an id)");
    let enabled = s.get("enabled").and_then(Value::as_bool);
    let setup_state = text(s, "/status/setup_state");
    let service = text(s, "/service").unwrap_or("service not given");
    // Fivetran's spec: `status` is "present when a setup status exists"; without it nothing
    // says whether an enabled service works.
    let why_not: Option<WhyNot> = if enabled == Some(false) {
        Some(Ok("is disabled".to_owned()))
    } else if enabled.is_none() {
        Some(Err(
            "has no `enabled` state, so whether it exports is not known".to_owned(),
        ))
    } else if setup_state.is_none() {
        Some(Err(
            "is enabled but has no setup state, so whether it exports is not known".to_owned(),
        ))
    } else if !is_connected(setup_state) {
        Some(Ok(format!(
            "has setup state {}",
            setup_state.unwrap_or("unknown")
        )))
    } else {
        None
    };
    let scope = if is_account_level_service(s) {
        "account-level "
    } else {
        ""
    };
    let note = format!(
        "{scope}log service {id} ({service}) {}",
        state_words(&why_not, "is enabled and connected")
    );
    Route {
        view: json!({
            "id": s.get("id"),
            "service": s.get("service"),
            "enabled": enabled,
            "setup_state": setup_state,
            "counts": counts(&why_not).view(),
        }),
        counts: counts(&why_not),
        note,
    }
}

fn webhook(w: &Value) -> Value {
    json!({
        "id": w.get("id"),
        "type": w.get("type"),
        "group_id": w.get("group_id"),
        "active": w.get("active"),
        "url": w.get("url"),
        "events": w.get("events"),
    })
}

/// The verdict on one destination and why.
fn judge(routes: &[&Route], sources_whole: bool) -> (&'static str, String) {
    let notes = || {
        routes
            .iter()
            .map(|r| r.note.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let of = |state: Counts| -> Vec<&str> {
        routes
            .iter()
            .filter(|r| r.counts == state)
            .map(|r| r.note.as_str())
            .collect()
    };
    let (working, not_known) = (of(Counts::Yes), of(Counts::NotKnown));
    if !working.is_empty() {
        ("exported", working.join("; "))
    } else if !not_known.is_empty() {
        (
            "unknown",
            format!(
                "no working export seen, and Fivetran's answer leaves out whether a route works: {}",
                not_known.join("; ")
            ),
        )
    } else if !sources_whole {
        let seen = if routes.is_empty() {
            String::new()
        } else {
            format!("; seen: {}", notes())
        };
        (
            "unknown",
            format!(
                "no working export seen, but connections or log services were not read in \
                 full, so one may exist{seen}"
            ),
        )
    } else if routes.is_empty() {
        (
            "not_exported",
            "no Platform Connector and no log service covers this destination".to_owned(),
        )
    } else {
        ("not_exported", notes())
    }
}

/// What the artifact needs of its sources ([`super::Keep`]): of connections, only Platform
/// Connectors (every other connection is irrelevant to it, and there may be thousands); of the
/// others, every item.
pub fn keep(artifact: Artifact, item: Value) -> Option<Value> {
    let relevant =
        artifact != Artifact::Connections || text(&item, "/service") == Some(PLATFORM_CONNECTOR);
    relevant.then_some(item)
}

/// Builds the artifact from the bundle being written, keeping of its sources only what
/// [`keep`] keeps.
pub(super) fn produce(inputs: &Inputs<'_>) -> Collected {
    let sources = Artifact::AuditCoverage.sources();
    let loaded = Sources::load(inputs.bundle, sources, &keep);
    let collected = derive(&loaded);
    let produced = collected.items.len();
    mark_incomplete_sources(collected, produced, &loaded, sources)
}

/// Builds the artifact from sources in memory.
pub fn derive(sources: &Sources) -> Collected {
    let connections = sources.items(Artifact::Connections);
    let log_services = sources.items(Artifact::LogServices);
    let webhooks = sources.items(Artifact::Webhooks);
    let platform: Vec<&Value> = connections
        .iter()
        .filter(|c| text(c, "/service") == Some(PLATFORM_CONNECTOR))
        .collect();

    // Account-wide routes cover every destination.
    let account_connectors: Vec<Route> = platform
        .iter()
        .filter(|c| is_account_level_connector(c))
        .map(|c| platform_connector(c))
        .collect();
    let account_service: Option<Route> = log_services
        .iter()
        .find(|s| is_account_level_service(s))
        .map(log_service);
    let sources_whole = [Artifact::Connections, Artifact::LogServices]
        .iter()
        .all(|&a| sources.status(a).is_whole());

    let mut ids = BTreeSet::new();
    for artifact in [Artifact::Groups, Artifact::Destinations] {
        ids.extend(
            sources
                .items(artifact)
                .iter()
                .filter_map(|i| text(i, "/id").map(str::to_owned)),
        );
    }
    let find = |artifact: Artifact, id: &str| {
        sources
            .items(artifact)
            .iter()
            .find(|i| text(i, "/id") == Some(id))
    };

    let mut items = Vec::with_capacity(ids.len());
    let mut verdicts: BTreeMap<&str, u64> = BTreeMap::new();
    for id in &ids {
        let own_connectors: Vec<Route> = platform
            .iter()
            .filter(|c| text(c, "/group_id") == Some(id.as_str()) && !is_account_level_connector(c))
            .map(|c| platform_connector(c))
            .collect();
        let own_service: Option<Route> = log_services
            .iter()
            .filter(|s| !is_account_level_service(s))
            .find(|s| text(s, "/id") == Some(id.as_str()))
            .map(log_service);
        let routes: Vec<&Route> = own_connectors
            .iter()
            .chain(own_service.iter())
            .chain(account_connectors.iter())
            .chain(account_service.iter())
            .collect();
        let (verdict, reason) = judge(&routes, sources_whole);
        *verdicts.entry(verdict).or_default() += 1;
        let group_webhooks: Vec<Value> = webhooks
            .iter()
            .filter(|w| text(w, "/group_id") == Some(id.as_str()))
            .map(webhook)
            .collect();
        items.push(json!({
            "id": id,
            "name": find(Artifact::Groups, id).and_then(|g| g.get("name")),
            "destination_service": find(Artifact::Destinations, id).and_then(|d| d.get("service")),
            "verdict": verdict,
            "reason": reason,
            "platform_connectors": own_connectors.iter().map(|r| r.view.clone()).collect::<Vec<_>>(),
            "log_service": own_service.as_ref().map(|r| r.view.clone()),
            "webhooks": group_webhooks,
        }));
    }

    let mut extra = Map::new();
    extra.insert("audit_trail".into(), Value::from(AUDIT_TRAIL));
    extra.insert(
        "account_level".into(),
        json!({
            "platform_connectors": account_connectors.iter().map(|r| r.view.clone()).collect::<Vec<_>>(),
            "log_service": account_service.as_ref().map(|r| r.view.clone()),
            "webhooks": webhooks
                .iter()
                .filter(|w| text(w, "/type") == Some("account"))
                .map(webhook)
                .collect::<Vec<_>>(),
        }),
    );
    extra.insert("verdicts".into(), json!(verdicts));
    Collected {
        items,
        status: Status::Complete,
        reason: None,
        extra,
    }
}

#[cfg(test)]
mod tests;
