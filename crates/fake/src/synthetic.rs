//! A generated fake account of any size, for the benchmark (`examples/bench/`) and tests of
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
//! This module owns the size ([`SyntheticSize`] and its presets), what the generator and the
//! plan share (the standard roles, the services in rotation, the counts that do not scale), and
//! the entry point with the generator's state. Its children make the items: `people` (users,
//! teams, their memberships), `pipelines` (groups, destinations, connections, schema configs,
//! syncs) and `handful` (webhooks, log services, system keys, agents), all drawing from `ids`.
//!
//! Also here, so tests can check it: the arithmetic of the benchmark (in `plan`),
//! [`SyntheticSize::plan`] (the requests a collection of the account needs) and [`floor`] (the
//! least time they can take).

mod handful;
mod ids;
mod people;
mod pipelines;
mod plan;

pub use plan::{Plan, floor, median};

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use self::ids::word_id;
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
}

impl SyntheticSize {
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

impl FakeAccount {
    /// Generates an account of `size` (see the module documentation).
    pub fn synthetic(size: &SyntheticSize) -> Self {
        Generator::new(size).account()
    }
}

/// The generator's state: the size, and the ids of every kind (numbered once, so unique).
struct Generator<'a> {
    size: &'a SyntheticSize,
    users: Vec<String>,
    teams: Vec<String>,
    groups: Vec<String>,
    connections: Vec<String>,
}

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
}
