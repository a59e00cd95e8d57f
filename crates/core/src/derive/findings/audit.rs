//! The checks over the audit trail: changes no audit event explains (`FT-AUDIT-002`), actions
//! by people who are no longer active users (`FT-AUDIT-003`), API secrets generated in the
//! window (`FT-AUDIT-004`). Items stream past; only the subjects are kept, people counted once.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::vocab::Artifact;

use super::{Check, text};

/// The audit-trail checks as their items stream past.
#[derive(Debug, Default)]
pub(super) struct TrailChecks {
    unexplained: Vec<Value>,
    /// Person (user id, else email) → `(email, actions)`.
    departed: BTreeMap<String, (Value, u64)>,
    secrets: Vec<Value>,
}

impl TrailChecks {
    /// An item of `audit_trail.json`.
    pub(super) fn add_action(&mut self, item: &Value) {
        let actor = item.get("actor").unwrap_or(&Value::Null);
        if actor.get("active") == Some(&Value::Bool(false)) {
            let person = text(actor, "/user_id")
                .or_else(|| text(actor, "/email"))
                .unwrap_or("(unknown)")
                .to_owned();
            let entry = self
                .departed
                .entry(person)
                .or_insert_with(|| (actor.get("email").cloned().unwrap_or(Value::Null), 0));
            entry.1 += 1;
        }
        if text(item, "/event") == Some("generate_api_secret")
            || (text(item, "/action") == Some("GENERATE")
                && text(item, "/resource/type") == Some("API_KEY"))
        {
            self.secrets.push(json!({
                "id": item.get("id"),
                "label": actor.get("email").filter(|e| !e.is_null()).or_else(|| actor.get("user_id")),
                "at": item.get("at"),
            }));
        }
    }

    /// An item of `changes.json`.
    pub(super) fn add_change(&mut self, item: &Value) {
        if item.pointer("/audit/status").and_then(Value::as_str) == Some("unexplained") {
            self.unexplained.push(json!({
                "id": item.get("id"),
                "label": item.get("label"),
                "change": format!(
                    "{} {}",
                    text(item, "/kind").unwrap_or_default(),
                    text(item, "/field").unwrap_or_default()
                ),
            }));
        }
    }

    /// Drops what an artifact that could not be read in full gave.
    pub(super) fn forget(&mut self, artifact: Artifact) {
        match artifact {
            Artifact::AuditTrail => {
                self.departed.clear();
                self.secrets.clear();
            }
            Artifact::Changes => self.unexplained.clear(),
            _ => {}
        }
    }

    /// The three checks.
    pub(super) fn finish(self) -> [Check; 3] {
        let departed = self
            .departed
            .into_iter()
            .map(|(person, (email, actions))| json!({"id": person, "label": email, "actions": actions}))
            .collect();
        [
            Check {
                id: "FT-AUDIT-002",
                title: "changes since the baseline that no audit event explains".to_owned(),
                subjects: self.unexplained,
                status: None,
                missing: None,
                proves: "per changes.json, these items changed between the baseline's collection \
                         and this run's, and the audit trail, which covers that time up to its \
                         end (`audit.covered_until`), records no user action on them",
                cannot_prove: "that no person made the change: one made after the Platform \
                               Connector's last sync is not in the warehouse yet, and Fivetran's \
                               own actions are not attributed; changes the audit trail does not \
                               cover (`audit.status` `not_covered`) are not listed",
            },
            Check {
                id: "FT-AUDIT-003",
                title: "actions in the audit trail by people who are no longer active users"
                    .to_owned(),
                subjects: departed,
                status: None,
                missing: None,
                proves: "per audit_trail.json, these people acted in the audit window although \
                         users.json does not list them as active now (deleted, deactivated, or \
                         never known to the API)",
                cannot_prove: "whether the action was authorized when it was made, or whether the \
                               person was active then",
            },
            Check {
                id: "FT-AUDIT-004",
                title: "API secrets generated in the audit window".to_owned(),
                subjects: self.secrets,
                status: None,
                missing: None,
                proves: "per audit_trail.json, a user generated an API secret \
                         (`generate_api_secret`) in the window read",
                cannot_prove: "what the key was used for, whether it is still valid, or keys \
                               generated outside the window",
            },
        ]
    }
}

#[cfg(test)]
mod tests;
