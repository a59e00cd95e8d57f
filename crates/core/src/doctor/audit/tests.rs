//! Unit tests of the audit-source check's judgement of a catalog.

use std::collections::BTreeMap;

use super::*;
use crate::warehouse::{Column, TableInfo};

fn table(name: &str, selectable: bool, columns: &[&str]) -> TableInfo {
    TableInfo {
        stored_name: name.to_owned(),
        selectable,
        columns: columns
            .iter()
            .map(|c| {
                (
                    (*c).to_owned(),
                    Column {
                        data_type: "text".into(),
                        name: (*c).to_owned(),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

fn report() -> AuditCheck {
    AuditCheck {
        source: 1,
        warehouse: "postgres r@h:5432/d".into(),
        tls: "verify-full",
        platform_connector: None,
        destination: None,
        last_sync: None,
        freshness: None,
        schema: "fivetran_metadata".into(),
        connected: true,
        tables: Vec::new(),
        fine: false,
        detail: None,
        hint: None,
        grants: Vec::new(),
    }
}

const LOG: [&str; 5] = [
    "id",
    "time_stamp",
    "message_event",
    "message_data",
    "connection_id",
];

#[test]
fn a_readable_schema_is_fine_and_absent_audit_trail_is_no_problem() {
    let catalog = Catalog {
        schema: "fivetran_metadata".into(),
        stored_schema: Some("fivetran_metadata".into()),
        usable: true,
        tables: BTreeMap::from([
            (Table::Log, table("log", true, &LOG)),
            (Table::User, table("user", true, &["id", "email"])),
        ]),
    };
    let (mut problems, mut hints) = (Vec::new(), Vec::new());
    let mut r = report();
    inspect(
        &mut r,
        &catalog,
        &[(Table::Log, Some(13))],
        &mut problems,
        &mut hints,
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(r.tables.len(), 3);
    assert_eq!(r.tables[0].rows_in_window, Some(13));
    assert!(!r.tables[1].present);
}

#[test]
fn what_is_missing_or_forbidden_is_named_with_the_grants_as_the_fix() {
    let catalog = Catalog {
        schema: "fivetran_metadata".into(),
        stored_schema: Some("fivetran_metadata".into()),
        usable: true,
        tables: BTreeMap::from([
            (Table::Log, table("log", true, &["id", "time_stamp"])),
            (Table::AuditTrail, table("audit_trail", false, &["id"])),
        ]),
    };
    let (mut problems, mut hints) = (Vec::new(), Vec::new());
    inspect(&mut report(), &catalog, &[], &mut problems, &mut hints);
    assert_eq!(
        problems,
        [
            "table log lacks column message_event, message_data, connection_id (or connector_id)",
            "no SELECT on audit_trail"
        ]
    );
    assert_eq!(
        hints,
        ["run the GRANT statements below as the schema's owner"]
    );
    let missing = Catalog {
        schema: "nowhere".into(),
        ..Catalog::default()
    };
    let (mut problems, mut hints) = (Vec::new(), Vec::new());
    inspect(&mut report(), &missing, &[], &mut problems, &mut hints);
    assert_eq!(problems, ["schema fivetran_metadata not found"]);
}

#[test]
fn a_reason_splits_at_its_hint() {
    assert_eq!(
        split_hint("no match; hint: name it"),
        ("no match".to_owned(), Some("name it".to_owned()))
    );
    assert_eq!(split_hint("plain"), ("plain".to_owned(), None));
}
