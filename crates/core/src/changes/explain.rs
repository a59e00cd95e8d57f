//! Which audit events explain a change: the actions of the newer bundle's `audit_trail.json`
//! on the changed item, from the baseline's collection to the newer bundle's.
//!
//! A change is about an item ([`subjects`]: a user is a `USER`, a connection a `CONNECTION`,
//! a group or destination a `DESTINATION`, ...); an action is on that item when its `resource`
//! or `secondary` is. Each change gets `audit`:
//! - `explained`: the actions on the item at or after the baseline's start and before the
//!   newer bundle's (`events`: who, when, how; at most [`MAX_EVENTS`], `more_events` the rest);
//! - `unexplained`: none, although the audit trail covers from the baseline's start: no
//!   recorded user action made this change (it may still have been made after `covered_until`,
//!   the end of what was covered, the Platform Connector's last sync);
//! - `not_covered`: the newer bundle has no audit trail, or it does not cover from the
//!   baseline's start, so nothing can be said (`reason`).
//!
//! Only the actions on the changed items are kept while the audit trail streams past.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::vocab::{Artifact, Status};

use super::{Change, Snapshot};

/// Events listed per change, at most.
pub const MAX_EVENTS: usize = 20;

/// The item kinds of the audit trail a change of `artifact` may be about.
pub fn kinds(artifact: Artifact) -> &'static [&'static str] {
    match artifact {
        Artifact::Users => &["USER"],
        Artifact::Teams => &["TEAM"],
        Artifact::Roles => &["ROLE"],
        Artifact::SystemKeys => &["SYSTEM_KEY", "API_KEY"],
        Artifact::Groups | Artifact::Destinations => &["DESTINATION", "GROUP"],
        Artifact::Connections => &["CONNECTION", "CONNECTOR"],
        Artifact::Webhooks => &["WEBHOOK"],
        Artifact::LogServices => &["LOG_SERVICE", "EXTERNAL_LOGGING"],
        Artifact::PrivateLinks => &["PRIVATE_LINK"],
        Artifact::ProxyAgents => &["PROXY_AGENT"],
        Artifact::HybridDeploymentAgents => &["HYBRID_DEPLOYMENT_AGENT"],
        _ => &[],
    }
}

/// The audit-trail items a change is about: `(KIND, id)` pairs.
pub fn subjects(change: &Change) -> Vec<(String, String)> {
    kinds(change.artifact)
        .iter()
        .map(|k| ((*k).to_owned(), change.id.clone()))
        .collect()
}

/// Explains `changes` by the audit trail of `new`, between `old`'s start and `new`'s.
pub fn explain(changes: &mut [Change], old: &Snapshot<'_>, new: &Snapshot<'_>) {
    let from = old.started_at.as_deref().and_then(|t| t.parse().ok());
    let until = new.started_at.as_deref().and_then(|t| t.parse().ok());
    let mut collector = Collector::new(changes, from, until);
    let envelope = new.audit_trail(&mut |item| collector.add(&item));
    collector.finish(changes, envelope.as_ref());
}

/// The actions on the changed items, gathered as the audit trail streams past.
pub struct Collector {
    wanted: BTreeSet<(String, String)>,
    from: Option<Timestamp>,
    until: Option<Timestamp>,
    events: BTreeMap<(String, String), Vec<Value>>,
}

impl Collector {
    /// A collector for the items of `changes`, of actions in `[from, until)`.
    pub fn new(changes: &[Change], from: Option<Timestamp>, until: Option<Timestamp>) -> Self {
        Self {
            wanted: changes.iter().flat_map(subjects).collect(),
            from,
            until,
            events: BTreeMap::new(),
        }
    }

    /// Keeps `item` (an audit-trail item) if it acts on a changed item within the window.
    pub fn add(&mut self, item: &Value) {
        let Some(at) = item
            .get("at")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
        else {
            return;
        };
        if self.from.is_some_and(|f| at < f) || self.until.is_some_and(|u| at >= u) {
            return;
        }
        for field in ["resource", "secondary"] {
            let r = item.get(field).unwrap_or(&Value::Null);
            let (Some(kind), Some(id)) = (
                r.get("type").and_then(Value::as_str),
                r.get("id").and_then(Value::as_str),
            ) else {
                continue;
            };
            let key = (kind.to_ascii_uppercase(), id.to_owned());
            if self.wanted.contains(&key) {
                self.events.entry(key).or_default().push(event(item));
            }
        }
    }

    /// Sets each change's `audit`, given the audit trail's envelope (`None`: there is none).
    pub fn finish(self, changes: &mut [Change], envelope: Option<&Map<String, Value>>) {
        let coverage = coverage(envelope, self.from);
        for change in changes.iter_mut() {
            let mut found: Vec<Value> = subjects(change)
                .iter()
                .flat_map(|k| self.events.get(k).into_iter().flatten())
                .cloned()
                .collect();
            found.sort_by_cached_key(|e| (e["at"].to_string(), e["id"].to_string()));
            found.dedup_by(|a, b| a["id"] == b["id"]);
            let more = found.len().saturating_sub(MAX_EVENTS);
            found.truncate(MAX_EVENTS);
            change.audit = Some(match (&coverage, found.is_empty()) {
                (_, false) => json!({
                    "status": "explained",
                    "events": found,
                    "more_events": more,
                    "covered_until": coverage.as_ref().ok().cloned().flatten(),
                }),
                (Ok(until), true) => json!({
                    "status": "unexplained",
                    "events": [],
                    "more_events": 0,
                    "covered_until": until,
                }),
                (Err(reason), true) => json!({
                    "status": "not_covered",
                    "events": [],
                    "more_events": 0,
                    "covered_until": null,
                    "reason": reason,
                }),
            });
        }
    }
}

/// An action as a change lists it: who, when, how.
fn event(item: &Value) -> Value {
    let actor = item.get("actor").unwrap_or(&Value::Null);
    json!({
        "id": item.get("id"),
        "at": item.get("at"),
        "action": item.get("action"),
        "event": item.get("event"),
        "method": item.get("method"),
        "actor": {
            "user_id": actor.get("user_id"),
            "email": actor.get("email"),
        },
    })
}

/// Whether the audit trail covers from `from`: `Ok` with the end of what it covered, or `Err`
/// with why nothing can be said.
fn coverage(
    envelope: Option<&Map<String, Value>>,
    from: Option<Timestamp>,
) -> Result<Option<String>, String> {
    let Some(envelope) = envelope else {
        return Err("the newer bundle has no audit trail".to_owned());
    };
    let status: Option<Status> = envelope
        .get("status")
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    if matches!(
        status,
        None | Some(Status::Unavailable | Status::Failed | Status::Forbidden)
    ) {
        return Err(format!(
            "the newer bundle's audit trail is {}",
            status.map_or("unreadable", Status::name)
        ));
    }
    let Some(from) = from else {
        return Err("the baseline's start is unknown".to_owned());
    };
    let time = |w: &Value, k: &str| {
        w.get(k)
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
    };
    let ends: Vec<(Timestamp, String)> = envelope
        .get("sources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("window_covered"))
        .filter(|w| time(w, "start").is_some_and(|s| s <= from))
        .filter_map(|w| {
            let end = time(w, "end")?;
            (end > from).then(|| (end, w["end"].as_str().unwrap_or_default().to_owned()))
        })
        .collect();
    match ends.into_iter().max() {
        Some((_, end)) => Ok(Some(end)),
        None => Err(format!(
            "the newer bundle's audit trail does not cover from the baseline's collection ({})",
            crate::vocab::rfc3339(from)
        )),
    }
}

#[cfg(test)]
mod tests;
