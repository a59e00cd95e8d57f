//! `log_services.json`: the external log services (`/external-logging`), each overlaid with
//! its detail (`/external-logging/{id}`: `config` and `setup_tests`, which the list item lacks),
//! plus the account-level service (`/external-logging/account`) where there is one, marked
//! `_iru.account_level` (its detail is that answer, so it is not read twice).
//!
//! A 404 for the account-level service means none is configured, and so does a 403 that says
//! the account does not have the feature. Any other 403 there makes the artifact partial: the
//! tool cannot tell whether one exists.

use futures::StreamExt as _;
use serde_json::{Value, json};

use crate::client::ApiError;
use crate::endpoints::{ACCOUNT_LOG_SERVICE, LOG_SERVICE, LOG_SERVICES};
use crate::paginate;
use crate::vocab::{Collected, NOTES_KEY, Status, id_of};

use super::{Ctx, Notes, Problems, assemble, fatal, merge_detail};

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
    let problems = details(ctx, &mut listed.items).await?;
    let mut collected = assemble(error, listed.pages, !listed.items.is_empty(), &problems);
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

/// Overlays each listed service but the account-level one with its detail,
/// [`Ctx::fan_out`] at a time; the items keep their order.
async fn details(ctx: &Ctx<'_>, items: &mut Vec<Value>) -> Result<Problems, ApiError> {
    let mut problems = Problems::default();
    let mut done = Vec::with_capacity(items.len());
    let mut reads = futures::stream::iter(std::mem::take(items).into_iter().enumerate())
        .map(|(at, item)| detail_of(ctx, at, item))
        .buffer_unordered(ctx.fan_out.max(1));
    while let Some(read) = reads.next().await {
        let (at, item, item_problems) = read?;
        problems.extend(item_problems);
        done.push((at, item));
    }
    done.sort_by_key(|(at, _)| *at);
    items.extend(done.into_iter().map(|(_, item)| item));
    Ok(problems)
}

async fn detail_of(
    ctx: &Ctx<'_>,
    at: usize,
    mut item: Value,
) -> Result<(usize, Value, Vec<String>), ApiError> {
    let account_level = item
        .get(NOTES_KEY)
        .and_then(|n| n.get("account_level"))
        .is_some();
    if account_level {
        return Ok((at, item, Vec::new()));
    }
    let mut notes = Notes::default();
    match id_of(&item, "id") {
        Some(id) => merge_detail(ctx, &mut item, &mut notes, LOG_SERVICE, &id).await?,
        None => notes.incomplete("a log service without an `id`: detail not read".into()),
    }
    let problems = notes.apply(&mut item);
    Ok((at, item, problems))
}
