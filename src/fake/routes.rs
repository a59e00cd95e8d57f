//! The fake server's routing: which path answers what.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as CURSOR;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::{LastPage, State, Transport};

/// A response to send.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub transport: Transport,
}

pub(crate) fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body: json!({"code": code, "message": message}).to_string(),
        transport: Transport::Normal,
    }
}

fn object(data: &Value) -> Answer {
    Answer {
        status: 200,
        headers: Vec::new(),
        body: json!({"code": "Success", "data": data}).to_string(),
        transport: Transport::Normal,
    }
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
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
    let slice = items.get(skip..end).unwrap_or_default();
    let mut data = json!({"items": slice});
    if end < items.len() {
        data["next_cursor"] = json!(encode_cursor(end));
    } else {
        match state.options.last_page {
            LastPage::Missing => {}
            LastPage::Null => data["next_cursor"] = Value::Null,
            LastPage::Empty => data["next_cursor"] = json!(""),
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

fn exists(items: &[Value], key: &str, id: &str) -> bool {
    items
        .iter()
        .any(|i| i.get(key).and_then(Value::as_str) == Some(id))
}

/// Answers an authorized GET.
pub(crate) fn answer(state: &mut State, path: &str, query: Option<&str>) -> Answer {
    let cursor = query_param(query, "cursor");
    if let Some(i) = state
        .faults
        .iter()
        .position(|f| f.times > 0 && f.path == path && (f.cursor.is_none() || f.cursor == cursor))
    {
        let fault = &mut state.faults[i];
        fault.times -= 1;
        return Answer {
            status: fault.status,
            headers: fault.headers.clone(),
            body: fault.body.clone(),
            transport: fault.transport,
        };
    }
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
        ["v1", "users", id, sub @ ("groups" | "connections")] => {
            if !exists(&a.users, "id", id) {
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
            if !exists(&a.teams, "id", id) {
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
        ["v1", "system-keys"] => page(state, &a.system_keys, query),
        ["v1", "private-links"] => page(state, &a.private_links, query),
        ["v1", "proxy"] => page(state, &a.proxy_agents, query),
        ["v1", "hybrid-deployment-agents"] => page(state, &a.hybrid_deployment_agents, query),
        _ => error(404, "NotFound_Endpoint", "No such endpoint in the fake"),
    }
}
