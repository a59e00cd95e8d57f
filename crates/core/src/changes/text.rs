//! The text form of `iru-fivetran diff`: counts per kind, a headline of the access changes a
//! reviewer looks for first, then one line per change grouped by category and artifact.
//! Every string from a bundle goes through [`printable`], so no control character or
//! bidirectional override reaches the terminal.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::text::{needs_escape, printable};

use crate::vocab::Artifact;

use super::{Category, Change, Snapshot};

/// Entries shown per headline line before "and N more".
const HEADLINE_MAX: usize = 10;
/// Characters of a value shown before it is cut.
const VALUE_MAX: usize = 160;

/// Renders the change log; `changes` must be sorted by sort key. Of the snapshots only the
/// account, bundle ids and starts are shown: each change carries its own label, so no
/// artifact is read again here.
pub fn render(
    changes: &[Change],
    old: &Snapshot<'_>,
    new: &Snapshot<'_>,
    skipped: &[String],
) -> String {
    let mut out = String::new();
    let bundle = |s: &Snapshot<'_>| {
        format!(
            "{} ({})",
            printable(s.bundle_id.as_deref().unwrap_or("?")),
            printable(s.started_at.as_deref().unwrap_or("?"))
        )
    };
    let _ = writeln!(
        out,
        "account {}: {} -> {}",
        printable(new.account_id.as_deref().unwrap_or("?")),
        bundle(old),
        bundle(new)
    );
    let _ = writeln!(out, "{} change(s)", changes.len());
    for (kind, count) in counts(changes) {
        let _ = writeln!(out, "  {count:>5}  {kind}");
    }
    headline(&mut out, "new administrators", new_admins(changes));
    headline(&mut out, "removed users", removed_users(changes));
    headline(&mut out, "granted roles", granted(changes));
    if !skipped.is_empty() {
        let _ = writeln!(out, "not compared: {}", skipped.join(", "));
    }
    let mut group = None;
    for c in changes {
        let this = (c.category(), c.artifact);
        if group != Some(this) {
            let n = changes
                .iter()
                .filter(|o| (o.category(), o.artifact) == this)
                .count();
            let _ = writeln!(out, "\n{}: {} ({n})", this.0.name(), this.1.name());
            group = Some(this);
        }
        let _ = write!(
            out,
            "  {}  {}  {}: {} -> {}",
            c.kind,
            who(c),
            printable(&c.field),
            value(&c.before),
            value(&c.after)
        );
        if let Some(note) = c.note {
            let _ = write!(out, "  ({note})");
        }
        if let Some(audit) = &c.audit {
            out.push_str(&audit_note(audit));
        }
        out.push('\n');
    }
    out
}

/// Who made a change, after it on its line: `[by X at T via M]` for each audit event (the first
/// three, then how many more), `[no audit event explains it]`, or nothing when the audit
/// trail cannot tell.
fn audit_note(audit: &Value) -> String {
    match audit.get("status").and_then(Value::as_str) {
        Some("explained") => {
            let events = audit
                .get("events")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            let mut parts: Vec<String> = events
                .iter()
                .take(3)
                .map(|e| {
                    let actor = e
                        .pointer("/actor/email")
                        .or_else(|| e.pointer("/actor/user_id"))
                        .and_then(Value::as_str)
                        .map_or_else(|| "someone unknown".to_owned(), printable);
                    let mut text = format!(
                        "by {actor} at {}",
                        printable(e.get("at").and_then(Value::as_str).unwrap_or("?"))
                    );
                    if let Some(method) = e.get("method").and_then(Value::as_str) {
                        let _ = write!(text, " via {}", printable(method));
                    }
                    text
                })
                .collect();
            let more = events.len().saturating_sub(3)
                + audit
                    .get("more_events")
                    .and_then(Value::as_u64)
                    .unwrap_or(0) as usize;
            if more > 0 {
                parts.push(format!("and {more} more"));
            }
            format!("  [{}]", parts.join("; "))
        }
        Some("unexplained") => "  [no audit event explains it]".to_owned(),
        _ => String::new(),
    }
}

/// Kinds with their counts, access first, then by artifact in bundle order and kind.
fn counts(changes: &[Change]) -> Vec<(&'static str, usize)> {
    let mut counts: BTreeMap<(Category, Artifact, &'static str), usize> = BTreeMap::new();
    for c in changes {
        *counts
            .entry((c.category(), c.artifact, c.kind))
            .or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((_, _, kind), n)| (kind, n))
        .collect()
}

fn headline(out: &mut String, title: &str, entries: Vec<String>) {
    let shown = if entries.is_empty() {
        "none".to_owned()
    } else {
        let mut text = entries
            .iter()
            .take(HEADLINE_MAX)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if entries.len() > HEADLINE_MAX {
            let _ = write!(text, ", and {} more", entries.len() - HEADLINE_MAX);
        }
        text
    };
    let _ = writeln!(out, "{title}: {shown}");
}

/// Users and teams whose account role became an administrator role.
fn new_admins(changes: &[Change]) -> Vec<String> {
    let is_admin = |v: &Value| {
        v.as_str()
            .is_some_and(|r| r.to_ascii_lowercase().contains("administrator"))
    };
    changes
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                "user_added" | "user_role_changed" | "team_created" | "team_role_changed"
            ) && is_admin(&c.after)
                && c.before != c.after
        })
        .map(|c| match c.artifact {
            Artifact::Teams => format!("team {}", who(c)),
            _ => who(c),
        })
        .collect()
}

fn removed_users(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .filter(|c| c.kind == "user_removed")
        .map(who)
        .collect()
}

/// Every role given: account roles, memberships granted, membership roles changed.
fn granted(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .filter(|c| {
            c.kind.ends_with("_granted")
                || c.kind.ends_with("membership_role_changed")
                || matches!(
                    c.kind,
                    "team_member_added"
                        | "team_member_role_changed"
                        | "user_role_changed"
                        | "team_role_changed"
                )
        })
        .filter(|c| !c.after.is_null())
        .map(|c| {
            let role = c.after.as_str().map_or_else(|| value(&c.after), printable);
            let (target, on) = object(c);
            format!("{target}: {role} on {on}")
        })
        .collect()
}

/// Who got the role and on what, from the change's field.
fn object(c: &Change) -> (String, String) {
    let mut parts = c.field.splitn(2, '.');
    let list = parts.next().unwrap_or_default();
    let id = parts.next().unwrap_or_default();
    let id = printable(id.strip_suffix(".role").unwrap_or(id));
    let holder = match c.artifact {
        Artifact::Teams => format!("team {}", who(c)),
        _ => who(c),
    };
    match list {
        "user_memberships" => (format!("user {id}"), holder),
        "group_memberships" => (holder, format!("group {id}")),
        "connection_memberships" => (holder, format!("connection {id}")),
        _ => (holder, "the account".into()),
    }
}

/// `label (id)`, or the id alone (no label, or the label is the id, as for roles).
fn who(c: &Change) -> String {
    match &c.label {
        Some(label) if *label != c.id => format!("{} ({})", printable(label), printable(&c.id)),
        _ => printable(&c.id),
    }
}

/// A value as compact JSON, cut to [`VALUE_MAX`] characters, with what JSON leaves unescaped
/// (DEL, C1 controls, bidirectional overrides) escaped.
fn value(v: &Value) -> String {
    let mut out = String::new();
    for (i, c) in v.to_string().chars().enumerate() {
        if i == VALUE_MAX {
            out.push_str("...");
            break;
        }
        if needs_escape(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
