//! The arithmetic of the benchmark: the requests a complete collection of a generated account
//! needs ([`SyntheticSize::plan`], per artifact in a [`Plan`]), the least wall time they can
//! take ([`floor`]), and the [`median`] of the runs' figures.

use std::time::Duration;

use super::{Fixed, ROLES, SyntheticSize};

impl SyntheticSize {
    /// The requests a complete collection of the generated account needs, as the collector
    /// reads it today, when the server pages `page_size` items at a time (the collector asks
    /// for 1,000) and the sync-history window is `since_windows` windows of 7 days (1 for the
    /// default `--since 24h`). Each part is one term of the README's formula:
    ///
    /// ```text
    /// 2 + pages of each list + 2 × users + 3 × teams + destinations
    ///   + connections × (3 + windows) + 1 (the account-level log service)
    ///   + transformation projects + hosts + tunnels (certificates, fingerprints)
    ///   + 2 × groups (public key, service account) + log services + private links (details)
    /// ```
    ///
    /// Every per-item list (a user's groups, a team's users, ...) and every sync-history window
    /// holds far fewer than `page_size` items here, so each is one request.
    pub fn plan(&self, page_size: usize, since_windows: usize) -> Plan {
        let pages = |n: usize| n.div_ceil(page_size.max(1)).max(1);
        let fixed = Fixed::of(self);
        let parts = vec![
            // `/account/info`, then the key's own access (its user, or the system key).
            ("account", 2),
            ("users", pages(self.users) + 2 * self.users),
            ("roles", pages(ROLES.len())),
            ("teams", pages(self.teams) + 3 * self.teams),
            // Each group's public key and service account.
            ("groups", pages(self.groups) + 2 * self.groups),
            ("destinations", pages(self.groups) + self.groups),
            // Each connection's detail (or its pair's probe), schema config and active errors
            // (none in a generated account: one empty page each).
            (
                "connections",
                pages(self.connections) + self.connection_details() + 2 * self.connections,
            ),
            ("webhooks", pages(fixed.webhooks)),
            // The account-level service is not among the listed ones: each listed one has
            // its detail read.
            (
                "log_services",
                pages(fixed.log_services) + fixed.log_services + 1,
            ),
            ("system_keys", pages(fixed.system_keys)),
            ("private_links", pages(fixed.agents) + fixed.agents),
            ("proxy_agents", pages(fixed.agents)),
            ("hybrid_deployment_agents", pages(fixed.agents)),
            // Generated accounts have no SDK packages, secrets managers or transformations:
            // one empty page each, and no project detail.
            ("connector_sdk_packages", pages(0)),
            ("secrets_managers", pages(0)),
            ("transformations", pages(0)),
            ("transformation_projects", pages(0)),
            // Every generated connection and destination names a `host` (none a tunnel, none
            // is SFTP): certificates are asked of each, fingerprints of none.
            ("certificates", self.connections + self.groups),
            ("fingerprints", 0),
            // The first connection is read alone (the probe), the rest fan out; same count.
            ("sync_history", self.connections * since_windows),
        ];
        Plan {
            parts: parts
                .into_iter()
                .map(|(name, n)| (name, n as u64))
                .collect(),
        }
    }

    /// The `/connections/{id}` requests: one per connection, or, when list items carry the
    /// detail, one per distinct `(service, service_version)` (the collector's probes).
    fn connection_details(&self) -> usize {
        if !self.list_carries_detail {
            return self.connections;
        }
        (0..self.connections)
            .map(|j| self.service(j).0)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    }
}

/// The requests of a collection, per artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Artifact name and its requests, in collection order.
    pub parts: Vec<(&'static str, u64)>,
}

impl Plan {
    /// All requests.
    pub fn total(&self) -> u64 {
        self.parts.iter().map(|(_, n)| n).sum()
    }
}

/// The least wall time `requests` can take: the larger of what the rate limiter allows
/// (`requests / rate`) and what the latency allows with `concurrency` requests in flight
/// (`requests × latency / concurrency`).
pub fn floor(requests: u64, rate: f64, latency: Duration, concurrency: usize) -> Duration {
    let by_rate = Duration::from_secs_f64(requests as f64 / rate);
    let by_latency = latency.mul_f64(requests as f64 / concurrency.max(1) as f64);
    by_rate.max(by_latency)
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / 2.0),
    }
}
