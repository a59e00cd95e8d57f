//! Unit tests of the BigQuery statements: named parameters only, numbered in order, every name
//! backtick-quoted with its project, times read and compared by the column's type.

use std::collections::BTreeMap;

use super::*;
use crate::warehouse::statements::{Dialect, catalog_in, grants as all_grants};
use crate::warehouse::{Column, Table, TableInfo};

fn info(name: &str, columns: &[(&str, &str)]) -> TableInfo {
    TableInfo {
        stored_name: name.to_owned(),
        selectable: true,
        columns: columns
            .iter()
            .map(|(c, t)| {
                (
                    c.to_ascii_lowercase(),
                    Column {
                        data_type: (*t).to_owned(),
                        name: (*c).to_owned(),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

/// The `@pN` markers of `text`, in order.
fn markers(text: &str) -> Vec<usize> {
    text.split("@p")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .expect("a number")
        })
        .collect()
}

fn span() -> crate::vocab::Window {
    crate::vocab::Window {
        start: "2026-12-01T00:00:00Z".parse().expect("t"),
        end: "2026-12-02T00:00:00Z".parse().expect("t"),
    }
}

#[test]
fn the_log_page_binds_every_value_by_name_and_quotes_every_part_of_its_path() {
    let log = info(
        "log",
        &[
            ("id", "string"),
            ("time_stamp", "timestamp"),
            ("connection_id", "string"),
            ("event", "string"),
            ("message_event", "string"),
            ("message_data", "json"),
            ("sync_id", "string"),
        ],
    );
    let reads = Reads {
        dialect: Dialect::BigQuery,
        schema: "fivetran`metadata",
        table: Table::Log,
        info: &log,
        page_rows: 500,
        project: Some("acme-data"),
    };
    let key = Key {
        at: "2026-12-01T10:00:00.5Z".parse().expect("t"),
        id: "x' OR 1=1 --".into(),
    };
    let page = reads.log(span(), Some(&key), 4096);
    assert!(page.text.starts_with("/* iru-fivetran log */ SELECT "));
    assert_eq!(
        markers(&page.text),
        (0..page.params.len()).collect::<Vec<_>>()
    );
    assert!(!page.text.contains('?'));
    assert_eq!(
        page.params,
        [
            "4096",
            "2026-12-01 00:00:00.000000+00:00",
            "2026-12-02 00:00:00.000000+00:00",
            "2026-12-01 10:00:00.500000+00:00",
            "2026-12-01 10:00:00.500000+00:00",
            "x' OR 1=1 --",
            "%\"actor\"%",
        ]
    );
    assert!(!page.text.contains("OR 1=1"));
    assert!(
        page.text
            .contains(" FROM `acme-data`.`fivetran\\`metadata`.`log` WHERE `time_stamp` >= CAST(@p1 AS TIMESTAMP)"),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', `time_stamp`, 'UTC')")
    );
    assert!(
        page.text
            .contains("TO_JSON_STRING(`message_data`) LIKE @p6")
    );
    assert!(
        page.text
            .contains("BYTE_LENGTH(TO_JSON_STRING(`message_data`)) > CAST(@p0 AS INT64)")
    );
    assert!(
        page.text
            .ends_with(" ORDER BY `time_stamp`, `id` LIMIT 500")
    );
}

#[test]
fn a_datetime_clock_strings_and_missing_columns_are_read_as_their_types_say() {
    let trail = info(
        "audit_trail",
        &[
            ("id", "string"),
            ("captured_at", "datetime"),
            ("old_values", "string"),
        ],
    );
    let reads = Reads {
        dialect: Dialect::BigQuery,
        schema: "fivetran_metadata",
        table: Table::AuditTrail,
        info: &trail,
        page_rows: 10,
        project: Some("p"),
    };
    let count = reads.count(span());
    assert_eq!(
        count.params,
        ["2026-12-01 00:00:00.000000", "2026-12-02 00:00:00.000000"]
    );
    assert!(count.text.contains("CAST(@p0 AS DATETIME)"));
    assert!(count.text.starts_with("/* iru-fivetran count */ SELECT CAST(COUNT(*) AS STRING) FROM `p`.`fivetran_metadata`.`audit_trail`"));
    let earliest = reads.earliest();
    assert!(
        earliest
            .text
            .contains("FORMAT_DATETIME('%Y-%m-%dT%H:%M:%E6S', MIN(`captured_at`))")
    );
    let page = reads.audit_trail(span(), None, 7);
    assert_eq!(
        markers(&page.text),
        (0..page.params.len()).collect::<Vec<_>>()
    );
    assert!(page.text.contains("CAST(NULL AS STRING)"));
    let user = info(
        "user",
        &[
            ("id", "string"),
            ("email", "string"),
            ("_fivetran_deleted", "bool"),
        ],
    );
    let users = Reads {
        table: Table::User,
        info: &user,
        ..reads
    };
    let next = users.users(Some("u_9"));
    assert_eq!(next.params, ["u_9"]);
    assert!(
        next.text
            .contains("WHERE `id` > @p0 ORDER BY `id` LIMIT 10")
    );
    assert!(
        next.text
            .contains("CASE WHEN `_fivetran_deleted` THEN 'true'")
    );
}

#[test]
fn the_catalog_reads_the_dataset_s_own_information_schema_and_grants_are_least_privilege() {
    let c = catalog_in(Dialect::BigQuery, Some("acme-data"), "fivetran_metadata");
    assert_eq!(c.params, ["fivetran_metadata"]);
    assert!(
        c.text
            .starts_with("/* iru-fivetran catalog */ SELECT @p0, ")
    );
    assert!(
        c.text
            .contains("`acme-data`.`fivetran_metadata`.INFORMATION_SCHEMA.COLUMNS")
    );
    let g = all_grants(
        Dialect::BigQuery,
        "acme-data",
        "fivetran_metadata",
        "iru@acme-jobs.iam.gserviceaccount.com",
        "unused",
        "acme-jobs",
    );
    assert_eq!(
        g,
        [
            "gcloud projects add-iam-policy-binding 'acme-jobs' --member='serviceAccount:iru@acme-jobs.iam.gserviceaccount.com' --role=roles/bigquery.jobUser",
            "GRANT `roles/bigquery.dataViewer` ON SCHEMA `acme-data`.`fivetran_metadata` TO \"serviceAccount:iru@acme-jobs.iam.gserviceaccount.com\";",
        ]
    );
    assert!(
        g.iter()
            .all(|l| !l.contains("admin") && !l.contains("dataEditor"))
    );
}
