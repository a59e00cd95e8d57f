//! The account and the identity of the key that reads it, from `/account/info`.

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
        }
    }
}
