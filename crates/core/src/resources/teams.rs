//! `teams.json`: every team, with `user_memberships`, `group_memberships` and
//! `connection_memberships` embedded from `/teams/{id}/users`, `/groups` and `/connections`.

use serde_json::Value;

use crate::client::ApiError;
use crate::endpoints::{TEAM_CONNECTIONS, TEAM_GROUPS, TEAM_USERS, TEAMS};
use crate::vocab::{Collected, Sink, id_of};

use super::{Ctx, Notes, embed_list, list_then};

/// Lists teams, then each team's memberships.
pub async fn collect(ctx: &Ctx<'_>, sink: &mut dyn Sink) -> Result<Collected, ApiError> {
    list_then(ctx, sink, TEAMS, "id", |team| enrich(ctx, team)).await
}

async fn enrich(ctx: &Ctx<'_>, mut team: Value) -> Result<(Value, Vec<String>), ApiError> {
    let mut notes = Notes::default();
    match id_of(&team, "id") {
        Some(id) => {
            for sub in [
                ("user_memberships", TEAM_USERS, "user_id"),
                ("group_memberships", TEAM_GROUPS, "id"),
                ("connection_memberships", TEAM_CONNECTIONS, "id"),
            ] {
                embed_list(ctx, &mut team, &mut notes, sub, &id).await?;
            }
        }
        None => notes.incomplete("a team without an `id`: memberships not read".into()),
    }
    let problems = notes.apply(&mut team);
    Ok((team, problems))
}
