//! What a bundle directory is called, and finding the earlier bundles of an account under
//! `--out`: `fivetran-<account id as a file-name part>-<yyyymmddThhmmssZ>`, with `-<N>` when
//! two runs start in the same second and `.failed` for a run that could not finish.
//!
//! The account id comes from the API, so it never becomes a path as it is: only
//! `[A-Za-z0-9_-]` is kept ([`file_name_safe`]).

use std::fs;
use std::path::Path;

use jiff::Timestamp;
use tracing::debug;

/// The run's start as it appears in the bundle's name.
pub fn stamp(started: Timestamp) -> String {
    started.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// An account id as a file-name part: `[A-Za-z0-9_-]` kept, anything else `_`, at most 64
/// characters; `unknown` when there is none.
pub fn file_name_safe(id: Option<&str>) -> String {
    let safe: String = id
        .unwrap_or_default()
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() {
        "unknown".into()
    } else {
        safe
    }
}

/// The start of the name of every bundle of `account_id`.
fn prefix(account_id: Option<&str>) -> String {
    format!("fivetran-{}-", file_name_safe(account_id))
}

/// The name of the bundle of `account_id` whose run started at `stamp` (before any `-N`).
pub fn base_name(account_id: Option<&str>, stamp: &str) -> String {
    format!("{}{stamp}", prefix(account_id))
}

/// An earlier bundle of the account found under `--out`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    /// Its run's start, as in its name.
    pub stamp: String,
    /// Its `-N` (1 for the plain name).
    pub n: u32,
    /// The directory's name.
    pub name: String,
}

/// The finished bundles of `account_id` directly under `out_dir` (directories only, never
/// `*.failed`, never the temporary `.iru-fivetran-*` ones), newest first by name. At most
/// `max_scanned` directory entries are looked at.
pub fn earlier(out_dir: &Path, account_id: Option<&str>, max_scanned: usize) -> Vec<Earlier> {
    let Ok(listing) = fs::read_dir(out_dir) else {
        return Vec::new();
    };
    let prefix = prefix(account_id);
    let mut found = Vec::new();
    for (seen, entry) in listing.enumerate() {
        if seen == max_scanned {
            debug!(
                "more than {max_scanned} entries under {}; the rest are not considered as earlier bundles",
                out_dir.display()
            );
            break;
        }
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some((stamp, n)) = name.strip_prefix(&prefix).and_then(parse_suffix) {
            found.push(Earlier { stamp, n, name });
        }
    }
    found.sort_by(|a, b| (&b.stamp, b.n).cmp(&(&a.stamp, a.n)));
    found
}

/// A bundle directory found in a folder, of any account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The account id as it is in the name ([`file_name_safe`]).
    pub account: String,
    /// Its run's start, as in its name.
    pub stamp: String,
    /// Its `-N` (1 for the plain name).
    pub n: u32,
    /// Whether it is a failed run's `.failed` directory.
    pub failed: bool,
    /// The directory's name.
    pub name: String,
}

/// Every bundle directory directly under `dir`, finished or `.failed`, of any account, oldest
/// first (by stamp, then `-N`). At most `max_scanned` directory entries are looked at.
pub fn all(dir: &Path, max_scanned: usize) -> Vec<Found> {
    let Ok(listing) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in listing.take(max_scanned) {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(parsed) = parse_name(&name) {
            found.push(parsed);
        }
    }
    found.sort_by(|a, b| (&a.stamp, a.n, &a.name).cmp(&(&b.stamp, b.n, &b.name)));
    found
}

/// `fivetran-<account>-<stamp>[-N][.failed]`, read from the end, since the account part may
/// hold `-`.
fn parse_name(name: &str) -> Option<Found> {
    let rest = name.strip_prefix("fivetran-")?;
    let (rest, failed) = match rest.strip_suffix(".failed") {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    // The stamp is the 16 characters after the last `-` that is followed by a stamp.
    let at = (0..rest.len().saturating_sub(16))
        .rev()
        .find(|&i| rest.as_bytes()[i] == b'-' && parse_suffix(&rest[i + 1..]).is_some())?;
    let (stamp, n) = parse_suffix(&rest[at + 1..])?;
    let account = &rest[..at];
    let safe = !account.is_empty()
        && account
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    safe.then(|| Found {
        account: account.to_owned(),
        stamp,
        n,
        failed,
        name: name.to_owned(),
    })
}

/// `<yyyymmddThhmmssZ>` or `<yyyymmddThhmmssZ>-<N>` → `(stamp, N)`, the plain name being 1.
fn parse_suffix(rest: &str) -> Option<(String, u32)> {
    let (stamp, n) = match rest.split_once('-') {
        Some((stamp, n)) if n.bytes().all(|b| b.is_ascii_digit()) => (stamp, n.parse().ok()?),
        Some(_) => return None,
        None => (rest, 1),
    };
    let shape = stamp.len() == 16
        && stamp.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    shape.then(|| (stamp.to_owned(), n))
}

#[cfg(test)]
mod tests;
