//! `activity.json`: the activity facts the API does give, in one place, sorted by time.
//!
//! Each event is `{time, event, subject_type, subject_id, subject_label, actor, object, source,
//! field}`: `time` is the timestamp re-written with six fractional digits (so that text order
//! is time order), `actor` the user id Fivetran names as having done it (`connected_by`,
//! `created_by`) or null, `object` what a membership points to (`{type, id, role}`), `source`
//! and `field` where the fact comes from. These are single facts, not a history: Fivetran
//! keeps only the latest `logged_in_at` or `succeeded_at`, for example, so the event names say
//! `last_...`.
//!
//! | event | from |
//! |---|---|
//! | `user_created`, `user_last_login` | users `created_at`, `logged_in_at` |
//! | `group_membership_created`, `connection_membership_created` | users' embedded memberships |
//! | `team_membership_created`, `team_group_membership_created`, `team_connection_membership_created` | teams' embedded memberships |
//! | `connection_created` (actor `connected_by`), `connection_last_succeeded`, `connection_last_failed` | connections |
//! | `system_key_created`, `system_key_last_used`, `system_key_expiry` | system keys |
//! | `webhook_created` (actor `created_by`) | webhooks |
//! | `private_link_created`, `proxy_agent_registered`, `hybrid_deployment_agent_registered` (actor `created_by`), `hybrid_deployment_agent_last_used` | agents and links |

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::vocab::{Artifact, Collected, Sink, Status};

use super::{Each, Inputs};

/// Rewrites an API timestamp with a fixed six-digit fraction; `None` if it does not parse.
fn normalize(raw: &str) -> Option<String> {
    let t: Timestamp = raw.parse().ok()?;
    Some(t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
}

/// What one event is about.
fn subject<'a>(
    kind: &'static str,
    item: &'a Value,
    label_field: &'static str,
    source: Artifact,
) -> Subject<'a> {
    Subject {
        kind,
        item,
        label_field,
        source,
    }
}

/// What one event is about.
struct Subject<'a> {
    kind: &'static str,
    item: &'a Value,
    label_field: &'static str,
    source: Artifact,
}

/// Unreadable timestamps quoted in the reason; the rest are counted.
const QUOTED_UNPARSED: usize = 10;

struct Timeline<'e> {
    emit: &'e mut dyn FnMut(Value),
    unparsed: usize,
    quoted: Vec<String>,
}

impl Timeline<'_> {
    /// Adds `event` for `field` of the subject itself, if the field holds a time.
    fn add(&mut self, subject: &Subject<'_>, event: &str, field: &str, actor_field: Option<&str>) {
        self.add_from(subject, subject.item, event, field, actor_field, None);
    }

    /// Adds `event` timed by `field` of `holder` (the subject, or one of its memberships).
    fn add_from(
        &mut self,
        subject: &Subject<'_>,
        holder: &Value,
        event: &str,
        field: &str,
        actor_field: Option<&str>,
        object: Option<Value>,
    ) {
        let Some(raw) = holder.get(field).and_then(Value::as_str) else {
            return;
        };
        let id = subject.item.get("id").and_then(Value::as_str);
        let Some(time) = normalize(raw) else {
            self.unparsed += 1;
            if self.quoted.len() < QUOTED_UNPARSED {
                self.quoted.push(format!(
                    "{}.{field} of {}",
                    subject.source.name(),
                    id.unwrap_or("?").escape_debug()
                ));
            }
            return;
        };
        let actor = actor_field
            .and_then(|f| subject.item.get(f))
            .cloned()
            .unwrap_or(Value::Null);
        (self.emit)(json!({
            "time": time,
            "event": event,
            "subject_type": subject.kind,
            "subject_id": id,
            "subject_label": subject.item.get(subject.label_field),
            "actor": actor,
            "object": object,
            "source": subject.source.name(),
            "field": field,
        }));
    }

    /// Adds one event per membership in `subject.item[list]`, timed by its `created_at`.
    fn memberships(
        &mut self,
        subject: &Subject<'_>,
        list: &str,
        event: &str,
        kind: &str,
        key: &str,
    ) {
        let Some(members) = subject.item.get(list).and_then(Value::as_array) else {
            return;
        };
        for m in members {
            let object = json!({"type": kind, "id": m.get(key), "role": m.get("role")});
            self.add_from(subject, m, event, "created_at", None, Some(object));
        }
    }
}

/// Builds the artifact from the bundle being written, an item at a time.
pub(super) fn produce(inputs: &Inputs<'_>, sink: &mut dyn Sink) -> Collected {
    super::produce_streaming(Artifact::Activity, inputs, sink, derive_streaming)
}

/// Builds the artifact an item at a time: reads the sources through `each`, hands every event
/// to `emit` (in no particular order: the bundle sorts by time), and returns the status and
/// reason. Memory holds one source item and its events at a time.
pub fn derive_streaming(each: Each<'_>, emit: &mut dyn FnMut(Value)) -> (Status, Option<String>) {
    let mut t = Timeline {
        emit,
        unparsed: 0,
        quoted: Vec::new(),
    };
    each(Artifact::Users, &mut |user| {
        let s = subject("user", user, "email", Artifact::Users);
        t.add(&s, "user_created", "created_at", None);
        t.add(&s, "user_last_login", "logged_in_at", None);
        t.memberships(
            &s,
            "group_memberships",
            "group_membership_created",
            "group",
            "id",
        );
        t.memberships(
            &s,
            "connection_memberships",
            "connection_membership_created",
            "connection",
            "id",
        );
    });
    each(Artifact::Teams, &mut |team| {
        let s = subject("team", team, "name", Artifact::Teams);
        t.memberships(
            &s,
            "user_memberships",
            "team_membership_created",
            "user",
            "user_id",
        );
        t.memberships(
            &s,
            "group_memberships",
            "team_group_membership_created",
            "group",
            "id",
        );
        t.memberships(
            &s,
            "connection_memberships",
            "team_connection_membership_created",
            "connection",
            "id",
        );
    });
    each(Artifact::Connections, &mut |c| {
        let s = subject("connection", c, "schema", Artifact::Connections);
        t.add(&s, "connection_created", "created_at", Some("connected_by"));
        t.add(&s, "connection_last_succeeded", "succeeded_at", None);
        t.add(&s, "connection_last_failed", "failed_at", None);
    });
    each(Artifact::SystemKeys, &mut |k| {
        let s = subject("system_key", k, "name", Artifact::SystemKeys);
        t.add(&s, "system_key_created", "created_at", None);
        t.add(&s, "system_key_last_used", "last_used_at", None);
        t.add(&s, "system_key_expiry", "expired_at", None);
    });
    each(Artifact::Webhooks, &mut |w| {
        let s = subject("webhook", w, "url", Artifact::Webhooks);
        t.add(&s, "webhook_created", "created_at", Some("created_by"));
    });
    each(Artifact::PrivateLinks, &mut |p| {
        let s = subject("private_link", p, "name", Artifact::PrivateLinks);
        t.add(&s, "private_link_created", "created_at", Some("created_by"));
    });
    each(Artifact::ProxyAgents, &mut |p| {
        let s = subject("proxy_agent", p, "display_name", Artifact::ProxyAgents);
        t.add(
            &s,
            "proxy_agent_registered",
            "registered_at",
            Some("created_by"),
        );
    });
    each(Artifact::HybridDeploymentAgents, &mut |h| {
        let s = subject(
            "hybrid_deployment_agent",
            h,
            "display_name",
            Artifact::HybridDeploymentAgents,
        );
        t.add(
            &s,
            "hybrid_deployment_agent_registered",
            "registered_at",
            Some("created_by"),
        );
        t.add(
            &s,
            "hybrid_deployment_agent_last_used",
            "last_used_at",
            None,
        );
    });
    if t.unparsed == 0 {
        return (Status::Complete, None);
    }
    let more = t.unparsed - t.quoted.len();
    let mut reason = format!(
        "{} timestamp(s) could not be read and are left out: {}",
        t.unparsed,
        t.quoted.join(", ")
    );
    if more > 0 {
        reason.push_str(&format!("; and {more} more"));
    }
    (Status::Partial, Some(reason))
}

#[cfg(test)]
mod tests;
