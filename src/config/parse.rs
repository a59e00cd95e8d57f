//! Reading the values of flags that are text: `--since`, `--max-wait`, `--reserve`,
//! `--resources` (with a "did you mean" for a near miss) and `--api-url`. Each refusal is a
//! [`ConfigError`] that names the value and ends with a hint.

use std::collections::BTreeSet;
use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};
use url::{Host, Url};

use iru_fivetran_core::client::quota::Reserve;
use iru_fivetran_core::vocab::{Artifact, Kind};

use super::{ConfigError, MAX_SINCE_DAYS, Since};

/// Parses `--reserve`: a number of requests, or a percentage of the quota (at most 90%).
pub fn parse_reserve(raw: &str) -> Result<Reserve, ConfigError> {
    let bad = || ConfigError::Reserve(raw.escape_debug().to_string());
    let text = raw.trim();
    match text.strip_suffix('%') {
        Some(p) => {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            if (0.0..=90.0).contains(&p) {
                Ok(Reserve::Percent(p))
            } else {
                Err(bad())
            }
        }
        None => text.parse().map(Reserve::Requests).map_err(|_| bad()),
    }
}

/// Parses `--max-wait`: `<n>s`, `<n>m` or `<n>h`, at most a day.
pub fn parse_max_wait(raw: &str) -> Result<std::time::Duration, ConfigError> {
    parse_duration(raw, 0..=24 * 3600)
        .ok_or_else(|| ConfigError::MaxWait(raw.escape_debug().to_string()))
}

/// Parses `--max-time`: `<n>s`, `<n>m` or `<n>h`, from a second to a week.
pub fn parse_max_time(raw: &str) -> Result<std::time::Duration, ConfigError> {
    parse_duration(raw, 1..=7 * 24 * 3600)
        .ok_or_else(|| ConfigError::MaxTime(raw.escape_debug().to_string()))
}

/// `<n>s`, `<n>m` or `<n>h` within `secs`.
fn parse_duration(raw: &str, secs: std::ops::RangeInclusive<u64>) -> Option<std::time::Duration> {
    let text = raw.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let given = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    secs.contains(&given)
        .then(|| std::time::Duration::from_secs(given))
}

/// Parses `--since`: `<n>m`, `<n>h`, `<n>d` or `<n>w` back from `now`, or an RFC 3339 time;
/// never in the future, never more than [`MAX_SINCE_DAYS`] back.
pub fn parse_since(raw: &str, now: Timestamp) -> Result<Timestamp, ConfigError> {
    parse_since_spec(raw, now).map(|since| since.window(now).start)
}

/// Parses `--since` like [`parse_since`], keeping whether it is a duration or a time.
pub fn parse_since_spec(raw: &str, now: Timestamp) -> Result<Since, ConfigError> {
    let bad = |problem: &str| ConfigError::Since {
        given: raw.escape_debug().to_string(),
        problem: problem.to_owned(),
    };
    let text = raw.trim();
    let since = if let Ok(t) = text.parse::<Timestamp>() {
        Since::At(t)
    } else if let Some(at) = text
        .contains(['T', 't', ' '])
        .then(|| text.parse::<jiff::civil::DateTime>().ok())
        .flatten()
    {
        // A time without a zone is read as UTC, the zone of every time the tool writes.
        Since::At(utc(at, &bad)?)
    } else if let Ok(day) = text.parse::<jiff::civil::Date>() {
        // A day, as an auditor names a period: its first second, UTC.
        Since::At(utc(day.to_datetime(jiff::civil::Time::midnight()), &bad)?)
    } else {
        let secs = duration_secs(text).map_err(&bad)?;
        now.checked_sub(SignedDuration::from_secs(secs))
            .map_err(|_| bad("is too large"))?;
        Since::Ago(SignedDuration::from_secs(secs))
    };
    let start = since.window(now).start;
    if start >= now {
        return Err(bad("is not in the past"));
    }
    if now.duration_since(start) > SignedDuration::from_hours(24 * MAX_SINCE_DAYS) {
        return Err(bad(&format!(
            "reaches more than {MAX_SINCE_DAYS} days back"
        )));
    }
    Ok(since)
}

/// A civil time read as UTC.
fn utc(
    at: jiff::civil::DateTime,
    bad: &dyn Fn(&str) -> ConfigError,
) -> Result<Timestamp, ConfigError> {
    at.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| bad("is not a time jiff can place"))
}

/// Seconds of a duration back from now: one or more `<n><unit>` parts, units `w`, `d`, `h`,
/// `m` in any order (`1h30m`, `2d12h`, `90m`).
fn duration_secs(text: &str) -> Result<i64, &'static str> {
    const NEITHER: &str =
        "is neither a duration (90m, 24h, 1h30m, 7d, 2w), a date (2026-11-01) nor an RFC 3339 time";
    let mut total: i64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return Err(NEITHER);
    }
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (digits, after) = rest.split_at(split);
        let n: i64 = digits.parse().map_err(|_| NEITHER)?;
        let unit_len = after.chars().next().map_or(0, char::len_utf8);
        let unit_secs = match &after[..unit_len] {
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err("has an unknown unit (use m, h, d or w)"),
        };
        let part = n.checked_mul(unit_secs).ok_or("is too large")?;
        total = total.checked_add(part).ok_or("is too large")?;
        rest = &after[unit_len..];
    }
    Ok(total)
}

/// Parses the comma list of `--skip`: artifacts read from the API (not `account`, which names
/// the bundle, nor a derived one, which `--resources` leaves out).
pub fn parse_skip(names: &[String]) -> Result<BTreeSet<Artifact>, ConfigError> {
    let skippable = || {
        Artifact::ALL
            .into_iter()
            .filter(|a| a.kind() == Kind::Collected && *a != Artifact::Account)
            .map(Artifact::name)
    };
    let mut set = BTreeSet::new();
    for raw in names {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        let artifact = Artifact::from_name(name).ok_or_else(|| ConfigError::UnknownSkip {
            name: name.escape_debug().to_string(),
            suggestion: closest(name, Artifact::ALL.map(Artifact::name)),
            valid: skippable().collect::<Vec<_>>().join(", "),
        })?;
        if artifact == Artifact::Account {
            return Err(ConfigError::CannotSkip {
                name: artifact.name(),
                why: "the account names the bundle and its manifest; every run reads it",
                hint: "a key that cannot read /v1/account cannot collect; check it with `iru-fivetran doctor`",
            });
        }
        if artifact.kind() == Kind::Derived {
            return Err(ConfigError::CannotSkip {
                name: artifact.name(),
                why: "it is derived from the bundle, not read from the API",
                hint: "name the artifacts you want with --resources instead",
            });
        }
        set.insert(artifact);
    }
    Ok(set)
}

/// Parses the comma list of `--resources`; `None` means all. `account` is always included,
/// and so are the sources of every selected artifact (`audit_coverage` needs `connections`...).
pub fn parse_resources(names: Option<&[String]>) -> Result<BTreeSet<Artifact>, ConfigError> {
    let mut set = BTreeSet::from([Artifact::Account]);
    let Some(names) = names else {
        set.extend(Artifact::ALL);
        return Ok(set);
    };
    let valid = || Artifact::ALL.map(Artifact::name).join(", ");
    if names.iter().all(|n| n.trim().is_empty()) {
        return Err(ConfigError::NoResources { valid: valid() });
    }
    for raw in names {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        let artifact = Artifact::from_name(name).ok_or_else(|| ConfigError::UnknownResource {
            name: name.escape_debug().to_string(),
            suggestion: closest(name, Artifact::ALL.map(Artifact::name)),
            valid: valid(),
        })?;
        set.insert(artifact);
        set.extend(artifact.sources());
        // A derived source (audit_coverage for findings) brings its own sources.
        for source in artifact.sources() {
            set.extend(source.sources());
        }
    }
    // `changes` compares the collected artifacts selected with it; alone, it compares them all.
    let only_changes = set
        .iter()
        .all(|a| matches!(a, Artifact::Account | Artifact::Changes));
    if set.contains(&Artifact::Changes) && only_changes {
        set.extend(
            Artifact::ALL
                .into_iter()
                .filter(|a| a.kind() == iru_fivetran_core::vocab::Kind::Collected),
        );
    }
    Ok(set)
}

/// The name of `names` closest to `given` (at most two edits away, or `given` plus an `s`,
/// whatever the case), for a "did you mean" hint.
pub fn closest<const N: usize>(given: &str, names: [&'static str; N]) -> Option<&'static str> {
    let given = given.to_ascii_lowercase();
    names
        .into_iter()
        .map(|name| (edits(&given, name), name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, name)| name)
}

/// The Levenshtein distance between two short names.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Checks an API root: https (or http to a loopback host), no credentials, no query, path `/v1`.
pub fn parse_api_url(raw: &str) -> Result<Url, ConfigError> {
    const HINT: &str = "use https://api.fivetran.com/v1 (the default), or http://127.0.0.1:PORT/v1 for a local test server";
    let bad = |reason: String| ConfigError::ApiUrl { reason, hint: HINT };
    // The raw text is never echoed: a mistyped URL may carry a key or secret.
    let mut url = Url::parse(raw.trim()).map_err(|e| bad(format!("not a valid URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it contains a user name or password; credentials belong in the vault file or environment".into(),
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(bad(
                "plain http is allowed only for loopback hosts (127.0.0.1, ::1, localhost)".into(),
            ));
        }
        other => return Err(bad(format!("scheme `{other}` is not http or https"))),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it has a query or fragment".into()));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    if !path.ends_with("/v1") {
        return Err(bad(format!(
            "its path `{path}` does not end in /v1, the API version this tool speaks"
        )));
    }
    url.set_path(&path);
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}
