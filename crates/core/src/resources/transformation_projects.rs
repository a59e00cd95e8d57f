//! `transformation_projects.json`: every dbt project, its list item overlaid with its detail
//! (`/transformation-projects/{id}`, which adds `project_config`: the Git repository, branch
//! and folder that run in production, the dbt version, the environment variables, whose values
//! redaction masks, and the deploy key's public half; and `status`, `errors`, `setup_tests`).

use serde_json::Value;

use crate::client::ApiError;
use crate::endpoints::{TRANSFORMATION_PROJECT, TRANSFORMATION_PROJECTS};
use crate::vocab::{Collected, Sink, id_of};

use super::{Ctx, Notes, list_then, merge_detail};

/// Lists transformation projects, then reads each one's detail.
pub async fn collect(ctx: &Ctx<'_>, sink: &mut dyn Sink) -> Result<Collected, ApiError> {
    list_then(ctx, sink, TRANSFORMATION_PROJECTS, "id", |p| enrich(ctx, p)).await
}

async fn enrich(ctx: &Ctx<'_>, mut project: Value) -> Result<(Value, Vec<String>), ApiError> {
    let mut notes = Notes::default();
    match id_of(&project, "id") {
        Some(id) => {
            merge_detail(ctx, &mut project, &mut notes, TRANSFORMATION_PROJECT, &id).await?;
        }
        None => {
            notes.incomplete("a transformation project without an `id`: detail not read".into())
        }
    }
    let problems = notes.apply(&mut project);
    Ok((project, problems))
}
