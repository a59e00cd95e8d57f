//! A generated fake account of any size, for the benchmark (`examples/bench.rs`) and tests of
//! scale: [`FakeAccount::synthetic`] builds it from a [`SyntheticSize`], deterministically (the
//! same size and `now` give the same account, byte for byte).
//!
//! Items have the shapes of the acme fixture (`fixtures/accounts/acme.json`): two-word ids,
//! users with a few group and connection memberships each, teams with a few members and
//! memberships, one destination per group (same id, as in Fivetran), connections spread over
//! the groups, most with a schema config of a few schemas, tables and columns and a few syncs
//! in the last day, the rest answering `NotFound_SchemaConfig`; and a handful of webhooks, log
//! services, system keys and agents. Every secret contains `PLANTED`, like the fixture's, so a
//! leak check catches one that escapes redaction.
//!
//! Also here, so tests can check it: the arithmetic of the benchmark, [`SyntheticSize::plan`]
//! (the requests a collection of the account needs) and [`floor`] (the least time they can
//! take).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::FakeAccount;

/// The size and shape of a generated account.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSize {
    /// Users.
    pub users: usize,
    /// Teams.
    pub teams: usize,
    /// Groups, each with its destination.
    pub groups: usize,
    /// Connections, spread over the groups.
    pub connections: usize,
    /// Memberships of each user, alternately a group and a connection (fewer when there are
    /// not that many groups or connections).
    pub memberships_per_user: usize,
    /// The most schemas in one schema config (each has 1 to this many).
    pub schemas_per_connection: usize,
    /// The most tables in one schema (each has 1 to this many).
    pub tables_per_schema: usize,
    /// The most columns listed under one table (each has 0 to this many).
    pub columns_per_table: usize,
    /// Whether connection list items carry everything their detail does (`setup_tests`
    /// included), as Fivetran's OpenAPI declares; by default they lack `setup_tests`, as this
    /// project's fixtures model it. Decides whether the collector's per-service probe spares
    /// the other details.
    pub list_carries_detail: bool,
    /// The instant times are generated back from: syncs fall in the 23 hours before it, so a
    /// collection started after it with the default `--since 24h` sees them.
    pub now: Timestamp,
}

impl Default for SyntheticSize {
    /// A small account at a fixed instant.
    fn default() -> Self {
        Self {
            users: 20,
            teams: 3,
            groups: 3,
            connections: 10,
            memberships_per_user: 3,
            schemas_per_connection: 3,
            tables_per_schema: 8,
            columns_per_table: 4,
            list_carries_detail: false,
            now: Timestamp::constant(1_795_748_400, 0), // 2026-11-27T03:00:00Z
        }
    }
}

impl SyntheticSize {
    /// The benchmark's medium account: 2,000 users, 100 teams, 50 groups, 1,500 connections.
    pub fn medium() -> Self {
        Self {
            users: 2_000,
            teams: 100,
            groups: 50,
            connections: 1_500,
            ..Self::default()
        }
    }

    /// The benchmark's large account: 10,000 users, 500 teams, 200 groups, 10,000 connections.
    pub fn large() -> Self {
        Self {
            users: 10_000,
            teams: 500,
            groups: 200,
            connections: 10_000,
            ..Self::default()
        }
    }

    /// The requests a complete collection of the generated account needs, as the collector
    /// reads it today, when the server pages `page_size` items at a time (the collector asks
    /// for 1,000) and the sync-history window is `since_windows` windows of 7 days (1 for the
    /// default `--since 24h`). Each part is one term of the README's formula:
    ///
    /// ```text
    /// 1 + pages of each list + 2 × users + 3 × teams + destinations
    ///   + connections × (2 + windows) + 1 (the account-level log service)
    /// ```
    ///
    /// Every per-item list (a user's groups, a team's users, ...) and every sync-history window
    /// holds far fewer than `page_size` items here, so each is one request.
    pub fn plan(&self, page_size: usize, since_windows: usize) -> Plan {
        let pages = |n: usize| n.div_ceil(page_size.max(1)).max(1);
        let fixed = Fixed::of(self);
        let parts = vec![
            ("account", 1),
            ("users", pages(self.users) + 2 * self.users),
            ("roles", pages(ROLES.len())),
            ("teams", pages(self.teams) + 3 * self.teams),
            ("groups", pages(self.groups)),
            ("destinations", pages(self.groups) + self.groups),
            (
                "connections",
                pages(self.connections) + self.connection_details() + self.connections,
            ),
            ("webhooks", pages(fixed.webhooks)),
            ("log_services", pages(fixed.log_services) + 1),
            ("system_keys", pages(fixed.system_keys)),
            ("private_links", pages(fixed.agents)),
            ("proxy_agents", pages(fixed.agents)),
            ("hybrid_deployment_agents", pages(fixed.agents)),
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
}

impl SyntheticSize {
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

    /// The service and sync frequency of connection `j`: a Platform Connector in every other
    /// group, otherwise services in rotation (all at `service_version` 1).
    fn service(&self, j: usize) -> (&'static str, u32) {
        if j < self.groups && j.is_multiple_of(2) {
            ("fivetran_log", 360)
        } else {
            SERVICES[j % SERVICES.len()]
        }
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

/// The counts that do not scale with the size: "a handful".
struct Fixed {
    webhooks: usize,
    log_services: usize,
    system_keys: usize,
    agents: usize,
}

impl Fixed {
    fn of(size: &SyntheticSize) -> Self {
        Self {
            webhooks: 1 + size.groups.min(4),
            log_services: size.groups.min(3),
            system_keys: 3,
            agents: 2,
        }
    }
}

/// The standard roles, `(name, scope)`.
const ROLES: [(&str, &str); 16] = [
    ("Account Administrator", "ACCOUNT"),
    ("Account Billing", "ACCOUNT"),
    ("Account Analyst", "ACCOUNT"),
    ("Account Reviewer", "ACCOUNT"),
    ("Destination Creator", "ACCOUNT"),
    ("Destination Administrator", "DESTINATION"),
    ("Destination Analyst", "DESTINATION"),
    ("Destination Reviewer", "DESTINATION"),
    ("Connector Creator", "ACCOUNT"),
    ("Connection Creator", "DESTINATION"),
    ("Connector Administrator", "CONNECTOR"),
    ("Connection Administrator", "CONNECTOR"),
    ("Connector Reviewer", "CONNECTOR"),
    ("Connection Reviewer", "CONNECTOR"),
    ("Team Manager", "TEAM"),
    ("Team Member", "TEAM"),
];

const GROUP_ROLES: [&str; 3] = [
    "Destination Administrator",
    "Destination Reviewer",
    "Destination Analyst",
];
const CONNECTION_ROLES: [&str; 3] = [
    "Connection Administrator",
    "Connection Reviewer",
    "Connection Collaborator",
];
const GIVEN: [&str; 12] = [
    "Maya", "Jonas", "Aiko", "Luis", "Priya", "Tomasz", "Amara", "Chen", "Ingrid", "Omar", "Zoe",
    "Rafael",
];
const FAMILY: [&str; 12] = [
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Moreno",
    "Raman",
    "Nowak",
    "Diallo",
    "Wei",
    "Berg",
    "Haddad",
    "Clarke",
    "Souza",
];
/// Services in rotation, with their `sync_frequency` in minutes.
const SERVICES: [(&str, u32); 8] = [
    ("postgres", 360),
    ("salesforce", 1440),
    ("mysql", 360),
    ("hubspot", 60),
    ("s3", 180),
    ("zendesk", 720),
    ("google_sheets", 360),
    ("github", 1440),
];
const WAREHOUSES: [(&str, &str); 3] = [
    ("snowflake", "AWS_US_EAST_1"),
    ("big_query", "GCP_EUROPE_WEST3"),
    ("redshift", "AWS_US_WEST_2"),
];
const SYLLABLES: [&str; 16] = [
    "ka", "lo", "mi", "nu", "pe", "ra", "so", "ti", "vo", "ze", "ba", "du", "fe", "gi", "ho", "ju",
];

impl FakeAccount {
    /// Generates an account of `size` (see the module documentation).
    pub fn synthetic(size: &SyntheticSize) -> Self {
        Generator::new(size).account()
    }
}

/// splitmix64's finalizer: a well-spread, deterministic 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A number drawn from `(kind, n, k)`, the same every time.
fn draw(kind: u64, n: usize, k: usize) -> u64 {
    mix(mix(mix(kind) ^ n as u64) ^ k as u64)
}

/// A two-word id like Fivetran's (`kalomi_nupera`), unique for every `n` below 2^24: `n` is
/// scrambled by an odd multiplier (a bijection modulo 2^24), each 12-bit half spells a word.
fn word_id(n: usize) -> String {
    let scrambled = (n as u64).wrapping_mul(0x9e_3779) & 0xff_ffff;
    let word = |bits: u64| -> String {
        (0..3)
            .map(|i| SYLLABLES[((bits >> (4 * i)) & 0xf) as usize])
            .collect()
    };
    format!("{}_{}", word(scrambled >> 12), word(scrambled & 0xfff))
}

/// A 32-hex-digit id, the other form Fivetran uses.
fn hex_id(kind: u64, n: usize) -> String {
    format!("{:016x}{:016x}", draw(kind, n, 0), draw(kind, n, 1))
}

struct Generator<'a> {
    size: &'a SyntheticSize,
    users: Vec<String>,
    teams: Vec<String>,
    groups: Vec<String>,
    connections: Vec<String>,
}

const USER: u64 = 1;
const TEAM: u64 = 2;
const GROUP: u64 = 3;
const CONNECTION: u64 = 4;
const SYNC: u64 = 5;
const KEY: u64 = 6;

impl<'a> Generator<'a> {
    fn new(size: &'a SyntheticSize) -> Self {
        // One numbering for all kinds, so no two items share an id.
        let mut next = 0;
        let mut ids = |count: usize| {
            let ids: Vec<String> = (next..next + count).map(word_id).collect();
            next += count;
            ids
        };
        Self {
            users: ids(size.users),
            teams: ids(size.teams),
            groups: ids(size.groups),
            connections: ids(size.connections),
            size,
        }
    }

    /// `days` days (and some seconds drawn from `seed`) before `now`, RFC 3339.
    fn ago(&self, days: u64, seed: u64) -> String {
        let secs = days * 86_400 + seed % 86_400;
        let t = self.size.now - SignedDuration::from_secs(secs as i64);
        t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    fn account(&self) -> FakeAccount {
        let fixed = Fixed::of(self.size);
        let mut a = FakeAccount {
            account_info: json!({
                "account_id": "synthetic_account",
                "account_name": "Synthetic Benchmark Inc.",
                "user_id": self.users.first(),
            }),
            roles: ROLES
                .iter()
                .map(|(name, scope)| {
                    json!({"name": name, "description": format!("The standard {name} role."),
                        "scope": [scope], "is_custom": false, "is_deprecated": false,
                        "replacement_role_name": null})
                })
                .collect(),
            ..FakeAccount::default()
        };
        self.users(&mut a);
        self.teams(&mut a);
        self.groups(&mut a);
        self.connections(&mut a);
        self.handful(&mut a, &fixed);
        a
    }

    fn users(&self, a: &mut FakeAccount) {
        for (i, id) in self.users.iter().enumerate() {
            let (given, family) = (GIVEN[i % GIVEN.len()], FAMILY[(i / 12) % FAMILY.len()]);
            let role = match i {
                0 | 1 => json!("Account Administrator"),
                _ if i % 10 == 2 => json!("Account Reviewer"),
                _ if i % 10 == 3 => json!("Account Analyst"),
                _ => Value::Null,
            };
            let logged_in = if i % 9 == 8 {
                Value::Null
            } else {
                json!(self.ago(draw(USER, i, 1) % 60, draw(USER, i, 2)))
            };
            a.users.push(json!({
                "id": id, "email": format!("{}.{}.{i}@synthetic.example", given.to_lowercase(), family.to_lowercase()),
                "given_name": given, "family_name": family, "verified": true, "invited": false,
                "active": i % 17 != 16, "picture": null,
                "phone": if i.is_multiple_of(3) { json!(format!("+1415555{:04}", i % 10_000)) } else { Value::Null },
                "role": role, "logged_in_at": logged_in,
                "created_at": self.ago(60 + draw(USER, i, 3) % 1500, draw(USER, i, 4)),
            }));
            let (mut groups, mut connections) = (Vec::new(), Vec::new());
            for k in 0..self.size.memberships_per_user {
                // Alternately a group and a connection, unless there are none of one kind.
                let to_group =
                    (k.is_multiple_of(2) && !self.groups.is_empty()) || self.connections.is_empty();
                let (list, ids, roles) = if to_group {
                    (&mut groups, &self.groups, GROUP_ROLES)
                } else {
                    (&mut connections, &self.connections, CONNECTION_ROLES)
                };
                if let Some(target) = pick(ids, list, draw(USER, i, 10 + k)) {
                    list.push(json!({
                        "id": target, "role": roles[k % roles.len()],
                        "created_at": self.ago(draw(USER, i, 20 + k) % 700, draw(USER, i, 30 + k)),
                    }));
                }
            }
            a.user_groups.insert(id.clone(), groups);
            a.user_connections.insert(id.clone(), connections);
        }
    }

    fn teams(&self, a: &mut FakeAccount) {
        for (t, id) in self.teams.iter().enumerate() {
            a.teams.push(json!({
                "id": id, "name": format!("Team {t}"),
                "description": format!("Synthetic team {t}, owns a slice of the pipelines."),
                "role": if t.is_multiple_of(4) { json!("Account Reviewer") } else { Value::Null },
            }));
            let member = |kind: u64, count: usize, ids: &[String], key: &str, roles: [&str; 3]| {
                let mut list: Vec<Value> = Vec::new();
                for k in 0..count {
                    if let Some(target) = pick(ids, &list, draw(TEAM, t, kind as usize * 100 + k)) {
                        list.push(json!({
                            key: target, "role": roles[k % roles.len()],
                            "created_at": self.ago(draw(TEAM, t, 50 + k) % 900, draw(TEAM, t, 60 + k)),
                        }));
                    }
                }
                list
            };
            let team_roles = ["Team Manager", "Team Member", "Team Member"];
            let users = member(USER, 3 + t % 6, &self.users, "user_id", team_roles);
            let groups = member(GROUP, 1 + t % 3, &self.groups, "id", GROUP_ROLES);
            let connections = member(CONNECTION, t % 4, &self.connections, "id", CONNECTION_ROLES);
            a.team_users.insert(id.clone(), users);
            a.team_groups.insert(id.clone(), groups);
            a.team_connections.insert(id.clone(), connections);
        }
    }

    fn groups(&self, a: &mut FakeAccount) {
        for (g, id) in self.groups.iter().enumerate() {
            let created_at = self.ago(100 + draw(GROUP, g, 1) % 1500, draw(GROUP, g, 2));
            a.groups
                .push(json!({"id": id, "name": format!("Group {g}"), "created_at": created_at}));
            let (service, region) = WAREHOUSES[g % WAREHOUSES.len()];
            let item = json!({
                "id": id, "group_id": id, "service": service, "region": region,
                "time_zone_offset": "0", "setup_status": "CONNECTED",
                "daylight_saving_time_enabled": true, "networking_method": "Directly",
            });
            let mut detail = item.clone();
            detail["config"] = json!({
                "host": format!("{id}.warehouse.synthetic.example"), "port": 443,
                "database": format!("FIVETRAN_{g}"), "auth": "PASSWORD", "user": "FIVETRAN_SVC",
                "password": format!("PLANTED-destination-password-{g}"),
                "role": "FIVETRAN_LOADER", "connection_type": "Directly",
            });
            detail["setup_tests"] =
                setup_tests(&["Host Connection", "Database Connection", "Permission Test"]);
            a.destinations.push(item);
            a.destination_details.insert(id.clone(), detail);
        }
    }

    fn connections(&self, a: &mut FakeAccount) {
        for (j, id) in self.connections.iter().enumerate() {
            let (service, frequency) = self.size.service(j);
            let group = self.groups.get(j % self.groups.len().max(1));
            let failed = j.is_multiple_of(13);
            let item = json!({
                "id": id, "group_id": group, "service": service, "service_version": 1,
                "schema": format!("{service}_{j}"),
                "connected_by": self.users.get(draw(CONNECTION, j, 1) as usize % self.users.len().max(1)),
                "created_at": self.ago(30 + draw(CONNECTION, j, 2) % 1200, draw(CONNECTION, j, 3)),
                "succeeded_at": self.ago(0, draw(CONNECTION, j, 4) % 36_000),
                "failed_at": if failed { json!(self.ago(3, draw(CONNECTION, j, 5))) } else { Value::Null },
                "paused": j % 11 == 10, "pause_after_trial": false, "sync_frequency": frequency,
                "schedule_type": "auto", "daily_sync_time": null,
                "data_delay_sensitivity": "NORMAL", "networking_method": "Directly",
                "status": {
                    "setup_state": if failed { "broken" } else { "connected" },
                    "sync_state": "scheduled", "update_state": "on_schedule",
                    "is_historical_sync": false, "tasks": [], "warnings": [],
                },
                "config": {
                    "host": format!("db-{j}.internal.synthetic.example"), "port": 5432,
                    "database": "app", "user": "fivetran",
                    "password": format!("PLANTED-connection-password-{j}"),
                    "update_method": "TELEPORT", "connection_type": "Directly",
                },
            });
            let mut detail = item.clone();
            detail["setup_tests"] = setup_tests(&[
                "Connecting to Host",
                "Validating Certificate",
                "Connecting to Database",
            ]);
            a.connections.push(if self.size.list_carries_detail {
                detail.clone()
            } else {
                item
            });
            a.connection_details.insert(id.clone(), detail);
            if j % 3 != 2 {
                a.connection_schemas
                    .insert(id.clone(), self.schema_config(j));
            }
            let syncs = (1440 / frequency as usize).max(1);
            let mut history = Vec::with_capacity(syncs);
            for s in 0..syncs {
                // Inside the 23 hours before `now`, so any run started later sees them all.
                let minutes = (s as u64 * frequency as u64 + draw(SYNC, j, 0) % 30) % (23 * 60);
                let start = self.size.now - SignedDuration::from_mins(minutes as i64 + 1);
                let end =
                    start + SignedDuration::from_secs(30 + (draw(SYNC, j, s + 1) % 600) as i64);
                let sync_id = hex_id(SYNC, j * 1_000 + s);
                history.push(json!({
                    "sync_id": format!("{}-{}-{}-{}-{}", &sync_id[..8], &sync_id[8..12], &sync_id[12..16], &sync_id[16..20], &sync_id[20..]),
                    "start_time": start.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                    "end_time": end.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                    "status": if failed && s == 0 { "FAILURE" } else { "SUCCESSFUL" },
                }));
            }
            a.sync_history.insert(id.clone(), history);
        }
    }

    /// A schema config of 1 to `schemas_per_connection` schemas, each of 1 to
    /// `tables_per_schema` tables, each listing 0 to `columns_per_table` columns.
    fn schema_config(&self, j: usize) -> Value {
        let s = self.size;
        let mut schemas = serde_json::Map::new();
        for k in 0..1 + j % s.schemas_per_connection.max(1) {
            let mut tables = serde_json::Map::new();
            for t in 0..1 + (j + k) % s.tables_per_schema.max(1) {
                let mut columns = serde_json::Map::new();
                for c in 0..(j + k + t) % (s.columns_per_table + 1) {
                    let name = format!("column_{c}");
                    columns.insert(name.clone(), json!({
                        "name_in_destination": name, "enabled": c % 5 != 4, "hashed": c % 7 == 3,
                        "enabled_patch_settings": {"allowed": c != 0},
                        "is_primary_key": c == 0,
                    }));
                }
                let name = format!("table_{t}");
                tables.insert(
                    name.clone(),
                    json!({
                        "name_in_destination": name, "enabled": t % 6 != 5,
                        "sync_mode": if t.is_multiple_of(4) { "HISTORY" } else { "SOFT_DELETE" },
                        "enabled_patch_settings": {"allowed": true},
                        "supports_columns_config": true, "supports_history_mode": true,
                        "columns": columns,
                    }),
                );
            }
            let name = format!("schema_{k}");
            schemas.insert(name.clone(), json!({
                "name_in_destination": format!("s{j}_{name}"), "enabled": true, "tables": tables,
            }));
        }
        json!({
            "enable_new_by_default": j.is_multiple_of(2),
            "schema_change_handling": if j.is_multiple_of(2) { "ALLOW_ALL" } else { "ALLOW_COLUMNS" },
            "schemas": schemas,
        })
    }

    /// Webhooks, log services, system keys and agents: a handful, whatever the size.
    fn handful(&self, a: &mut FakeAccount, fixed: &Fixed) {
        let creator = self.users.first();
        for w in 0..fixed.webhooks {
            let group = w.checked_sub(1).and_then(|g| self.groups.get(g));
            a.webhooks.push(json!({
                "id": word_id(0xf0_0000 + w),
                "type": if group.is_some() { "group" } else { "account" },
                "group_id": group, "url": format!("https://hooks.synthetic.example/{w}"),
                "events": ["sync_end", "connection_failure"], "active": true,
                "secret": format!("PLANTED-webhook-secret-{w}"),
                "created_at": self.ago(200 + w as u64, w as u64), "created_by": creator,
            }));
        }
        for group in self.groups.iter().take(fixed.log_services) {
            a.log_services.push(json!({
                "id": group, "service": "datadog_log", "enabled": true,
                "status": {"setup_state": "connected", "tasks": []},
            }));
        }
        a.account_log_service = Some(json!({
            "id": word_id(0xf1_0000), "service": "splunkLog", "enabled": true,
            "status": {"setup_state": "connected", "tasks": []},
            "config": {"host": "splunk.synthetic.example", "port": 8088,
                "token": "PLANTED-splunk-token"},
        }));
        for k in 0..fixed.system_keys {
            a.system_keys.push(json!({
                "id": hex_id(KEY, k), "name": format!("system-key-{k}"),
                "key": format!("PLANTED-system-key-{k}"),
                "permissions": [{"resource_type": "ACCOUNT", "access_level": "READ"}],
                "created_at": self.ago(100, k as u64), "updated_at": self.ago(50, k as u64),
                "expired_at": null, "last_used_at": self.ago(1, k as u64),
            }));
        }
        for n in 0..fixed.agents {
            let group = self.groups.get(n);
            a.private_links.push(json!({
                "id": word_id(0xf2_0000 + n), "name": format!("private-link-{n}"),
                "region": "AWS_US_EAST_1", "service": "SNOWFLAKE_AWS",
                "account_id": "synthetic_account", "cloud_provider": "AWS", "state": "OK",
                "created_at": self.ago(300, n as u64), "created_by": creator,
            }));
            a.proxy_agents.push(json!({
                "id": hex_id(KEY, 100 + n), "account_id": "synthetic_account",
                "registered_at": self.ago(250, n as u64), "region": "AWS_US_EAST_1",
                "created_by": creator, "display_name": format!("proxy-{n}"), "version": "1.14.3",
                "status": "CONNECTED", "connector_count": 0, "destination_count": 0,
            }));
            a.hybrid_deployment_agents.push(json!({
                "id": hex_id(KEY, 200 + n), "display_name": format!("agent-{n}"),
                "group_id": group, "registered_at": self.ago(200, n as u64),
                "created_by": creator, "updated_at": self.ago(10, n as u64),
                "last_used_at": self.ago(0, n as u64), "version": "1.2.4", "enabled": true,
                "online": true, "deployment_type": "DOCKER", "usage": [],
            }));
        }
    }
}

/// The first id of `ids`, starting at `seed` modulo their count, not already in `taken` (by
/// its `id` or `user_id`); `None` when every one is taken.
fn pick<'i>(ids: &'i [String], taken: &[Value], seed: u64) -> Option<&'i String> {
    let used = |id: &str| {
        taken.iter().any(|v| {
            v.get("id")
                .or_else(|| v.get("user_id"))
                .and_then(Value::as_str)
                == Some(id)
        })
    };
    let start = (seed % ids.len().max(1) as u64) as usize;
    (0..ids.len())
        .map(|k| &ids[(start + k) % ids.len()])
        .find(|id| !used(id))
}

fn setup_tests(titles: &[&str]) -> Value {
    titles
        .iter()
        .map(|title| json!({"title": title, "status": "PASSED", "message": ""}))
        .collect()
}
