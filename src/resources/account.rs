//! `account.json`: `/account/info`, which also tells which key is calling (`user_id` for a
//! user's key, `system_key_id` for a system key). Always collected: the bundle's name and the
//! manifest's provenance come from it.

use serde::Serialize;
use serde_json::Value;

use crate::client::ApiError;
use crate::endpoints::ACCOUNT_INFO;

use super::{Collected, Ctx, Status};

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

/// Reads `/account/info`. `Err` only when the key is refused.
pub async fn collect(ctx: &Ctx<'_>) -> Result<(Collected, AccountInfo), ApiError> {
    let path = ACCOUNT_INFO.path(&[]).expect("no ids");
    match ctx.client.get_object(ACCOUNT_INFO, &path).await {
        Ok(data) => {
            let info = AccountInfo::from_data(&data);
            let collected = Collected {
                items: vec![data],
                status: Status::Complete,
                ..Collected::default()
            };
            Ok((collected, info))
        }
        Err(e) if e.is_fatal() => Err(e),
        Err(e) => {
            let status = if e.forbidden_message().is_some() {
                Status::Forbidden
            } else {
                Status::Failed
            };
            let collected = Collected {
                status,
                reason: Some(e.to_string()),
                ..Collected::default()
            };
            Ok((
                collected,
                AccountInfo {
                    key_kind: "unknown",
                    ..AccountInfo::default()
                },
            ))
        }
    }
}
