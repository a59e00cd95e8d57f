//! Which Platform Connector each audit source holds the tables of, and which destinations'
//! audit trail the bundle read.
//!
//! The Platform Connectors are the connections with service `fivetran_log` in
//! `connections.json`. A source naming a `destination` is matched to the Platform Connector in
//! that destination's group (account-level or not); one that names none, to the account's
//! only Platform Connector. When several remain, the source's `schema` picks among them. A
//! Platform Connector that is paused or has never synced is not read: its tables hold nothing
//! new (`unavailable`, said per destination). An account-level Platform Connector writes the
//! whole account's logs, so reading it reads every destination.

use jiff::Timestamp;

use crate::credentials::AuditSource;
use crate::text::printable;
use crate::vocab::audit::{DestinationCoverage, SourceFacts};
use crate::vocab::{Artifact, Status, rfc3339};

use super::known::{Known, PlatformConnector};

/// The schema a Platform Connector writes when the API does not say.
pub const DEFAULT_SCHEMA: &str = "fivetran_metadata";

/// What to read for one source.
#[derive(Debug, Clone)]
pub struct Target<'k> {
    /// The Platform Connector.
    pub connector: &'k PlatformConnector,
    /// The schema to read (the source's, else the Platform Connector's).
    pub schema: String,
    /// Its last successful sync.
    pub last_sync: Timestamp,
}

/// Why a source is not read: its status and the reason, and the Platform Connector if one
/// matched.
#[derive(Debug, Clone)]
pub struct NotRead<'k> {
    /// `failed` or `unavailable`.
    pub status: Status,
    /// Why.
    pub reason: String,
    /// The Platform Connector matched, if any.
    pub connector: Option<&'k PlatformConnector>,
}

/// Matches `source` to a Platform Connector and says whether it can be read.
pub fn target<'k>(source: &AuditSource, known: &'k Known) -> Result<Target<'k>, NotRead<'k>> {
    let failed = |reason: String| NotRead {
        status: Status::Failed,
        reason,
        connector: None,
    };
    let unsure = if known.status(Artifact::Connections).is_whole() {
        String::new()
    } else {
        "; connections.json is not complete, so one may be missing from it".to_owned()
    };
    let live = known.platform_connectors.iter().filter(|c| !c.deleted);
    let mut candidates: Vec<&PlatformConnector> = match &source.destination {
        Some(d) => live.filter(|c| c.group_id.as_deref() == Some(d)).collect(),
        None => live.collect(),
    };
    if candidates.is_empty() {
        return Err(failed(match &source.destination {
            Some(d) => format!(
                "no Platform Connector (service fivetran_log) writes to destination {}{unsure}; hint: check `destination` of this audit source against the ids in destinations.json, and that the Platform Connector exists",
                printable(d)
            ),
            None => format!(
                "the account has no Platform Connector (service fivetran_log){unsure}; hint: add one to the destination whose warehouse this audit source names (Fivetran dashboard, Platform Connector)"
            ),
        }));
    }
    if candidates.len() > 1
        && let Some(schema) = &source.schema
    {
        candidates.retain(|c| c.schema.as_deref() == Some(schema.as_str()));
    }
    let connector = match candidates.as_slice() {
        [one] => *one,
        [] => {
            return Err(failed(format!(
                "no Platform Connector of {} writes schema {}; hint: check `schema` of this audit source, or leave it out",
                source
                    .destination
                    .as_deref()
                    .map_or("the account".to_owned(), |d| format!(
                        "destination {}",
                        printable(d)
                    )),
                printable(source.schema.as_deref().unwrap_or_default())
            )));
        }
        many => {
            let ids: Vec<String> = many.iter().map(|c| printable(&c.id)).collect();
            return Err(failed(format!(
                "{} Platform Connectors could be meant ({}); hint: name the `destination` of this audit source{}",
                many.len(),
                ids.join(", "),
                if source.destination.is_some() {
                    " and its `schema`"
                } else {
                    ""
                }
            )));
        }
    };
    let not_read = |reason: String| NotRead {
        status: Status::Unavailable,
        reason,
        connector: Some(connector),
    };
    if connector.paused != Some(false) {
        return Err(not_read(format!(
            "Platform Connector {} is paused{}, so its tables receive nothing new; it is not read",
            printable(&connector.id),
            if connector.paused.is_none() {
                " (or its paused state is unknown)"
            } else {
                ""
            }
        )));
    }
    let Some(last_sync) = connector.succeeded_at else {
        return Err(not_read(format!(
            "Platform Connector {} has never synced successfully, so its tables hold nothing yet",
            printable(&connector.id)
        )));
    };
    Ok(Target {
        connector,
        schema: source
            .schema
            .clone()
            .or_else(|| connector.schema.clone())
            .unwrap_or_else(|| DEFAULT_SCHEMA.to_owned()),
        last_sync,
    })
}

/// Every destination's coverage, from the facts of every source.
pub fn destinations(known: &Known, sources: &[SourceFacts]) -> Vec<DestinationCoverage> {
    let mut ids: Vec<String> = known.destinations.keys().cloned().collect();
    for pc in &known.platform_connectors {
        if let Some(g) = &pc.group_id
            && !ids.contains(g)
        {
            ids.push(g.clone());
        }
    }
    ids.sort();
    let account_level: Vec<&PlatformConnector> = known
        .platform_connectors
        .iter()
        .filter(|c| c.account_level)
        .collect();
    ids.into_iter()
        .map(|id| {
            let mut connectors: Vec<&PlatformConnector> = known
                .platform_connectors
                .iter()
                .filter(|c| c.group_id.as_deref() == Some(id.as_str()) && !c.account_level)
                .collect();
            connectors.extend(account_level.iter().copied());
            let readers: Vec<&SourceFacts> = sources
                .iter()
                .filter(|s| {
                    s.platform_connector
                        .as_ref()
                        .is_some_and(|pc| connectors.iter().any(|c| &c.id == pc))
                })
                .collect();
            let (coverage, reason) = judge(&connectors, &readers);
            DestinationCoverage {
                name: known.destinations.get(&id).cloned().flatten(),
                destination: id,
                platform_connectors: connectors.iter().map(|c| c.id.clone()).collect(),
                coverage: coverage.to_owned(),
                sources: readers.iter().map(|s| s.source).collect(),
                reason,
            }
        })
        .collect()
}

fn judge(connectors: &[&PlatformConnector], readers: &[&SourceFacts]) -> (&'static str, String) {
    let describe = |s: &SourceFacts| {
        format!(
            "audit source {} (Platform Connector {}{})",
            s.source,
            printable(s.platform_connector.as_deref().unwrap_or_default()),
            if s.account_level {
                ", account-level"
            } else {
                ""
            }
        )
    };
    let with = |status: Status| -> Vec<String> {
        readers
            .iter()
            .filter(|s| s.status == status)
            .map(|s| describe(s))
            .collect()
    };
    let complete = with(Status::Complete);
    if !complete.is_empty() {
        return ("read", format!("read through {}", complete.join(", ")));
    }
    let partial = with(Status::Partial);
    if !partial.is_empty() {
        return (
            "partial",
            format!("read in part through {}", partial.join(", ")),
        );
    }
    let failed: Vec<String> = readers
        .iter()
        .filter(|s| matches!(s.status, Status::Failed | Status::Forbidden))
        .map(|s| describe(s))
        .collect();
    if !failed.is_empty() {
        return (
            "failed",
            format!("could not be read through {}", failed.join(", ")),
        );
    }
    if connectors.is_empty() {
        return (
            "not_read",
            "no Platform Connector writes its logs, so there is no audit trail to read".to_owned(),
        );
    }
    let reasons: Vec<String> = connectors
        .iter()
        .map(|c| {
            let id = printable(&c.id);
            if let Some(s) = readers
                .iter()
                .find(|s| s.platform_connector.as_deref() == Some(c.id.as_str()))
            {
                format!(
                    "{}: {}",
                    describe(s),
                    s.reason.as_deref().unwrap_or("not read")
                )
            } else if c.paused == Some(true) {
                format!("Platform Connector {id} is paused and no audit source reads it")
            } else if c.succeeded_at.is_none() {
                format!("Platform Connector {id} has never synced and no audit source reads it")
            } else {
                format!(
                    "Platform Connector {id} (last sync {}) has no audit source configured",
                    c.succeeded_at.map(rfc3339).unwrap_or_default()
                )
            }
        })
        .collect();
    ("not_read", reasons.join("; "))
}
