//! A Platform Connector's tables in a real PostgreSQL, read out as the fake Snowflake holds
//! them ([`crate::snowflake::Platform`]): each column under the name and type Snowflake gives
//! it, every value as the text the SQL API returns (times as UTC wall clocks with
//! microseconds, booleans as `true`/`false`, JSON as its text). The tests and the benchmark
//! fill the fake Snowflake this way, so both sources hold the same rows.

use super::LocalPostgres;
use crate::snowflake::{Platform, Table};

/// A column as Snowflake stores it (name, type) and the PostgreSQL expression that reads it.
type Dumped = (&'static str, &'static str, String);

/// The tables `LOG`, `AUDIT_TRAIL` and `USER` of `schema` in `database` on `server`, as the
/// fake Snowflake's schema `FIVETRAN_METADATA`.
pub fn platform(server: &LocalPostgres, database: &str, schema: &str) -> Result<Platform, String> {
    let time = |c: &str| format!("to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')");
    let flag = |c: &str| format!("CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END");
    let text = |c: &str| c.to_owned();
    let tables: [(&str, &str, Vec<Dumped>); 3] = [
        (
            "LOG",
            "log",
            vec![
                ("ID", "TEXT", text("id")),
                ("TIME_STAMP", "TIMESTAMP_TZ", time("time_stamp")),
                ("CONNECTION_ID", "TEXT", text("connection_id")),
                ("EVENT", "TEXT", text("event")),
                ("MESSAGE_EVENT", "TEXT", text("message_event")),
                (
                    "MESSAGE_DATA",
                    "VARIANT",
                    "CAST(message_data AS text)".into(),
                ),
                ("SYNC_ID", "TEXT", text("sync_id")),
            ],
        ),
        (
            "AUDIT_TRAIL",
            "audit_trail",
            vec![
                ("ID", "TEXT", text("id")),
                ("CAPTURED_AT", "TIMESTAMP_TZ", time("captured_at")),
                ("USER_ID", "TEXT", text("user_id")),
                ("ACTION", "TEXT", text("action")),
                ("INTERACTION_METHOD", "TEXT", text("interaction_method")),
                (
                    "PRIMARY_RESOURCE_TYPE",
                    "TEXT",
                    text("primary_resource_type"),
                ),
                ("PRIMARY_RESOURCE_ID", "TEXT", text("primary_resource_id")),
                (
                    "SECONDARY_RESOURCE_TYPE",
                    "TEXT",
                    text("secondary_resource_type"),
                ),
                (
                    "SECONDARY_RESOURCE_ID",
                    "TEXT",
                    text("secondary_resource_id"),
                ),
                ("OLD_VALUES", "TEXT", text("old_values")),
                ("NEW_VALUES", "TEXT", text("new_values")),
            ],
        ),
        (
            "USER",
            "\"user\"",
            vec![
                ("ID", "TEXT", text("id")),
                ("EMAIL", "TEXT", text("email")),
                ("GIVEN_NAME", "TEXT", text("given_name")),
                ("FAMILY_NAME", "TEXT", text("family_name")),
                ("_FIVETRAN_DELETED", "BOOLEAN", flag("_fivetran_deleted")),
            ],
        ),
    ];
    let mut platform = Platform {
        schema: "FIVETRAN_METADATA".into(),
        tables: Vec::new(),
    };
    for (name, source, columns) in tables {
        let exprs: Vec<&str> = columns.iter().map(|(_, _, e)| e.as_str()).collect();
        // One JSON array per row (psql prints one line each), not one for the table: a
        // benchmark's million rows never become one string.
        let sql = format!(
            "SELECT json_build_array({}) FROM {schema}.{source};",
            exprs.join(", ")
        );
        let out = server.psql(database, &sql)?;
        let rows = out
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|e| format!("a row of {name}: {e}")))
            .collect::<Result<Vec<Vec<Option<String>>>, String>>()?;
        platform.tables.push(Table {
            name: name.into(),
            columns: columns
                .iter()
                .map(|(c, t, _)| ((*c).to_owned(), (*t).to_owned()))
                .collect(),
            rows,
            hidden: false,
        });
    }
    Ok(platform)
}
