//! The access checks of `findings.json`: administrators, inactive, invited and suspended
//! users, and access granted twice (directly and by a team).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::resources::Artifact;

use super::{ADMIN_LIMIT, ADMIN_ROLE, Check, Params, Sources, list, subject, text, time};

/// Team id → the user ids it holds.
fn team_members(team: &Value) -> Vec<&str> {
    list(team, "user_memberships")
        .iter()
        .filter_map(|m| text(m, "/user_id"))
        .collect()
}

fn is_suspended(user: &Value) -> bool {
    user.get("active").and_then(Value::as_bool) == Some(false)
}

/// `FT-ACCESS-001`: who is an account administrator, directly or through a team.
pub(super) fn admins(sources: &Sources) -> Check {
    let mut via: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut labels: BTreeMap<String, Value> = BTreeMap::new();
    for u in sources.items(Artifact::Users) {
        let Some(id) = text(u, "/id") else { continue };
        labels.insert(
            id.to_owned(),
            u.get("email").cloned().unwrap_or(Value::Null),
        );
        if text(u, "/role") == Some(ADMIN_ROLE) {
            via.entry(id.to_owned()).or_default().push("direct".into());
        }
    }
    for t in sources.items(Artifact::Teams) {
        if text(t, "/role") != Some(ADMIN_ROLE) {
            continue;
        }
        let team = text(t, "/id").unwrap_or_default();
        for user in team_members(t) {
            via.entry(user.to_owned())
                .or_default()
                .push(format!("team:{team}"));
        }
    }
    let subjects: Vec<Value> = via
        .into_iter()
        .map(|(id, via)| {
            let label = labels.get(&id).cloned().unwrap_or(Value::Null);
            json!({"id": id, "label": label, "via": via})
        })
        .collect();
    let over = subjects.len() > ADMIN_LIMIT;
    Check {
        id: "FT-ACCESS-001",
        title: format!("account administrators (fails above {ADMIN_LIMIT})"),
        subjects,
        status: Some(if over { "fail" } else { "pass" }),
        proves: "which users hold the Account Administrator role, directly or through a team, \
                 as Fivetran reported when the run started",
        cannot_prove: "whether each administrator needs the role; custom roles with \
                       administrator-like permissions are not counted",
    }
}

/// `FT-ACCESS-002`: active users whose last login is older than `--inactive-days` (or who
/// have none and were not merely invited).
pub(super) fn inactive(sources: &Sources, params: &Params) -> Check {
    let cutoff = params.cutoff(params.inactive_days);
    let subjects = sources
        .items(Artifact::Users)
        .iter()
        .filter(|u| !is_suspended(u))
        .filter(|u| match time(u, "logged_in_at") {
            Some(t) => t < cutoff,
            None => u.get("invited").and_then(Value::as_bool) != Some(true),
        })
        .map(|u| {
            let at = u.get("logged_in_at").cloned().unwrap_or(Value::Null);
            subject(u, "email", "logged_in_at", at)
        })
        .collect();
    Check {
        id: "FT-ACCESS-002",
        title: format!(
            "active users without a login in the last {} day(s)",
            params.inactive_days
        ),
        subjects,
        status: None,
        proves: "logged_in_at, the last login Fivetran records, is older than the threshold \
                 (or absent) for these users",
        cannot_prove: "activity that does not update logged_in_at (API use with a personal \
                       key); whether logins through SSO are always recorded; suspended users \
                       are left to FT-ACCESS-004",
    }
}

/// `FT-ACCESS-003`: invitations never accepted.
pub(super) fn invited(sources: &Sources) -> Check {
    let subjects = sources
        .items(Artifact::Users)
        .iter()
        .filter(|u| u.get("invited").and_then(Value::as_bool) == Some(true))
        .filter(|u| u.get("logged_in_at").is_none_or(Value::is_null))
        .map(|u| subject(u, "email", "invited", json!(true)))
        .collect();
    Check {
        id: "FT-ACCESS-003",
        title: "invited users who never logged in".to_owned(),
        subjects,
        status: None,
        proves: "these users are marked invited and have no logged_in_at",
        cannot_prove: "when the invitation was sent or whether it has expired",
    }
}

/// `FT-ACCESS-004`: suspended users who still hold memberships (their own or a team's).
pub(super) fn suspended(sources: &Sources) -> Check {
    let mut teams: BTreeMap<&str, usize> = BTreeMap::new();
    for t in sources.items(Artifact::Teams) {
        for user in team_members(t) {
            *teams.entry(user).or_default() += 1;
        }
    }
    let subjects = sources
        .items(Artifact::Users)
        .iter()
        .filter(|u| is_suspended(u))
        .filter_map(|u| {
            let own = list(u, "group_memberships").len() + list(u, "connection_memberships").len();
            let team = text(u, "/id").and_then(|id| teams.get(id)).copied();
            let memberships = own + team.unwrap_or(0);
            (memberships > 0).then(|| subject(u, "email", "memberships", json!(memberships)))
        })
        .collect();
    Check {
        id: "FT-ACCESS-004",
        title: "suspended users who still hold memberships".to_owned(),
        subjects,
        status: None,
        proves: "these users have active false and still hold group, connection or team \
                 memberships (counted in `memberships`)",
        cannot_prove: "that a suspended user can use them: Fivetran blocks a suspended user's \
                       login; they would come back if the user were reactivated",
    }
}

/// `FT-ACCESS-005`: users who reach the same resource (the account, a group or a connection)
/// both directly and through a team.
pub(super) fn team_and_direct(sources: &Sources) -> Check {
    let mut by_team: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for t in sources.items(Artifact::Teams) {
        let mut grants = BTreeSet::new();
        if text(t, "/role").is_some() {
            grants.insert("account".to_owned());
        }
        for (kind, field) in [
            ("group", "group_memberships"),
            ("connection", "connection_memberships"),
        ] {
            for m in list(t, field) {
                if let Some(id) = text(m, "/id") {
                    grants.insert(format!("{kind}:{id}"));
                }
            }
        }
        for user in team_members(t) {
            by_team
                .entry(user)
                .or_default()
                .extend(grants.iter().cloned());
        }
    }
    let subjects = sources
        .items(Artifact::Users)
        .iter()
        .filter_map(|u| {
            let team = by_team.get(text(u, "/id")?)?;
            let mut direct = BTreeSet::new();
            if text(u, "/role").is_some() {
                direct.insert("account".to_owned());
            }
            for (kind, field) in [
                ("group", "group_memberships"),
                ("connection", "connection_memberships"),
            ] {
                for m in list(u, field) {
                    if let Some(id) = text(m, "/id") {
                        direct.insert(format!("{kind}:{id}"));
                    }
                }
            }
            let twice: Vec<&String> = direct.intersection(team).collect();
            (!twice.is_empty()).then(|| subject(u, "email", "resources", json!(twice)))
        })
        .collect();
    Check {
        id: "FT-ACCESS-005",
        title: "users reaching a resource both directly and through a team".to_owned(),
        subjects,
        status: None,
        proves: "these users hold a direct role on a resource (`account`, `group:ID`, \
                 `connection:ID`) that one of their teams also grants",
        cannot_prove: "which of the two roles Fivetran applies; removing one grant may not \
                       remove the access",
    }
}
