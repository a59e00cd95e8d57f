//! `account.json`: `/account/info`, which also tells which key is calling (`user_id` for a
//! user's key, `system_key_id` for a system key). Always collected: the bundle's name and the
//! manifest's provenance come from it.

use crate::client::ApiError;
use crate::endpoints::ACCOUNT_INFO;

use crate::vocab::{AccountInfo, Collected, Status};

use super::Ctx;

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
