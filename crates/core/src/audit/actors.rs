//! Who did it: an action's actor resolved through the API's users (`users.json`) and the
//! warehouse's `USER` table, which still knows people the API no longer lists because they
//! were deleted.
//!
//! `LOG` names its actor by email, or since October 2025 by user id ("We now reference users by
//! unique ID instead of email address", Fivetran's logs release notes): a value with `@` is
//! taken as an email, anything else as a user id. `AUDIT_TRAIL` names a user id. The actor
//! `fivetran` (any case) is Fivetran itself: a system action, counted, not listed
//! ([`is_system`]).
//!
//! The result, `actor` of an item: `user_id` and `email` (each null when nothing names it),
//! `name`, `listed_by_api` (the API lists the person now), `active` (listed, and `active: true`
//! there: "still an active user"), and `deleted_in_warehouse` (`USER._fivetran_deleted`, null
//! when `USER` does not know the person).

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::warehouse::UserRow;

use super::known::Known;

/// Whether an actor or user id stands for Fivetran itself.
pub fn is_system(actor: Option<&str>) -> bool {
    match actor.map(str::trim) {
        None | Some("") => true,
        Some(a) => a.eq_ignore_ascii_case("fivetran"),
    }
}

/// A person of the warehouse's `USER` table.
#[derive(Debug, Clone)]
struct Row {
    email: Option<String>,
    name: Option<String>,
    deleted: Option<bool>,
}

/// Resolves actors for one audit source.
#[derive(Debug, Default)]
pub struct Actors {
    rows: HashMap<String, Row>,
    emails: HashMap<String, String>,
}

impl Actors {
    /// Adds a `USER` row.
    pub fn add(&mut self, row: UserRow) {
        let name = match (row.given_name, row.family_name) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (g, f) => g.or(f),
        };
        if let Some(email) = &row.email {
            self.emails.insert(email.to_lowercase(), row.id.clone());
        }
        self.rows.insert(
            row.id,
            Row {
                email: row.email,
                name,
                deleted: row.deleted,
            },
        );
    }

    /// The user id an actor names, if anyone knows it.
    pub fn user_id(&self, known: &Known, actor: &str) -> Option<String> {
        let actor = actor.trim();
        if actor.contains('@') {
            let email = actor.to_lowercase();
            known
                .emails
                .get(&email)
                .or_else(|| self.emails.get(&email))
                .cloned()
        } else {
            Some(actor.to_owned())
        }
    }

    /// The `actor` object of an item for an actor as `LOG` or `AUDIT_TRAIL` names it.
    pub fn resolve(&self, known: &Known, actor: &str) -> Value {
        let actor = actor.trim();
        let user_id = self.user_id(known, actor);
        let api = user_id.as_deref().and_then(|id| known.users.get(id));
        let row = user_id.as_deref().and_then(|id| self.rows.get(id));
        let email = api
            .and_then(|p| p.email.clone())
            .or_else(|| row.and_then(|r| r.email.clone()))
            .or_else(|| actor.contains('@').then(|| actor.to_owned()));
        let name = api
            .and_then(|p| p.name.clone())
            .or_else(|| row.and_then(|r| r.name.clone()));
        // An id nobody knows is still an id; an email nobody knows has no id.
        json!({
            "user_id": user_id,
            "email": email,
            "name": name,
            "listed_by_api": api.is_some(),
            "active": api.is_some_and(|p| p.active == Some(true)),
            "deleted_in_warehouse": row.and_then(|r| r.deleted),
        })
    }
}

#[cfg(test)]
mod tests;
