//! `groups.json`: every group (one per destination), with the SSH public key Fivetran presents
//! to the group's bastion hosts (`/groups/{id}/public-key`, as `public_key`) and the cloud
//! service account it uses in the customer's project (`/groups/{id}/service-account`, as
//! `service_account`).
//!
//! A group deleted during the run (`NotFound_Group`) keeps its list item, noted; any other
//! failure of either request leaves that field `null` and the artifact partial.

use serde_json::Value;

use crate::client::ApiError;
use crate::endpoints::{Endpoint, GROUP_PUBLIC_KEY, GROUP_SERVICE_ACCOUNT, GROUPS};
use crate::vocab::{Collected, Sink, id_of};

use super::{Ctx, Notes, list_then, set_field};

/// Lists groups, then reads each one's public key and service account.
pub async fn collect(ctx: &Ctx<'_>, sink: &mut dyn Sink) -> Result<Collected, ApiError> {
    list_then(ctx, sink, GROUPS, "id", |g| enrich(ctx, g)).await
}

async fn enrich(ctx: &Ctx<'_>, mut group: Value) -> Result<(Value, Vec<String>), ApiError> {
    let mut notes = Notes::default();
    match id_of(&group, "id") {
        Some(id) => {
            for (field, endpoint) in [
                ("public_key", GROUP_PUBLIC_KEY),
                ("service_account", GROUP_SERVICE_ACCOUNT),
            ] {
                let value = field_of(ctx, &mut notes, endpoint, &id, field).await?;
                set_field(&mut group, field, value);
            }
        }
        None => notes.incomplete("a group without an `id`: its key and account not read".into()),
    }
    let problems = notes.apply(&mut group);
    Ok((group, problems))
}

/// The one field of the object at `endpoint` for group `id`; `null` when it could not be read
/// (noted) or the group is gone.
async fn field_of(
    ctx: &Ctx<'_>,
    notes: &mut Notes,
    endpoint: Endpoint,
    id: &str,
    field: &str,
) -> Result<Value, ApiError> {
    if notes.is_deleted() {
        return Ok(Value::Null);
    }
    let path = match endpoint.path(&[id]) {
        Ok(path) => path,
        Err(e) => {
            notes.incomplete(format!("{}: {e}", endpoint.display()));
            return Ok(Value::Null);
        }
    };
    match ctx.client.get_object(endpoint, &path).await {
        Ok(data) => Ok(data.get(field).cloned().unwrap_or(Value::Null)),
        Err(e) if e.is_fatal() => Err(e),
        Err(e) if e.not_found_code() == Some("NotFound_Group") => {
            notes.deleted(&e);
            Ok(Value::Null)
        }
        Err(e) => {
            notes.incomplete(e.to_string());
            Ok(Value::Null)
        }
    }
}
