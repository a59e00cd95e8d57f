//! What a fake warehouse (Snowflake, Databricks) answers to a statement. It does not run SQL:
//! it knows the collector's statements by the tag of their leading comment
//! (`/* iru-fivetran log */`) and their parameters in order (see the core crate's
//! `warehouse/statements.rs`: the same statements in each dialect), and answers them from the
//! rows it holds, as the warehouse would: filtered by the window and the key, ordered by time
//! then id, at most the statement's `LIMIT`, every value a string or null. A statement without
//! a tag is a syntax error, as an unknown statement would be to a test; each fake says a
//! [`Failure`] in its own vendor's words.

use jiff::Timestamp;
use jiff::civil::DateTime;

use super::{Platform, Table};

/// A result: rows of text, or why the statement failed.
pub enum Outcome {
    /// The rows.
    Rows(Vec<Vec<Option<String>>>),
    /// The statement failed.
    Failed(Failure),
}

/// Why a statement failed, for each fake to say in its vendor's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Not one of the collector's statements.
    Syntax(String),
    /// The table read is not there (or not visible).
    Missing,
    /// A parameter is missing or unreadable.
    Binding,
}

/// How a dialect quotes identifiers: the character around them (doubled inside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// `"name"` (Snowflake).
    Double,
    /// `` `name` `` (Databricks).
    Backtick,
}

impl Quote {
    fn quote(self, name: &str) -> String {
        let q = match self {
            Quote::Double => '"',
            Quote::Backtick => '`',
        };
        let doubled: String = [q, q].iter().collect();
        format!("{q}{}{q}", name.replace(q, &doubled))
    }
}

/// Puts each table's rows in `(time, id)` order, the order every page is read in, rows without
/// a readable time first: done once, when the fake starts, so that a page is found by
/// bisection.
pub fn order(platform: &mut Platform) {
    for table in &mut platform.tables {
        if column_index(table, "captured_at").is_none()
            && column_index(table, "time_stamp").is_none()
        {
            continue;
        }
        let time = time_column(table);
        let (t, id) = (column_index(table, time), column_index(table, "id"));
        let text = |r: &[Option<String>], i: Option<usize>| {
            i.and_then(|i| r.get(i)?.clone()).unwrap_or_default()
        };
        let mut keyed: Vec<_> = std::mem::take(&mut table.rows)
            .into_iter()
            .map(|r| ((parse_time(&text(&r, t)), text(&r, id)), r))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        table.rows = keyed.into_iter().map(|(_, r)| r).collect();
    }
}

/// Evaluates `statement` (identifiers quoted as `quote` says) with `bindings`, in marker
/// order, against `platform` (put in order by [`order`]).
pub fn eval(platform: &Platform, statement: &str, bindings: &[String], quote: Quote) -> Outcome {
    let Some(tag) = statement
        .strip_prefix("/* iru-fivetran ")
        .and_then(|rest| rest.split_once(" */"))
        .map(|(tag, _)| tag)
    else {
        return Outcome::Failed(Failure::Syntax("a statement without a tag".into()));
    };
    if tag == "catalog" {
        return catalog(platform, bindings.first().map_or("", String::as_str));
    }
    let Some(table) = table_of(platform, statement, quote) else {
        return Outcome::Failed(Failure::Missing);
    };
    let limit = statement
        .rsplit_once(" LIMIT ")
        .and_then(|(_, n)| n.trim().parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    match tag {
        "user" => {
            let after = bindings.first();
            let mut rows: Vec<_> = table
                .rows
                .iter()
                .filter(|r| {
                    after.is_none_or(|a| cell(table, r, "id").is_some_and(|id| id > a.as_str()))
                })
                .collect();
            rows.sort_by(|a, b| cell(table, a, "id").cmp(&cell(table, b, "id")));
            Outcome::Rows(
                rows.into_iter()
                    .take(limit)
                    .map(|r| {
                        pick(
                            table,
                            r,
                            &[
                                "id",
                                "email",
                                "given_name",
                                "family_name",
                                "_fivetran_deleted",
                            ],
                        )
                    })
                    .collect(),
            )
        }
        "earliest" => {
            let time = time_column(table);
            let min = table
                .rows
                .iter()
                .filter_map(|r| cell(table, r, time))
                .min()
                .map(str::to_owned);
            Outcome::Rows(vec![vec![min]])
        }
        "count" => {
            let (Some(start), Some(end)) = (bound_time(bindings, 0), bound_time(bindings, 1))
            else {
                return bad_binding();
            };
            let n = table
                .rows
                .iter()
                .filter(|r| in_window(table, r, start, end))
                .count();
            Outcome::Rows(vec![vec![Some(n.to_string())]])
        }
        "log" | "audit_trail" => page(table, tag, bindings, limit),
        _ => Outcome::Failed(Failure::Syntax(format!("unknown {tag}"))),
    }
}

fn bad_binding() -> Outcome {
    Outcome::Failed(Failure::Binding)
}

/// A page of `LOG` (bindings: bound, start, end, [t, t, id], pattern) or `AUDIT_TRAIL`
/// (bound, bound, start, end, [t, t, id]).
fn page(table: &Table, tag: &str, bindings: &[String], limit: usize) -> Outcome {
    let log = tag == "log";
    let first_time = if log { 1 } else { 2 };
    // Both take 4 bindings, 7 with a key.
    let keyed = bindings.len() == 7;
    let bound: u64 = bindings
        .first()
        .and_then(|b| b.parse().ok())
        .unwrap_or(u64::MAX);
    let (Some(start), Some(end)) = (
        bound_time(bindings, first_time),
        bound_time(bindings, first_time + 1),
    ) else {
        return bad_binding();
    };
    let after = if keyed {
        let (Some(at), Some(id)) = (
            bound_time(bindings, first_time + 2),
            bindings.get(first_time + 4),
        ) else {
            return bad_binding();
        };
        Some((at, id.clone()))
    } else {
        None
    };
    let time = time_column(table);
    fn key<'r>(table: &Table, time: &str, r: &'r [Option<String>]) -> (Option<Timestamp>, &'r str) {
        (
            cell(table, r, time).and_then(parse_time),
            cell(table, r, "id").unwrap_or_default(),
        )
    }
    // The rows are in `(time, id)` order ([`order`]): those before the window's start, or at
    // or before the key, are a prefix, found by bisection, and the page ends at the window's
    // end, so a page costs what it returns, not the whole table.
    let first = table.rows.partition_point(|r| {
        let (t, id) = key(table, time, r);
        let Some(t) = t else { return true };
        t < start
            || after
                .as_ref()
                .is_some_and(|(at, after_id)| t < *at || (t == *at && id <= after_id.as_str()))
    });
    let rows = table.rows[first..]
        .iter()
        .take_while(|r| key(table, time, r).0.is_some_and(|t| t < end))
        .filter(|r| {
            !log || cell(table, r, "message_data").is_some_and(|d| d.contains("\"actor\""))
        });
    let bounded = |r: &Vec<Option<String>>, column: &str| -> [Option<String>; 2] {
        let value = cell(table, r, column).map(str::to_owned);
        let length = value.as_ref().map(|v| v.len() as u64);
        match (value, length) {
            (Some(_), Some(n)) if n > bound => [None, Some(n.to_string())],
            (v, n) => [v, n.map(|n| n.to_string())],
        }
    };
    let out = rows
        .into_iter()
        .take(limit)
        .map(|r| {
            if log {
                let connection = if column_index(table, "connection_id").is_some() {
                    "connection_id"
                } else {
                    "connector_id"
                };
                let mut row = pick(
                    table,
                    r,
                    &["id", time, connection, "event", "message_event"],
                );
                row.extend(bounded(r, "message_data"));
                row.extend(pick(table, r, &["sync_id"]));
                row
            } else {
                let mut row = pick(
                    table,
                    r,
                    &[
                        "id",
                        time,
                        "user_id",
                        "action",
                        "interaction_method",
                        "primary_resource_type",
                        "primary_resource_id",
                        "secondary_resource_type",
                        "secondary_resource_id",
                    ],
                );
                row.extend(bounded(r, "old_values"));
                row.extend(bounded(r, "new_values"));
                row
            }
        })
        .collect();
    Outcome::Rows(out)
}

fn catalog(platform: &Platform, schema: &str) -> Outcome {
    if !platform.schema.eq_ignore_ascii_case(schema) {
        return Outcome::Rows(Vec::new());
    }
    let mut rows = Vec::new();
    for table in platform.tables.iter().filter(|t| !t.hidden) {
        for (column, data_type) in &table.columns {
            rows.push(vec![
                Some(platform.schema.clone()),
                Some(table.name.clone()),
                Some(column.clone()),
                Some(data_type.clone()),
            ]);
        }
    }
    if rows.is_empty() {
        rows.push(vec![Some(platform.schema.clone()), None, None, None]);
    }
    Outcome::Rows(rows)
}

/// The table a statement reads: the one whose quoted name follows `FROM`.
fn table_of<'p>(platform: &'p Platform, statement: &str, quote: Quote) -> Option<&'p Table> {
    platform.tables.iter().filter(|t| !t.hidden).find(|t| {
        statement.contains(&format!(
            " FROM {}.{}",
            quote.quote(&platform.schema),
            quote.quote(&t.name)
        ))
    })
}

fn column_index(table: &Table, name: &str) -> Option<usize> {
    table
        .columns
        .iter()
        .position(|(c, _)| c.eq_ignore_ascii_case(name))
}

fn cell<'r>(table: &Table, row: &'r [Option<String>], name: &str) -> Option<&'r str> {
    column_index(table, name).and_then(|i| row.get(i)?.as_deref())
}

fn pick(table: &Table, row: &[Option<String>], names: &[&str]) -> Vec<Option<String>> {
    names
        .iter()
        .map(|n| cell(table, row, n).map(str::to_owned))
        .collect()
}

fn time_column(table: &Table) -> &'static str {
    if column_index(table, "captured_at").is_some() {
        "captured_at"
    } else {
        "time_stamp"
    }
}

fn in_window(table: &Table, row: &[Option<String>], start: Timestamp, end: Timestamp) -> bool {
    cell(table, row, time_column(table))
        .and_then(parse_time)
        .is_some_and(|t| t >= start && t < end)
}

/// A row's time (`YYYY-MM-DDTHH:MM:SS.ffffff`, UTC).
fn parse_time(text: &str) -> Option<Timestamp> {
    format!("{text}Z").parse().ok()
}

/// Binding `i` as a time: RFC 3339 (`TO_TIMESTAMP_TZ`) or a UTC wall clock (`_NTZ`).
fn bound_time(bindings: &[String], i: usize) -> Option<Timestamp> {
    let text = bindings.get(i)?;
    // BigQuery's are `YYYY-MM-DD HH:MM:SS.ffffff+00:00`.
    let rfc3339 = text.replace(' ', "T");
    text.parse::<Timestamp>()
        .ok()
        .or_else(|| rfc3339.parse().ok())
        .or_else(|| {
            let civil = text.replace(' ', "T").parse::<DateTime>().ok()?;
            jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
        })
}
