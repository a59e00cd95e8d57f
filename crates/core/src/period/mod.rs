//! A period in one answer (`iru-fivetran changes DIR --from DATE --to DATE`): every bundle of
//! one account in a folder whose run started in the period, each verified and compared with the
//! one before it (the last one before the period included, so the period's first changes are
//! seen), gives one change log, with every place the series cannot vouch for:
//!
//! - a day of the period on which no run started (the series is read as a daily one);
//! - a run that failed (`<bundle>.failed`), or a bundle that does not verify (left out: the
//!   comparison goes from the bundle before it to the one after it);
//! - artifacts not whole in one of two compared bundles (not compared, as in `changes.json`);
//! - two bundles that cannot be compared (another resource selection);
//! - no bundle before the period's first one, so changes before that one cannot be seen.
//!
//! Each change carries the two bundles it was seen between: it happened after the older one
//! started and before the newer one did. [`render`] writes the result as JSON (schema
//! [`SCHEMA`]), CSV and Markdown.

mod render;

use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::changes::{Change, CompareError, Snapshot, compare, uncompared};
use crate::evidence::bundle::{self, Found};
use crate::text::printable;
use crate::verify::{self, VerifyError};

pub use render::{PeriodDocument, csv, json, markdown};

/// The schema id of the period's JSON document.
pub const SCHEMA: &str = "iru-fivetran/period/v1";

/// Directory entries of the folder looked at, at most.
const MAX_SCANNED: usize = 100_000;

/// What to roll up.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The folder of bundles (`collect`'s `--out`).
    pub dir: &'a Path,
    /// The account, when the folder holds bundles of several.
    pub account: Option<&'a str>,
    /// The period's first day (UTC).
    pub from: Date,
    /// The period's last day (UTC), included.
    pub to: Date,
}

/// A bundle of the series, in the order of their runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The directory's name.
    pub name: String,
    /// Its run's start as its name says it, RFC 3339 UTC.
    pub started_at: String,
    /// Whether it is in the period, or the last one before it (where the log starts from).
    pub in_period: bool,
    /// What the series could make of it.
    pub state: MemberState,
}

/// What the series could make of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberState {
    /// Verified and used; the run was complete.
    Complete,
    /// Verified and used; the run was partial (its artifacts not whole are not compared).
    Partial,
    /// The run failed: a `.failed` directory, never compared.
    Failed,
    /// It does not verify: left out, with the problems.
    Unverified(String),
}

/// One comparison of two consecutive usable bundles.
#[derive(Debug)]
pub struct Step {
    /// The older bundle's name and run start.
    pub old: (String, String),
    /// The newer bundle's name and run start.
    pub new: (String, String),
    /// What changed, sorted by sort key.
    pub changes: Vec<Change>,
}

/// A place the series cannot vouch for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// No run started on these days (first and last, both included).
    NoRun {
        /// The first day.
        from: Date,
        /// The last day.
        to: Date,
    },
    /// A run failed; its `.failed` directory is named.
    FailedRun {
        /// The directory.
        bundle: String,
    },
    /// A bundle does not verify and was left out.
    Unverified {
        /// The directory.
        bundle: String,
        /// Its problems, on one line.
        reason: String,
    },
    /// Artifacts not whole in one of two bundles, not compared between them.
    NotCompared {
        /// The older bundle.
        old: String,
        /// The newer bundle.
        new: String,
        /// `name (status in old/new)` of each.
        artifacts: Vec<String>,
    },
    /// Two bundles that cannot be compared.
    NotComparable {
        /// The older bundle.
        old: String,
        /// The newer bundle.
        new: String,
        /// Why.
        reason: String,
    },
    /// No usable bundle before the period's first one: what changed before it is not seen.
    NoEarlierBundle {
        /// The period's first usable bundle.
        first: String,
    },
}

/// The period rolled up.
#[derive(Debug)]
pub struct Period {
    /// The account, as the manifests give it (or as the names give it, if none verified).
    pub account_id: String,
    /// The period's first day.
    pub from: Date,
    /// The period's last day, included.
    pub to: Date,
    /// Every bundle looked at, oldest first.
    pub members: Vec<Member>,
    /// Each comparison, oldest first.
    pub steps: Vec<Step>,
    /// Every gap, in the order of the series (the days without a run first).
    pub gaps: Vec<Gap>,
}

impl Period {
    /// Every change of the period.
    pub fn change_count(&self) -> usize {
        self.steps.iter().map(|s| s.changes.len()).sum()
    }
}

/// Why there is no period to show (exit 1, or 2 for a usage problem).
#[derive(Debug, thiserror::Error)]
pub enum PeriodError {
    /// `--from` is after `--to`.
    #[error("--from {from} is after --to {to}\nhint: give the period's first day, then its last")]
    Backwards {
        /// The first day given.
        from: Date,
        /// The last day given.
        to: Date,
    },
    /// The folder holds bundles of several accounts and none was named.
    #[error(
        "{} holds bundles of {} accounts: {}\nhint: name one with --account",
        dir.display(),
        accounts.len(),
        accounts.join(", ")
    )]
    SeveralAccounts {
        /// The folder.
        dir: PathBuf,
        /// The accounts, as their names give them.
        accounts: Vec<String>,
    },
    /// No bundle of the account started in the period.
    #[error(
        "no bundle of {} in {} started between {from} and {to}\nhint: give the folder `collect` writes to (its --out), and a period it ran in",
        if account.is_empty() { "any account".to_owned() } else { format!("account {account}") },
        dir.display()
    )]
    Empty {
        /// The folder.
        dir: PathBuf,
        /// The account looked for, as in names (empty: any).
        account: String,
        /// The first day.
        from: Date,
        /// The last day.
        to: Date,
    },
}

impl PeriodError {
    /// Whether the request itself is wrong (exit 2) rather than the folder (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            PeriodError::Backwards { .. } | PeriodError::SeveralAccounts { .. }
        )
    }
}

/// Rolls up the bundles of one account in `request.dir` over the period.
pub fn roll_up(request: &Request<'_>) -> Result<Period, PeriodError> {
    if request.from > request.to {
        return Err(PeriodError::Backwards {
            from: request.from,
            to: request.to,
        });
    }
    let found = bundle::all(request.dir, MAX_SCANNED);
    let account = match request.account {
        Some(id) => bundle::file_name_safe(Some(id)),
        None => {
            let mut accounts: Vec<String> = found.iter().map(|f| f.account.clone()).collect();
            accounts.sort();
            accounts.dedup();
            if accounts.len() > 1 {
                return Err(PeriodError::SeveralAccounts {
                    dir: request.dir.to_owned(),
                    accounts,
                });
            }
            accounts.pop().unwrap_or_default()
        }
    };
    let (first, last) = (
        stamp_of(request.from),
        stamp_of(request.to.tomorrow_or_max()),
    );
    let of_account: Vec<&Found> = found.iter().filter(|f| f.account == account).collect();
    let in_period: Vec<&Found> = of_account
        .iter()
        .copied()
        .filter(|f| f.stamp >= first && f.stamp < last)
        .collect();
    if in_period.is_empty() {
        return Err(PeriodError::Empty {
            dir: request.dir.to_owned(),
            account,
            from: request.from,
            to: request.to,
        });
    }
    let before = of_account
        .iter()
        .copied()
        .rfind(|f| f.stamp < first && !f.failed);
    let mut period = Period {
        account_id: account.clone(),
        from: request.from,
        to: request.to,
        members: Vec::new(),
        steps: Vec::new(),
        gaps: no_run_days(request.from, request.to, &in_period),
    };
    let mut previous: Option<(Snapshot<'static>, String, String)> = None;
    let mut named_account = None;
    for found in before.into_iter().chain(in_period.iter().copied()) {
        let started_at = rfc3339_of(&found.stamp);
        let is_in_period = found.stamp >= first;
        let mut member = Member {
            name: found.name.clone(),
            started_at: started_at.clone(),
            in_period: is_in_period,
            state: MemberState::Failed,
        };
        if found.failed {
            period.gaps.push(Gap::FailedRun {
                bundle: found.name.clone(),
            });
            period.members.push(member);
            continue;
        }
        let snapshot = match load(&request.dir.join(&found.name)) {
            Ok(snapshot) => snapshot,
            Err(reason) => {
                if is_in_period {
                    period.gaps.push(Gap::Unverified {
                        bundle: found.name.clone(),
                        reason: reason.clone(),
                    });
                }
                member.state = MemberState::Unverified(reason);
                period.members.push(member);
                continue;
            }
        };
        member.state = match snapshot.1 {
            true => MemberState::Complete,
            false => MemberState::Partial,
        };
        let snapshot = snapshot.0;
        if named_account.is_none() {
            named_account.clone_from(&snapshot.account_id);
        }
        period.members.push(member);
        match previous.take() {
            None if is_in_period => period.gaps.push(Gap::NoEarlierBundle {
                first: found.name.clone(),
            }),
            None => {}
            Some((old, old_name, old_started)) => {
                let skipped = uncompared(&old, &snapshot);
                if !skipped.is_empty() {
                    period.gaps.push(Gap::NotCompared {
                        old: old_name.clone(),
                        new: found.name.clone(),
                        artifacts: skipped,
                    });
                }
                match compare(&old, &snapshot) {
                    Ok(changes) => period.steps.push(Step {
                        old: (old_name, old_started),
                        new: (found.name.clone(), started_at.clone()),
                        changes,
                    }),
                    Err(e) => period.gaps.push(Gap::NotComparable {
                        old: old_name,
                        new: found.name.clone(),
                        reason: reason_of(&e),
                    }),
                }
            }
        }
        previous = Some((snapshot, found.name.clone(), started_at));
    }
    if let Some(id) = named_account {
        period.account_id = id;
    }
    Ok(period)
}

/// A verified bundle's snapshot, and whether its run was complete; or why it is left out.
fn load(dir: &Path) -> Result<(Snapshot<'static>, bool), String> {
    let verified = verify::verify(dir).map_err(|e| problems(&e))?;
    let complete = verified
        .manifest
        .get("status")
        .and_then(serde_json::Value::as_str)
        == Some("complete");
    let snapshot = Snapshot::from_verified(verified).map_err(|e| problems(&e))?;
    Ok((snapshot, complete))
}

fn problems(e: &VerifyError) -> String {
    let all: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
    format!("does not verify: {}", all.join("; "))
}

fn reason_of(e: &CompareError) -> String {
    printable(&e.reason())
}

/// The bundle stamp of a day's first second.
fn stamp_of(day: Date) -> String {
    day.strftime("%Y%m%dT000000Z").to_string()
}

/// A bundle stamp as RFC 3339 UTC.
fn rfc3339_of(stamp: &str) -> String {
    let b = stamp.as_bytes();
    let part = |from: usize, to: usize| String::from_utf8_lossy(&b[from..to]).into_owned();
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        part(0, 4),
        part(4, 6),
        part(6, 8),
        part(9, 11),
        part(11, 13),
        part(13, 15)
    )
}

/// The days of the period on which no run (finished or failed) started, as ranges.
fn no_run_days(from: Date, to: Date, runs: &[&Found]) -> Vec<Gap> {
    let ran: std::collections::BTreeSet<&str> = runs.iter().map(|f| &f.stamp[..8]).collect();
    let mut gaps = Vec::new();
    let mut open: Option<(Date, Date)> = None;
    let mut day = from;
    loop {
        let key = day.strftime("%Y%m%d").to_string();
        if ran.contains(key.as_str()) {
            if let Some((a, b)) = open.take() {
                gaps.push(Gap::NoRun { from: a, to: b });
            }
        } else {
            open = Some(match open {
                Some((a, _)) => (a, day),
                None => (day, day),
            });
        }
        if day >= to {
            break;
        }
        day = day.tomorrow_or_max();
    }
    if let Some((a, b)) = open {
        gaps.push(Gap::NoRun { from: a, to: b });
    }
    gaps
}

/// A day after `self`, saturating at the last date jiff knows.
trait Tomorrow {
    fn tomorrow_or_max(self) -> Self;
}

impl Tomorrow for Date {
    fn tomorrow_or_max(self) -> Self {
        self.tomorrow().unwrap_or(self)
    }
}

#[cfg(test)]
mod tests;
