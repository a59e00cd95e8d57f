//! Unit tests of the statements: identifiers quoted, values only as parameters, both dialects.

use std::collections::BTreeMap;

use super::*;
use crate::warehouse::Column;

fn info(name: &str, columns: &[(&str, &str)]) -> TableInfo {
    TableInfo {
        stored_name: name.to_owned(),
        selectable: true,
        columns: columns
            .iter()
            .map(|(c, t)| {
                (
                    (*c).to_owned(),
                    Column {
                        data_type: (*t).to_owned(),
                        name: (*c).to_owned(),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

fn log_info(data_type: &str, time_type: &str, connection: &str) -> TableInfo {
    info(
        "log",
        &[
            ("id", "text"),
            ("time_stamp", time_type),
            (connection, "text"),
            ("event", "text"),
            ("message_event", "text"),
            ("message_data", data_type),
            ("sync_id", "text"),
        ],
    )
}

/// The highest `$n` of a statement.
fn highest_param(text: &str) -> usize {
    text.match_indices('$')
        .filter_map(|(i, _)| {
            let digits: String = text[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn identifiers_are_quoted_with_quotes_doubled() {
    assert_eq!(ident("user"), "\"user\"");
    assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    let info = info(
        "user",
        &[
            ("id", "text"),
            ("email", "text"),
            ("_fivetran_deleted", "boolean"),
        ],
    );
    let reads = Reads {
        dialect: Dialect::Postgres,
        schema: "fivetran\"; DROP TABLE x; --",
        table: Table::User,
        info: &info,
    };
    let text = reads.users().text;
    assert!(
        text.contains("FROM \"fivetran\"\"; DROP TABLE x; --\".\"user\""),
        "{text}"
    );
    assert!(
        text.contains("CASE WHEN \"_fivetran_deleted\" THEN 'true'"),
        "{text}"
    );
    // A column the table lacks reads as null, never as a name.
    assert!(text.contains("CAST(NULL AS text)"), "{text}");
}

#[test]
fn every_value_is_a_parameter_and_each_statement_takes_what_it_says() {
    let log = log_info("jsonb", "timestamp with time zone", "connection_id");
    let trail = info(
        "audit_trail",
        &[
            ("id", "text"),
            ("captured_at", "timestamp with time zone"),
            ("user_id", "text"),
            ("action", "text"),
            ("old_values", "text"),
            ("new_values", "text"),
        ],
    );
    for dialect in [Dialect::Postgres, Dialect::Redshift] {
        let reads = |table, info| Reads {
            dialect,
            schema: "fivetran_metadata",
            table,
            info,
        };
        let log_reads = reads(Table::Log, &log);
        let trail_reads = reads(Table::AuditTrail, &trail);
        for statement in [
            log_reads.log(false),
            log_reads.log(true),
            log_reads.count(),
            log_reads.earliest(),
            trail_reads.audit_trail(false),
            trail_reads.audit_trail(true),
            catalog(),
        ] {
            assert_eq!(
                highest_param(&statement.text),
                statement.params,
                "{}",
                statement.text
            );
            // The pattern is a parameter, not text of the statement.
            assert!(!statement.text.contains("actor"), "{}", statement.text);
        }
        let text = log_reads.log(true).text;
        assert!(text.contains("LIKE $4"), "{text}");
        assert!(
            text.contains(
                "\"time_stamp\" > CAST($5 AS timestamptz) OR (\"time_stamp\" = CAST($5 AS timestamptz) AND"
            ),
            "{text}"
        );
        assert!(
            text.contains("(\"time_stamp\" AT TIME ZONE 'UTC')"),
            "{text}"
        );
        assert!(text.contains("ORDER BY \"time_stamp\", "), "{text}");
    }
}

#[test]
fn the_dialects_read_text_each_their_own_way() {
    let pg = log_info("jsonb", "timestamp with time zone", "connection_id");
    let reads = Reads {
        dialect: Dialect::Postgres,
        schema: "s",
        table: Table::Log,
        info: &pg,
    };
    let text = reads.log(false).text;
    assert!(text.contains("CAST(\"message_data\" AS text)"), "{text}");
    assert!(!text.contains("VARCHAR(MAX)"), "{text}");

    let redshift = log_info("super", "timestamp without time zone", "connector_id");
    let reads = Reads {
        dialect: Dialect::Redshift,
        schema: "s",
        table: Table::Log,
        info: &redshift,
    };
    let text = reads.log(false).text;
    assert!(text.contains("JSON_SERIALIZE(\"message_data\")"), "{text}");
    assert!(
        text.contains("CAST(\"connector_id\" AS VARCHAR(MAX))"),
        "{text}"
    );
    assert!(text.contains("CAST($1 AS timestamp)"), "{text}");
    assert!(!text.contains("AT TIME ZONE"), "{text}");
    assert!(!text.contains("AS text)"), "{text}");
}

#[test]
fn times_are_bound_as_instants_or_as_the_utc_wall_clock() {
    let t: jiff::Timestamp = "2026-12-06T10:11:12.345678Z".parse().expect("time");
    let zoned = log_info("jsonb", "timestamp with time zone", "connection_id");
    let naive = log_info("text", "timestamp without time zone", "connector_id");
    let value = |info: &TableInfo, t| {
        Reads {
            dialect: Dialect::Postgres,
            schema: "s",
            table: Table::Log,
            info,
        }
        .time_value(t)
    };
    assert_eq!(value(&zoned, t), "2026-12-06T10:11:12.345678Z");
    assert_eq!(value(&naive, t), "2026-12-06 10:11:12.345678");
    let whole: jiff::Timestamp = "2026-12-06T10:11:12Z".parse().expect("time");
    assert_eq!(value(&zoned, whole), "2026-12-06T10:11:12.000000Z");
}

#[test]
fn the_grants_of_a_least_privilege_reader_quote_every_name() {
    assert_eq!(
        grants(
            Dialect::Postgres,
            "analytics",
            "fivetran_metadata",
            "iru_reader"
        ),
        [
            "GRANT CONNECT ON DATABASE \"analytics\" TO \"iru_reader\";",
            "GRANT USAGE ON SCHEMA \"fivetran_metadata\" TO \"iru_reader\";",
            "GRANT SELECT ON \"fivetran_metadata\".\"log\", \"fivetran_metadata\".\"user\" TO \"iru_reader\";",
            "GRANT SELECT ON \"fivetran_metadata\".\"audit_trail\" TO \"iru_reader\";",
        ]
    );
    let redshift = grants(Dialect::Redshift, "dev", "odd\"schema", "r");
    assert_eq!(redshift.len(), 3, "no CONNECT on Redshift");
    assert!(redshift[0].contains("\"odd\"\"schema\""), "{redshift:?}");
}
