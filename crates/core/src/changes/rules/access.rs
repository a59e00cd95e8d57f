//! Access rules: users and their memberships, teams and theirs, roles, system keys.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::kit::{Ctx, Pair, Subject, at};
use crate::changes::Change;
use crate::changes::EXPIRING_WITHIN_DAYS;

const GROUP_MEMBERSHIPS: (&str, &str) = ("group_memberships", "id");
const CONNECTION_MEMBERSHIPS: (&str, &str) = ("connection_memberships", "id");
const TEAM_USERS: (&str, &str) = ("user_memberships", "user_id");

/// Users: lifecycle, account role, flags, details and direct memberships.
pub(super) fn user(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "email");
    s.lifecycle(out, pair, ("user_added", "user_removed"), "role");
    let Some(new) = pair.new else { return };
    if let Some(old) = pair.old {
        let both = (old, new);
        s.fields(out, both, "user_role_changed", &["role"]);
        s.toggle(out, both, "active", ("user_activated", "user_suspended"));
        s.fields(out, both, "user_invite_changed", &["invited"]);
        s.fields(out, both, "user_verified_changed", &["verified"]);
        s.fields(
            out,
            both,
            "user_details_changed",
            &["email", "given_name", "family_name"],
        );
    }
    let sides = (pair.old, new);
    s.memberships(
        out,
        sides,
        GROUP_MEMBERSHIPS,
        (
            "group_membership_granted",
            "group_membership_revoked",
            "group_membership_role_changed",
        ),
    );
    s.memberships(
        out,
        sides,
        CONNECTION_MEMBERSHIPS,
        (
            "connection_membership_granted",
            "connection_membership_revoked",
            "connection_membership_role_changed",
        ),
    );
}

/// Teams: lifecycle, name, role, description and their user, group and connection
/// memberships.
pub(super) fn team(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "name");
    s.lifecycle(out, pair, ("team_created", "team_deleted"), "role");
    let Some(new) = pair.new else { return };
    if let Some(old) = pair.old {
        let both = (old, new);
        s.fields(out, both, "team_renamed", &["name"]);
        s.fields(out, both, "team_role_changed", &["role"]);
        s.fields(out, both, "team_description_changed", &["description"]);
    }
    let sides = (pair.old, new);
    s.memberships(
        out,
        sides,
        TEAM_USERS,
        (
            "team_member_added",
            "team_member_removed",
            "team_member_role_changed",
        ),
    );
    s.memberships(
        out,
        sides,
        GROUP_MEMBERSHIPS,
        (
            "team_group_membership_granted",
            "team_group_membership_revoked",
            "team_group_membership_role_changed",
        ),
    );
    s.memberships(
        out,
        sides,
        CONNECTION_MEMBERSHIPS,
        (
            "team_connection_membership_granted",
            "team_connection_membership_revoked",
            "team_connection_membership_role_changed",
        ),
    );
}

/// Roles, identified by name.
pub(super) fn role(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "name");
    s.lifecycle(out, pair, ("role_added", "role_removed"), "scope");
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        s.fields(
            out,
            (old, new),
            "role_changed",
            &["description", "scope", "is_deprecated"],
        );
    }
}

/// The note on `system_key_rotated`.
const ROTATED_NOTE: &str = "updated_at is the API's only sign of a key rotation; it may also change with other edits to the key";
/// The note on `system_key_expiring`.
const EXPIRING_NOTE: &str = "expires within 30 days after the new bundle's start: a warning for the reviewer, reported even if unchanged";

/// System keys: lifecycle, rotation, expiry, permissions, and keys about to expire.
pub(super) fn system_key(pair: &Pair<'_>, ctx: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "name");
    s.lifecycle(
        out,
        pair,
        ("system_key_created", "system_key_deleted"),
        "permissions",
    );
    let Some(new) = pair.new else { return };
    if let Some(old) = pair.old {
        let (b, a) = (at(old, "updated_at"), at(new, "updated_at"));
        if b != a {
            s.push_noted(
                out,
                "system_key_rotated",
                "updated_at",
                (b, a),
                Some(ROTATED_NOTE),
            );
        }
        s.fields(
            out,
            (old, new),
            "system_key_expiry_changed",
            &["expired_at"],
        );
        s.fields(
            out,
            (old, new),
            "system_key_permissions_changed",
            &["permissions"],
        );
    }
    let expiry = new.get("expired_at").and_then(Value::as_str);
    if let (Some(start), Some(raw)) = (ctx.start, expiry)
        && expires_soon(start, raw)
    {
        let date = Value::String(raw.to_owned());
        s.push_noted(
            out,
            "system_key_expiring",
            "expired_at",
            (date.clone(), date),
            Some(EXPIRING_NOTE),
        );
    }
}

/// Whether `raw` is a time within [`EXPIRING_WITHIN_DAYS`] days after `start`.
fn expires_soon(start: Timestamp, raw: &str) -> bool {
    let Ok(expiry) = raw.parse::<Timestamp>() else {
        return false;
    };
    let horizon = start
        .checked_add(SignedDuration::from_hours(EXPIRING_WITHIN_DAYS * 24))
        .unwrap_or(Timestamp::MAX);
    start <= expiry && expiry <= horizon
}

#[cfg(test)]
mod tests;
