//! Checking each audit source before collections are scheduled: which Platform Connector it
//! holds the tables of and how fresh they are, that it connects (TLS as configured), that the
//! schema and tables are there and the user may read them, how many rows lie in the window,
//! and the `GRANT` statements of a least-privilege reader for that source.
//!
//! Reads only what `collect` reads: the connections list from the API (to find the Platform
//! Connectors; asked only when the vault names an audit source), and in the warehouse one
//! read-only transaction with the catalog and two counts.

use jiff::Timestamp;
use serde::Serialize;

use crate::audit::discover::{self, DEFAULT_SCHEMA};
use crate::audit::known::Known;
use crate::client::{ApiError, Client};
use crate::credentials::AuditSource;
use crate::endpoints::CONNECTIONS;
use crate::paginate;
use crate::text::printable;
use crate::vocab::{Artifact, Status, Window, rfc3339};
use crate::warehouse::{Catalog, Limits, Net, Session, Table, WarehouseError, grants};

/// A Platform Connector's last sync older than this is said to be stale.
const STALE_HOURS: i64 = 48;

/// One table of an audit source, as the check found it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TableCheck {
    /// `log`, `audit_trail` or `user`.
    pub table: &'static str,
    /// Whether the schema has it.
    pub present: bool,
    /// Whether the user may `SELECT` from it.
    pub selectable: bool,
    /// Rows in the window (`log`, `audit_trail`), when it could be counted.
    pub rows_in_window: Option<u64>,
}

/// One audit source, checked.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AuditCheck {
    /// Its place among the vault entry's audit sources, from 1.
    pub source: usize,
    /// `postgres user@host:port/database` (never the password).
    pub warehouse: String,
    /// `verify-full`, `require` or `disable`.
    pub tls: &'static str,
    /// The Platform Connector whose tables it holds, if one matched.
    pub platform_connector: Option<String>,
    /// That Platform Connector's destination (group) id.
    pub destination: Option<String>,
    /// Its last successful sync, RFC 3339 UTC.
    pub last_sync: Option<String>,
    /// How fresh its tables are, in words.
    pub freshness: Option<String>,
    /// The schema checked.
    pub schema: String,
    /// Whether it connected and began a read-only transaction.
    pub connected: bool,
    /// The tables.
    pub tables: Vec<TableCheck>,
    /// Whether `collect` can read it whole.
    pub fine: bool,
    /// What is wrong, if anything.
    pub detail: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
    /// The statements that give the user what a read needs and nothing more.
    pub grants: Vec<String>,
}

/// Checks each of `sources` over `window`. `Err` only when the key is refused.
pub async fn check_all(
    client: &Client,
    sources: &[AuditSource],
    window: Window,
    net: &Net,
) -> Result<Vec<AuditCheck>, ApiError> {
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let path = CONNECTIONS.path(&[]).expect("no ids");
    let mut listed = paginate::list_all(client, CONNECTIONS, &path, "id").await;
    let whole = match listed.error.take() {
        Some(e) if e.is_fatal() => return Err(e),
        Some(_) => Status::Partial,
        None => Status::Complete,
    };
    let mut known = Known::default();
    known.statuses.insert(Artifact::Connections, whole);
    for item in &listed.items {
        known.add(Artifact::Connections, item);
    }
    let mut checks = Vec::with_capacity(sources.len());
    for source in sources {
        checks.push(check(source, &known, window, net, Timestamp::now()).await);
    }
    Ok(checks)
}

async fn check(
    source: &AuditSource,
    known: &Known,
    window: Window,
    net: &Net,
    now: Timestamp,
) -> AuditCheck {
    let mut problems: Vec<String> = Vec::new();
    let mut hints: Vec<String> = Vec::new();
    let (connector, schema) = match discover::target(source, known) {
        Ok(t) => (Some(t.connector), t.schema),
        Err(not_read) => {
            let (problem, hint) = split_hint(&not_read.reason);
            problems.push(problem);
            hints.extend(hint);
            let schema = source
                .schema
                .clone()
                .or_else(|| not_read.connector.and_then(|c| c.schema.clone()))
                .unwrap_or_else(|| DEFAULT_SCHEMA.to_owned());
            (not_read.connector, schema)
        }
    };
    let freshness = connector.map(|c| match (c.paused, c.succeeded_at) {
        (_, None) => "never synced".to_owned(),
        (paused, Some(at)) => {
            let hours = now.duration_since(at).as_hours();
            let mut text = format!("last synced {hours} h ago");
            if paused == Some(true) {
                text.push_str(", paused");
            } else if hours > STALE_HOURS {
                text.push_str(&format!(", stale (more than {STALE_HOURS} h)"));
            }
            text
        }
    });
    let mut report = AuditCheck {
        source: source.number,
        warehouse: format!(
            "{} {}@{}:{}/{}",
            source.kind.name(),
            printable(&source.user),
            printable(&source.host),
            source.port,
            printable(&source.database)
        ),
        tls: source.tls.name(),
        platform_connector: connector.map(|c| c.id.clone()),
        destination: connector.and_then(|c| c.group_id.clone()),
        last_sync: connector.and_then(|c| c.succeeded_at).map(rfc3339),
        freshness,
        grants: grants(source, &schema),
        schema,
        connected: false,
        tables: Vec::new(),
        fine: false,
        detail: None,
        hint: None,
    };
    match probe(source, &report.schema, window, net).await {
        Ok((catalog, counts)) => {
            report.connected = true;
            inspect(&mut report, &catalog, &counts, &mut problems, &mut hints);
        }
        Err((connected, e)) => {
            report.connected = connected;
            problems.push(e.to_string());
            hints.extend(e.hint().map(str::to_owned));
        }
    }
    report.fine = problems.is_empty();
    report.detail = (!problems.is_empty()).then(|| problems.join("; "));
    hints.dedup();
    report.hint = (!hints.is_empty()).then(|| hints.join("; "));
    report
}

/// Connects, reads the catalog and counts the rows of the window: the catalog and the counts
/// of `log` and `audit_trail` (`None` where a table cannot be counted). The error says whether
/// it connected.
async fn probe(
    source: &AuditSource,
    schema: &str,
    window: Window,
    net: &Net,
) -> Result<(Catalog, Vec<(Table, Option<u64>)>), (bool, WarehouseError)> {
    let mut session = Session::open(source, net).await.map_err(|e| (false, e))?;
    let reader = session
        .begin(Limits::of(source))
        .await
        .map_err(|e| (false, e))?;
    let catalog = reader.catalog(schema).await.map_err(|e| (true, e))?;
    let mut counts = Vec::new();
    for table in [Table::Log, Table::AuditTrail] {
        let readable = catalog
            .table(table)
            .is_some_and(|t| t.selectable && catalog.usable && t.missing(table).is_empty());
        let count = if readable {
            reader.count(&catalog, table, window).await.ok()
        } else {
            None
        };
        counts.push((table, count));
        if readable && count.is_none() {
            // The failed statement ended the transaction; nothing more can be asked in it.
            break;
        }
    }
    reader.finish().await;
    Ok((catalog, counts))
}

fn inspect(
    report: &mut AuditCheck,
    catalog: &Catalog,
    counts: &[(Table, Option<u64>)],
    problems: &mut Vec<String>,
    hints: &mut Vec<String>,
) {
    let shown = printable(&report.schema);
    let grant = "run the GRANT statements below as the schema's owner".to_owned();
    if catalog.stored_schema.is_none() {
        problems.push(format!("schema {shown} not found"));
        hints.push(
            "check database and schema of this audit source (the Platform Connector's schema, fivetran_metadata by default)"
                .to_owned(),
        );
        return;
    }
    if !catalog.usable {
        problems.push(format!("no USAGE on schema {shown}"));
        hints.push(grant.clone());
    }
    for table in Table::ALL {
        let info = catalog.table(table);
        let present = info.is_some();
        let selectable = info.is_some_and(|t| t.selectable) && catalog.usable;
        let count = counts
            .iter()
            .find(|(t, _)| *t == table)
            .and_then(|(_, c)| *c);
        report.tables.push(TableCheck {
            table: table.name(),
            present,
            selectable,
            rows_in_window: count,
        });
        match (table, info) {
            (Table::Log, None) => {
                problems.push(format!("table log not found in schema {shown}"));
            }
            (Table::AuditTrail, None) => {}
            (_, Some(info)) if !info.selectable && catalog.usable => {
                problems.push(format!("no SELECT on {}", table.name()));
                hints.push(grant.clone());
            }
            (_, Some(info)) if !info.missing(table).is_empty() => problems.push(format!(
                "table {} lacks column {}",
                table.name(),
                info.missing(table).join(", ")
            )),
            _ => {}
        }
    }
}

/// A reason of the form `problem; hint: what to do`, split.
fn split_hint(reason: &str) -> (String, Option<String>) {
    match reason.split_once("; hint: ") {
        Some((problem, hint)) => (problem.to_owned(), Some(hint.to_owned())),
        None => (reason.to_owned(), None),
    }
}

#[cfg(test)]
mod tests;
