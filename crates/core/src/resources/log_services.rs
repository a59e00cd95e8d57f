//! `log_services.json`: the external log services (`/external-logging`), plus the account-level
//! service (`/external-logging/account`) where there is one, marked `_iru.account_level`.
//!
//! A 404 for the account-level service means none is configured, and so does a 403 that says
//! the account does not have the feature. Any other 403 there makes the artifact partial: the
//! tool cannot tell whether one exists.

use serde_json::{Value, json};

use crate::client::ApiError;
use crate::endpoints::{ACCOUNT_LOG_SERVICE, LOG_SERVICES};
use crate::paginate;
use crate::vocab::{Collected, NOTES_KEY, Status, id_of};

use super::{Ctx, Problems, assemble, fatal};

/// Lists log services and reads the account-level one.
pub async fn collect(ctx: &Ctx<'_>) -> Result<Collected, ApiError> {
    let path = LOG_SERVICES.path(&[]).expect("no ids");
    let mut listed = paginate::list_all(ctx.client, LOG_SERVICES, &path, "id").await;
    let error = fatal(listed.error.take())?;
    let mut problem = None;
    let account_path = ACCOUNT_LOG_SERVICE.path(&[]).expect("no ids");
    match ctx
        .client
        .get_object(ACCOUNT_LOG_SERVICE, &account_path)
        .await
    {
        Ok(Value::Object(service)) => {
            let id = service.get("id").and_then(Value::as_str).map(str::to_owned);
            let twin = id.and_then(|id| {
                listed
                    .items
                    .iter_mut()
                    .find(|item| id_of(item, "id").as_deref() == Some(id.as_str()))
            });
            // The account endpoint's fields win over the list's, as a detail does.
            let target = match twin {
                Some(item) => {
                    if let Some(obj) = item.as_object_mut() {
                        obj.extend(service);
                    }
                    item
                }
                None => {
                    listed.items.push(Value::Object(service));
                    listed.items.last_mut().expect("just pushed")
                }
            };
            if let Some(obj) = target.as_object_mut() {
                obj.insert(NOTES_KEY.into(), json!({"account_level": true}));
            }
        }
        Ok(_) => unreachable!("the client checks that data is an object"),
        Err(e) if e.is_fatal() => return Err(e),
        Err(e) if e.not_found_code().is_some() => {}
        // An account without the feature has no account-level service: nothing is unknown.
        Err(e) if e.feature_not_enabled() => {}
        Err(e) => {
            problem = Some(format!(
                "whether an account-level log service exists is unknown: {e}"
            ))
        }
    }
    let mut collected = assemble(
        error,
        listed.pages,
        !listed.items.is_empty(),
        &Problems::default(),
    );
    collected.items = listed.items;
    if let Some(problem) = problem {
        if collected.status == Status::Complete {
            collected.status = Status::Partial;
        }
        collected.reason = Some(match collected.reason.take() {
            Some(reason) => format!("{reason}; {problem}"),
            None => problem,
        });
    }
    Ok(collected)
}
