//! The account and the identity of the key that reads it, from `/account/info`, and what that
//! key may see ([`KeyAccess`]): Fivetran filters every list by the key's permissions without
//! saying so, so a bundle states whether it can be the whole account.

use serde::Serialize;
use serde_json::Value;

/// The account and key identity, as far as the API told them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AccountInfo {
    /// `account_id`, if known.
    pub account_id: Option<String>,
    /// `account_name`, if known.
    pub account_name: Option<String>,
    /// `user` or `system_key` (or `unknown`).
    #[schemars(extend("enum" = ["user", "system_key", "unknown"]))]
    pub key_kind: &'static str,
    /// The user id or system key id behind the key: never the key or secret.
    pub key_id: Option<String>,
    /// What the key may see, read from its user (`GET /v1/users/{id}`: the account role) or
    /// from itself (`GET /v1/system-keys/{id}`: its permissions); absent from bundles written
    /// before it was recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<KeyAccess>,
}

/// Whether the bundle can be the whole account, given the key that collected it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The key may read every resource type the bundle holds, unfiltered.
    WholeAccount,
    /// The key's role or permissions hide part of the account: lists are filtered silently.
    Narrow,
    /// What the key may see could not be read.
    Unknown,
}

impl Scope {
    /// The word the manifest uses.
    pub fn name(self) -> &'static str {
        match self {
            Scope::WholeAccount => "whole_account",
            Scope::Narrow => "narrow",
            Scope::Unknown => "unknown",
        }
    }
}

/// What the collecting key may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct KeyAccess {
    /// Whether the bundle can be the whole account.
    pub scope: Scope,
    /// A user key: the user's account role (`null` when the user has none).
    pub role: Option<String>,
    /// A system key: its permissions as Fivetran lists them (`resource_type`, `access_level`,
    /// `resource_filter`); `null` for a user key or when they could not be read.
    pub permissions: Option<Vec<Value>>,
    /// What the bundle may not hold because of the key, or why that is unknown.
    pub reason: String,
}

/// Account roles that read every destination and connection of the account.
pub const WHOLE_ACCOUNT_ROLES: [&str; 2] = ["Account Administrator", "Account Reviewer"];

/// The resource types a system key's permissions name (Fivetran's system-key documentation);
/// each needs `READ` or `MANAGE`, unfiltered, for the key to see the whole account.
pub const RESOURCE_TYPES: [&str; 11] = [
    "ACCOUNT",
    "USER",
    "ROLES",
    "TEAM",
    "WEBHOOK",
    "DESTINATION",
    "CONNECTOR",
    "PRIVATE_LINK",
    "PROXY",
    "REMOTE_EXECUTION_AGENT",
    "TRANSFORMATION",
];

impl KeyAccess {
    /// A user's key: it sees what its user's account `role` sees.
    pub fn of_user(role: Option<&str>) -> Self {
        let (scope, reason) = match role {
            Some(r) if WHOLE_ACCOUNT_ROLES.contains(&r) => (
                Scope::WholeAccount,
                format!("the key's user has the account role {r}, which reads the whole account"),
            ),
            Some(r) => (
                Scope::Narrow,
                format!(
                    "the key's user has the account role {r}: Fivetran lists only the \
                     destinations and connections that role or the user's memberships reach, \
                     without saying so; this bundle may not be the whole account"
                ),
            ),
            None => (
                Scope::Narrow,
                "the key's user has no account role: Fivetran lists only what the user's \
                 memberships reach, without saying so; this bundle may not be the whole account"
                    .to_owned(),
            ),
        };
        Self {
            scope,
            role: role.map(str::to_owned),
            permissions: None,
            reason,
        }
    }

    /// A system key with these `permissions` (the `permissions` array of its detail); of each
    /// only `resource_type`, `access_level` and `resource_filter` are kept.
    pub fn of_system_key(permissions: &[Value]) -> Self {
        let level = |p: &Value| {
            p.get("access_level")
                .and_then(Value::as_str)
                .unwrap_or("NONE")
                .to_ascii_uppercase()
        };
        let filtered = |p: &Value| {
            p.get("resource_filter")
                .is_some_and(|f| !f.is_null() && f.as_object().is_none_or(|o| !o.is_empty()))
        };
        let mut gaps = Vec::new();
        for kind in RESOURCE_TYPES {
            let grant = permissions
                .iter()
                .find(|p| p.get("resource_type").and_then(Value::as_str) == Some(kind));
            match grant {
                None => gaps.push(format!("no permission on {kind}")),
                Some(p) if !matches!(level(p).as_str(), "READ" | "MANAGE") => {
                    gaps.push(format!("{} on {kind}", level(p)));
                }
                Some(p) if filtered(p) => gaps.push(format!("{kind} limited by a resource filter")),
                Some(_) => {}
            }
        }
        let (scope, reason) = if gaps.is_empty() {
            (
                Scope::WholeAccount,
                "the system key may read every resource type, unfiltered".to_owned(),
            )
        } else {
            (
                Scope::Narrow,
                format!(
                    "the system key has {}: Fivetran answers those lists with what the key may \
                     see, or refuses them; this bundle may not be the whole account",
                    gaps.join(", ")
                ),
            )
        };
        // Only the fields that say what the key may reach: the manifest is not redacted, so
        // nothing else an answer might carry is copied into it.
        let kept = permissions
            .iter()
            .map(|p| {
                let mut out = serde_json::Map::new();
                for field in ["resource_type", "access_level", "resource_filter"] {
                    if let Some(v) = p.get(field) {
                        out.insert(field.to_owned(), v.clone());
                    }
                }
                Value::Object(out)
            })
            .collect();
        Self {
            scope,
            role: None,
            permissions: Some(kept),
            reason,
        }
    }

    /// What the key may see could not be read (`why`: the request and its error).
    pub fn unknown(why: String) -> Self {
        Self {
            scope: Scope::Unknown,
            role: None,
            permissions: None,
            reason: format!(
                "what the key may see is unknown ({why}): Fivetran filters lists by the key's \
                 permissions without saying so, so this bundle may not be the whole account"
            ),
        }
    }
}

impl AccountInfo {
    /// Reads the identity out of `/account/info`'s `data` (`doctor` reports it too).
    pub fn from_data(data: &Value) -> Self {
        let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
        let (key_kind, key_id) = match (text("user_id"), text("system_key_id")) {
            (Some(user), _) => ("user", Some(user)),
            (None, Some(key)) => ("system_key", Some(key)),
            (None, None) => ("unknown", None),
        };
        Self {
            account_id: text("account_id"),
            account_name: text("account_name"),
            key_kind,
            key_id,
            access: None,
        }
    }
}

#[cfg(test)]
mod tests;
