//! Reading one audit source: the passes over its tables, in one read-only transaction, resumed
//! from the last row read when the connection drops.
//!
//! 1. `USER`, into the actors ([`super::actors`]), and the earliest `LOG` row (retention).
//! 2. `AUDIT_TRAIL`'s actions, only what identifies each ([`ActionKey`]) and its time.
//! 3. `LOG`'s rows naming an actor: a user action that matches an `AUDIT_TRAIL` action (same
//!    resource, verb and actor, at most [`SAME_ACTION_WITHIN`] apart, the nearest one) is not
//!    listed: it is the same action, and `AUDIT_TRAIL`'s row says more (old and new values). The
//!    others become items.
//! 4. `AUDIT_TRAIL`'s rows become items, each naming the `LOG` rows merged into it
//!    (`source.also_in_log`).
//!
//! Each pass resumes after the last row it handed on ([`Key`]) on a new connection when the
//! old one is lost, at most [`MAX_RECONNECTS`] times. Any other error stops that pass where it
//! was (the window covered ends there, see [`super::window`]), and the next pass runs on a new
//! transaction, since the failed one can run nothing more. Rows another source already gave
//! are skipped (an account-level and a destination Platform Connector hold the same actions).

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest as _, Sha256};

use crate::credentials::AuditSource;
use crate::vocab::audit::{SourceFacts, TableFacts};
use crate::vocab::{Sink, Window, rfc3339_micros};
use crate::warehouse::{Catalog, Key, Limits, Reader, Session, Table, WarehouseError};

use super::actors::Actors;
use super::items::{self, ActionKey, Origin, Outcome};
use super::known::Known;
use super::window::Read;

/// How far apart the two tables' records of one action may be.
pub const SAME_ACTION_WITHIN: SignedDuration = SignedDuration::from_secs(120);

/// Reconnections after a lost connection, at most, per source.
pub const MAX_RECONNECTS: u32 = 3;

/// A pass over a table: not started, resumed after a key, done, or stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pass {
    Todo,
    After(Key),
    Done,
    Stopped(Timestamp, String),
}

impl Pass {
    fn pending(&self) -> bool {
        matches!(self, Pass::Todo | Pass::After(_))
    }

    fn after(&self) -> Option<&Key> {
        match self {
            Pass::After(k) => Some(k),
            _ => None,
        }
    }

    /// Stops it at the last row handed on (or the window's start) for `reason`.
    fn stop(&mut self, start: Timestamp, reason: String) {
        let until = self.after().map_or(start, |k| k.at);
        *self = Pass::Stopped(until, reason);
    }

    fn read(&self) -> Read {
        match self {
            Pass::Stopped(until, reason) => Read::Until(*until, reason.clone()),
            _ => Read::Whole,
        }
    }
}

/// An `AUDIT_TRAIL` action waiting for its `LOG` twin.
#[derive(Debug)]
struct Waiting {
    at: Timestamp,
    row_id: String,
    matched: bool,
}

/// What one source has read so far.
struct State<'a> {
    job: &'a Job<'a>,
    actors: Actors,
    users: Pass,
    earliest: Option<Option<Timestamp>>,
    index: Pass,
    log: Pass,
    trail: Pass,
    waiting: BTreeMap<ActionKey, Vec<Waiting>>,
    merged: HashMap<String, Vec<String>>,
    catalog: Option<CatalogFacts>,
}

/// What the catalog said of the tables, on the first connection.
#[derive(Debug, Clone)]
struct CatalogFacts {
    trail_present: bool,
    /// Why `AUDIT_TRAIL`, present, cannot be read.
    trail_problem: Option<WarehouseError>,
    user_present: bool,
}

/// One source to read.
pub struct Job<'a> {
    /// The source.
    pub source: &'a AuditSource,
    /// The schema.
    pub schema: String,
    /// The window asked.
    pub window: Window,
    /// Where items say they come from.
    pub origin: Origin,
    /// What the bundle knows.
    pub known: &'a Known,
    /// What requests over HTTPS share with the API client.
    pub net: &'a crate::warehouse::Net,
}

/// Rows given by any source so far, by table, id and time (a digest each).
pub type Seen = HashSet<[u8; 16]>;

fn digest(table: &str, key: &Key) -> [u8; 16] {
    let hash = Sha256::new()
        .chain_update(table.as_bytes())
        .chain_update([0])
        .chain_update(key.id.as_bytes())
        .chain_update([0])
        .chain_update(rfc3339_micros(key.at).as_bytes())
        .finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&hash[..16]);
    out
}

/// Reads `job` into `sink`, filling `facts` (window, tables, counts, status are set by the
/// caller from what this returns). Returns the error that kept the source from being read at
/// all, if one did.
pub async fn read(
    job: &Job<'_>,
    sink: &mut dyn Sink,
    seen: &mut Seen,
    facts: &mut SourceFacts,
) -> Result<Reads, WarehouseError> {
    let mut state = State {
        job,
        actors: Actors::default(),
        users: Pass::Todo,
        earliest: None,
        index: Pass::Todo,
        log: Pass::Todo,
        trail: Pass::Todo,
        waiting: BTreeMap::new(),
        merged: HashMap::new(),
        catalog: None,
    };
    loop {
        let mut session = match Session::open(job.source, job.net).await {
            Ok(s) => s,
            Err(e) if e.is_retryable() && facts.reconnects < MAX_RECONNECTS => {
                facts.reconnects += 1;
                continue;
            }
            Err(e) if state.catalog.is_none() => return Err(e),
            Err(e) => {
                state.stop_all(&e.to_string());
                break;
            }
        };
        facts.statements = Some(session.dialect().to_owned());
        match state.connection(&mut session, sink, seen, facts).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) if e.is_retryable() && facts.reconnects < MAX_RECONNECTS => {
                facts.reconnects += 1;
            }
            Err(e) if state.catalog.is_none() => return Err(e),
            Err(e) => {
                state.stop_all(&e.to_string());
                break;
            }
        }
    }
    let catalog = state
        .catalog
        .clone()
        .expect("read only returns Ok once the catalog was read");
    facts.tables.audit_trail.present = catalog.trail_present;
    facts.tables.user.present = catalog.user_present;
    facts.tables.log.present = true;
    let covered_to = |pass: &Pass, end: Timestamp| match pass {
        Pass::Stopped(until, _) => *until,
        _ => end,
    };
    let end = job.window.end;
    fill(
        &mut facts.tables.log,
        &state.log,
        covered_to(&state.log, end),
    );
    if catalog.trail_present {
        let trail = if matches!(state.index, Pass::Stopped(..)) {
            &state.index
        } else {
            &state.trail
        };
        fill(&mut facts.tables.audit_trail, trail, covered_to(trail, end));
    }
    if catalog.user_present {
        facts.tables.user.read = state.users == Pass::Done;
    }
    Ok(Reads {
        earliest: state.earliest.flatten(),
        log: state.log.read(),
        audit_trail: if !catalog.trail_present {
            Read::Absent
        } else if matches!(state.index, Pass::Stopped(..)) {
            state.index.read()
        } else {
            state.trail.read()
        },
        user_problem: match &state.users {
            Pass::Stopped(_, reason) => Some(reason.clone()),
            _ => None,
        },
    })
}

fn fill(table: &mut TableFacts, pass: &Pass, covered_to: Timestamp) {
    table.read = *pass == Pass::Done;
    table.covered_to = Some(rfc3339_micros(covered_to));
}

/// How far each table was read, for the window covered.
#[derive(Debug)]
pub struct Reads {
    /// The earliest `LOG` row, if it could be read.
    pub earliest: Option<Timestamp>,
    /// `LOG`.
    pub log: Read,
    /// `AUDIT_TRAIL`.
    pub audit_trail: Read,
    /// Why `USER` could not be read, if it could not.
    pub user_problem: Option<String>,
}

impl State<'_> {
    /// Stops every pass still to do.
    fn stop_all(&mut self, reason: &str) {
        let start = self.job.window.start;
        for pass in [
            &mut self.users,
            &mut self.index,
            &mut self.log,
            &mut self.trail,
        ] {
            if pass.pending() {
                pass.stop(start, reason.to_owned());
            }
        }
    }

    /// One connection's worth of reading. `Ok(true)`: a pass stopped on an error that ended
    /// the transaction, and others are left (open another); `Ok(false)`: all done; `Err`: the
    /// connection failed.
    async fn connection(
        &mut self,
        session: &mut Session,
        sink: &mut dyn Sink,
        seen: &mut Seen,
        facts: &mut SourceFacts,
    ) -> Result<bool, WarehouseError> {
        let reader = session.begin(Limits::of(self.job.source)).await?;
        let catalog = reader.catalog(&self.job.schema).await?;
        if self.catalog.is_none() {
            let info = check(&catalog, &self.job.schema)?;
            if let Some(problem) = &info.trail_problem {
                let reason = match problem.hint() {
                    Some(hint) => format!("{problem}; hint: {hint}"),
                    None => problem.to_string(),
                };
                self.index.stop(self.job.window.start, reason.clone());
                self.trail.stop(self.job.window.start, reason);
            }
            if !info.trail_present {
                self.index = Pass::Done;
                self.trail = Pass::Done;
            }
            if !info.user_present {
                self.users = Pass::Done;
            }
            self.catalog = Some(info);
        }
        let outcome = self.passes(&reader, &catalog, sink, seen, facts).await;
        reader.finish().await;
        outcome
    }

    async fn passes(
        &mut self,
        reader: &Reader<'_>,
        catalog: &Catalog,
        sink: &mut dyn Sink,
        seen: &mut Seen,
        facts: &mut SourceFacts,
    ) -> Result<bool, WarehouseError> {
        let window = self.job.window;
        if self.users.pending() {
            let actors = &mut self.actors;
            let mut rows = 0u64;
            let result = reader
                .users(catalog, &mut |row| {
                    rows += 1;
                    actors.add(row);
                })
                .await;
            // USER is read whole again after a lost connection (it has no window to resume
            // in): its rows count once, when the read ends.
            if result.is_ok() {
                facts.tables.user.rows_read = rows;
                facts.rows_read += rows;
            }
            if let Some(stop) = settle(result.map(|_| ()), &mut self.users, window.start)? {
                return Ok(stop);
            }
        }
        if self.earliest.is_none() {
            match reader.earliest(catalog, Table::Log).await {
                Ok(t) => self.earliest = Some(t),
                Err(e) if e.is_retryable() => return Err(e),
                // Without it, retention is simply not judged; LOG's own pass will say more.
                Err(_) => {
                    self.earliest = Some(None);
                    return Ok(true);
                }
            }
        }
        if self.index.pending() {
            let after = self.index.after().cloned();
            let (waiting, last) = (&mut self.waiting, &mut self.index);
            let result = reader
                .audit_trail(catalog, window, after.as_ref(), &mut |row| {
                    if let Some(key) = items::audit_trail_key(&row) {
                        waiting.entry(key).or_default().push(Waiting {
                            at: row.key.at,
                            row_id: row.key.id.clone(),
                            matched: false,
                        });
                    }
                    *last = Pass::After(row.key);
                })
                .await;
            if let Some(stop) = settle(result, &mut self.index, window.start)? {
                return Ok(stop);
            }
        }
        if self.log.pending() {
            let after = self.log.after().cloned();
            let job = self.job;
            let (actors, waiting, merged, last) = (
                &self.actors,
                &mut self.waiting,
                &mut self.merged,
                &mut self.log,
            );
            let result = reader
                .log(catalog, window, after.as_ref(), &mut |row| {
                    facts.rows_read += 1;
                    facts.tables.log.rows_read += 1;
                    let (outcome, key) = items::from_log(&row, &job.origin, job.known, actors);
                    if let Some(twin) = key.and_then(|k| twin(waiting, &k, row.key.at)) {
                        merged.entry(twin).or_default().push(row.key.id.clone());
                        facts.merged_from_log += 1;
                    } else {
                        keep(outcome, "log", &row.key, sink, seen, facts);
                    }
                    *last = Pass::After(row.key);
                })
                .await;
            if let Some(stop) = settle(result, &mut self.log, window.start)? {
                return Ok(stop);
            }
        }
        if self.trail.pending() {
            let after = self.trail.after().cloned();
            let job = self.job;
            let (actors, merged, last) = (&self.actors, &self.merged, &mut self.trail);
            let result = reader
                .audit_trail(catalog, window, after.as_ref(), &mut |row| {
                    facts.rows_read += 1;
                    facts.tables.audit_trail.rows_read += 1;
                    let also = merged.get(&row.key.id).map_or(&[][..], Vec::as_slice);
                    let outcome =
                        items::from_audit_trail(&row, &job.origin, job.known, actors, also);
                    keep(outcome, "audit_trail", &row.key, sink, seen, facts);
                    *last = Pass::After(row.key);
                })
                .await;
            if let Some(stop) = settle(result, &mut self.trail, window.start)? {
                return Ok(stop);
            }
        }
        Ok(false)
    }
}

/// The outcome of a pass: done, or stopped by an error that ended the transaction
/// (`Some(true)`: go on with a new one), or a lost connection (`Err`, resumed after).
fn settle(
    result: Result<(), WarehouseError>,
    pass: &mut Pass,
    start: Timestamp,
) -> Result<Option<bool>, WarehouseError> {
    match result {
        Ok(()) => {
            *pass = Pass::Done;
            Ok(None)
        }
        Err(e) if e.is_retryable() => Err(e),
        Err(e) => {
            let reason = match e.hint() {
                Some(hint) => format!("{e}; hint: {hint}"),
                None => e.to_string(),
            };
            pass.stop(start, reason);
            Ok(Some(true))
        }
    }
}

/// The `AUDIT_TRAIL` action a `LOG` action at `at` is the twin of: the nearest unmatched one
/// of the same key within [`SAME_ACTION_WITHIN`]; it is marked matched.
fn twin(
    waiting: &mut BTreeMap<ActionKey, Vec<Waiting>>,
    key: &ActionKey,
    at: Timestamp,
) -> Option<String> {
    let candidates = waiting.get_mut(key)?;
    let nearest = candidates
        .iter_mut()
        .filter(|w| !w.matched)
        .map(|w| ((w.at - at).abs(), w))
        .filter(|(d, _)| *d <= SAME_ACTION_WITHIN)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.row_id.cmp(&b.1.row_id)))?
        .1;
    nearest.matched = true;
    Some(nearest.row_id.clone())
}

/// Pushes an action's item unless another source gave the row; counts the rest.
fn keep(
    outcome: Outcome,
    table: &str,
    key: &Key,
    sink: &mut dyn Sink,
    seen: &mut Seen,
    facts: &mut SourceFacts,
) {
    match outcome {
        Outcome::Action { item, incomplete } => {
            if !seen.insert(digest(table, key)) {
                facts.repeated_in_other_sources += 1;
                return;
            }
            if incomplete {
                facts.incomplete_rows += 1;
            }
            facts.items_kept += 1;
            sink.push(item);
        }
        Outcome::System => facts.system_actions += 1,
        Outcome::Chatter => {}
    }
}

/// Checks the catalog on the first connection: `LOG` must be there, whole and readable;
/// `AUDIT_TRAIL` and `USER` may be absent.
fn check(catalog: &Catalog, schema: &str) -> Result<CatalogFacts, WarehouseError> {
    let shown = crate::text::printable(schema);
    if catalog.stored_schema.is_none() {
        return Err(WarehouseError::Missing(format!("schema {shown}")));
    }
    if !catalog.usable {
        return Err(WarehouseError::Denied {
            object: format!("schema {shown}"),
            detail: "the user has no USAGE on it".into(),
        });
    }
    let Some(log) = catalog.table(Table::Log) else {
        return Err(WarehouseError::Missing(format!(
            "table log in schema {shown}"
        )));
    };
    if !log.selectable {
        return Err(WarehouseError::Denied {
            object: "log".into(),
            detail: "the user has no SELECT on it".into(),
        });
    }
    let missing = log.missing(Table::Log);
    if !missing.is_empty() {
        return Err(WarehouseError::Missing(format!(
            "column {} of table log in schema {shown}",
            missing.join(", ")
        )));
    }
    let trail = catalog.table(Table::AuditTrail);
    let trail_problem = trail.and_then(|t| {
        let missing = t.missing(Table::AuditTrail);
        if !t.selectable {
            Some(WarehouseError::Denied {
                object: "audit_trail".into(),
                detail: "the user has no SELECT on it".into(),
            })
        } else if !missing.is_empty() {
            Some(WarehouseError::Missing(format!(
                "column {} of table audit_trail in schema {shown}",
                missing.join(", ")
            )))
        } else {
            None
        }
    });
    Ok(CatalogFacts {
        trail_present: trail.is_some(),
        trail_problem,
        user_present: catalog
            .table(Table::User)
            .is_some_and(|t| t.missing(Table::User).is_empty()),
    })
}
