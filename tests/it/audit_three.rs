//! One collection reading three Platform Connectors on three destinations, one audit source of
//! each kind reached over HTTPS (Snowflake, BigQuery, Databricks): one `audit_trail.json`
//! covering all three, complete, its items those of the PostgreSQL source holding all the
//! rows, byte for byte the same in a second run of the same data.
//!
//! The test warehouse's rows are shared out among the three fakes: `USER` and every row older
//! than the window to each (each Platform Connector keeps its own history), the rows of the
//! window by the item they are about (so an action recorded in both `LOG` and `AUDIT_TRAIL`
//! stays in one warehouse, where the two are merged).

use iru_fivetran_fake::bigquery::{FakeBigQuery, Faults as BqFaults};
use iru_fivetran_fake::databricks::{FakeDatabricks, Faults as DbFaults};
use iru_fivetran_fake::snowflake::{FakeSnowflake, Faults as SfFaults, Platform, Table};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::postgres::{
    READER, READER_PASSWORD, collect_with_vault, source_toml as pg_source, vault_with, warehouse,
};
use crate::support::snowflake::{self, Auth, keys};
use crate::support::{bigquery, databricks, server};

/// The Databricks destination this test adds to the account, and its Platform Connector.
const LAKEHOUSE: &str = "bright_delta";
const LAKEHOUSE_CONNECTOR: &str = "tidal_ledger";

/// The fixture account with three Platform Connectors synced at `sync`: `lone_sextant` on
/// the Snowflake destination, `keen_quarry` on the BigQuery one, `tidal_ledger` on a
/// Databricks destination added here (and the PostgreSQL one, not read by this test).
fn account(sync: Timestamp) -> iru_fivetran_fake::FakeAccount {
    let mut account = bigquery::account(sync);
    let at = Value::String(sync.to_string());
    for c in account
        .connections
        .iter_mut()
        .chain(account.connection_details.values_mut())
    {
        if c["id"] == snowflake::CONNECTOR {
            c["succeeded_at"] = at.clone();
            c["paused"] = false.into();
        }
    }
    let group = json!({"id": LAKEHOUSE, "name": "Lakehouse", "created_at": "2024-05-02T10:00:00Z"});
    account.groups.push(group);
    let destination = json!({
        "id": LAKEHOUSE, "group_id": LAKEHOUSE, "service": "databricks",
        "region": "AWS_EU_CENTRAL_1", "time_zone_offset": "0", "setup_status": "CONNECTED",
        "daylight_saving_time_enabled": false, "networking_method": "Directly",
    });
    let mut details = destination.clone();
    details["config"] = json!({"catalog": databricks::CATALOG});
    details["setup_tests"] = json!([]);
    account.destinations.push(destination);
    account
        .destination_details
        .insert(LAKEHOUSE.to_owned(), details);
    let mut connector = account
        .connections
        .iter()
        .find(|c| c["id"] == snowflake::CONNECTOR)
        .cloned()
        .expect("the Snowflake Platform Connector to copy");
    connector["id"] = LAKEHOUSE_CONNECTOR.into();
    connector["group_id"] = LAKEHOUSE.into();
    connector["config"] = json!({});
    account.connections.push(connector.clone());
    account
        .connection_details
        .insert(LAKEHOUSE_CONNECTOR.to_owned(), connector);
    account
}

fn column(table: &Table, name: &str) -> usize {
    table
        .columns
        .iter()
        .position(|(c, _)| c.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("{name} in {}", table.name))
}

/// Which of the three warehouses holds a row of the window: by the item it is about.
fn share(table: &Table, row: &[Option<String>]) -> usize {
    let subject = ["connection_id", "primary_resource_id", "id"]
        .iter()
        .filter(|c| table.columns.iter().any(|(n, _)| n.eq_ignore_ascii_case(c)))
        .find_map(|c| row[column(table, c)].clone())
        .unwrap_or_default();
    subject.bytes().map(usize::from).sum::<usize>() % 3
}

/// `platform`'s rows shared out among three copies, as the module says; rows before `from`
/// go to each.
fn shared_out(platform: &Platform, from: Timestamp) -> [Platform; 3] {
    let mut parts = [platform.clone(), platform.clone(), platform.clone()];
    for (t, table) in platform.tables.iter().enumerate() {
        let time = ["time_stamp", "captured_at"]
            .iter()
            .find(|c| table.columns.iter().any(|(n, _)| n.eq_ignore_ascii_case(c)))
            .map(|c| column(table, c));
        let Some(time) = time else { continue };
        for part in &mut parts {
            part.tables[t].rows.clear();
        }
        for row in &table.rows {
            let at: Option<Timestamp> = row[time]
                .as_deref()
                .and_then(|s| format!("{s}Z").parse().ok());
            if at.is_none_or(|at| at < from) {
                for part in &mut parts {
                    part.tables[t].rows.push(row.clone());
                }
            } else {
                parts[share(table, row)].tables[t].rows.push(row.clone());
            }
        }
    }
    parts
}

fn items(trail: &Value) -> Vec<Value> {
    trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i.as_object_mut().expect("item").remove("source");
            i
        })
        .collect()
}

#[test]
fn three_warehouses_over_https_give_one_complete_trail_equal_to_postgres_and_the_same_twice() {
    let Some(w) = warehouse() else { return };
    let fake = server(account(w.base));
    let dir = tempfile::tempdir().expect("dir");

    // All the rows, read from PostgreSQL: what the three together must give.
    let pg = vault_with(
        dir.path(),
        &pg_source(w, READER, READER_PASSWORD, "destination = \"sturdy_kiln\""),
    );
    let expected = collect_with_vault(&fake, &pg, &[]);
    expected.assert_code(0);
    let expected = expected.json("audit_trail.json");
    assert_eq!(expected["status"], "complete", "{}", expected["reason"]);

    let [sf_rows, bq_rows, db_rows] = shared_out(
        &snowflake::platform(w),
        w.base - SignedDuration::from_hours(24),
    );
    let sf =
        FakeSnowflake::start(snowflake::login(), sf_rows, SfFaults::default()).expect("snowflake");
    let bq = FakeBigQuery::start(
        bigquery::login(),
        bigquery::as_bigquery(bq_rows, true),
        BqFaults::default(),
    )
    .expect("bigquery");
    let db = FakeDatabricks::start(
        databricks::login(3600),
        databricks::as_databricks(db_rows),
        DbFaults::default(),
    )
    .expect("databricks");
    let sources = [
        snowflake::source_toml(&sf, dir.path(), Auth::Key(keys()), ""),
        bigquery::source_toml(&bq, dir.path(), keys(), ""),
        format!(
            "[[audit_sources]]\nkind = \"databricks\"\nhost = \"{}\"\nwarehouse_id = \"{}\"\n\
             catalog = \"{}\"\ndestination = \"{LAKEHOUSE}\"\ntoken = \"{}\"\n",
            db.url(),
            databricks::WAREHOUSE_ID,
            databricks::CATALOG,
            databricks::TOKEN
        ),
    ]
    .concat();
    let vault = vault_with(dir.path(), &sources);

    let first = collect_with_vault(&fake, &vault, &[]);
    first.assert_code(0);
    let trail = first.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    let facts = trail["sources"].as_array().expect("sources");
    let mut kinds: Vec<(&str, &str, &str)> = facts
        .iter()
        .map(|s| {
            assert_eq!(s["status"], "complete", "{s}");
            assert!(s["items_kept"].as_u64().expect("items_kept") > 0, "{s}");
            (
                s["kind"].as_str().expect("kind"),
                s["destination"].as_str().expect("destination"),
                s["platform_connector"].as_str().expect("connector"),
            )
        })
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            ("bigquery", bigquery::DESTINATION, bigquery::CONNECTOR),
            ("databricks", LAKEHOUSE, LAKEHOUSE_CONNECTOR),
            ("snowflake", snowflake::DESTINATION, snowflake::CONNECTOR),
        ]
    );
    // Each item says which Platform Connector it came from, and the three together hold
    // exactly the actions the one PostgreSQL source holds.
    let kept: u64 = facts.iter().filter_map(|s| s["items_kept"].as_u64()).sum();
    assert_eq!(kept, trail["items"].as_array().expect("items").len() as u64);
    let connectors = [
        bigquery::CONNECTOR,
        LAKEHOUSE_CONNECTOR,
        snowflake::CONNECTOR,
    ];
    for item in trail["items"].as_array().expect("items") {
        let from = item["source"]["platform_connector"]
            .as_str()
            .expect("source");
        assert!(connectors.contains(&from), "{item}");
    }
    assert!(items(&expected).len() > 5);
    assert_eq!(items(&trail), items(&expected));
    // The manifest states the three sources too.
    assert_eq!(
        first.manifest()["audit_trail"]["sources"]
            .as_array()
            .expect("sources")
            .len(),
        3
    );

    // The same data again: the same items, byte for byte.
    let second = collect_with_vault(&fake, &vault, &[]);
    second.assert_code(0);
    let again = second.json("audit_trail.json");
    assert_eq!(again["status"], "complete");
    assert_eq!(again["items"].to_string(), trail["items"].to_string());
}
