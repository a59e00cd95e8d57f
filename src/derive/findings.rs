//! `findings.json`: reviewer-facing checks over the other artifacts, each with a stable id
//! (`FT-ACCESS-001`...), a `status` (`pass`, `fail` or `n/a`), the subjects behind it (`items`:
//! id, label and the field that matters) and what it `proves` and `cannot_prove`.
//!
//! A check is `n/a` when the artifact it reads could not be read at all (failed, forbidden or
//! absent): an empty list would otherwise read as a pass. Times are measured from the run's
//! start ([`Params::now`], the end of the `--since` window), never from the clock at derivation,
//! so the same sources always give the same findings.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::resources::{Artifact, Collected, Status};

use super::Sources;

#[path = "findings_access.rs"]
mod access;

/// `--inactive-days` when not given.
pub const DEFAULT_INACTIVE_DAYS: u32 = 90;
/// `--stale-days` when not given.
pub const DEFAULT_STALE_DAYS: u32 = 7;
/// More account administrators than this makes `FT-ACCESS-001` fail: a handful is enough to
/// run an account, and every further one widens who can change everything.
pub const ADMIN_LIMIT: usize = 3;

const ADMIN_ROLE: &str = "Account Administrator";

/// What the checks are measured against.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// The run's start: "inactive" and "stale" are counted back from it.
    pub now: Timestamp,
    /// `--inactive-days`: users and system keys unused longer than this are reported.
    pub inactive_days: u32,
    /// `--stale-days`: connections without a success for longer than this are reported.
    pub stale_days: u32,
}

impl Params {
    pub(super) fn cutoff(&self, days: u32) -> Timestamp {
        self.now - SignedDuration::from_hours(24 * i64::from(days))
    }
}

pub(super) fn text<'a>(item: &'a Value, pointer: &str) -> Option<&'a str> {
    item.pointer(pointer).and_then(Value::as_str)
}

pub(super) fn time(item: &Value, field: &str) -> Option<Timestamp> {
    text(item, &format!("/{field}")).and_then(|t| t.parse().ok())
}

pub(super) fn list<'a>(item: &'a Value, field: &str) -> &'a [Value] {
    item.get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub(super) fn subject(item: &Value, label: &str, field: &str, value: Value) -> Value {
    json!({"id": item.get("id"), "label": item.get(label), field: value})
}

/// One check's outcome before it is written.
pub(super) struct Check {
    id: &'static str,
    title: String,
    subjects: Vec<Value>,
    /// Overrides the pass/fail of "no subjects passes".
    status: Option<&'static str>,
    proves: &'static str,
    cannot_prove: &'static str,
}

impl Check {
    fn item(self, readable: bool) -> Value {
        let status = if !readable {
            "n/a"
        } else {
            self.status.unwrap_or(if self.subjects.is_empty() {
                "pass"
            } else {
                "fail"
            })
        };
        json!({
            "id": self.id,
            "title": self.title,
            "status": status,
            "count": self.subjects.len(),
            "items": self.subjects,
            "proves": self.proves,
            "cannot_prove": self.cannot_prove,
        })
    }
}

fn readable(sources: &Sources, artifacts: &[Artifact]) -> bool {
    artifacts.iter().all(|&a| {
        !matches!(
            sources.status(a),
            Status::Failed | Status::Forbidden | Status::Unavailable
        )
    })
}

/// What the artifact needs of its sources ([`super::Keep`]): of users and connections, only
/// the fields the checks read (there may be thousands); of the others, every item.
pub fn keep(artifact: Artifact, item: Value) -> Option<Value> {
    let fields: &[&str] = match artifact {
        Artifact::Users => &[
            "id",
            "email",
            "role",
            "active",
            "invited",
            "logged_in_at",
            "group_memberships",
            "connection_memberships",
        ],
        Artifact::Connections => &["id", "schema", "service", "paused", "succeeded_at"],
        _ => return Some(item),
    };
    let mut kept: serde_json::Map<String, Value> = fields
        .iter()
        .filter_map(|&f| item.get(f).map(|v| (f.to_owned(), v.clone())))
        .collect();
    if let Some(state) = item.pointer("/status/setup_state") {
        kept.insert("status".into(), json!({"setup_state": state}));
    }
    Some(Value::Object(kept))
}

/// Builds the artifact.
pub fn derive(sources: &Sources, params: &Params) -> Collected {
    let users = Artifact::Users;
    let both = [Artifact::Users, Artifact::Teams];
    let checks = [
        (access::admins(sources), readable(sources, &both)),
        (
            access::inactive(sources, params),
            readable(sources, &[users]),
        ),
        (access::invited(sources), readable(sources, &[users])),
        (access::suspended(sources), readable(sources, &both)),
        (access::team_and_direct(sources), readable(sources, &both)),
        (
            connections(sources, params),
            readable(sources, &[Artifact::Connections]),
        ),
        (
            audit(sources),
            readable(sources, &[Artifact::AuditCoverage]),
        ),
        (
            system_keys(sources, params),
            readable(sources, &[Artifact::SystemKeys]),
        ),
        (webhooks(sources), readable(sources, &[Artifact::Webhooks])),
    ];
    Collected {
        items: checks.into_iter().map(|(c, r)| c.item(r)).collect(),
        status: Status::Complete,
        reason: None,
        ..Collected::default()
    }
}

fn connections(sources: &Sources, params: &Params) -> Check {
    let cutoff = params.cutoff(params.stale_days);
    let subjects = sources
        .items(Artifact::Connections)
        .iter()
        .filter_map(|c| {
            let mut problems = Vec::new();
            if text(c, "/status/setup_state").is_some_and(|s| s.eq_ignore_ascii_case("broken")) {
                problems.push("broken");
            }
            if c.get("paused").and_then(Value::as_bool) == Some(true) {
                problems.push("paused");
            }
            match time(c, "succeeded_at") {
                None => problems.push("never_succeeded"),
                Some(t) if t < cutoff => problems.push("stale"),
                Some(_) => {}
            }
            (!problems.is_empty()).then(|| subject(c, "schema", "problems", json!(problems)))
        })
        .collect();
    Check {
        id: "FT-CONN-001",
        title: format!(
            "connections broken, paused, or without a successful sync in the last {} day(s)",
            params.stale_days
        ),
        subjects,
        status: None,
        proves: "the setup state, paused flag and last successful sync (succeeded_at) Fivetran \
                 reported for each connection when the run started",
        cannot_prove: "whether the data a successful sync delivered was complete or correct, \
                       or how the connection behaved between runs; a connection paused on \
                       purpose is listed too",
    }
}

fn audit(sources: &Sources) -> Check {
    let subjects = sources
        .items(Artifact::AuditCoverage)
        .iter()
        .filter(|d| text(d, "/verdict") == Some("not_exported"))
        .map(|d| subject(d, "name", "verdict", json!("not_exported")))
        .collect();
    Check {
        id: "FT-AUDIT-001",
        title: "destinations whose audit trail is not exported".to_owned(),
        subjects,
        status: None,
        proves: "per audit_coverage.json, no working Fivetran Platform Connector or log \
                 service exports these destinations' audit trail",
        cannot_prove: "that an exported trail is retained or reviewed; destinations with \
                       verdict `unknown` (sources not read in full) are not listed",
    }
}

fn system_keys(sources: &Sources, params: &Params) -> Check {
    let cutoff = params.cutoff(params.inactive_days);
    let subjects = sources
        .items(Artifact::SystemKeys)
        .iter()
        .filter_map(|k| {
            let mut problems = Vec::new();
            match time(k, "last_used_at") {
                None => problems.push("never_used"),
                Some(t) if t < cutoff => problems.push("long_unused"),
                Some(_) => {}
            }
            if k.get("expired_at").is_none_or(Value::is_null) {
                problems.push("no_expiry");
            }
            (!problems.is_empty()).then(|| subject(k, "name", "problems", json!(problems)))
        })
        .collect();
    Check {
        id: "FT-KEYS-001",
        title: format!(
            "system keys never used, unused for more than {} day(s), or without expiry",
            params.inactive_days
        ),
        subjects,
        status: None,
        proves: "last_used_at and expired_at as Fivetran reported them for each system key",
        cannot_prove: "who holds a key's secret or what it was used for; an unparseable \
                       last_used_at counts as never used",
    }
}

fn webhooks(sources: &Sources) -> Check {
    let subjects = sources
        .items(Artifact::Webhooks)
        .iter()
        .filter(|w| {
            !text(w, "/url").is_some_and(|u| {
                u.get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
            })
        })
        .map(|w| {
            subject(
                w,
                "type",
                "url",
                w.get("url").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    Check {
        id: "FT-HOOK-001",
        title: "webhooks pointing to a non-HTTPS URL".to_owned(),
        subjects,
        status: None,
        proves: "the scheme of each webhook's URL as configured in Fivetran",
        cannot_prove: "that an HTTPS endpoint's certificate is valid or that the receiver \
                       checks the signing secret",
    }
}

#[cfg(test)]
#[path = "findings_tests.rs"]
mod tests;
