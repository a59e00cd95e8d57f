//! Artifacts that are one plain list: roles, groups, webhooks, system keys, private links,
//! proxy agents and hybrid deployment agents. Items go to the artifact's sink a page at a
//! time, as they are parsed: memory holds one page, whatever the length of the list.

use crate::client::ApiError;
use crate::endpoints::Endpoint;
use crate::paginate::Pager;
use crate::vocab::{Collected, Sink};

use super::{Ctx, Problems, assemble, fatal};

/// Reads every page of `endpoint` into `sink`, until the list ends or the sink is full; items
/// are identified by `key`.
pub async fn collect(
    ctx: &Ctx<'_>,
    endpoint: Endpoint,
    key: &str,
    sink: &mut dyn Sink,
) -> Result<Collected, ApiError> {
    let path = endpoint.path(&[]).expect("top-level lists have no ids");
    let mut pager = Pager::new(ctx.client, endpoint, &path, &[], key);
    'pages: while let Some(items) = pager.next_page().await {
        for item in items {
            sink.push(item);
            if sink.full().is_some() {
                break 'pages;
            }
        }
    }
    let error = fatal(pager.error.take())?;
    Ok(assemble(
        error,
        pager.pages,
        sink.count() > 0,
        &Problems::default(),
    ))
}
