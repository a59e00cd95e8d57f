//! What a full collection must hold and cost, computed independently of the collector: the
//! artifacts of a full bundle and the number of requests a collection of an account makes.

use iru_fivetran_fake::FakeAccount;
use serde_json::Value;

/// Every artifact of a full bundle, in bundle order (the oracle the tests check the tool's
/// own list against).
pub const ARTIFACTS: [&str; 26] = [
    "account",
    "users",
    "roles",
    "teams",
    "groups",
    "destinations",
    "connections",
    "webhooks",
    "log_services",
    "system_keys",
    "private_links",
    "proxy_agents",
    "hybrid_deployment_agents",
    "connector_sdk_packages",
    "secrets_managers",
    "transformations",
    "transformation_projects",
    "certificates",
    "fingerprints",
    "sync_history",
    "audit_trail",
    "audit_coverage",
    "activity",
    "access",
    "changes",
    "findings",
];

/// one page per `page_size` items (at least one per list), plus one per detail object. Sync
/// history is read over the default 24-hour window: one window, so one request per connection
/// (each with details; one without is deleted and not asked again) plus one per extra page of
/// the syncs that started in the last 24 hours.
pub fn expected_requests(a: &FakeAccount, page_size: usize) -> usize {
    let pages = |n: usize| n.div_ceil(page_size).max(1);
    let per_parent = |parents: &[Value], map: &std::collections::BTreeMap<String, Vec<Value>>| {
        parents
            .iter()
            .map(|p| {
                let id = p["id"].as_str().expect("id");
                pages(map.get(id).map_or(0, Vec::len))
            })
            .sum::<usize>()
    };
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    let sync_history: usize = a
        .connections
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|id| a.connection_details.contains_key(*id))
        .map(|id| {
            let recent = a.sync_history.get(id).map_or(0, |syncs| {
                syncs
                    .iter()
                    .filter_map(|s| s["start_time"].as_str()?.parse::<jiff::Timestamp>().ok())
                    .filter(|t| *t >= since)
                    .count()
            });
            pages(recent)
        })
        .sum();
    // Each connection's active errors: one request per page (connections without a detail
    // were deleted, and are not asked again).
    let connection_errors: usize = a
        .connections
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|id| a.connection_details.contains_key(*id))
        .map(|id| pages(a.connection_errors.get(id).map_or(0, Vec::len)))
        .sum();
    1 // account/info
        + 1 // the key's own access: its user, or the system key itself
        + pages(a.users.len())
        + per_parent(&a.users, &a.user_groups)
        + per_parent(&a.users, &a.user_connections)
        + pages(a.roles.len())
        + pages(a.teams.len())
        + per_parent(&a.teams, &a.team_users)
        + per_parent(&a.teams, &a.team_groups)
        + per_parent(&a.teams, &a.team_connections)
        + pages(a.groups.len())
        + pages(a.destinations.len())
        + a.destinations.len()
        + pages(a.connections.len())
        + connection_details(a)
        + a.connections.len() // schemas
        + connection_errors
        + sync_history
        + pages(a.webhooks.len())
        + pages(a.log_services.len())
        + 1 // external-logging/account
        + pages(a.system_keys.len())
        + pages(a.private_links.len())
        + pages(a.proxy_agents.len())
        + pages(a.hybrid_deployment_agents.len())
        + pages(a.connector_sdk_packages.len())
        + pages(a.secrets_managers.len())
        + pages(a.transformations.len())
        + pages(a.transformation_projects.len())
        + a.transformation_projects.len() // each project's detail
        + approvals(a)
        + 2 * a.groups.len() // each group's public key and service account
        + log_service_details(a)
        + a.private_links.len() // each private link's detail
}

/// The `/external-logging/{id}` requests: one per listed service but the account-level one
/// (whose answer is its detail).
fn log_service_details(a: &FakeAccount) -> usize {
    let account = a.account_log_service.as_ref().map(|s| s["id"].clone());
    a.log_services
        .iter()
        .filter(|s| Some(&s["id"]) != account.as_ref())
        .count()
}

/// The certificates and fingerprints requests: one per connection (with a detail: the others
/// are deleted) or destination whose configuration names a `host` or `tunnel_host`
/// (certificates), or a `tunnel_host`, or a `host` on an SFTP service (fingerprints).
pub fn approvals(a: &FakeAccount) -> usize {
    let named = |item: &Value, field: &str| {
        item["config"][field]
            .as_str()
            .is_some_and(|v| !v.trim().is_empty())
    };
    let count = |item: &Value| {
        let sftp = item["service"].as_str().is_some_and(|s| s.contains("sftp"));
        let certificates = named(item, "host") || named(item, "tunnel_host");
        let fingerprints = named(item, "tunnel_host") || (sftp && named(item, "host"));
        usize::from(certificates) + usize::from(fingerprints)
    };
    let connections: usize = a
        .connections
        .iter()
        .filter_map(|c| a.connection_details.get(c["id"].as_str()?))
        .map(count)
        .sum();
    let destinations: usize = a
        .destinations
        .iter()
        .filter_map(|d| a.destination_details.get(d["id"].as_str()?))
        .map(count)
        .sum();
    connections + destinations
}

/// The `/connections/{id}` requests of a collection: per `(service, service_version)`, one for
/// the first connection in list order (the probe); for every other connection of the pair too
/// unless the probe's detail equals its list item (ignoring `status`, `succeeded_at`,
/// `failed_at`).
pub fn connection_details(a: &FakeAccount) -> usize {
    let pair = |c: &Value| (c["service"].to_string(), c["service_version"].to_string());
    let volatile = ["status", "succeeded_at", "failed_at"];
    let mut count = 0;
    let mut seen: std::collections::BTreeMap<(String, String), bool> = Default::default();
    for c in &a.connections {
        let Some(id) = c["id"].as_str() else { continue };
        match seen.get(&pair(c)) {
            Some(true) => {}
            Some(false) => count += 1,
            None => {
                count += 1;
                let suffices = a.connection_details.get(id).is_some_and(|d| {
                    d.as_object()
                        .expect("detail")
                        .iter()
                        .all(|(k, v)| volatile.contains(&k.as_str()) || c.get(k) == Some(v))
                });
                seen.insert(pair(c), suffices);
            }
        }
    }
    count
}
