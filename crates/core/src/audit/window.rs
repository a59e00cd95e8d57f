//! The window of each audit source, so that a series of bundles covers time without a hole.
//!
//! The window asked starts where the newest earlier bundle of the same account (and vault
//! profile) left that Platform Connector's trail: the end of its window covered, or, when it
//! covered nothing, the start of its window asked ([`previous`]); without one, at `--since`.
//! It ends at the Platform Connector's last successful sync (never after the run's start):
//! later rows are not in the warehouse yet, and the next bundle starts there.
//!
//! What was covered ([`coverage`]) starts at the window's start, or at the earliest `LOG` row
//! the warehouse holds when that is later (retention: a new Platform Connector loads 7 days of
//! past logs), and ends where the first table whose reading stopped stopped. Every part of the
//! window asked that is not covered is a gap with its reason.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use serde_json::Value;

use crate::evidence::bundle;
use crate::evidence::manifest;
use crate::files::{self, MAX_MANIFEST_BYTES};
use crate::vocab::audit::{Gap, Span};
use crate::vocab::{Window, rfc3339_micros};

/// Earlier bundles looked at, newest first, at most.
const MAX_EARLIER: usize = 20;

/// Where an earlier bundle left a Platform Connector's trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    /// That bundle's id.
    pub bundle_id: String,
    /// Where the next window starts.
    pub resume: Timestamp,
}

/// The window asked of one source and where its start came from (`since`, cut to the whole
/// second, or `previous_bundle`). It ends at the last sync, or at the run's start (cut to the
/// whole second) if that is earlier.
pub fn asked(
    since: Timestamp,
    previous: Option<&Previous>,
    last_sync: Timestamp,
    run_start: Timestamp,
) -> (Window, &'static str) {
    // The run's start to the second, as the manifest's `started_at` states it (what a later
    // bundle compares its changes from).
    let end = last_sync.min(Timestamp::from_second(run_start.as_second()).unwrap_or(run_start));
    let (start, from) = match previous {
        Some(p) => (p.resume, "previous_bundle"),
        // To the second, as the manifest's `options.since` states it.
        None => (
            Timestamp::from_second(since.as_second()).unwrap_or(since),
            "since",
        ),
    };
    (
        Window {
            start: start.min(end),
            end,
        },
        from,
    )
}

/// How far one table was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// The schema has no such table, which limits nothing.
    Absent,
    /// Read to the end of the window.
    Whole,
    /// Read up to (not including) a time, then stopped for a reason.
    Until(Timestamp, String),
}

/// The window covered and the gaps of a window asked, given the earliest `LOG` row (when it
/// could be read) and how far each table was read.
pub fn coverage(
    asked: Window,
    earliest: Option<Timestamp>,
    reads: &[(&str, Read)],
) -> (Option<Window>, Vec<Gap>) {
    let mut gaps = Vec::new();
    let mut start = asked.start;
    if let Some(earliest) = earliest
        && earliest > asked.start
    {
        let until = earliest.min(asked.end);
        gaps.push(gap(
            asked.start,
            until,
            format!(
                "the warehouse holds no LOG row before {}: older rows are past the Platform Connector's retention (a new one loads 7 days of past logs)",
                rfc3339_micros(earliest)
            ),
        ));
        start = until;
    }
    let mut end = asked.end;
    for (table, read) in reads {
        if let Read::Until(until, reason) = read {
            let until = (*until).clamp(start, asked.end);
            if until < asked.end {
                gaps.push(gap(until, asked.end, format!("{table}: {reason}")));
            }
            end = end.min(until);
        }
    }
    let covered = (start < end).then_some(Window { start, end });
    (covered, gaps)
}

fn gap(start: Timestamp, end: Timestamp, reason: String) -> Gap {
    Gap {
        start: rfc3339_micros(start),
        end: rfc3339_micros(end),
        reason,
    }
}

/// A window as the facts write it.
pub fn span(window: Window) -> Span {
    Span {
        start: rfc3339_micros(window.start),
        end: rfc3339_micros(window.end),
    }
}

/// Where the newest earlier finished bundles under `out_dir` of `account_id`, collected with
/// the same vault `profile`, left each Platform Connector's trail. A bundle counts only if
/// `verifies` says it does (its files match its manifest), so an edited bundle cannot move a
/// window; the newest bundle that read a Platform Connector wins for it.
pub fn previous(
    out_dir: &Path,
    account_id: &str,
    profile: Option<&str>,
    verifies: &dyn Fn(&Path) -> bool,
) -> BTreeMap<String, Previous> {
    let mut found = BTreeMap::new();
    for earlier in bundle::earlier(out_dir, Some(account_id), 100_000)
        .into_iter()
        .take(MAX_EARLIER)
    {
        let dir = out_dir.join(&earlier.name);
        let Ok(bytes) = files::read_bounded(&dir.join(manifest::FILE_NAME), MAX_MANIFEST_BYTES)
        else {
            continue;
        };
        let Ok(m) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        let text = |p: &str| m.pointer(p).and_then(Value::as_str);
        if text("/schema") != Some(manifest::SCHEMA)
            || text("/account/account_id") != Some(account_id)
            || text("/options/profile") != profile
        {
            continue;
        }
        let resumes = resume_points(&m);
        if resumes.keys().all(|pc| found.contains_key(pc)) || !verifies(&dir) {
            continue;
        }
        let bundle_id = text("/bundle_id").unwrap_or(&earlier.name).to_owned();
        for (pc, resume) in resumes {
            found.entry(pc).or_insert_with(|| Previous {
                bundle_id: bundle_id.clone(),
                resume,
            });
        }
    }
    found
}

/// Each Platform Connector's resume point in a manifest: the end of its window covered, else
/// the start of its window asked.
fn resume_points(manifest: &Value) -> BTreeMap<String, Timestamp> {
    let mut points = BTreeMap::new();
    let sources = manifest
        .pointer("/audit_trail/sources")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for source in sources {
        let time = |p: &str| {
            source
                .pointer(p)
                .and_then(Value::as_str)
                .and_then(|t| t.parse::<Timestamp>().ok())
        };
        let Some(pc) = source.get("platform_connector").and_then(Value::as_str) else {
            continue;
        };
        let resume = time("/window_covered/end").or_else(|| time("/window_asked/start"));
        if let Some(resume) = resume {
            points.entry(pc.to_owned()).or_insert(resume);
        }
    }
    points
}

#[cfg(test)]
mod tests;
