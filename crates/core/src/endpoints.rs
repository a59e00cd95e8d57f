//! Every Fivetran endpoint this tool reads, in one table. All are `GET`; nothing else is sent.
//!
//! A path is built from a template and ids; each id becomes one percent-encoded path segment, so
//! an id holding `/`, `..`, `%` or `?` can never change which endpoint is called.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Which `Accept` header an endpoint wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// `application/json`
    V1,
    /// `application/json;version=2`: connection and destination endpoints.
    V2,
}

impl Accept {
    /// The header value.
    pub fn header(self) -> &'static str {
        match self {
            Accept::V1 => "application/json",
            Accept::V2 => "application/json;version=2",
        }
    }
}

/// Whether the endpoint answers one object or a paginated list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `data` is the object.
    Object,
    /// `data.items` plus `data.next_cursor`.
    List,
}

/// One endpoint: a path template relative to the API root (`/v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The template, e.g. `/users/{id}/groups`; also the key of per-endpoint statistics.
    pub template: &'static str,
    /// The `Accept` header to send.
    pub accept: Accept,
    /// Object or list.
    pub shape: Shape,
}

const fn list(template: &'static str, accept: Accept) -> Endpoint {
    Endpoint {
        template,
        accept,
        shape: Shape::List,
    }
}

const fn object(template: &'static str, accept: Accept) -> Endpoint {
    Endpoint {
        template,
        accept,
        shape: Shape::Object,
    }
}

/// `GET /v1/account/info`: account id and name, and which key is calling.
pub const ACCOUNT_INFO: Endpoint = object("/account/info", Accept::V1);
/// `GET /v1/users`
pub const USERS: Endpoint = list("/users", Accept::V1);
/// `GET /v1/users/{id}`: the collecting key's user, for its account role (the key's access).
pub const USER: Endpoint = object("/users/{id}", Accept::V1);
/// `GET /v1/users/{id}/groups`: a user's group (destination) memberships.
pub const USER_GROUPS: Endpoint = list("/users/{id}/groups", Accept::V1);
/// `GET /v1/users/{id}/connections`: a user's connection memberships.
pub const USER_CONNECTIONS: Endpoint = list("/users/{id}/connections", Accept::V1);
/// `GET /v1/roles`
pub const ROLES: Endpoint = list("/roles", Accept::V1);
/// `GET /v1/teams`
pub const TEAMS: Endpoint = list("/teams", Accept::V1);
/// `GET /v1/teams/{id}/users`
pub const TEAM_USERS: Endpoint = list("/teams/{id}/users", Accept::V1);
/// `GET /v1/teams/{id}/groups`
pub const TEAM_GROUPS: Endpoint = list("/teams/{id}/groups", Accept::V1);
/// `GET /v1/teams/{id}/connections`
pub const TEAM_CONNECTIONS: Endpoint = list("/teams/{id}/connections", Accept::V1);
/// `GET /v1/groups`
pub const GROUPS: Endpoint = list("/groups", Accept::V1);
/// `GET /v1/destinations`
pub const DESTINATIONS: Endpoint = list("/destinations", Accept::V2);
/// `GET /v1/destinations/{id}`: adds `config` and `setup_tests` to the list item.
pub const DESTINATION: Endpoint = object("/destinations/{id}", Accept::V2);
/// `GET /v1/connections`
pub const CONNECTIONS: Endpoint = list("/connections", Accept::V2);
/// `GET /v1/connections/{id}`: the full, typed (v2) record.
pub const CONNECTION: Endpoint = object("/connections/{id}", Accept::V2);
/// `GET /v1/connections/{id}/schemas`: schema config (tables, columns, hashing). A local read;
/// the source-touching `/schemas/{schema}/tables/{table}/columns` is never called.
pub const CONNECTION_SCHEMAS: Endpoint = object("/connections/{id}/schemas", Accept::V1);
/// `GET /v1/connections/{id}/sync-history`: the connection's syncs between `start_time` and
/// `end_time` (at most 7 days apart). Documented, but absent from the public OpenAPI file; some
/// accounts may not be offered it (see [`crate::resources::sync_history`]).
pub const SYNC_HISTORY: Endpoint = list("/connections/{id}/sync-history", Accept::V2);
/// `GET /v1/connections/{id}/errors`: the connection's active errors. In Fivetran's REST API
/// changelog of November 2026 (a private preview), absent from the public OpenAPI file; some
/// accounts are not offered it (see [`crate::resources::connection_errors`]).
pub const CONNECTION_ERRORS: Endpoint = list("/connections/{id}/errors", Accept::V2);
/// `GET /v1/webhooks`
pub const WEBHOOKS: Endpoint = list("/webhooks", Accept::V1);
/// `GET /v1/external-logging`: per-destination log services.
pub const LOG_SERVICES: Endpoint = list("/external-logging", Accept::V1);
/// `GET /v1/external-logging/account`: the account-level log service, where there is one.
pub const ACCOUNT_LOG_SERVICE: Endpoint = object("/external-logging/account", Accept::V1);
/// `GET /v1/system-keys`
pub const SYSTEM_KEYS: Endpoint = list("/system-keys", Accept::V1);
/// `GET /v1/system-keys/{id}`: the collecting system key itself, for its permissions (the
/// key's access); only `permissions` is kept, never `key` or `secret`.
pub const SYSTEM_KEY: Endpoint = object("/system-keys/{id}", Accept::V1);
/// `GET /v1/private-links`
pub const PRIVATE_LINKS: Endpoint = list("/private-links", Accept::V1);
/// `GET /v1/proxy`
pub const PROXY_AGENTS: Endpoint = list("/proxy", Accept::V1);
/// `GET /v1/hybrid-deployment-agents`
pub const HYBRID_DEPLOYMENT_AGENTS: Endpoint = list("/hybrid-deployment-agents", Accept::V1);
/// `GET /v1/connector-sdk/packages`
pub const CONNECTOR_SDK_PACKAGES: Endpoint = list("/connector-sdk/packages", Accept::V1);
/// `GET /v1/external-secrets-managers`
pub const SECRETS_MANAGERS: Endpoint = list("/external-secrets-managers", Accept::V1);
/// `GET /v1/transformations`
pub const TRANSFORMATIONS: Endpoint = list("/transformations", Accept::V1);
/// `GET /v1/transformation-projects`
pub const TRANSFORMATION_PROJECTS: Endpoint = list("/transformation-projects", Accept::V1);
/// `GET /v1/transformation-projects/{id}`: adds `project_config` (repository, branch, folder,
/// dbt version, environment variables, deploy key), `status`, `errors` and `setup_tests`.
pub const TRANSFORMATION_PROJECT: Endpoint = object("/transformation-projects/{id}", Accept::V1);
/// `GET /v1/connections/{id}/certificates`: the TLS certificates approved for a connection.
pub const CONNECTION_CERTIFICATES: Endpoint = list("/connections/{id}/certificates", Accept::V1);
/// `GET /v1/connections/{id}/fingerprints`: the SSH host keys approved for a connection.
pub const CONNECTION_FINGERPRINTS: Endpoint = list("/connections/{id}/fingerprints", Accept::V1);
/// `GET /v1/destinations/{id}/certificates`: the TLS certificates approved for a destination.
/// Version 1, unlike the destination's own endpoints (the spec's `Accept` for it).
pub const DESTINATION_CERTIFICATES: Endpoint = list("/destinations/{id}/certificates", Accept::V1);
/// `GET /v1/destinations/{id}/fingerprints`: the SSH host keys approved for a destination.
pub const DESTINATION_FINGERPRINTS: Endpoint = list("/destinations/{id}/fingerprints", Accept::V1);
/// `GET /v1/external-logging/{id}`: a log service's detail (`config`, `setup_tests`), which
/// the list item lacks.
pub const LOG_SERVICE: Endpoint = object("/external-logging/{id}", Accept::V1);
/// `GET /v1/private-links/{id}`: a private link's detail (its endpoint `config`).
pub const PRIVATE_LINK: Endpoint = object("/private-links/{id}", Accept::V1);
/// `GET /v1/groups/{id}/public-key`: the SSH key Fivetran presents to the group's bastions.
pub const GROUP_PUBLIC_KEY: Endpoint = object("/groups/{id}/public-key", Accept::V1);
/// `GET /v1/groups/{id}/service-account`: the cloud identity Fivetran uses for the group.
pub const GROUP_SERVICE_ACCOUNT: Endpoint = object("/groups/{id}/service-account", Accept::V1);

/// Every endpoint above (the fake server and the tests check against this list).
pub const ALL: [Endpoint; 39] = [
    ACCOUNT_INFO,
    USER,
    SYSTEM_KEY,
    USERS,
    USER_GROUPS,
    USER_CONNECTIONS,
    ROLES,
    TEAMS,
    TEAM_USERS,
    TEAM_GROUPS,
    TEAM_CONNECTIONS,
    GROUPS,
    DESTINATIONS,
    DESTINATION,
    CONNECTIONS,
    CONNECTION,
    CONNECTION_SCHEMAS,
    SYNC_HISTORY,
    CONNECTION_ERRORS,
    WEBHOOKS,
    LOG_SERVICES,
    ACCOUNT_LOG_SERVICE,
    SYSTEM_KEYS,
    PRIVATE_LINKS,
    PROXY_AGENTS,
    HYBRID_DEPLOYMENT_AGENTS,
    CONNECTOR_SDK_PACKAGES,
    SECRETS_MANAGERS,
    TRANSFORMATIONS,
    TRANSFORMATION_PROJECTS,
    TRANSFORMATION_PROJECT,
    CONNECTION_CERTIFICATES,
    CONNECTION_FINGERPRINTS,
    DESTINATION_CERTIFICATES,
    DESTINATION_FINGERPRINTS,
    LOG_SERVICE,
    PRIVATE_LINK,
    GROUP_PUBLIC_KEY,
    GROUP_SERVICE_ACCOUNT,
];

/// Characters kept as they are in a path segment: RFC 3986 unreserved; all else is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An id that cannot be a path segment: empty, or `.` / `..`, which URL parsers resolve as
/// directory steps even when percent-encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("id {0:?} cannot be used in a request path")]
pub struct UnusableId(pub String);

impl Endpoint {
    /// The path under the API root with `{...}` placeholders replaced, in order, by the given
    /// ids, each percent-encoded as one segment.
    ///
    /// # Panics
    /// If the number of ids differs from the number of placeholders: a programming error.
    pub fn path(&self, ids: &[&str]) -> Result<String, UnusableId> {
        let mut out = String::with_capacity(self.template.len() + 32);
        let mut ids = ids.iter();
        let mut rest = self.template;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map(|c| open + c).expect("closed");
            out.push_str(&rest[..open]);
            let id = *ids.next().expect("an id for every placeholder");
            if id.is_empty() || id == "." || id == ".." {
                return Err(UnusableId(crate::text::clean(id)));
            }
            out.extend(utf8_percent_encode(id, SEGMENT));
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        assert!(ids.next().is_none(), "more ids than placeholders");
        Ok(out)
    }

    /// The template as the API documents it, with the `/v1` prefix.
    pub fn display(&self) -> String {
        format!("/v1{}", self.template)
    }
}

#[cfg(test)]
mod tests;
