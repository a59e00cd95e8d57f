//! The access checks of `findings.json`: administrators, inactive, invited and suspended
//! users, and access granted twice (directly and by a team).
//!
//! Teams are read first and kept (a few fields each); users are then checked one at a time as
//! they stream past, and only the subjects that fail are kept. Per user id, memory holds the
//! teams listing it, and for administrators their label.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::vocab::Artifact;

use super::{ADMIN_ROLE, Check, Params, list, some_of, subject, text, time};

/// The user ids a team lists, once per listing.
fn team_members(team: &Value) -> impl Iterator<Item = &str> {
    list(team, "user_memberships")
        .iter()
        .filter_map(|m| text(m, "/user_id"))
}

fn is_suspended(user: &Value) -> bool {
    user.get("active").and_then(Value::as_bool) == Some(false)
}

/// What the direct and team grants of one item (a user or a team) reach: `account` when it
/// holds an account role, `group:ID` and `connection:ID` for each membership.
fn grants(item: &Value) -> BTreeSet<String> {
    let mut grants = BTreeSet::new();
    if text(item, "/role").is_some() {
        grants.insert("account".to_owned());
    }
    for (kind, field) in [
        ("group", "group_memberships"),
        ("connection", "connection_memberships"),
    ] {
        for m in list(item, field) {
            if let Some(id) = text(m, "/id") {
                grants.insert(format!("{kind}:{id}"));
            }
        }
    }
    grants
}

/// One team, as much of it as the checks need.
#[derive(Debug)]
struct Team {
    /// `team:ID` as `FT-ACCESS-001` names it (`team:` for a team without an id).
    via: String,
    /// Whether the team's account role is Account Administrator.
    admin: bool,
    /// What the team grants its members ([`grants`]).
    grants: BTreeSet<String>,
}

/// The five access checks, computed as teams and then users stream past.
#[derive(Debug, Default)]
pub(super) struct AccessChecks {
    teams: Vec<Team>,
    /// User id → indexes into `teams` of the teams listing it, once per listing, in team
    /// order (a user listed twice by a team counts twice, as a membership each).
    member_of: BTreeMap<String, Vec<usize>>,
    /// User id → how many user items hold the Account Administrator role directly.
    direct_admins: BTreeMap<String, usize>,
    /// Administrator id → the e-mail of the last user item with that id.
    admin_labels: BTreeMap<String, Value>,
    inactive: Vec<Value>,
    invited: Vec<Value>,
    suspended: Vec<Value>,
    team_and_direct: Vec<Value>,
    /// Users whose `logged_in_at` is there but is not a time with a zone: neither inactive
    /// nor merely invited can be told of them.
    unreadable_logins: Vec<String>,
}

impl AccessChecks {
    /// Keeps what the checks need of one team. Every team comes before the first user.
    pub(super) fn add_team(&mut self, team: &Value) {
        let index = self.teams.len();
        for user in team_members(team) {
            self.member_of
                .entry(user.to_owned())
                .or_default()
                .push(index);
        }
        self.teams.push(Team {
            via: format!("team:{}", text(team, "/id").unwrap_or_default()),
            admin: text(team, "/role") == Some(ADMIN_ROLE),
            grants: grants(team),
        });
    }

    /// Checks one user against every access check, keeping it where it fails.
    pub(super) fn add_user(&mut self, user: &Value, params: &Params) {
        let id = text(user, "/id");
        let teams = id.and_then(|id| self.member_of.get(id));
        let team_memberships = teams.map_or(0, Vec::len);
        let admin_by_team = teams.is_some_and(|ts| ts.iter().any(|&t| self.teams[t].admin));
        // Sorted, as `grants` is: the resources reached directly that a team also grants.
        let twice: Option<Vec<String>> = teams.map(|ts| {
            grants(user)
                .into_iter()
                .filter(|g| ts.iter().any(|&t| self.teams[t].grants.contains(g)))
                .collect()
        });
        if let Some(id) = id {
            self.note_admin(id, user, admin_by_team);
        }
        let login = user.get("logged_in_at").filter(|v| !v.is_null());
        if login.is_some() && time(user, "logged_in_at").is_none() {
            // A time without a zone, or no time at all: when the user last logged in is not
            // known, so the user is neither a subject nor a pass of FT-ACCESS-002 and 003.
            if !is_suspended(user) {
                let id = id.unwrap_or("(without an id)");
                self.unreadable_logins.push(id.to_owned());
            }
        } else if is_inactive(user, params) {
            let at = user.get("logged_in_at").cloned().unwrap_or(Value::Null);
            self.inactive
                .push(subject(user, "email", "logged_in_at", at));
        }
        if user.get("invited").and_then(Value::as_bool) == Some(true) && login.is_none() {
            self.invited
                .push(subject(user, "email", "invited", json!(true)));
        }
        if is_suspended(user) {
            let own =
                list(user, "group_memberships").len() + list(user, "connection_memberships").len();
            let memberships = own + team_memberships;
            if memberships > 0 {
                self.suspended
                    .push(subject(user, "email", "memberships", json!(memberships)));
            }
        }
        if let Some(twice) = twice.filter(|t| !t.is_empty()) {
            self.team_and_direct
                .push(subject(user, "email", "resources", json!(twice)));
        }
    }

    /// Counts a direct administrator, and keeps the label of any administrator: the e-mail
    /// of the last user item with its id, as a map of every user's label would give. An id
    /// becomes an administrator's by this item, by an earlier one, or by a team (all read
    /// before users), so its last item always passes here.
    fn note_admin(&mut self, id: &str, user: &Value, admin_by_team: bool) {
        let direct = text(user, "/role") == Some(ADMIN_ROLE);
        if direct {
            *self.direct_admins.entry(id.to_owned()).or_default() += 1;
        }
        if direct || admin_by_team || self.direct_admins.contains_key(id) {
            let label = user.get("email").cloned().unwrap_or(Value::Null);
            self.admin_labels.insert(id.to_owned(), label);
        }
    }

    /// Drops what the items of `artifact` (teams or users) added: it could not be read in full.
    pub(super) fn forget(&mut self, artifact: Artifact) {
        match artifact {
            Artifact::Teams => {
                self.teams.clear();
                self.member_of.clear();
            }
            Artifact::Users => {
                self.direct_admins.clear();
                self.admin_labels.clear();
                self.inactive.clear();
                self.invited.clear();
                self.suspended.clear();
                self.team_and_direct.clear();
                self.unreadable_logins.clear();
            }
            _ => {}
        }
    }

    /// The checks, in their order: `FT-ACCESS-001` to `FT-ACCESS-005`.
    pub(super) fn finish(self, params: &Params) -> [Check; 5] {
        let missing = (!self.unreadable_logins.is_empty()).then(|| {
            format!(
                "{} have a `logged_in_at` that is not a time with a zone (RFC 3339), so when they last logged in cannot be told",
                some_of(&self.unreadable_logins, "user(s)")
            )
        });
        [
            self.admins_check(params.max_admins),
            inactive_check(self.inactive, params, missing.clone()),
            invited_check(self.invited, missing),
            suspended_check(self.suspended),
            team_and_direct_check(self.team_and_direct),
        ]
    }

    /// `FT-ACCESS-001`: who is an account administrator, directly or through a team, by id.
    /// `via` lists `direct` once per user item naming it, then `team:ID` once per listing by
    /// an administrators' team, in team order.
    fn admins_check(&self, max_admins: u32) -> Check {
        let mut via: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (id, &times) in &self.direct_admins {
            via.entry(id)
                .or_default()
                .extend(std::iter::repeat_n("direct".to_owned(), times));
        }
        for (id, teams) in &self.member_of {
            for &t in teams {
                if self.teams[t].admin {
                    via.entry(id).or_default().push(self.teams[t].via.clone());
                }
            }
        }
        let subjects: Vec<Value> = via
            .into_iter()
            .map(|(id, via)| {
                let label = self.admin_labels.get(id).cloned().unwrap_or(Value::Null);
                json!({"id": id, "label": label, "via": via})
            })
            .collect();
        let limit = usize::try_from(max_admins).unwrap_or(usize::MAX);
        let over = subjects.len() > limit;
        Check {
            id: "FT-ACCESS-001",
            title: format!("account administrators (fails above {})", max_admins),
            subjects,
            status: Some(if over { "fail" } else { "pass" }),
            missing: None,
            proves: "which users hold the Account Administrator role, directly or through a team, \
                     as Fivetran reported when the run started",
            cannot_prove: "whether each administrator needs the role; custom roles with \
                           administrator-like permissions are not counted",
        }
    }
}

/// Whether an active user's last login is older than `--inactive-days` (or absent, for a user
/// who was not merely invited).
fn is_inactive(user: &Value, params: &Params) -> bool {
    if is_suspended(user) {
        return false;
    }
    match time(user, "logged_in_at") {
        Some(t) => t < params.cutoff(params.inactive_days),
        None => user.get("invited").and_then(Value::as_bool) != Some(true),
    }
}

/// `FT-ACCESS-002`: active users whose last login is older than `--inactive-days` (or who
/// have none and were not merely invited).
fn inactive_check(subjects: Vec<Value>, params: &Params, missing: Option<String>) -> Check {
    Check {
        id: "FT-ACCESS-002",
        title: format!(
            "active users without a login in the last {} day(s)",
            params.inactive_days
        ),
        subjects,
        status: None,
        missing,
        proves: "logged_in_at, the last login Fivetran records, is older than the threshold \
                 (or absent) for these users",
        cannot_prove: "activity that does not update logged_in_at (API use with a personal \
                       key); whether logins through SSO are always recorded; suspended users \
                       are left to FT-ACCESS-004",
    }
}

/// `FT-ACCESS-003`: invitations never accepted.
fn invited_check(subjects: Vec<Value>, missing: Option<String>) -> Check {
    Check {
        id: "FT-ACCESS-003",
        title: "invited users who never logged in".to_owned(),
        subjects,
        status: None,
        missing,
        proves: "these users are marked invited and have no logged_in_at",
        cannot_prove: "when the invitation was sent or whether it has expired",
    }
}

/// `FT-ACCESS-004`: suspended users who still hold memberships (their own or a team's).
fn suspended_check(subjects: Vec<Value>) -> Check {
    Check {
        id: "FT-ACCESS-004",
        title: "suspended users who still hold memberships".to_owned(),
        subjects,
        status: None,
        missing: None,
        proves: "these users have active false and still hold group, connection or team \
                 memberships (counted in `memberships`)",
        cannot_prove: "that a suspended user can use them: Fivetran blocks a suspended user's \
                       login; they would come back if the user were reactivated",
    }
}

/// `FT-ACCESS-005`: users who reach the same resource (the account, a group or a connection)
/// both directly and through a team.
fn team_and_direct_check(subjects: Vec<Value>) -> Check {
    Check {
        id: "FT-ACCESS-005",
        title: "users reaching a resource both directly and through a team".to_owned(),
        subjects,
        status: None,
        missing: None,
        proves: "these users hold a direct role on a resource (`account`, `group:ID`, \
                 `connection:ID`) that one of their teams also grants",
        cannot_prove: "which of the two roles Fivetran applies; removing one grant may not \
                       remove the access",
    }
}
