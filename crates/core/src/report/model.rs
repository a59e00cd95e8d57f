//! What a report shows: the provenance, the findings, the access tables, the inventories, the
//! evidence of trust, code and secrets ([`code`]), the audit coverage, the audit trail and the
//! change log, plus the counts behind the charts. [`super::read`] fills
//! it from a bundle.
//!
//! The counts behind the charts cover every item, but each table keeps at most `max_rows` rows
//! (the first ones in its documented order, see [`Rows`]), so a report's memory and size do not
//! grow with the account. Every string is the bundle's, untrusted, clipped to
//! [`MAX_CELL_CHARS`]; the renderers escape it. Nothing here reads the clock: ages are counted
//! from the run's start.

use std::collections::BTreeMap;

use serde_json::Value;

mod code;

pub use code::{Code, ListRow, Listing};

/// Longest string shown in a cell; a longer one is cut and ends with `…`.
pub const MAX_CELL_CHARS: usize = 500;
/// Most bars in a chart; the smallest categories beyond it are summed into one "other" bar.
pub const MAX_BARS: usize = 16;

/// Longest paragraph of prose shown (a limitation the manifest states): long enough for every
/// statement this tool writes, bounded for a manifest written by someone else.
pub const MAX_PROSE_CHARS: usize = 4_000;

/// A string from the bundle, clipped to [`MAX_CELL_CHARS`] characters.
pub(super) fn clip(s: &str) -> String {
    clip_to(s, MAX_CELL_CHARS)
}

/// `s` cut to at most `max` characters, `…` appended where it was cut. The cut falls after
/// the last whole word when one ends in the last quarter, so a reader never sees half a word
/// ("the l…"); a string without spaces there is cut on a character boundary.
pub(super) fn clip_to(s: &str, max: usize) -> String {
    let Some((at, _)) = s.char_indices().nth(max) else {
        return s.to_owned();
    };
    let head = &s[..at];
    let word_end = head
        .char_indices()
        .rev()
        .take_while(|&(_, c)| !c.is_whitespace())
        .last()
        .map_or(head.len(), |(i, _)| i);
    let kept = &head[..word_end];
    let enough = kept.chars().count() >= max - max / 4;
    if enough && word_end < head.len() {
        format!("{}…", kept.trim_end())
    } else {
        format!("{head}…")
    }
}

/// A paragraph the bundle states (a limitation, a statement, what a check proves), whole up to
/// [`MAX_PROSE_CHARS`]; `None` when absent, null or not a string.
pub(super) fn prose(item: &Value, pointer: &str) -> Option<String> {
    item.pointer(pointer)
        .and_then(Value::as_str)
        .map(|s| clip_to(s, MAX_PROSE_CHARS))
}

/// A field's text, clipped; `None` when absent, null or not a string.
pub(super) fn text(item: &Value, pointer: &str) -> Option<String> {
    item.pointer(pointer).and_then(Value::as_str).map(clip)
}

pub(super) fn flag(item: &Value, field: &str) -> Option<bool> {
    item.get(field).and_then(Value::as_bool)
}

pub(super) fn list<'a>(item: &'a Value, field: &str) -> &'a [Value] {
    item.get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Any JSON value as one line of text: strings as they are, lists joined by `, `, `null` as
/// an empty string, objects as compact JSON. Clipped.
pub fn display(value: &Value) -> String {
    let full = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        Value::Object(_) => value.to_string(),
        other => other.to_string(),
    };
    clip(&full)
}

/// 0 for administrator roles (shown first), 1 for other roles, 2 for none.
pub fn role_rank(role: Option<&str>) -> u8 {
    match role {
        Some(r) if r.ends_with("Administrator") => 0,
        Some(_) => 1,
        None => 2,
    }
}

/// How a source file of the report was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not in the bundle (not selected, or for `changes.json`, no baseline).
    Absent,
    /// In the bundle but could not be read as an artifact.
    Unreadable(String),
    /// Read; the envelope's `status` and `reason`.
    Read {
        /// `complete`, `partial`, `forbidden`, `failed` or `unavailable`.
        status: String,
        /// Why it is not complete, when it is not.
        reason: Option<String>,
    },
}

/// One part of the report and the file it comes from.
#[derive(Debug, Clone)]
pub struct Part<T> {
    /// The bundle file (`users.json`).
    pub file: String,
    /// How the file was found.
    pub state: State,
    /// What was read (empty unless `state` is `Read`).
    pub data: T,
}

impl<T> Part<T> {
    /// `Some(note)` when the file is absent, unreadable, or not complete: the reader must know
    /// the part is not the whole account.
    pub fn note(&self) -> Option<String> {
        let file = &self.file;
        match &self.state {
            State::Absent => Some(format!("{file} is not in this bundle.")),
            State::Unreadable(why) => Some(format!("{file} could not be read: {why}")),
            State::Read { status, .. } if status == "complete" => None,
            State::Read { status, reason } => Some(match reason {
                Some(reason) => format!("{file} is {status}: {reason}"),
                None => format!("{file} is {status}."),
            }),
        }
    }
}

/// The first `max` rows of a table in its order, and how many there were in all.
#[derive(Debug, Clone)]
pub struct Rows<T> {
    /// At most `max` rows, sorted.
    pub rows: Vec<T>,
    /// Every row seen.
    pub total: usize,
    max: usize,
}

impl<T: Ord> Rows<T> {
    pub(super) fn new(max: usize) -> Self {
        Self {
            rows: Vec::new(),
            total: 0,
            max,
        }
    }

    /// Adds a row; memory stays within twice `max` rows whatever the total.
    pub(super) fn push(&mut self, row: T) {
        self.total += 1;
        self.rows.push(row);
        if self.rows.len() >= self.max.saturating_mul(2).max(2) {
            self.trim();
        }
    }

    pub(super) fn trim(&mut self) {
        self.rows.sort();
        self.rows.truncate(self.max);
    }

    /// How many rows were left out.
    pub fn hidden(&self) -> usize {
        self.total - self.rows.len()
    }
}

/// A bar chart's data.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// What is counted.
    pub title: String,
    /// `(label, count)`, in display order.
    pub bars: Vec<(String, u64)>,
}

impl Chart {
    /// The sum of the bars.
    pub fn total(&self) -> u64 {
        self.bars.iter().map(|(_, n)| n).sum()
    }
}

/// Counts per category, kept in a map whose size is bounded by the items read.
#[derive(Debug, Default)]
pub(super) struct Tally<K: Ord> {
    counts: BTreeMap<K, u64>,
}

impl<K: Ord> Tally<K> {
    pub(super) fn add(&mut self, key: K) {
        *self.counts.entry(key).or_default() += 1;
    }

    /// The chart, in key order, with the smallest categories past [`MAX_BARS`] summed.
    pub(super) fn chart(self, title: String, label: impl Fn(&K) -> String) -> Chart {
        let mut bars: Vec<(String, u64)> =
            self.counts.iter().map(|(k, n)| (label(k), *n)).collect();
        if bars.len() > MAX_BARS {
            let mut by_size: Vec<usize> = (0..bars.len()).collect();
            by_size.sort_by_key(|&i| std::cmp::Reverse(bars[i].1));
            let mut keep = vec![false; bars.len()];
            for &i in &by_size[..MAX_BARS - 1] {
                keep[i] = true;
            }
            let (mut other, mut values) = (0, 0);
            let mut kept = Vec::new();
            for (i, bar) in bars.into_iter().enumerate() {
                if keep[i] {
                    kept.push(bar);
                } else {
                    other += bar.1;
                    values += 1;
                }
            }
            kept.push((format!("other ({values} values)"), other));
            bars = kept;
        }
        Chart { title, bars }
    }
}

/// The signature's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// The bundle has no `manifest.json.sig`.
    Unsigned,
    /// Signed, but no `--public-key` was given to check it with.
    NotChecked,
    /// Checked against `--public-key`: holds, by this key fingerprint.
    Holds(String),
    /// Checked against `--public-key`: does not hold, and why.
    Fails(String),
}

/// Whether the bundle verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Every hash and envelope matched: this many files.
    Verified(usize),
    /// The problems found, as `verify` prints them.
    Problems(Vec<String>),
}

/// The header: whose account, when, by which key, and which bundle.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// The bundle directory, as given.
    pub bundle_dir: String,
    pub account_name: Option<String>,
    pub account_id: Option<String>,
    pub bundle_id: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The manifest's `status`: `complete`, `partial` or `failed`.
    pub run_status: Option<String>,
    /// The manifest's `error`, for a failed run.
    pub run_error: Option<String>,
    /// `name version` of the tool that wrote the bundle.
    pub written_by: Option<String>,
    pub key_id: Option<String>,
    /// `user` or `system`.
    pub key_kind: Option<String>,
    /// The email of the user the key belongs to, from `users.json`, when it is a user's key.
    pub key_owner: Option<String>,
    /// The manifest's `account.access.scope`: `whole_account`, `narrow` or `unknown`; absent
    /// from bundles written before it was recorded.
    pub key_scope: Option<String>,
    /// What the key may see, in words: its `reason`, then a system key's permissions.
    pub key_access: Option<String>,
    /// SHA-256 of `manifest.json`: the bundle's identity, since it names every other hash.
    pub manifest_sha256: Option<String>,
    /// `(option, value)` of the manifest's options that shape the evidence.
    pub options: Vec<(String, String)>,
}

/// One artifact of the manifest.
#[derive(Debug, Clone)]
pub struct ArtifactRow {
    pub path: String,
    pub kind: String,
    pub status: String,
    pub count: Option<u64>,
    pub reason: Option<String>,
    pub sha256: String,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    pub id: String,
    pub title: String,
    /// `pass`, `fail` or `n/a`.
    pub status: String,
    pub count: u64,
    pub proves: String,
    pub cannot_prove: String,
    pub subjects: Rows<Subject>,
}

/// One subject of a finding: who or what, and the field that matters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    /// Position in `findings.json` (the file's order is kept).
    pub index: usize,
    pub label: String,
    pub id: String,
    /// The subject's other fields, `name: value` joined by `; `.
    pub detail: String,
}

/// One user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserRow {
    /// Administrators first.
    pub rank: u8,
    pub role: Option<String>,
    pub email: String,
    pub id: String,
    pub name: String,
    /// `active`, `suspended` or `invited`.
    pub state: &'static str,
    pub logged_in_at: Option<String>,
    /// Whole days from the last login to the run's start.
    pub login_age_days: Option<i64>,
    pub groups: usize,
    pub connections: usize,
}

/// One row of `access.json`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessRow {
    /// 0 account, 1 destination (group), 2 connection, 3 anything else.
    pub scope: u8,
    pub rank: u8,
    pub role: Option<String>,
    /// `account`, `group` or `connection`, as in the file.
    pub resource_type: String,
    pub resource: String,
    pub user: String,
    pub user_id: String,
    /// `direct`, or `team NAME`.
    pub via: String,
    pub user_active: Option<bool>,
}

/// One destination.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DestinationRow {
    pub name: String,
    pub id: String,
    pub service: String,
    pub region: String,
    pub setup_status: String,
    /// Filled at the end: connections loading into it.
    pub connections: u64,
    /// Filled at the end: the audit-coverage verdict, where present.
    pub audit: String,
}

/// One connection.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConnectionRow {
    pub destination: String,
    pub schema: String,
    pub id: String,
    pub service: String,
    /// `paused`, or the setup state (`connected`, `broken`, `incomplete`).
    pub state: String,
    pub sync_state: String,
    pub frequency: String,
    pub succeeded_at: String,
    pub failed_at: String,
}

/// One destination's audit coverage.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AuditRow {
    pub name: String,
    pub id: String,
    pub service: String,
    pub verdict: String,
    pub reason: String,
}

/// `audit_coverage.json`.
#[derive(Debug, Clone)]
pub struct Audit {
    /// `(verdict, destinations)`.
    pub verdicts: Vec<(String, u64)>,
    /// The account-wide exports, one line each.
    pub account_level: Vec<String>,
    /// What the bundle can and cannot hold of the audit trail.
    pub statement: String,
    pub rows: Rows<AuditRow>,
}

/// One change since the baseline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangeRow {
    /// Position in `changes.json` (its order is kept: access first).
    pub index: usize,
    pub category: String,
    pub kind: String,
    pub artifact: String,
    pub subject: String,
    pub field: String,
    pub before: String,
    pub after: String,
    pub note: String,
    /// Who made it, per the audit trail: the actors of its events, `no audit event` when
    /// nothing explains it, empty when the audit trail cannot tell.
    pub who: String,
}

/// `changes.json`.
#[derive(Debug, Clone)]
pub struct Changes {
    pub baseline_bundle: String,
    pub baseline_started_at: String,
    /// `(category, changes)`.
    pub categories: Vec<(String, u64)>,
    /// The artifacts left out of the comparison, as `name (status in the old/new bundle)`.
    pub not_compared: Vec<String>,
    pub rows: Rows<ChangeRow>,
    /// The changes no audit event explains, in the same order.
    pub unexplained: Rows<ChangeRow>,
}

/// One person of the audit trail and how many actions they made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PersonRow {
    /// Most actions first.
    pub rank: std::cmp::Reverse<u64>,
    pub person: String,
    pub user_id: String,
    /// `yes`, `no` (not listed by the API, or inactive).
    pub active: String,
}

/// One action of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ActionRow {
    /// Time, then id: the file's order.
    pub at: String,
    pub id: String,
    pub actor: String,
    pub action: String,
    pub resource: String,
    pub method: String,
}

/// `audit_trail.json`.
#[derive(Debug, Clone)]
pub struct Trail {
    /// One line per audit source: where, status, window covered, counts.
    pub sources: Vec<String>,
    /// Per destination: whether its trail was read.
    pub destinations: Vec<String>,
    pub people: Rows<PersonRow>,
    pub timeline: Rows<ActionRow>,
}

/// Something the API cannot give, from the manifest.
#[derive(Debug, Clone)]
pub struct Limitation {
    pub statement: String,
    pub instead: String,
}

/// A control the bundle gives evidence for, from the manifest's `controls`.
#[derive(Debug, Clone)]
pub struct ControlRow {
    pub framework: String,
    pub control: String,
    pub title: String,
    /// Each source (`users.json`, `findings.json#FT-ACCESS-001`) and what it shows.
    pub evidence: Vec<(String, String)>,
}

/// Everything a report shows.
#[derive(Debug, Clone)]
pub struct Model {
    pub header: Header,
    pub check: Check,
    pub signature: Signature,
    pub artifacts: Vec<ArtifactRow>,
    /// `(path, rows, sha256)` of the CSV tables.
    pub tables: Vec<(String, Option<u64>, String)>,
    pub findings: Part<Vec<Finding>>,
    pub users: Part<Rows<UserRow>>,
    pub access: Part<Rows<AccessRow>>,
    pub destinations: Part<Rows<DestinationRow>>,
    pub connections: Part<Rows<ConnectionRow>>,
    pub users_by_role: Chart,
    pub login_age: Chart,
    pub connections_by_state: Chart,
    pub connections_by_frequency: Chart,
    pub audit: Part<Option<Audit>>,
    pub trail: Part<Option<Trail>>,
    pub changes: Part<Option<Changes>>,
    pub limitations: Vec<Limitation>,
    /// The control map; `None` for a bundle whose manifest has none (written before it existed).
    pub controls: Option<Vec<ControlRow>>,
    /// Certificates, fingerprints, transformations, projects, secrets managers, SDK packages.
    pub code: Code,
}

#[cfg(test)]
mod tests;
