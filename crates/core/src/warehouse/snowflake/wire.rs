//! What crosses the wire to and from Snowflake's SQL API, as plain functions: a result's rows
//! handed on (Databricks' chunks too, `super::super::databricks`), a request id.

use serde_json::Value;

use crate::warehouse::WarehouseError;
use crate::warehouse::statements::Row;

/// Hands on the rows of one partition's `data`.
pub(in crate::warehouse) fn hand_on(
    body: Value,
    tag: &str,
    each: &mut (dyn FnMut(Row) -> Result<(), WarehouseError> + Send),
) -> Result<(), WarehouseError> {
    let Value::Object(mut body) = body else {
        return Err(WarehouseError::Query(format!(
            "{tag}: an answer that is not an object"
        )));
    };
    let data = match body.remove("data") {
        Some(Value::Array(rows)) => rows,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            return Err(WarehouseError::Query(format!(
                "{tag}: `data` is not a list of rows"
            )));
        }
    };
    for row in data {
        let Value::Array(values) = row else {
            return Err(WarehouseError::Query(format!(
                "{tag}: a row that is not a list"
            )));
        };
        let row = values
            .into_iter()
            .map(|v| match v {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s)),
                _ => Err(WarehouseError::Query(format!(
                    "{tag}: a value that is not a string"
                ))),
            })
            .collect::<Result<Row, _>>()?;
        each(row)?;
    }
    Ok(())
}

/// A random (version 4) UUID.
pub(super) fn uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
