//! Rows into items of `audit_trail.json`, one per user action.
//!
//! An item: `sort_key` (`<at>|<id>`: time, then id), `id` (`audit_trail:<row id>` or
//! `log:<row id>`), `at` (RFC 3339 UTC, microseconds), `action` (`AUDIT_TRAIL`'s own, or the
//! verb of `LOG`'s event: `CREATE`, `EDIT`, `DELETE`, `PAUSE`, `RESUME`, `SYNC`, `GENERATE`,
//! else the event upper-cased), `event` (`LOG`'s `message_event`, null for `AUDIT_TRAIL`),
//! `method` (`interaction_method`, null for `LOG`), `actor` (see [`super::actors`]),
//! `resource` and `secondary` (`{type, id, name}`, the name from the bundle where it knows
//! it), `old_values` and `new_values` (`AUDIT_TRAIL`'s, parsed), `details` (`LOG`'s
//! `message_data`, parsed), and `source` (`{destination, platform_connector, schema, table,
//! row_id, also_in_log}`). The bundle writer redacts them like every other item.
//!
//! A `LOG` row is a user action when its `message_data` has an `actor`; the actor `fivetran`
//! makes it a system action, counted, not listed. An `AUDIT_TRAIL` row is a user action unless
//! it names no user (or `fivetran`). A row whose value cannot be read (too large, not JSON) is
//! kept, with what could be read and `_iru.incomplete` saying what could not.

use serde_json::{Map, Value, json};

use crate::vocab::{NOTES_KEY, rfc3339_micros};
use crate::warehouse::{AuditTrailRow, Field, LogRow, MAX_FIELD_BYTES};

use super::actors::{Actors, is_system};
use super::known::Known;

/// Where the rows come from, for `source`.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The destination (group) id of the Platform Connector.
    pub destination: Option<String>,
    /// The Platform Connector.
    pub platform_connector: String,
    /// The schema read.
    pub schema: String,
}

/// What a row turned out to be.
#[derive(Debug)]
pub enum Outcome {
    /// A user action: the item, and whether a value could not be read.
    Action {
        /// The item.
        item: Value,
        /// Whether `_iru.incomplete` is set.
        incomplete: bool,
    },
    /// Fivetran's own action.
    System,
    /// Not an action (no actor).
    Chatter,
}

/// What identifies an action across the two tables, for de-duplication: the resource, the
/// verb (a pause or resume is an `EDIT` of `AUDIT_TRAIL`) and the actor's user id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionKey {
    /// `CONNECTION`, `USER`, ...
    pub resource_type: String,
    /// The resource's id.
    pub resource_id: String,
    /// `CREATE`, `EDIT`, `DELETE`, ...
    pub verb: String,
    /// The actor's user id.
    pub actor: String,
}

/// The verb of a `LOG` event.
pub fn verb(event: &str) -> String {
    let head = event.split('_').next().unwrap_or(event);
    match head {
        "create" => "CREATE",
        "edit" | "change" | "update" => "EDIT",
        "delete" => "DELETE",
        "pause" => "PAUSE",
        "resume" => "RESUME",
        "sync" | "force" | "resync" => "SYNC",
        "generate" => "GENERATE",
        _ => return event.to_ascii_uppercase(),
    }
    .to_owned()
}

/// The verb two tables agree on: pausing and resuming are edits.
fn matching_verb(verb: &str) -> String {
    match verb {
        "PAUSE" | "RESUME" => "EDIT".to_owned(),
        other => other.to_ascii_uppercase(),
    }
}

/// The resource a `LOG` event is about: its type and id.
pub fn log_subject(
    event: &str,
    connection_id: Option<&str>,
    data: &Value,
    actor_id: Option<&str>,
    known: &Known,
) -> (Option<&'static str>, Option<String>) {
    let data_id = data.get("id").and_then(Value::as_str).map(str::to_owned);
    let connection = || connection_id.map(str::to_owned).or_else(|| data_id.clone());
    let (kind, id) = if event.ends_with("_connection")
        || event.ends_with("_connector")
        || matches!(event, "change_schema_config" | "resync_table")
    {
        ("CONNECTION", connection())
    } else if event.ends_with("_user") {
        ("USER", data_id)
    } else if event.ends_with("_team") {
        ("TEAM", data_id)
    } else if event.ends_with("_destination") {
        ("DESTINATION", data_id)
    } else if event == "edit_account" {
        ("ACCOUNT", known.account_id.clone())
    } else if event == "generate_api_secret" {
        ("API_KEY", actor_id.map(str::to_owned))
    } else {
        return (None, connection());
    };
    (Some(kind), id)
}

fn resource(known: &Known, kind: Option<&str>, id: Option<&str>) -> Value {
    if kind.is_none() && id.is_none() {
        return Value::Null;
    }
    let name = match (kind, id) {
        (Some(kind), Some(id)) => known.name_of(kind, id),
        _ => None,
    };
    json!({"type": kind, "id": id, "name": name})
}

/// A JSON value of a row: the value, or null and why it could not be read.
fn parse(field: &Field, column: &str, problems: &mut Vec<String>) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::TooLarge(bytes) => {
            problems.push(format!(
                "{column} is {bytes} bytes, over the {MAX_FIELD_BYTES}-byte bound: not read"
            ));
            Value::Null
        }
        Field::Text(text) => serde_json::from_str(text).unwrap_or_else(|e| {
            problems.push(format!(
                "{column} is not valid JSON ({} bytes; line {}, column {}): not kept",
                text.len(),
                e.line(),
                e.column()
            ));
            Value::Null
        }),
    }
}

fn finish(mut item: Map<String, Value>, problems: Vec<String>) -> Outcome {
    let incomplete = !problems.is_empty();
    if incomplete {
        item.insert(NOTES_KEY.into(), json!({ "incomplete": problems }));
    }
    Outcome::Action {
        item: Value::Object(item),
        incomplete,
    }
}

fn source(origin: &Origin, table: &str, row_id: &str) -> Map<String, Value> {
    let mut source = Map::new();
    source.insert("destination".into(), json!(origin.destination));
    source.insert(
        "platform_connector".into(),
        json!(origin.platform_connector),
    );
    source.insert("schema".into(), json!(origin.schema));
    source.insert("table".into(), json!(table));
    source.insert("row_id".into(), json!(row_id));
    source
}

/// A `LOG` row: its outcome, and the key to match it with an `AUDIT_TRAIL` row.
pub fn from_log(
    row: &LogRow,
    origin: &Origin,
    known: &Known,
    actors: &Actors,
) -> (Outcome, Option<ActionKey>) {
    let mut problems = Vec::new();
    let data = parse(&row.message_data, "message_data", &mut problems);
    let actor = data.get("actor");
    let actor_text = actor.and_then(Value::as_str);
    if problems.is_empty() {
        match actor {
            None => return (Outcome::Chatter, None),
            Some(Value::String(a)) if is_system(Some(a)) => return (Outcome::System, None),
            Some(Value::String(_)) => {}
            Some(_) => problems.push("message_data.actor is not a string".to_owned()),
        }
    }
    let event = row.message_event.clone().unwrap_or_default();
    let action = verb(&event);
    let actor_value = actor_text.map_or(Value::Null, |a| actors.resolve(known, a));
    let actor_id = actor_value
        .get("user_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let (kind, id) = log_subject(
        &event,
        row.connection_id.as_deref(),
        &data,
        actor_id.as_deref(),
        known,
    );
    let key = match (kind, &id, &actor_id) {
        (Some(kind), Some(id), Some(actor)) => Some(ActionKey {
            resource_type: kind.to_owned(),
            resource_id: id.clone(),
            verb: matching_verb(&action),
            actor: actor.clone(),
        }),
        _ => None,
    };
    let at = rfc3339_micros(row.key.at);
    let item_id = format!("log:{}", row.key.id);
    let mut item = Map::new();
    item.insert("sort_key".into(), json!(format!("{at}|{item_id}")));
    item.insert("id".into(), json!(item_id));
    item.insert("at".into(), json!(at));
    item.insert("action".into(), json!(action));
    item.insert("event".into(), json!(row.message_event));
    item.insert("method".into(), Value::Null);
    item.insert("actor".into(), actor_value);
    item.insert("resource".into(), resource(known, kind, id.as_deref()));
    item.insert("secondary".into(), Value::Null);
    item.insert("old_values".into(), Value::Null);
    item.insert("new_values".into(), Value::Null);
    item.insert("details".into(), data);
    let mut src = source(origin, "log", &row.key.id);
    src.insert("log_event".into(), json!(row.event));
    src.insert("sync_id".into(), json!(row.sync_id));
    item.insert("source".into(), Value::Object(src));
    (finish(item, problems), key)
}

/// The key of an `AUDIT_TRAIL` row, if it is a user action that names its resource.
pub fn audit_trail_key(row: &AuditTrailRow) -> Option<ActionKey> {
    if is_system(row.user_id.as_deref()) {
        return None;
    }
    Some(ActionKey {
        resource_type: row.primary_resource_type.clone()?.to_ascii_uppercase(),
        resource_id: row.primary_resource_id.clone()?,
        verb: matching_verb(row.action.as_deref()?),
        actor: row.user_id.clone()?,
    })
}

/// An `AUDIT_TRAIL` row; `also_in_log` names the `LOG` rows of the same action.
pub fn from_audit_trail(
    row: &AuditTrailRow,
    origin: &Origin,
    known: &Known,
    actors: &Actors,
    also_in_log: &[String],
) -> Outcome {
    let Some(user_id) = row.user_id.as_deref().filter(|u| !is_system(Some(u))) else {
        return Outcome::System;
    };
    let mut problems = Vec::new();
    let old_values = parse(&row.old_values, "old_values", &mut problems);
    let new_values = parse(&row.new_values, "new_values", &mut problems);
    let at = rfc3339_micros(row.key.at);
    let item_id = format!("audit_trail:{}", row.key.id);
    let mut item = Map::new();
    item.insert("sort_key".into(), json!(format!("{at}|{item_id}")));
    item.insert("id".into(), json!(item_id));
    item.insert("at".into(), json!(at));
    item.insert("action".into(), json!(row.action));
    item.insert("event".into(), Value::Null);
    item.insert("method".into(), json!(row.interaction_method));
    item.insert("actor".into(), actors.resolve(known, user_id));
    item.insert(
        "resource".into(),
        resource(
            known,
            row.primary_resource_type.as_deref(),
            row.primary_resource_id.as_deref(),
        ),
    );
    item.insert(
        "secondary".into(),
        resource(
            known,
            row.secondary_resource_type.as_deref(),
            row.secondary_resource_id.as_deref(),
        ),
    );
    item.insert("old_values".into(), old_values);
    item.insert("new_values".into(), new_values);
    item.insert("details".into(), Value::Null);
    let mut src = source(origin, "audit_trail", &row.key.id);
    src.insert("also_in_log".into(), json!(also_in_log));
    item.insert("source".into(), Value::Object(src));
    finish(item, problems)
}

#[cfg(test)]
mod tests;
