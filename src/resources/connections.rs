//! `connections.json`: every connection, its list item overlaid with its full v2 record
//! (`/connections/{id}`), plus `schema_config` from `/connections/{id}/schemas`.
//!
//! `schema_config` is null where Fivetran has none (`NotFound_SchemaConfig`, normal for some
//! connector types); `_iru.schema_config` then says why.

use serde_json::{Value, json};

use crate::client::ApiError;
use crate::endpoints::{CONNECTION, CONNECTION_SCHEMAS, CONNECTIONS};

use super::{Collected, Ctx, Notes, id_of, list_then, merge_detail, set_field};

/// Lists connections, then reads each one's detail and schema config.
pub async fn collect(ctx: &Ctx<'_>) -> Result<Collected, ApiError> {
    list_then(ctx, CONNECTIONS, "id", |c| enrich(ctx, c)).await
}

async fn enrich(ctx: &Ctx<'_>, mut connection: Value) -> Result<(Value, Vec<String>), ApiError> {
    let mut notes = Notes::default();
    let Some(id) = id_of(&connection, "id") else {
        notes.incomplete("a connection without an `id`: detail not read".into());
        let problems = notes.apply(&mut connection);
        return Ok((connection, problems));
    };
    merge_detail(ctx, &mut connection, &mut notes, CONNECTION, &id).await?;
    let schema_config = if notes.is_deleted() {
        Value::Null
    } else {
        schema_config(ctx, &mut notes, &id).await?
    };
    set_field(&mut connection, "schema_config", schema_config);
    let problems = notes.apply(&mut connection);
    Ok((connection, problems))
}

async fn schema_config(ctx: &Ctx<'_>, notes: &mut Notes, id: &str) -> Result<Value, ApiError> {
    let path = match CONNECTION_SCHEMAS.path(&[id]) {
        Ok(path) => path,
        Err(e) => {
            notes.incomplete(format!("{}: {e}", CONNECTION_SCHEMAS.display()));
            return Ok(Value::Null);
        }
    };
    match ctx.client.get_object(CONNECTION_SCHEMAS, &path).await {
        Ok(config) => Ok(config),
        Err(e) if e.is_fatal() => Err(e),
        Err(ApiError::NotFound { code, message, .. }) if code == "NotFound_SchemaConfig" => {
            notes.set(
                "schema_config",
                json!({"status": "none", "code": code, "message": message}),
            );
            Ok(Value::Null)
        }
        Err(e) if e.not_found_code().is_some() => {
            notes.deleted(&e);
            Ok(Value::Null)
        }
        Err(e) => {
            notes.incomplete(e.to_string());
            Ok(Value::Null)
        }
    }
}
