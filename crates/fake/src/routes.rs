//! The fake server's routing: which path answers what.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as CURSOR;
use bytes::Bytes;
use jiff::{SignedDuration, Timestamp};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

#[cfg(feature = "faults")]
use crate::Transport;
use crate::{LastPage, State, SyncHistoryMode};

/// The widest `start_time`..`end_time` range `/sync-history` accepts, as documented.
const SYNC_HISTORY_MAX_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

/// The message of the fake's 404 when sync history is not offered ([`SyncHistoryMode::NotFound`]).
pub const SYNC_HISTORY_UNAVAILABLE: &str = "The requested resource could not be found";

/// Whether the fake offers `/connections/{id}/errors` (in Fivetran's changelog as a private
/// preview, absent from its OpenAPI file, so not offered to every account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionErrorsMode {
    /// Served from [`crate::FakeAccount::connection_errors`].
    #[default]
    Available,
    /// Every request answers 404 `{"code":"NotFound",...}`: not offered to this account.
    NotFound,
    /// Every request answers 501: an API that does not implement it.
    NotImplemented,
}

/// A response to send.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// How it is sent (faults may cut it short).
    #[cfg(feature = "faults")]
    pub transport: Transport,
}

impl Answer {
    /// An answer sent normally.
    pub(crate) fn new(status: u16, body: Bytes) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
            #[cfg(feature = "faults")]
            transport: Transport::Normal,
        }
    }
}

pub(crate) fn error(status: u16, code: &str, message: &str) -> Answer {
    let body = json!({"code": code, "message": message}).to_string();
    Answer::new(status, Bytes::from(body))
}

fn object(data: &Value) -> Answer {
    let body = json!({"code": "Success", "data": data}).to_string();
    Answer::new(200, Bytes::from(body))
}

pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

/// One page of `items`, as Fivetran pages: `skip` inside an opaque base64 cursor.
fn page(state: &State, items: &[Value], query: Option<&str>) -> Answer {
    let limit = match query_param(query, "limit").map(|l| l.parse::<usize>()) {
        None => 100,
        Some(Ok(l)) if (1..=1000).contains(&l) => l,
        Some(_) => return error(400, "BadRequest", "limit must be between 1 and 1000"),
    };
    let skip = match query_param(query, "cursor") {
        None => 0,
        Some(c) => match decode_cursor(&c) {
            Some(skip) => skip,
            None => return error(400, "BadRequest", "Invalid cursor"),
        },
    };
    let size = limit.min(state.options.page_size.max(1));
    let end = (skip + size).min(items.len());
    #[cfg_attr(not(feature = "faults"), allow(unused_mut))]
    let mut slice = items.get(skip..end).unwrap_or_default().to_vec();
    #[cfg(feature = "faults")]
    if state.faults.duplicate.take() {
        // An item of the previous page, else of the next, else of this one, shown again.
        let repeat = match skip {
            0 => items.get(end).or(slice.first()),
            _ => items.get(skip - 1),
        };
        if let Some(repeat) = repeat.cloned() {
            slice.insert(0, repeat);
            state.faults.duplicated.set(true);
        }
    }
    let mut data = json!({"items": slice});
    if end < items.len() {
        data["next_cursor"] = json!(encode_cursor(end));
    } else {
        match state.options.last_page {
            LastPage::Missing => {}
            LastPage::Null => data["next_cursor"] = Value::Null,
            LastPage::Empty => data["next_cursor"] = json!(""),
            LastPage::EmptyPage if skip < end => data["next_cursor"] = json!(encode_cursor(end)),
            LastPage::EmptyPage => {}
        }
    }
    object(&data)
}

/// The cursor for the page starting at `skip`, shaped like Fivetran's (`{"skip":N}`, base64).
pub fn encode_cursor(skip: usize) -> String {
    CURSOR.encode(json!({"skip": skip}).to_string())
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = CURSOR.decode(cursor).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("skip")?.as_u64().map(|n| n as usize)
}

/// The `id` of every item.
pub(crate) fn ids(items: &[Value]) -> std::collections::HashSet<String> {
    items
        .iter()
        .filter_map(|i| i.get("id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// The item of `items` whose `id` is `id`.
fn find<'a>(items: &'a [Value], id: &str) -> Option<&'a Value> {
    items
        .iter()
        .find(|i| i.get("id").and_then(Value::as_str) == Some(id))
}

/// The detail of listed item `id`: its entry in `details` with the list item's fields laid
/// over it, so that a test editing the list edits the detail too; the list item alone when it
/// has no entry; `None` when it is not listed.
fn listed_detail(
    items: &[Value],
    details: &std::collections::BTreeMap<String, Value>,
    id: &str,
) -> Option<Value> {
    let listed = find(items, id)?;
    let mut detail = details.get(id).cloned().unwrap_or_else(|| json!({}));
    if let (Some(detail), Some(listed)) = (detail.as_object_mut(), listed.as_object()) {
        detail.extend(listed.clone());
    }
    Some(detail)
}

/// The right answer to an authorized GET.
pub(crate) fn route(state: &State, path: &str, query: Option<&str>) -> Answer {
    if let Some(message) = state.account.forbidden.get(path) {
        return error(403, "Forbidden", message);
    }
    let segments: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let a = &state.account;
    let members = |map: &std::collections::BTreeMap<String, Vec<Value>>, id: &str| {
        map.get(id).cloned().unwrap_or_default()
    };
    match segs.as_slice() {
        ["v1", "account", "info"] => object(&a.account_info),
        ["v1", "users"] => page(state, &a.users, query),
        ["v1", "users", id] => match find(&a.users, id) {
            Some(user) => object(user),
            None => error(
                404,
                "NotFound_User",
                &format!("User with id '{id}' doesn't exist"),
            ),
        },
        ["v1", "users", id, sub @ ("groups" | "connections")] => {
            if !state.user_ids.contains(*id) {
                return error(
                    404,
                    "NotFound_User",
                    &format!("User with id '{id}' doesn't exist"),
                );
            }
            let map = if *sub == "groups" {
                &a.user_groups
            } else {
                &a.user_connections
            };
            page(state, &members(map, id), query)
        }
        ["v1", "roles"] => page(state, &a.roles, query),
        ["v1", "teams"] => page(state, &a.teams, query),
        [
            "v1",
            "teams",
            id,
            sub @ ("users" | "groups" | "connections"),
        ] => {
            if !state.team_ids.contains(*id) {
                return error(
                    404,
                    "NotFound_Team",
                    &format!("Team with id '{id}' doesn't exist"),
                );
            }
            let map = match *sub {
                "users" => &a.team_users,
                "groups" => &a.team_groups,
                _ => &a.team_connections,
            };
            page(state, &members(map, id), query)
        }
        ["v1", "groups"] => page(state, &a.groups, query),
        ["v1", "destinations"] => page(state, &a.destinations, query),
        ["v1", "destinations", id] => match a.destination_details.get(*id) {
            Some(d) => object(d),
            None => error(
                404,
                "NotFound_Destination",
                &format!("Destination with id '{id}' doesn't exist"),
            ),
        },
        ["v1", "connections"] => page(state, &a.connections, query),
        ["v1", "connections", id] => match a.connection_details.get(*id) {
            Some(c) => object(c),
            None => error(
                404,
                "NotFound_Connection",
                &format!("Connection with id '{id}' doesn't exist"),
            ),
        },
        ["v1", "connections", id, "schemas"] => {
            if !a.connection_details.contains_key(*id) {
                return error(
                    404,
                    "NotFound_Connection",
                    &format!("Connection with id '{id}' doesn't exist"),
                );
            }
            match a.connection_schemas.get(*id) {
                Some(s) => object(s),
                None => error(
                    404,
                    "NotFound_SchemaConfig",
                    &format!("Schema config for connection '{id}' doesn't exist"),
                ),
            }
        }
        [
            "v1",
            "connections",
            id,
            sub @ ("certificates" | "fingerprints"),
        ] => {
            if !a.connection_details.contains_key(*id) {
                return error(
                    404,
                    "NotFound_Connection",
                    &format!("Connection with id '{id}' doesn't exist"),
                );
            }
            let map = if *sub == "certificates" {
                &a.connection_certificates
            } else {
                &a.connection_fingerprints
            };
            page(state, &members(map, id), query)
        }
        [
            "v1",
            "destinations",
            id,
            sub @ ("certificates" | "fingerprints"),
        ] => {
            if !a.destination_details.contains_key(*id) {
                return error(
                    404,
                    "NotFound_Destination",
                    &format!("Destination with id '{id}' doesn't exist"),
                );
            }
            let map = if *sub == "certificates" {
                &a.destination_certificates
            } else {
                &a.destination_fingerprints
            };
            page(state, &members(map, id), query)
        }
        ["v1", "connections", id, "sync-history"] => sync_history(state, id, query),
        ["v1", "connections", id, "errors"] => connection_errors(state, id, query),
        ["v1", "webhooks"] => page(state, &a.webhooks, query),
        ["v1", "external-logging"] => page(state, &a.log_services, query),
        ["v1", "external-logging", "account"] => match &a.account_log_service {
            Some(s) => object(s),
            None => error(
                404,
                "NotFound_LogService",
                "Account-level log service not found",
            ),
        },
        ["v1", "external-logging", id] => {
            match listed_detail(&a.log_services, &a.log_service_details, id) {
                Some(s) => object(&s),
                None => error(
                    404,
                    "NotFound_LogService",
                    &format!("Log service with id '{id}' doesn't exist"),
                ),
            }
        }
        ["v1", "private-links", id] => {
            match listed_detail(&a.private_links, &a.private_link_details, id) {
                Some(l) => object(&l),
                None => error(404, "NotFound", &format!("Private link '{id}' not found")),
            }
        }
        ["v1", "groups", id, sub @ ("public-key" | "service-account")] => {
            if find(&a.groups, id).is_none() {
                return error(
                    404,
                    "NotFound_Group",
                    &format!("Group with id '{id}' doesn't exist"),
                );
            }
            let (map, made) = if *sub == "public-key" {
                (
                    &a.group_public_keys,
                    json!({"public_key": format!("ssh-rsa AAAAB3NzaC1yc2E{id} fivetran user key")}),
                )
            } else {
                (
                    &a.group_service_accounts,
                    json!({"service_account": format!("g-{id}@fivetran-production.iam.gserviceaccount.com")}),
                )
            };
            object(map.get(*id).unwrap_or(&made))
        }
        ["v1", "system-keys"] => page(state, &a.system_keys, query),
        ["v1", "system-keys", id] => match find(&a.system_keys, id) {
            Some(key) => object(key),
            None => error(404, "NotFound", &format!("System key '{id}' not found")),
        },
        ["v1", "private-links"] => page(state, &a.private_links, query),
        ["v1", "proxy"] => page(state, &a.proxy_agents, query),
        ["v1", "hybrid-deployment-agents"] => page(state, &a.hybrid_deployment_agents, query),
        ["v1", "connector-sdk", "packages"] => page(state, &a.connector_sdk_packages, query),
        ["v1", "external-secrets-managers"] => page(state, &a.secrets_managers, query),
        ["v1", "transformations"] => page(state, &a.transformations, query),
        ["v1", "transformation-projects"] => page(state, &a.transformation_projects, query),
        ["v1", "transformation-projects", id] => match a.transformation_project_details.get(*id) {
            Some(p) => object(p),
            None => error(
                404,
                "NotFound_TransformationProject",
                &format!("Transformation project with id '{id}' doesn't exist"),
            ),
        },
        _ => error(404, "NotFound_Endpoint", "No such endpoint in the fake"),
    }
}

/// `/connections/{id}/errors`: the connection's active errors, paged like any list, unless the
/// fake is told the endpoint is not offered.
fn connection_errors(state: &State, id: &str, query: Option<&str>) -> Answer {
    match state.options.connection_errors {
        ConnectionErrorsMode::Available => {}
        ConnectionErrorsMode::NotFound => return error(404, "NotFound", SYNC_HISTORY_UNAVAILABLE),
        ConnectionErrorsMode::NotImplemented => {
            return error(501, "NotImplemented", "Not implemented");
        }
    }
    let a = &state.account;
    if !a.connection_details.contains_key(id) {
        return error(
            404,
            "NotFound_Connection",
            &format!("Connection with id '{id}' doesn't exist"),
        );
    }
    let errors = a.connection_errors.get(id).cloned().unwrap_or_default();
    page(state, &errors, query)
}

/// `/connections/{id}/sync-history`: the connection's syncs that started in the requested
/// window, paged like any list.
fn sync_history(state: &State, id: &str, query: Option<&str>) -> Answer {
    match state.options.sync_history {
        SyncHistoryMode::Available => {}
        SyncHistoryMode::NotFound => return error(404, "NotFound", SYNC_HISTORY_UNAVAILABLE),
        SyncHistoryMode::BadRequest => {
            return error(
                400,
                "BadRequest",
                "Unrecognized query parameters: start_time, end_time",
            );
        }
    }
    let a = &state.account;
    if !a.connection_details.contains_key(id) {
        return error(
            404,
            "NotFound_Connection",
            &format!("Connection with id '{id}' doesn't exist"),
        );
    }
    let (start, end) = match sync_window(query) {
        Ok(window) => window,
        Err(message) => return error(400, "BadRequest", &message),
    };
    let started = |item: &Value| {
        item.get("start_time")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
    };
    let items: Vec<Value> = a
        .sync_history
        .get(id)
        .into_iter()
        .flatten()
        .filter(|item| started(item).is_some_and(|t| start <= t && t < end))
        .cloned()
        .collect();
    page(state, &items, query)
}

/// The `start_time` and `end_time` of a sync-history request. Both are required here (Fivetran
/// defaults a missing one to an hour from the other; the collector always sends both).
fn sync_window(query: Option<&str>) -> Result<(Timestamp, Timestamp), String> {
    let time = |name: &str| {
        let raw = query_param(query, name).ok_or_else(|| format!("{name} is required"))?;
        raw.parse::<Timestamp>()
            .map_err(|_| format!("{name} '{raw}' is not an ISO 8601 time"))
    };
    let (start, end) = (time("start_time")?, time("end_time")?);
    if end <= start {
        return Err("end_time must be after start_time".into());
    }
    if end.duration_since(start) > SYNC_HISTORY_MAX_WINDOW {
        return Err("The maximum allowed range between start_time and end_time is 7 days".into());
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests;
