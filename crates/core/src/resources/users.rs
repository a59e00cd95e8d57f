//! `users.json`: every user, with `group_memberships` and `connection_memberships` embedded
//! from `/users/{id}/groups` and `/users/{id}/connections`.

use serde_json::Value;

use crate::client::ApiError;
use crate::endpoints::{USER_CONNECTIONS, USER_GROUPS, USERS};
use crate::vocab::{Collected, Sink, id_of};

use super::{Ctx, Notes, embed_list, list_then};

/// Lists users, then each user's memberships.
pub async fn collect(ctx: &Ctx<'_>, sink: &mut dyn Sink) -> Result<Collected, ApiError> {
    list_then(ctx, sink, USERS, "id", |user| enrich(ctx, user)).await
}

async fn enrich(ctx: &Ctx<'_>, mut user: Value) -> Result<(Value, Vec<String>), ApiError> {
    let mut notes = Notes::default();
    match id_of(&user, "id") {
        Some(id) => {
            let groups = ("group_memberships", USER_GROUPS, "id");
            embed_list(ctx, &mut user, &mut notes, groups, &id).await?;
            let connections = ("connection_memberships", USER_CONNECTIONS, "id");
            embed_list(ctx, &mut user, &mut notes, connections, &id).await?;
        }
        None => notes.incomplete("a user without an `id`: memberships not read".into()),
    }
    let problems = notes.apply(&mut user);
    Ok((user, problems))
}
