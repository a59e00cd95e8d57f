//! `access.json`: the effective access matrix, who can reach what, with which role, and why.
//!
//! One item per user × resource × path: `resource_type` is `account` (the account role),
//! `group` (a destination) or `connection`; `via` is `direct` (the user's own role or
//! membership) or `team` (granted by `team_id`: the team's account `role`, or its role on the
//! group or connection). A user reaching a connection both directly and through a team has two
//! items. Every user of `users.json` has a `direct` account item, its `role` null when the user
//! has no account role, so a user with no access at all still shows, as that one item. Team
//! members missing from `users.json` (a partial list) still get their team's items, with a
//! null `user_email`.
//!
//! Teams, roles, groups and connections are held in memory (as the few fields needed); users
//! are streamed, one at a time.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::vocab::{Artifact, Collected, Sink, Status};

use super::{Each, Inputs};

/// One team, as much of it as the matrix needs.
#[derive(Debug, Default)]
struct Team {
    id: String,
    name: Value,
    role: Value,
    /// `(type, id, role)` of each group and connection membership.
    grants: Vec<(&'static str, String, Value)>,
}

/// What is read before the users: names and roles to label items with, and the teams.
#[derive(Debug, Default)]
struct Lookup {
    /// Role name → `is_custom`.
    custom_roles: BTreeMap<String, bool>,
    /// Group id → name.
    groups: BTreeMap<String, Value>,
    /// Connection id → `(schema, group_id)`.
    connections: BTreeMap<String, (Value, Value)>,
    teams: Vec<Team>,
    /// User id → indexes into `teams`, and whether `users.json` had the user.
    members: BTreeMap<String, (Vec<usize>, bool)>,
}

fn text(item: &Value, field: &str) -> Option<String> {
    item.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn list<'a>(item: &'a Value, field: &str) -> &'a [Value] {
    item.get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The user an item is about.
struct User {
    id: String,
    email: Value,
    name: Value,
    active: Value,
    /// `active`, `invited` or `inactive`; null when `users.json` did not have the user.
    status: Value,
    logged_in_at: Value,
}

/// A user's status as a reviewer reads it: an invitation not yet accepted is `invited`
/// whatever `active` says; otherwise `active` or `inactive`; null when neither field is there.
fn status(item: &Value) -> Value {
    let flag = |f: &str| item.get(f).and_then(Value::as_bool);
    match (flag("invited"), flag("active")) {
        (Some(true), _) => Value::from("invited"),
        (_, Some(true)) => Value::from("active"),
        (_, Some(false)) => Value::from("inactive"),
        _ => Value::Null,
    }
}

impl User {
    fn of(item: &Value) -> Option<Self> {
        let id = text(item, "id")?;
        let given = text(item, "given_name").unwrap_or_default();
        let family = text(item, "family_name").unwrap_or_default();
        let full = format!("{given} {family}").trim().to_owned();
        Some(Self {
            id,
            email: item.get("email").cloned().unwrap_or(Value::Null),
            name: if full.is_empty() {
                Value::Null
            } else {
                Value::String(full)
            },
            active: item.get("active").cloned().unwrap_or(Value::Null),
            status: status(item),
            logged_in_at: item.get("logged_in_at").cloned().unwrap_or(Value::Null),
        })
    }

    fn unknown(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            email: Value::Null,
            name: Value::Null,
            active: Value::Null,
            status: Value::Null,
            logged_in_at: Value::Null,
        }
    }
}

impl Lookup {
    fn read(each: Each<'_>) -> Self {
        let mut l = Self::default();
        each(Artifact::Roles, &mut |r| {
            if let Some(name) = text(r, "name") {
                let custom = r.get("is_custom").and_then(Value::as_bool).unwrap_or(false);
                l.custom_roles.insert(name, custom);
            }
        });
        each(Artifact::Groups, &mut |g| {
            if let Some(id) = text(g, "id") {
                l.groups
                    .insert(id, g.get("name").cloned().unwrap_or(Value::Null));
            }
        });
        each(Artifact::Connections, &mut |c| {
            if let Some(id) = text(c, "id") {
                let field = |f: &str| c.get(f).cloned().unwrap_or(Value::Null);
                l.connections
                    .insert(id, (field("schema"), field("group_id")));
            }
        });
        let mut teams = Vec::new();
        let mut members: BTreeMap<String, (Vec<usize>, bool)> = BTreeMap::new();
        each(Artifact::Teams, &mut |t| {
            let Some(id) = text(t, "id") else { return };
            let index = teams.len();
            let mut grants = Vec::new();
            for (kind, field) in [
                ("group", "group_memberships"),
                ("connection", "connection_memberships"),
            ] {
                for m in list(t, field) {
                    if let Some(target) = text(m, "id") {
                        let role = m.get("role").cloned().unwrap_or(Value::Null);
                        grants.push((kind, target, role));
                    }
                }
            }
            for m in list(t, "user_memberships") {
                if let Some(user) = text(m, "user_id") {
                    let entry = members.entry(user).or_default();
                    if !entry.0.contains(&index) {
                        entry.0.push(index);
                    }
                }
            }
            teams.push(Team {
                id,
                name: t.get("name").cloned().unwrap_or(Value::Null),
                role: t.get("role").cloned().unwrap_or(Value::Null),
                grants,
            });
        });
        l.teams = teams;
        l.members = members;
        l
    }

    /// The name shown for a resource, and the group a connection is in.
    fn resource(&self, kind: &str, id: &str) -> (Value, Value) {
        match kind {
            "group" => (
                self.groups.get(id).cloned().unwrap_or(Value::Null),
                Value::String(id.to_owned()),
            ),
            "connection" => self
                .connections
                .get(id)
                .cloned()
                .unwrap_or((Value::Null, Value::Null)),
            _ => (Value::Null, Value::Null),
        }
    }

    fn is_custom(&self, role: &Value) -> Value {
        role.as_str()
            .and_then(|r| self.custom_roles.get(r))
            .map_or(Value::Null, |&c| Value::Bool(c))
    }

    /// One matrix item.
    fn item(
        &self,
        user: &User,
        (kind, id): (&str, Option<&str>),
        role: &Value,
        team: Option<&Team>,
    ) -> Value {
        let (name, group_id) = id.map_or((Value::Null, Value::Null), |id| self.resource(kind, id));
        let via = if team.is_some() { "team" } else { "direct" };
        let team_id = team.map(|t| t.id.as_str());
        let sort_key = format!(
            "{}|{kind}|{}|{via}|{}",
            user.id,
            id.unwrap_or_default(),
            team_id.unwrap_or_default()
        );
        json!({
            "sort_key": sort_key,
            "user_id": user.id,
            "user_email": user.email,
            "user_name": user.name,
            "user_active": user.active,
            "user_status": user.status,
            "user_logged_in_at": user.logged_in_at,
            "resource_type": kind,
            "resource_id": id,
            "resource_name": name,
            "group_id": group_id,
            "role": role,
            "role_is_custom": self.is_custom(role),
            "via": via,
            "team_id": team_id,
            "team_name": team.map_or(Value::Null, |t| t.name.clone()),
        })
    }

    /// The items a team gives one of its members.
    fn team_items(&self, user: &User, team: &Team, emit: &mut dyn FnMut(Value)) {
        if !team.role.is_null() {
            emit(self.item(user, ("account", None), &team.role, Some(team)));
        }
        for (kind, target, role) in &team.grants {
            emit(self.item(user, (kind, Some(target)), role, Some(team)));
        }
    }
}

/// Builds the artifact from the bundle being written, an item at a time.
pub(super) fn produce(inputs: &Inputs<'_>, sink: &mut dyn Sink) -> Collected {
    super::produce_streaming(Artifact::Access, inputs, sink, derive_streaming)
}

/// Builds the artifact reading the sources through `each`, handing every item to `emit` (in no
/// particular order: the bundle sorts by `sort_key`). Returns the status and reason; the
/// sources' own completeness is added by the caller.
pub fn derive_streaming(each: Each<'_>, emit: &mut dyn FnMut(Value)) -> (Status, Option<String>) {
    let mut lookup = Lookup::read(each);
    let mut without_id = 0usize;
    let mut seen = Vec::new();
    each(Artifact::Users, &mut |u| {
        let Some(user) = User::of(u) else {
            without_id += 1;
            return;
        };
        let role = u.get("role").cloned().unwrap_or(Value::Null);
        emit(lookup.item(&user, ("account", None), &role, None));
        for (kind, field) in [
            ("group", "group_memberships"),
            ("connection", "connection_memberships"),
        ] {
            for m in list(u, field) {
                if let Some(target) = text(m, "id") {
                    let role = m.get("role").cloned().unwrap_or(Value::Null);
                    emit(lookup.item(&user, (kind, Some(&target)), &role, None));
                }
            }
        }
        if let Some((teams, _)) = lookup.members.get(&user.id) {
            for &t in teams {
                lookup.team_items(&user, &lookup.teams[t], emit);
            }
            seen.push(user.id);
        }
    });
    for id in seen {
        if let Some(entry) = lookup.members.get_mut(&id) {
            entry.1 = true;
        }
    }
    // Team members `users.json` did not have: their team access still counts.
    for (id, (teams, seen)) in &lookup.members {
        if !seen {
            let user = User::unknown(id);
            for &t in teams {
                lookup.team_items(&user, &lookup.teams[t], emit);
            }
        }
    }
    if without_id == 0 {
        (Status::Complete, None)
    } else {
        (
            Status::Partial,
            Some(format!("{without_id} user(s) without an `id` are left out")),
        )
    }
}

#[cfg(test)]
mod tests;
