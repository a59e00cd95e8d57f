//! `audit_trail.json`: who did what, read from the tables a Fivetran Platform Connector writes
//! into the customer's warehouse (Fivetran's REST API has no audit-log endpoint).
//!
//! What it is made of, whatever the warehouse:
//! - [`known`]: what the bundle already holds (Platform Connectors, names of things, people);
//! - [`discover`]: which Platform Connector each audit source of the vault file holds the
//!   tables of, and per destination whether its trail was read;
//! - [`window`]: the window of each source, continuing the previous bundle's, and what was
//!   covered, with every gap and its reason;
//! - [`read`]: the passes over `USER`, `AUDIT_TRAIL` and `LOG` through `crate::warehouse`,
//!   resumed after a lost connection; [`items`] turns rows into items and [`actors`] resolves
//!   who did it.
//!
//! [`collect`] is the one entry. Its status: `unavailable` without an audit source (the reason
//! says how to add one); `complete` when every source read its whole window (a source whose
//! Platform Connector is paused or never synced is not read and counts as nothing missing);
//! `failed` (or `forbidden`) when none could be read at all; `partial` otherwise. The envelope
//! and the manifest carry the same facts ([`AuditFacts`]). Reasons are one line (they are
//! logged as they are), a `hint:` after a `;` where the operator can act.

pub mod actors;
pub mod discover;
pub mod items;
pub mod known;
pub mod read;
pub mod window;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::credentials::AuditSource;
use crate::evidence::bundle::Bundle;
use crate::text::printable;
use crate::vocab::audit::{AuditFacts, SourceFacts};
use crate::vocab::{Collected, Sink, Status, Window, rfc3339};
use crate::warehouse::WarehouseError;

use items::Origin;
use known::Known;
use window::{Previous, Read};

/// Why there is no audit trail without an audit source, and how to add one.
pub const NO_SOURCE: &str = "no audit source is configured, so the audit trail (who did what) \
    was not read: Fivetran's REST API has none, and it lives in the tables a Fivetran Platform \
    Connector writes into a destination's warehouse; hint: add an [[audit_sources]] entry \
    (kind, host, database, user, password) to the vault file for each warehouse holding those \
    tables; see the README, \"The audit trail\", and check it with `iru-fivetran doctor`";

/// What [`collect`] needs besides the bundle.
pub struct Ctx<'a> {
    /// The vault entry's audit sources.
    pub sources: &'a [AuditSource],
    /// The start of `--since`.
    pub since: Timestamp,
    /// When the run started.
    pub run_start: Timestamp,
    /// Where earlier bundles left each Platform Connector's trail ([`window::previous`]).
    pub previous: &'a BTreeMap<String, Previous>,
    /// The account id.
    pub account_id: Option<&'a str>,
    /// What requests over HTTPS share with the API client (`--ca-cert`).
    pub net: &'a crate::warehouse::Net,
}

/// Reads every audit source; items go to `sink`. Returns the artifact's status and envelope
/// fields, and the facts the manifest states.
pub async fn collect(
    ctx: &Ctx<'_>,
    bundle: &Bundle,
    sink: &mut dyn Sink,
) -> (Collected, AuditFacts) {
    let known = Known::load(bundle, ctx.account_id);
    collect_with(ctx, &known, sink).await
}

/// [`collect`] with what the bundle knows already loaded.
pub async fn collect_with(
    ctx: &Ctx<'_>,
    known: &Known,
    sink: &mut dyn Sink,
) -> (Collected, AuditFacts) {
    let mut seen = read::Seen::new();
    let mut sources = Vec::with_capacity(ctx.sources.len());
    for source in ctx.sources {
        sources.push(one(ctx, known, source, sink, &mut seen).await);
    }
    let facts = AuditFacts {
        destinations: discover::destinations(known, &sources),
        sources,
    };
    (artifact(ctx, &facts), facts)
}

/// The facts of a source before anything is read: where it is, never its password.
fn facts_of(source: &AuditSource) -> SourceFacts {
    SourceFacts {
        source: source.number,
        kind: source.kind.name().to_owned(),
        host: source.host.clone(),
        port: source.port,
        database: source.database.clone(),
        user: source.user.clone(),
        tls: source.tls.name().to_owned(),
        allow_plaintext: source.allow_plaintext,
        destination: source.destination.clone(),
        schema: source.schema.clone(),
        ..SourceFacts::default()
    }
}

async fn one(
    ctx: &Ctx<'_>,
    known: &Known,
    source: &AuditSource,
    sink: &mut dyn Sink,
    seen: &mut read::Seen,
) -> SourceFacts {
    let mut facts = facts_of(source);
    let target = match discover::target(source, known) {
        Ok(target) => target,
        Err(not_read) => {
            if let Some(c) = not_read.connector {
                facts.platform_connector = Some(c.id.clone());
                facts.account_level = c.account_level;
                facts.destination = c.group_id.clone().or(facts.destination);
                facts.last_sync = c.succeeded_at.map(rfc3339);
            }
            facts.status = not_read.status;
            facts.reason = Some(not_read.reason);
            return facts;
        }
    };
    let connector = target.connector;
    facts.platform_connector = Some(connector.id.clone());
    facts.account_level = connector.account_level;
    facts.destination = connector.group_id.clone();
    facts.schema = Some(target.schema.clone());
    facts.last_sync = Some(rfc3339(target.last_sync));
    let previous = ctx.previous.get(&connector.id);
    let (asked, from) = window::asked(ctx.since, previous, target.last_sync, ctx.run_start);
    facts.window_from = Some(from.to_owned());
    facts.previous_bundle = previous.map(|p| p.bundle_id.clone());
    facts.window_asked = Some(window::span(asked));
    if asked.start >= asked.end {
        // Nothing new since the previous bundle: the Platform Connector has not synced since.
        facts.status = Status::Complete;
        return facts;
    }
    let job = read::Job {
        source,
        schema: target.schema.clone(),
        window: asked,
        origin: Origin {
            destination: connector.group_id.clone(),
            platform_connector: connector.id.clone(),
            schema: target.schema.clone(),
        },
        known,
        net: ctx.net,
    };
    match read::read(&job, sink, seen, &mut facts).await {
        Ok(reads) => settle(&mut facts, asked, &reads),
        Err(e) => {
            facts.status = if e.is_denied() {
                Status::Forbidden
            } else {
                Status::Failed
            };
            facts.reason = Some(describe(&e));
            facts.gaps = vec![crate::vocab::audit::Gap {
                start: window::span(asked).start,
                end: window::span(asked).end,
                reason: e.to_string(),
            }];
        }
    }
    facts
}

/// An error with its hint, as a reason.
fn describe(e: &WarehouseError) -> String {
    match e.hint() {
        Some(hint) => format!("{e}; hint: {hint}"),
        None => e.to_string(),
    }
}

/// The window covered, the gaps and the status of a source that was read.
fn settle(facts: &mut SourceFacts, asked: Window, reads: &read::Reads) {
    facts.earliest_row = reads.earliest.map(crate::vocab::rfc3339_micros);
    let tables = [
        ("log", reads.log.clone()),
        ("audit_trail", reads.audit_trail.clone()),
    ];
    let (covered, gaps) = window::coverage(asked, reads.earliest, &tables);
    facts.window_covered = covered.map(window::span);
    facts.gaps = gaps;
    let mut problems: Vec<String> = facts.gaps.iter().map(|g| g.reason.clone()).collect();
    if let Some(user) = &reads.user_problem {
        problems.push(format!(
            "user: {user} (actors are resolved through the API's users only)"
        ));
    }
    if facts.incomplete_rows > 0 {
        problems.push(format!(
            "{} row(s) kept with a value that could not be read (see `_iru.incomplete` on the items)",
            facts.incomplete_rows
        ));
    }
    let nothing = covered.is_none() && facts.items_kept == 0;
    facts.status = if problems.is_empty() {
        Status::Complete
    } else if nothing && matches!(reads.log, Read::Until(..)) {
        Status::Failed
    } else {
        Status::Partial
    };
    facts.reason = (!problems.is_empty()).then(|| problems.join("; "));
}

/// The artifact's status, reason and envelope fields.
fn artifact(ctx: &Ctx<'_>, facts: &AuditFacts) -> Collected {
    let mut extra = Map::new();
    extra.insert(
        "sources".into(),
        serde_json::to_value(&facts.sources).unwrap_or(Value::Null),
    );
    extra.insert(
        "destinations".into(),
        serde_json::to_value(&facts.destinations).unwrap_or(Value::Null),
    );
    if ctx.sources.is_empty() {
        return Collected {
            status: Status::Unavailable,
            reason: Some(NO_SOURCE.to_owned()),
            extra,
            ..Collected::default()
        };
    }
    let statuses: Vec<Status> = facts.sources.iter().map(|s| s.status).collect();
    let status = if statuses.iter().all(|s| s.is_whole()) {
        Status::Complete
    } else if statuses.iter().all(|s| *s == Status::Forbidden) {
        Status::Forbidden
    } else if statuses
        .iter()
        .all(|s| matches!(s, Status::Failed | Status::Forbidden))
    {
        Status::Failed
    } else {
        Status::Partial
    };
    let reasons: Vec<String> = facts
        .sources
        .iter()
        .filter(|s| !s.status.is_whole())
        .map(|s| {
            format!(
                "audit source {} ({} {}@{}:{}/{}) {}: {}",
                s.source,
                s.kind,
                printable(&s.user),
                printable(&s.host),
                s.port,
                printable(&s.database),
                s.status.name(),
                s.reason.as_deref().unwrap_or("no reason given")
            )
        })
        .collect();
    Collected {
        status,
        reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
        extra,
        ..Collected::default()
    }
}

#[cfg(test)]
mod tests;
