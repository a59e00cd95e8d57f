//! `findings.json`: reviewer-facing checks over the other artifacts, each with a stable id
//! (`FT-ACCESS-001`...), a `status` (`pass`, `fail` or `n/a`), the subjects behind it (`items`:
//! id, label and the field that matters) and what it `proves` and `cannot_prove`.
//!
//! A check is `n/a`, with its `reason`, when the artifact it reads could not be read at all
//! (failed, forbidden, unavailable or absent): an empty list would otherwise read as a pass. It
//! is `n/a` too when the evidence it needs is missing from items it did read, and nothing else
//! fails it: a `logged_in_at` that is not a time with a zone (FT-ACCESS-002, FT-ACCESS-003), a
//! destination whose audit coverage is `unknown` (FT-AUDIT-001). The audit-trail checks
//! ([`audit`]) read `audit_trail.json` and `changes.json` when the run wrote them (they are not
//! sources: without them those checks are `n/a`). Times are measured from the run's
//! start ([`Params::now`], the end of the `--since` window), never from the clock at derivation,
//! so the same sources always give the same findings.
//!
//! The sources stream past one item at a time ([`derive_from_bundle`]): each item is checked
//! as it arrives and only its failing subjects are kept, with the teams (a few hundred, read
//! first) and, per user id, the teams listing it. Users and connections, thousands on a big
//! account, are never held.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::evidence::bundle::Bundle;
use crate::vocab::{Artifact, Collected, Status};

use super::{Inputs, Sources, mark_incomplete_sources};

mod access;
mod audit;
mod code;

/// The id of every check, in the order `findings.json` lists them; `controls::of_finding`
/// maps each to the controls it gives evidence for.
pub const CHECK_IDS: [&str; 15] = [
    "FT-ACCESS-001",
    "FT-ACCESS-002",
    "FT-ACCESS-003",
    "FT-ACCESS-004",
    "FT-ACCESS-005",
    "FT-CONN-001",
    "FT-AUDIT-001",
    "FT-KEYS-001",
    "FT-HOOK-001",
    "FT-TRUST-001",
    "FT-CODE-001",
    "FT-SECRET-001",
    "FT-AUDIT-002",
    "FT-AUDIT-003",
    "FT-AUDIT-004",
];

/// `--inactive-days` when not given.
pub const DEFAULT_INACTIVE_DAYS: u32 = 90;
/// `--stale-days` when not given.
pub const DEFAULT_STALE_DAYS: u32 = 7;
/// `--max-admins` when not given: more account administrators than this makes `FT-ACCESS-001`
/// fail. A handful is enough to run an account, and every further one widens who can change
/// everything.
pub const DEFAULT_MAX_ADMINS: u32 = 3;

const ADMIN_ROLE: &str = "Account Administrator";

/// What the checks are measured against.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// The run's start: "inactive" and "stale" are counted back from it.
    pub now: Timestamp,
    /// The start of the collection window (`--since`): `FT-CODE-001` reports the SDK packages
    /// created or updated from it to [`Params::now`].
    pub since: Timestamp,
    /// `--inactive-days`: users and system keys unused longer than this are reported.
    pub inactive_days: u32,
    /// `--stale-days`: connections without a success for longer than this are reported.
    pub stale_days: u32,
    /// `--max-admins`: more account administrators than this fail `FT-ACCESS-001`.
    pub max_admins: u32,
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
    /// Evidence the check needed and did not find in the items it read: with no subject to
    /// fail it, the check is `n/a` for this reason rather than a pass.
    missing: Option<String>,
    proves: &'static str,
    cannot_prove: &'static str,
}

impl Check {
    /// The check's item; `unreadable` says why its source could not be read, if it could not.
    fn item(self, unreadable: Option<String>) -> Value {
        let (status, reason) = match (unreadable, self.missing) {
            (Some(why), _) => ("n/a", Some(why)),
            (None, Some(why)) if self.status.is_none() && self.subjects.is_empty() => {
                ("n/a", Some(why))
            }
            (None, missing) => {
                let status = self.status.unwrap_or(if self.subjects.is_empty() {
                    "pass"
                } else {
                    "fail"
                });
                (status, missing)
            }
        };
        json!({
            "id": self.id,
            "title": self.title,
            "status": status,
            "reason": reason,
            "count": self.subjects.len(),
            "items": self.subjects,
            "proves": self.proves,
            "cannot_prove": self.cannot_prove,
        })
    }
}

/// Why the check's sources cannot be read, if one cannot: failed, forbidden or absent.
fn unreadable(sources: &Sources, artifacts: &[Artifact]) -> Option<String> {
    let unread: Vec<String> = artifacts
        .iter()
        .filter(|&&a| {
            matches!(
                sources.status(a),
                Status::Failed | Status::Forbidden | Status::Unavailable
            )
        })
        .map(|&a| format!("{} ({})", a.file_name(), sources.status(a).name()))
        .collect();
    (!unread.is_empty()).then(|| {
        format!(
            "the artifact it reads could not be read: {}",
            unread.join(", ")
        )
    })
}

/// Ids quoted in a reason at most.
const QUOTED: usize = 3;

/// `what` for `ids`, the first few quoted: `2 destination(s) (a, b)`.
pub(super) fn some_of(ids: &[String], what: &str) -> String {
    let mut quoted: Vec<&str> = ids.iter().take(QUOTED).map(String::as_str).collect();
    let more = ids.len().saturating_sub(QUOTED);
    let and_more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    quoted.sort_unstable();
    format!("{} {what} ({}{and_more})", ids.len(), quoted.join(", "))
}

/// The order the sources are read in. Teams come before users: a user's checks need the teams
/// that list them, and users are checked as they stream past. The other sources are
/// independent of each other.
pub const READ_ORDER: [Artifact; 11] = [
    Artifact::Teams,
    Artifact::Users,
    Artifact::Connections,
    Artifact::Destinations,
    Artifact::ConnectorSdkPackages,
    Artifact::SecretsManagers,
    Artifact::SystemKeys,
    Artifact::Webhooks,
    Artifact::AuditCoverage,
    Artifact::Certificates,
    Artifact::Fingerprints,
];

/// What is read after the sources, when the run wrote it: the audit trail and the changes
/// (produced before findings, but not its sources: without them, their checks are `n/a`).
pub const ALSO_READ: [Artifact; 2] = [Artifact::AuditTrail, Artifact::Changes];

/// The checks as the sources stream past: each source item is checked when it arrives and
/// only the subjects that fail are kept.
struct Builder {
    params: Params,
    access: access::AccessChecks,
    trail: audit::TrailChecks,
    code: code::CodeChecks,
    connections: Vec<Value>,
    audit: Vec<Value>,
    /// Destinations whose audit coverage is `unknown`.
    audit_unknown: Vec<String>,
    system_keys: Vec<Value>,
    webhooks: Vec<Value>,
    /// The ids of active users, for `FT-TRUST-001` (ids only: users are not held).
    active_users: std::collections::HashSet<String>,
    /// Approvals by someone who is not an active user.
    approvals: Vec<Value>,
}

impl Builder {
    fn new(params: Params) -> Self {
        Self {
            params,
            access: access::AccessChecks::default(),
            trail: audit::TrailChecks::default(),
            code: code::CodeChecks::default(),
            connections: Vec::new(),
            audit: Vec::new(),
            audit_unknown: Vec::new(),
            system_keys: Vec::new(),
            webhooks: Vec::new(),
            active_users: std::collections::HashSet::new(),
            approvals: Vec::new(),
        }
    }

    /// Checks one item of `artifact`. Items come in [`READ_ORDER`].
    fn add(&mut self, artifact: Artifact, item: &Value) {
        let found = match artifact {
            Artifact::Teams => {
                self.access.add_team(item);
                None
            }
            Artifact::Users => {
                self.access.add_user(item, &self.params);
                if item.get("active").and_then(Value::as_bool) == Some(true)
                    && let Some(id) = text(item, "/id")
                {
                    self.active_users.insert(id.to_owned());
                }
                None
            }
            Artifact::Certificates | Artifact::Fingerprints => {
                approval(item, artifact, &self.active_users).map(|s| (&mut self.approvals, s))
            }
            Artifact::Connections => {
                self.code.add_reference(item, "connection");
                connection(item, &self.params).map(|s| (&mut self.connections, s))
            }
            Artifact::Destinations => {
                self.code.add_reference(item, "destination");
                None
            }
            Artifact::ConnectorSdkPackages => {
                self.code.add_package(item, &self.params);
                None
            }
            Artifact::SecretsManagers => {
                self.code.add_manager(item);
                None
            }
            Artifact::AuditCoverage => {
                if text(item, "/verdict") == Some("unknown") {
                    let id = text(item, "/id").unwrap_or("(without an id)");
                    self.audit_unknown.push(id.to_owned());
                }
                audit(item).map(|s| (&mut self.audit, s))
            }
            Artifact::SystemKeys => {
                system_key(item, &self.params).map(|s| (&mut self.system_keys, s))
            }
            Artifact::Webhooks => webhook(item).map(|s| (&mut self.webhooks, s)),
            Artifact::AuditTrail => {
                self.trail.add_action(item);
                None
            }
            Artifact::Changes => {
                self.trail.add_change(item);
                None
            }
            _ => None,
        };
        if let Some((subjects, subject)) = found {
            subjects.push(subject);
        }
    }

    /// Drops what the items of `artifact` added: it could not be read in full, so it counts
    /// as absent (its checks `n/a` with no subjects), as a source that was never written.
    fn forget(&mut self, artifact: Artifact) {
        match artifact {
            Artifact::Teams => self.access.forget(artifact),
            Artifact::Users => {
                self.access.forget(artifact);
                // Read before the approvals: they are then judged as with no users at all.
                self.active_users.clear();
            }
            Artifact::Connections => {
                self.connections.clear();
                self.code.forget_references();
            }
            Artifact::Destinations => self.code.forget_references(),
            Artifact::ConnectorSdkPackages => self.code.forget_packages(),
            Artifact::SecretsManagers => self.code.forget_managers(),
            Artifact::AuditCoverage => {
                self.audit.clear();
                self.audit_unknown.clear();
            }
            Artifact::SystemKeys => self.system_keys.clear(),
            Artifact::Webhooks => self.webhooks.clear(),
            Artifact::AuditTrail | Artifact::Changes => self.trail.forget(artifact),
            Artifact::Certificates | Artifact::Fingerprints => self.approvals.clear(),
            _ => {}
        }
    }

    /// The artifact, each check `n/a` when a source it reads has an unreadable status.
    fn finish(self, sources: &Sources) -> Collected {
        let users = Artifact::Users;
        let both = [Artifact::Users, Artifact::Teams];
        let params = self.params;
        let [admins, inactive, invited, suspended, team_and_direct] = self.access.finish(&params);
        let [unexplained, departed, secrets] = self.trail.finish();
        let [packages, mut managers] = self.code.finish();
        let references = [
            Artifact::SecretsManagers,
            Artifact::Connections,
            Artifact::Destinations,
        ];
        let trail = [Artifact::AuditTrail];
        let checks = [
            (admins, unreadable(sources, &both)),
            (inactive, unreadable(sources, &[users])),
            (invited, unreadable(sources, &[users])),
            (suspended, unreadable(sources, &both)),
            (team_and_direct, unreadable(sources, &both)),
            (
                connections_check(self.connections, &params),
                unreadable(sources, &[Artifact::Connections]),
            ),
            (
                audit_check(self.audit, &self.audit_unknown),
                unreadable(sources, &[Artifact::AuditCoverage]),
            ),
            (
                system_keys_check(self.system_keys, &params),
                unreadable(sources, &[Artifact::SystemKeys]),
            ),
            (
                webhooks_check(self.webhooks),
                unreadable(sources, &[Artifact::Webhooks]),
            ),
            (
                approvals_check(self.approvals),
                unreadable(
                    sources,
                    &[users, Artifact::Certificates, Artifact::Fingerprints],
                ),
            ),
            (
                packages,
                unreadable(sources, &[Artifact::ConnectorSdkPackages]),
            ),
            {
                // Without the whole list every reference would look missing: none is kept.
                let why = code::managers_unreadable(sources, &references);
                if why.is_some() {
                    managers.subjects.clear();
                }
                (managers, why)
            },
            (
                unexplained,
                unreadable(sources, &[Artifact::AuditTrail, Artifact::Changes]),
            ),
            (departed, unreadable(sources, &trail)),
            (secrets, unreadable(sources, &trail)),
        ];
        Collected {
            items: checks.into_iter().map(|(c, r)| c.item(r)).collect(),
            status: Status::Complete,
            reason: None,
            ..Collected::default()
        }
    }
}

/// Builds the artifact from the bundle being written.
pub(super) fn produce(inputs: &Inputs<'_>) -> Collected {
    let (collected, loaded) = derive_from_bundle(inputs.bundle, &inputs.findings);
    let produced = collected.items.len();
    mark_incomplete_sources(collected, produced, &loaded, Artifact::Findings.sources())
}

/// Builds the artifact from the bundle being written, reading its sources back an item at a
/// time in [`READ_ORDER`]. Returns it with the sources' statuses (for
/// [`super::mark_incomplete_sources`]); memory holds one source item at a time, the teams, and
/// the subjects found.
pub fn derive_from_bundle(bundle: &Bundle, params: &Params) -> (Collected, Sources) {
    let mut builder = Builder::new(*params);
    let mut sources = Sources::default();
    for artifact in READ_ORDER.into_iter().chain(ALSO_READ) {
        if !sources.read(bundle, artifact, |item| builder.add(artifact, &item)) {
            builder.forget(artifact);
        }
    }
    (builder.finish(&sources), sources)
}

/// A connection's subject for `FT-CONN-001`, if it is broken, paused or stale.
fn connection(c: &Value, params: &Params) -> Option<Value> {
    let cutoff = params.cutoff(params.stale_days);
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
}

fn connections_check(subjects: Vec<Value>, params: &Params) -> Check {
    Check {
        id: "FT-CONN-001",
        title: format!(
            "connections broken, paused, or without a successful sync in the last {} day(s)",
            params.stale_days
        ),
        subjects,
        status: None,
        missing: None,
        proves: "the setup state, paused flag and last successful sync (succeeded_at) Fivetran \
                 reported for each connection when the run started",
        cannot_prove: "whether the data a successful sync delivered was complete or correct, \
                       or how the connection behaved between runs; a connection paused on \
                       purpose is listed too",
    }
}

/// A destination's subject for `FT-AUDIT-001`, if its audit trail is not exported.
fn audit(d: &Value) -> Option<Value> {
    (text(d, "/verdict") == Some("not_exported"))
        .then(|| subject(d, "name", "verdict", json!("not_exported")))
}

fn audit_check(subjects: Vec<Value>, unknown: &[String]) -> Check {
    Check {
        id: "FT-AUDIT-001",
        title: "destinations whose audit trail is not exported".to_owned(),
        subjects,
        status: None,
        missing: (!unknown.is_empty()).then(|| {
            format!(
                "{} have verdict `unknown` in audit_coverage.json: whether their audit trail is exported cannot be told",
                some_of(unknown, "destination(s)")
            )
        }),
        proves: "per audit_coverage.json, no working Fivetran Platform Connector or log \
                 service exports these destinations' audit trail",
        cannot_prove: "that an exported trail is retained or reviewed; destinations with \
                       verdict `unknown` (sources not read in full, or a route whose state \
                       Fivetran leaves out) are not listed: with none listed, they make the \
                       check `n/a`",
    }
}

/// A system key's subject for `FT-KEYS-001`, if it is unused or never expires.
fn system_key(k: &Value, params: &Params) -> Option<Value> {
    let cutoff = params.cutoff(params.inactive_days);
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
}

fn system_keys_check(subjects: Vec<Value>, params: &Params) -> Check {
    Check {
        id: "FT-KEYS-001",
        title: format!(
            "system keys never used, unused for more than {} day(s), or without expiry",
            params.inactive_days
        ),
        subjects,
        status: None,
        missing: None,
        proves: "last_used_at and expired_at as Fivetran reported them for each system key",
        cannot_prove: "who holds a key's secret or what it was used for; an unparseable \
                       last_used_at counts as never used",
    }
}

/// A webhook's subject for `FT-HOOK-001`, if its URL is not HTTPS.
fn webhook(w: &Value) -> Option<Value> {
    let https = text(w, "/url").is_some_and(|u| {
        u.get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
    });
    (!https).then(|| {
        subject(
            w,
            "type",
            "url",
            w.get("url").cloned().unwrap_or(Value::Null),
        )
    })
}

fn webhooks_check(subjects: Vec<Value>) -> Check {
    Check {
        id: "FT-HOOK-001",
        title: "webhooks pointing to a non-HTTPS URL".to_owned(),
        subjects,
        status: None,
        missing: None,
        proves: "the scheme of each webhook's URL as configured in Fivetran",
        cannot_prove: "that an HTTPS endpoint's certificate is valid or that the receiver \
                       checks the signing secret",
    }
}

/// An approval's subject for `FT-TRUST-001`, if whoever approved it is not an active user.
fn approval(
    a: &Value,
    artifact: Artifact,
    active: &std::collections::HashSet<String>,
) -> Option<Value> {
    let by = text(a, "/validated_by");
    if by.is_some_and(|id| active.contains(id)) {
        return None;
    }
    let kind = if artifact == Artifact::Certificates {
        "certificate"
    } else {
        "fingerprint"
    };
    Some(json!({
        "id": a.get("sort_key"),
        "label": format!("{kind} of {} {}", text(a, "/parent_type").unwrap_or("?"), text(a, "/parent_id").unwrap_or("?")),
        "validated_by": a.get("validated_by"),
    }))
}

fn approvals_check(subjects: Vec<Value>) -> Check {
    Check {
        id: "FT-TRUST-001",
        title: "TLS certificates or SSH host keys approved by someone who is not an active user"
            .to_owned(),
        subjects,
        status: None,
        missing: None,
        proves: "for each certificate and fingerprint in certificates.json and \
                 fingerprints.json, whether its validated_by names a user users.json lists as \
                 active: trust granted by people who have left or been suspended is listed for \
                 review",
        cannot_prove: "that an approval by an active user was right, or that the certificate \
                       or key is still the one the host presents; approvals of parents the \
                       collector did not ask (certificates.json's not_asked) are not seen",
    }
}

#[cfg(test)]
mod tests;
