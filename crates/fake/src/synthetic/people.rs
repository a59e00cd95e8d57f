//! The people of the generated account: users (names, account roles, logins) with their group
//! and connection memberships, and teams with their members and group and connection
//! memberships.

use serde_json::{Value, json};

use super::ids::{CONNECTION, GROUP, TEAM, USER, draw};
use super::{FakeAccount, Generator};

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

impl Generator<'_> {
    pub(super) fn users(&self, a: &mut FakeAccount) {
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

    pub(super) fn teams(&self, a: &mut FakeAccount) {
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
