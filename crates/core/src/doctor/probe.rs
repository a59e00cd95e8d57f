//! The probes: one request per resource, each turned into a [`Probe`] row.
//!
//! Lists are asked for their first page only. Four follow-ups need an item, and use the
//! smallest id of the first page so the same account gives the same requests: one user's
//! group memberships (the per-user fan-out of `users`), one connection's schema config (a
//! separate read from the connection list), that connection's active errors and its sync
//! history over the last day (two endpoints some accounts are not offered, which is fine: see
//! [`crate::resources::connection_errors`] and [`crate::resources::sync_history`]; their
//! answers are judged as `collect` judges its first one). With an empty or unreadable list
//! the follow-up is skipped: nothing to ask about.

use serde::Serialize;
use serde_json::Value;

use crate::client::{ApiError, Client};
use crate::endpoints::{self as ep, Endpoint};
use crate::resources::{connection_errors, sync_history};
use crate::vocab::{Status as ArtifactStatus, Window};

use super::hints;

/// The list probes, in the order `collect` writes their artifacts.
pub const LISTS: [(&str, Endpoint); 16] = [
    ("users", ep::USERS),
    ("roles", ep::ROLES),
    ("teams", ep::TEAMS),
    ("groups", ep::GROUPS),
    ("destinations", ep::DESTINATIONS),
    ("connections", ep::CONNECTIONS),
    ("webhooks", ep::WEBHOOKS),
    ("log_services", ep::LOG_SERVICES),
    ("system_keys", ep::SYSTEM_KEYS),
    ("private_links", ep::PRIVATE_LINKS),
    ("proxy_agents", ep::PROXY_AGENTS),
    ("hybrid_deployment_agents", ep::HYBRID_DEPLOYMENT_AGENTS),
    ("connector_sdk_packages", ep::CONNECTOR_SDK_PACKAGES),
    ("secrets_managers", ep::SECRETS_MANAGERS),
    ("transformations", ep::TRANSFORMATIONS),
    ("transformation_projects", ep::TRANSFORMATION_PROJECTS),
];

/// What one probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The key can read it.
    Readable,
    /// 403: the key may not read it.
    Forbidden,
    /// 400 or 404: Fivetran does not offer the endpoint here (plan, feature or API version).
    Unavailable,
    /// No usable answer (5xx after retries, network, quota reserve...).
    Error,
    /// Not asked: the list it needs an item from was empty or unreadable.
    Skipped,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Probe {
    /// The resource (an artifact name, or `user_memberships` / `connection_schemas`).
    pub resource: &'static str,
    /// The endpoint template asked, e.g. `/v1/users`.
    pub endpoint: String,
    /// What was found.
    pub outcome: Outcome,
    /// Whether the row is fine as it is: readable, skipped, or unavailable by design (sync
    /// history or a connection's active errors not offered to the account).
    pub fine: bool,
    /// Fivetran's message, or why the row is as it is.
    pub detail: Option<String>,
    /// What to do about it: the role or permission to grant, where one is missing.
    pub hint: Option<String>,
}

impl Probe {
    /// A row with no detail; `fine` unless something is wrong.
    pub fn new(resource: &'static str, endpoint: Endpoint, outcome: Outcome) -> Self {
        Self {
            resource,
            endpoint: endpoint.display(),
            outcome,
            fine: matches!(outcome, Outcome::Readable | Outcome::Skipped),
            detail: None,
            hint: None,
        }
    }

    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The row of a failed request; `Err` for a refused key, which ends the check.
    pub fn failed(
        resource: &'static str,
        endpoint: Endpoint,
        error: ApiError,
        key_kind: &str,
    ) -> Result<Self, ApiError> {
        if error.is_fatal() {
            return Err(error);
        }
        let row = match &error {
            ApiError::Forbidden { code, message, .. } if error.feature_not_enabled() => {
                let mut row = Probe::new(resource, endpoint, Outcome::Unavailable)
                    .detail(format!("{code}: {message}"));
                row.hint = Some(
                    "not a permission: Fivetran says the account does not have this feature; \
                     collect records it as unavailable"
                        .into(),
                );
                row
            }
            ApiError::Forbidden { code, message, .. } => {
                let mut row = Probe::new(resource, endpoint, Outcome::Forbidden)
                    .detail(format!("{code}: {message}"));
                row.hint = Some(hints::grant(resource, key_kind));
                row
            }
            ApiError::NotFound { .. }
            | ApiError::Status {
                status: 400 | 404, ..
            } => {
                let mut row =
                    Probe::new(resource, endpoint, Outcome::Unavailable).detail(error.to_string());
                row.hint = Some(
                    "not a permission: Fivetran does not offer this endpoint to the account \
                     (plan, feature or API version); collect records it as unavailable"
                        .into(),
                );
                row
            }
            _ => {
                let mut row =
                    Probe::new(resource, endpoint, Outcome::Error).detail(error.to_string());
                row.hint = Some("run doctor again later; -v shows each request".into());
                row
            }
        };
        Ok(row)
    }
}

/// Asks the first page of each list, then the follow-ups. `Err` only for a refused key.
pub async fn run_all(
    client: &Client,
    key_kind: &str,
    window: Window,
) -> Result<Vec<Probe>, ApiError> {
    let mut rows = Vec::new();
    let mut first_user = Err("users is not readable");
    let mut first_connection = Err("connections is not readable");
    for (resource, endpoint) in LISTS {
        let path = endpoint.path(&[]).expect("no ids");
        match client.get_page(endpoint, &path, &[], None).await {
            Ok(page) => {
                let smallest = smallest_id(page.items());
                match resource {
                    "users" => first_user = smallest.ok_or("there is no user"),
                    "connections" => first_connection = smallest.ok_or("there is no connection"),
                    _ => {}
                }
                rows.push(Probe::new(resource, endpoint, Outcome::Readable));
            }
            Err(e) => rows.push(Probe::failed(resource, endpoint, e, key_kind)?),
        }
    }
    rows.push(
        follow_up(
            client,
            "user_memberships",
            ep::USER_GROUPS,
            &first_user,
            &[],
            key_kind,
        )
        .await?,
    );
    rows.push(
        follow_up(
            client,
            "connection_schemas",
            ep::CONNECTION_SCHEMAS,
            &first_connection,
            &[],
            key_kind,
        )
        .await?,
    );
    rows.push(
        follow_up(
            client,
            "connection_errors",
            ep::CONNECTION_ERRORS,
            &first_connection,
            &[],
            key_kind,
        )
        .await?,
    );
    let query = sync_history::window_query(window);
    rows.push(
        follow_up(
            client,
            "sync_history",
            ep::SYNC_HISTORY,
            &first_connection,
            &query,
            key_kind,
        )
        .await?,
    );
    Ok(rows)
}

/// The smallest usable id of a page (ids are strings; others are skipped).
fn smallest_id(items: impl Iterator<Item = Value>) -> Option<String> {
    items
        .filter_map(|item| item.get("id").and_then(Value::as_str).map(str::to_owned))
        // An id that cannot be a path segment (empty, `.`) is not one to ask about.
        .filter(|id| ep::CONNECTION.path(&[id]).is_ok())
        .min()
}

/// One request about the item `id`, or a skipped row saying why there is none.
async fn follow_up(
    client: &Client,
    resource: &'static str,
    endpoint: Endpoint,
    id: &Result<String, &'static str>,
    query: &[(&str, String)],
    key_kind: &str,
) -> Result<Probe, ApiError> {
    let id = match id {
        Ok(id) => id,
        Err(why) => {
            return Ok(Probe::new(resource, endpoint, Outcome::Skipped)
                .detail(format!("not asked: {why}")));
        }
    };
    let path = endpoint
        .path(&[id])
        .expect("ids are checked by smallest_id");
    let answer = match endpoint.shape {
        ep::Shape::List => client
            .get_page(endpoint, &path, query, None)
            .await
            .map(drop),
        ep::Shape::Object => client.get_object(endpoint, &path).await.map(drop),
    };
    let error = match answer {
        Ok(()) => {
            // The path is percent-encoded: an id from the API cannot break the line.
            return Ok(Probe::new(resource, endpoint, Outcome::Readable)
                .detail(format!("asked GET /v1{path}")));
        }
        Err(e) => e,
    };
    if resource == "connection_schemas" && error.not_found_code() == Some("NotFound_SchemaConfig") {
        // A connection whose schema was never configured: readable, nothing to read.
        return Ok(Probe::new(resource, endpoint, Outcome::Readable)
            .detail("this connection has no schema config yet, which is normal"));
    }
    let refusal = match resource {
        "sync_history" => sync_history::refusal(&error),
        "connection_errors" => connection_errors::refusal(&error),
        _ => None,
    };
    if !error.is_fatal()
        && let Some(refused) = refusal
        && refused.status == ArtifactStatus::Unavailable
    {
        let mut row = Probe::new(resource, endpoint, Outcome::Unavailable);
        row.fine = true;
        let reason = refused.reason.unwrap_or_default();
        return Ok(row.detail(format!("fine: {reason}")));
    }
    Probe::failed(resource, endpoint, error, key_kind)
}
