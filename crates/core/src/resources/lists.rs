//! Artifacts that are one plain list: roles, groups, webhooks, system keys, private links,
//! proxy agents and hybrid deployment agents.

use crate::client::ApiError;
use crate::endpoints::Endpoint;
use crate::paginate;
use crate::vocab::Collected;

use super::{Ctx, Problems, assemble, fatal};

/// Reads every page of `endpoint`; items are identified by `key`.
pub async fn collect(ctx: &Ctx<'_>, endpoint: Endpoint, key: &str) -> Result<Collected, ApiError> {
    let path = endpoint.path(&[]).expect("top-level lists have no ids");
    let mut listed = paginate::list_all(ctx.client, endpoint, &path, key).await;
    let error = fatal(listed.error.take())?;
    let mut collected = assemble(
        error,
        listed.pages,
        !listed.items.is_empty(),
        &Problems::default(),
    );
    collected.items = listed.items;
    Ok(collected)
}
