//! The pipelines of the generated account: groups, each with its destination (detail, config
//! and setup tests), and connections spread over them, with their details, schema configs
//! (for two in three) and sync history in the last day.

use jiff::SignedDuration;
use serde_json::{Value, json};

use super::ids::{CONNECTION, GROUP, SYNC, draw, hex_id};
use super::{FakeAccount, Generator};

const WAREHOUSES: [(&str, &str); 3] = [
    ("snowflake", "AWS_US_EAST_1"),
    ("big_query", "GCP_EUROPE_WEST3"),
    ("redshift", "AWS_US_WEST_2"),
];

impl Generator<'_> {
    pub(super) fn groups(&self, a: &mut FakeAccount) {
        for (g, id) in self.groups.iter().enumerate() {
            let created_at = self.ago(100 + draw(GROUP, g, 1) % 1500, draw(GROUP, g, 2));
            a.groups
                .push(json!({"id": id, "name": format!("Group {g}"), "created_at": created_at}));
            let (service, region) = WAREHOUSES[g % WAREHOUSES.len()];
            let item = json!({
                "id": id, "group_id": id, "service": service, "region": region,
                "time_zone_offset": "0", "setup_status": "CONNECTED",
                "daylight_saving_time_enabled": true, "networking_method": "Directly",
            });
            let mut detail = item.clone();
            detail["config"] = json!({
                "host": format!("{id}.warehouse.synthetic.example"), "port": 443,
                "database": format!("FIVETRAN_{g}"), "auth": "PASSWORD", "user": "FIVETRAN_SVC",
                "password": format!("PLANTED-destination-password-{g}"),
                "role": "FIVETRAN_LOADER", "connection_type": "Directly",
            });
            detail["setup_tests"] =
                setup_tests(&["Host Connection", "Database Connection", "Permission Test"]);
            a.destinations.push(item);
            a.destination_details.insert(id.clone(), detail);
        }
    }

    pub(super) fn connections(&self, a: &mut FakeAccount) {
        for (j, id) in self.connections.iter().enumerate() {
            let (service, frequency) = self.size.service(j);
            let group = self.groups.get(j % self.groups.len().max(1));
            let failed = j.is_multiple_of(13);
            let item = json!({
                "id": id, "group_id": group, "service": service, "service_version": 1,
                "schema": format!("{service}_{j}"),
                "connected_by": self.users.get(draw(CONNECTION, j, 1) as usize % self.users.len().max(1)),
                "created_at": self.ago(30 + draw(CONNECTION, j, 2) % 1200, draw(CONNECTION, j, 3)),
                "succeeded_at": self.ago(0, draw(CONNECTION, j, 4) % 36_000),
                "failed_at": if failed { json!(self.ago(3, draw(CONNECTION, j, 5))) } else { Value::Null },
                "paused": j % 11 == 10, "pause_after_trial": false, "sync_frequency": frequency,
                "schedule_type": "auto", "daily_sync_time": null,
                "data_delay_sensitivity": "NORMAL", "networking_method": "Directly",
                "status": {
                    "setup_state": if failed { "broken" } else { "connected" },
                    "sync_state": "scheduled", "update_state": "on_schedule",
                    "is_historical_sync": false, "tasks": [], "warnings": [],
                },
                "config": {
                    "host": format!("db-{j}.internal.synthetic.example"), "port": 5432,
                    "database": "app", "user": "fivetran",
                    "password": format!("PLANTED-connection-password-{j}"),
                    "update_method": "TELEPORT", "connection_type": "Directly",
                },
            });
            let mut detail = item.clone();
            detail["setup_tests"] = setup_tests(&[
                "Connecting to Host",
                "Validating Certificate",
                "Connecting to Database",
            ]);
            a.connections.push(if self.size.list_carries_detail {
                detail.clone()
            } else {
                item
            });
            a.connection_details.insert(id.clone(), detail);
            if j % 3 != 2 {
                a.connection_schemas
                    .insert(id.clone(), self.schema_config(j));
            }
            let syncs = (1440 / frequency as usize).max(1);
            let mut history = Vec::with_capacity(syncs);
            for s in 0..syncs {
                // Inside the 23 hours before `now`, so any run started later sees them all.
                let minutes = (s as u64 * frequency as u64 + draw(SYNC, j, 0) % 30) % (23 * 60);
                let start = self.size.now - SignedDuration::from_mins(minutes as i64 + 1);
                let end =
                    start + SignedDuration::from_secs(30 + (draw(SYNC, j, s + 1) % 600) as i64);
                let sync_id = hex_id(SYNC, j * 1_000 + s);
                history.push(json!({
                    "sync_id": format!("{}-{}-{}-{}-{}", &sync_id[..8], &sync_id[8..12], &sync_id[12..16], &sync_id[16..20], &sync_id[20..]),
                    "start_time": start.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                    "end_time": end.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                    "status": if failed && s == 0 { "FAILURE" } else { "SUCCESSFUL" },
                }));
            }
            a.sync_history.insert(id.clone(), history);
        }
    }

    /// A schema config of 1 to `schemas_per_connection` schemas, each of 1 to
    /// `tables_per_schema` tables, each listing 0 to `columns_per_table` columns.
    fn schema_config(&self, j: usize) -> Value {
        let s = self.size;
        let mut schemas = serde_json::Map::new();
        for k in 0..1 + j % s.schemas_per_connection.max(1) {
            let mut tables = serde_json::Map::new();
            for t in 0..1 + (j + k) % s.tables_per_schema.max(1) {
                let mut columns = serde_json::Map::new();
                for c in 0..(j + k + t) % (s.columns_per_table + 1) {
                    let name = format!("column_{c}");
                    columns.insert(name.clone(), json!({
                        "name_in_destination": name, "enabled": c % 5 != 4, "hashed": c % 7 == 3,
                        "enabled_patch_settings": {"allowed": c != 0},
                        "is_primary_key": c == 0,
                    }));
                }
                let name = format!("table_{t}");
                tables.insert(
                    name.clone(),
                    json!({
                        "name_in_destination": name, "enabled": t % 6 != 5,
                        "sync_mode": if t.is_multiple_of(4) { "HISTORY" } else { "SOFT_DELETE" },
                        "enabled_patch_settings": {"allowed": true},
                        "supports_columns_config": true, "supports_history_mode": true,
                        "columns": columns,
                    }),
                );
            }
            let name = format!("schema_{k}");
            schemas.insert(name.clone(), json!({
                "name_in_destination": format!("s{j}_{name}"), "enabled": true, "tables": tables,
            }));
        }
        json!({
            "enable_new_by_default": j.is_multiple_of(2),
            "schema_change_handling": if j.is_multiple_of(2) { "ALLOW_ALL" } else { "ALLOW_COLUMNS" },
            "schemas": schemas,
        })
    }
}

fn setup_tests(titles: &[&str]) -> Value {
    titles
        .iter()
        .map(|title| json!({"title": title, "status": "PASSED", "message": ""}))
        .collect()
}
