//! `destinations.json`: every destination, its list item overlaid with its detail
//! (`/destinations/{id}`, which adds `config` and `setup_tests`).

use serde_json::Value;

use crate::client::ApiError;
use crate::endpoints::{DESTINATION, DESTINATIONS};
use crate::vocab::{Collected, Sink, id_of};

use super::{Ctx, Notes, list_then, merge_detail};

/// Lists destinations, then reads each one's detail.
pub async fn collect(ctx: &Ctx<'_>, sink: &mut dyn Sink) -> Result<Collected, ApiError> {
    list_then(ctx, sink, DESTINATIONS, "id", |d| enrich(ctx, d)).await
}

async fn enrich(ctx: &Ctx<'_>, mut destination: Value) -> Result<(Value, Vec<String>), ApiError> {
    let mut notes = Notes::default();
    match id_of(&destination, "id") {
        Some(id) => merge_detail(ctx, &mut destination, &mut notes, DESTINATION, &id).await?,
        None => notes.incomplete("a destination without an `id`: detail not read".into()),
    }
    let problems = notes.apply(&mut destination);
    Ok((destination, problems))
}
