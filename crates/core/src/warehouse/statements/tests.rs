//! Unit tests of the statements over HTTPS: values only in parameters, identifiers quoted as
//! stored, times read and compared by the column's type, one page per statement.

use std::collections::BTreeMap;

use super::*;
use crate::warehouse::{Column, Key};

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

fn markers(text: &str) -> usize {
    text.matches('?').count()
}

#[test]
fn the_log_page_binds_every_value_and_quotes_every_name() {
    let log = info(
        "LOG",
        &[
            ("ID", "text"),
            ("TIME_STAMP", "timestamp_tz"),
            ("CONNECTION_ID", "text"),
            ("EVENT", "text"),
            ("MESSAGE_EVENT", "text"),
            ("MESSAGE_DATA", "variant"),
            ("SYNC_ID", "text"),
        ],
    );
    let reads = Reads {
        dialect: Dialect::Snowflake,
        schema: "FIVETRAN\"METADATA",
        table: Table::Log,
        info: &log,
        page_rows: 500,
        project: None,
    };
    let span = crate::vocab::Window {
        start: "2026-12-01T00:00:00Z".parse().expect("t"),
        end: "2026-12-02T00:00:00Z".parse().expect("t"),
    };
    let key = Key {
        at: "2026-12-01T10:00:00.5Z".parse().expect("t"),
        id: "x' OR 1=1 --".into(),
    };
    let s = reads.log(span, Some(&key), 1024);
    assert_eq!(s.tag, "log");
    assert!(s.text.starts_with("/* iru-fivetran log */ SELECT "));
    assert_eq!(markers(&s.text), s.params.len());
    assert_eq!(
        s.params,
        [
            "1024",
            "2026-12-01T00:00:00.000000Z",
            "2026-12-02T00:00:00.000000Z",
            "2026-12-01T10:00:00.500000Z",
            "2026-12-01T10:00:00.500000Z",
            "x' OR 1=1 --",
            "%\"actor\"%",
        ]
    );
    assert!(!s.text.contains("OR 1=1"));
    assert!(
        s.text.contains("FROM \"FIVETRAN\"\"METADATA\".\"LOG\""),
        "{}",
        s.text
    );
    assert!(s.text.contains("TO_JSON(\"MESSAGE_DATA\")"));
    assert!(s.text.contains("CONVERT_TIMEZONE('UTC', \"TIME_STAMP\")"));
    assert!(s.text.contains("\"TIME_STAMP\" >= TO_TIMESTAMP_TZ(?)"));
    assert!(
        s.text
            .ends_with("ORDER BY \"TIME_STAMP\", TO_VARCHAR(\"ID\") LIMIT 500")
    );
}

#[test]
fn a_time_without_zone_is_bound_as_a_wall_clock_and_users_page_by_id() {
    let trail = info(
        "audit_trail",
        &[
            ("id", "text"),
            ("captured_at", "timestamp_ntz"),
            ("old_values", "text"),
        ],
    );
    let reads = Reads {
        dialect: Dialect::Snowflake,
        schema: "s",
        table: Table::AuditTrail,
        info: &trail,
        page_rows: 10,
        project: None,
    };
    let span = crate::vocab::Window {
        start: "2026-12-01T00:00:00Z".parse().expect("t"),
        end: "2026-12-02T00:00:00Z".parse().expect("t"),
    };
    let count = reads.count(span);
    assert_eq!(
        count.params,
        ["2026-12-01 00:00:00.000000", "2026-12-02 00:00:00.000000"]
    );
    assert!(count.text.contains("TO_TIMESTAMP_NTZ(?)"));
    assert!(!count.text.contains("CONVERT_TIMEZONE"));
    let page = reads.audit_trail(span, None, 7);
    assert_eq!(markers(&page.text), page.params.len());
    // A missing column is read as null, never named.
    assert!(page.text.contains("CAST(NULL AS VARCHAR)"));
    let user = info(
        "USER",
        &[
            ("ID", "text"),
            ("EMAIL", "text"),
            ("_FIVETRAN_DELETED", "boolean"),
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
            .contains("WHERE TO_VARCHAR(\"ID\") > ? ORDER BY TO_VARCHAR(\"ID\") LIMIT 10")
    );
    assert!(
        next.text
            .contains("CASE WHEN \"_FIVETRAN_DELETED\" THEN 'true'")
    );
}

#[test]
fn the_catalog_binds_the_schema_and_grants_quote_every_name() {
    let c = catalog(Dialect::Snowflake, "fivetran_metadata'; DROP");
    assert_eq!(c.params, ["fivetran_metadata'; DROP"]);
    assert_eq!(markers(&c.text), 1);
    assert!(!c.text.contains("DROP"));
    let g = grants(
        Dialect::Snowflake,
        "DB",
        "FIVETRAN_METADATA",
        "iru",
        "IRU_AUDIT_READER",
        "WH",
    );
    assert!(g.contains(&"GRANT SELECT ON TABLE \"DB\".\"FIVETRAN_METADATA\".\"LOG\" TO ROLE \"IRU_AUDIT_READER\";".to_owned()));
    assert!(
        g.contains(&"GRANT USAGE ON WAREHOUSE \"WH\" TO ROLE \"IRU_AUDIT_READER\";".to_owned())
    );
    assert!(
        g.iter()
            .all(|l| !l.contains("OWNERSHIP") && !l.contains("ALL PRIVILEGES"))
    );
}

/// The Databricks markers of `text` in order (`:p1`...), outside string literals.
fn named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_literal = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_literal => {
                chars.next();
            }
            '\'' => in_literal = !in_literal,
            ':' if !in_literal => {
                let mut name = String::new();
                while let Some(n) = chars.peek().filter(|n| n.is_ascii_alphanumeric()) {
                    name.push(*n);
                    chars.next();
                }
                out.push(name);
            }
            _ => {}
        }
    }
    out
}

#[test]
fn databricks_pages_name_every_parameter_and_quote_names_with_backticks() {
    let log = info(
        "log",
        &[
            ("id", "string"),
            ("time_stamp", "timestamp"),
            ("connection_id", "string"),
            ("event", "string"),
            ("message_event", "string"),
            ("message_data", "string"),
            ("sync_id", "string"),
        ],
    );
    let reads = Reads {
        dialect: Dialect::Databricks,
        schema: "fivetran`metadata",
        table: Table::Log,
        info: &log,
        page_rows: 500,
        project: None,
    };
    let span = crate::vocab::Window {
        start: "2026-12-01T00:00:00Z".parse().expect("t"),
        end: "2026-12-02T00:00:00Z".parse().expect("t"),
    };
    let key = Key {
        at: "2026-12-01T10:00:00.5Z".parse().expect("t"),
        id: "x' OR 1=1 --".into(),
    };
    let s = reads.log(span, Some(&key), 1024);
    assert!(s.text.starts_with("/* iru-fivetran log */ SELECT "));
    // The same values as Snowflake's, in the same order, each a named marker.
    assert_eq!(
        s.params,
        [
            "1024",
            "2026-12-01T00:00:00.000000Z",
            "2026-12-02T00:00:00.000000Z",
            "2026-12-01T10:00:00.500000Z",
            "2026-12-01T10:00:00.500000Z",
            "x' OR 1=1 --",
            "%\"actor\"%",
        ]
    );
    let names: Vec<String> = (0..s.params.len()).map(param_name).collect();
    assert_eq!(named(&s.text), names, "{}", s.text);
    assert!(!s.text.contains('?') && !s.text.contains("OR 1=1"));
    assert!(
        s.text.contains("FROM `fivetran``metadata`.`log`"),
        "{}",
        s.text
    );
    // An instant is shown as UTC whatever the session's zone, compared as an instant.
    assert!(s.text.contains(
        "date_format(to_utc_timestamp(`time_stamp`, current_timezone()), 'yyyy-MM-dd\\'T\\'HH:mm:ss.SSSSSS')"
    ), "{}", s.text);
    assert!(s.text.contains("`time_stamp` >= CAST(:p2 AS TIMESTAMP)"));
    assert!(s.text.contains("> CAST(:p1 AS BIGINT)"));
    assert!(
        s.text
            .ends_with("ORDER BY `time_stamp`, CAST(`id` AS STRING) LIMIT 500")
    );
}

#[test]
fn databricks_wall_clocks_json_and_flags_have_their_own_expressions() {
    let trail = info(
        "audit_trail",
        &[
            ("id", "string"),
            ("captured_at", "timestamp_ntz"),
            ("new_values", "variant"),
        ],
    );
    let reads = Reads {
        dialect: Dialect::Databricks,
        schema: "s",
        table: Table::AuditTrail,
        info: &trail,
        page_rows: 10,
        project: None,
    };
    let span = crate::vocab::Window {
        start: "2026-12-01T00:00:00Z".parse().expect("t"),
        end: "2026-12-02T00:00:00Z".parse().expect("t"),
    };
    let count = reads.count(span);
    assert_eq!(
        count.params,
        ["2026-12-01 00:00:00.000000", "2026-12-02 00:00:00.000000"]
    );
    assert!(count.text.contains("CAST(:p1 AS TIMESTAMP_NTZ)"));
    assert!(count.text.contains("SELECT CAST(COUNT(*) AS STRING)"));
    assert!(!count.text.contains("to_utc_timestamp"));
    let page = reads.audit_trail(span, None, 7);
    assert!(page.text.contains("to_json(`new_values`)"));
    assert!(page.text.contains("CAST(NULL AS STRING)"));
    assert_eq!(named(&page.text).len(), page.params.len());
    let earliest = reads.earliest();
    assert!(earliest.params.is_empty());
    assert!(earliest.text.contains("date_format(MIN(`captured_at`), "));
    let c = catalog(Dialect::Databricks, "fivetran_metadata'; DROP");
    assert_eq!(c.params, ["fivetran_metadata'; DROP"]);
    assert_eq!(named(&c.text), ["p1"]);
    assert!(!c.text.contains("DROP"));
}

#[test]
fn databricks_grants_are_unity_catalog_privileges_on_the_three_tables() {
    let g = grants(
        Dialect::Databricks,
        "fivetran",
        "fivetran_metadata",
        "sp`1",
        "",
        "abc123",
    );
    assert_eq!(g[0], "GRANT USE CATALOG ON CATALOG `fivetran` TO `sp``1`;");
    assert_eq!(
        g[1],
        "GRANT USE SCHEMA ON SCHEMA `fivetran`.`fivetran_metadata` TO `sp``1`;"
    );
    for table in ["log", "user", "audit_trail"] {
        let line =
            format!("GRANT SELECT ON TABLE `fivetran`.`fivetran_metadata`.`{table}` TO `sp``1`;");
        assert!(g.contains(&line), "{line} {g:?}");
    }
    assert!(
        g.last()
            .expect("last")
            .starts_with("-- and CAN USE on SQL warehouse abc123")
    );
    assert!(
        g.iter()
            .all(|l| !l.contains("ALL PRIVILEGES") && !l.contains("MODIFY"))
    );
    // With a token and no user, the principal is a placeholder to fill in, not a guess.
    let g = grants(Dialect::Databricks, "c", "s", "", "", "w");
    assert!(g[0].ends_with("TO `<the token's user or service principal>`;"));
}
