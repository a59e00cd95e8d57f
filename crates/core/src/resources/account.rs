//! `account.json`: `/account/info`, which also tells which key is calling (`user_id` for a
//! user's key, `system_key_id` for a system key). Always collected: the bundle's name and the
//! manifest's provenance come from it.
//!
//! Then one more request says what that key may see ([`KeyAccess`]): its user's account role
//! (`/users/{id}`) or the system key's permissions (`/system-keys/{id}`, of which only
//! `permissions` is kept: the detail also holds the key). Fivetran filters lists by them
//! without saying so; the manifest, the run summary and the report repeat the verdict.

use serde_json::Value;

use crate::client::ApiError;
use crate::endpoints::{ACCOUNT_INFO, SYSTEM_KEY, USER};
use crate::text::clean;

use crate::vocab::{AccountInfo, Collected, KeyAccess, Status};

use super::Ctx;

/// Reads `/account/info`. `Err` only when the key is refused. What the key may see is
/// [`access`]'s, a request of its own, so that the quota the run announces is the one the
/// account's first answer reported.
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
            let why = e.to_string();
            let collected = Collected {
                status,
                reason: Some(why.clone()),
                ..Collected::default()
            };
            Ok((
                collected,
                AccountInfo {
                    key_kind: "unknown",
                    access: Some(KeyAccess::unknown(why)),
                    ..AccountInfo::default()
                },
            ))
        }
    }
}

/// What the key of `info` may see: one request, to its user or to itself (none when the
/// account could not be read). `Err` only when the key is refused.
pub async fn access(ctx: &Ctx<'_>, info: &AccountInfo) -> Result<KeyAccess, ApiError> {
    if let Some(known) = &info.access {
        return Ok(known.clone());
    }
    let (endpoint, id) = match (info.key_kind, info.key_id.as_deref()) {
        ("user", Some(id)) => (USER, id),
        ("system_key", Some(id)) => (SYSTEM_KEY, id),
        _ => {
            return Ok(KeyAccess::unknown(
                "/v1/account/info named neither a user nor a system key".to_owned(),
            ));
        }
    };
    let path = match endpoint.path(&[id]) {
        Ok(path) => path,
        Err(e) => return Ok(KeyAccess::unknown(format!("{}: {e}", endpoint.display()))),
    };
    match ctx.client.get_object(endpoint, &path).await {
        Ok(data) if endpoint == USER => {
            let role = data.get("role").and_then(Value::as_str).map(clean);
            Ok(KeyAccess::of_user(role.as_deref()))
        }
        Ok(data) => match data.get("permissions").and_then(Value::as_array) {
            Some(permissions) => Ok(KeyAccess::of_system_key(permissions)),
            None => Ok(KeyAccess::unknown(format!(
                "GET /v1{path} answered without permissions"
            ))),
        },
        Err(e) if e.is_fatal() => Err(e),
        Err(e) => Ok(KeyAccess::unknown(e.to_string())),
    }
}
