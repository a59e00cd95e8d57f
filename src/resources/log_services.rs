//! `log_services.json`: the external log services (`/external-logging`), plus the account-level
//! service (`/external-logging/account`) where there is one, marked `_iru.account_level`.
//!
//! A 404 for the account-level service means none is configured. A 403 there (the feature is
//! for Enterprise plans) makes the artifact partial: the tool cannot tell whether one exists.

use serde_json::json;

use crate::client::ApiError;
use crate::endpoints::{ACCOUNT_LOG_SERVICE, LOG_SERVICES};
use crate::paginate;

use super::{Collected, Ctx, NOTES_KEY, assemble, fatal, id_of, sort_items};

/// Lists log services and reads the account-level one.
pub async fn collect(ctx: &Ctx<'_>) -> Result<Collected, ApiError> {
    let path = LOG_SERVICES.path(&[]).expect("no ids");
    let mut listed = paginate::list_all(ctx.client, LOG_SERVICES, &path, "id").await;
    let error = fatal(listed.error.take())?;
    let mut problems = Vec::new();
    let account_path = ACCOUNT_LOG_SERVICE.path(&[]).expect("no ids");
    match ctx
        .client
        .get_object(ACCOUNT_LOG_SERVICE, &account_path)
        .await
    {
        Ok(service) => {
            let id = id_of(&service, "id");
            let twin = id.and_then(|id| {
                listed
                    .items
                    .iter()
                    .position(|item| id_of(item, "id").as_deref() == Some(id.as_str()))
            });
            let index = twin.unwrap_or_else(|| {
                listed.items.push(service);
                listed.items.len() - 1
            });
            if let Some(obj) = listed.items[index].as_object_mut() {
                obj.insert(NOTES_KEY.into(), json!({"account_level": true}));
            }
        }
        Err(e) if e.is_fatal() => return Err(e),
        Err(e) if e.not_found_code().is_some() => {}
        Err(e) => problems.push(format!("account-level log service unknown: {e}")),
    }
    sort_items(&mut listed.items, "id");
    Ok(assemble(error, listed.pages, listed.items, problems))
}
