//! What `doctor` shows: a table on stderr, and the [`Checkup`] as JSON on stdout with
//! `--format json`.

use std::fmt::Write as _;
use std::io::Write as _;

use iru_fivetran_core::text::clean;

use iru_fivetran_core::doctor::{Checkup, Outcome, Readiness};

/// The table, with the identity and quota above it and the verdict below, on stderr.
pub fn print_text(checkup: &Checkup) {
    crate::output::to_stderr(&text(checkup));
}

/// The checkup as one JSON document on stdout.
pub fn write_json(checkup: &Checkup) -> Result<(), String> {
    let mut bytes = serde_json::to_vec_pretty(checkup).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the report to stdout: {e}"))
}

/// The text of [`print_text`]. Values from the API are cleaned of control characters.
pub fn text(checkup: &Checkup) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "credentials  {}", checkup.credentials);
    let _ = writeln!(out, "api          {}", checkup.api_url);
    if let Some(account) = &checkup.account {
        let id = account
            .account_id
            .as_deref()
            .map_or("(no id)".into(), clean);
        let name = account.account_name.as_deref().map(clean);
        let _ = match name {
            Some(name) => writeln!(out, "account      {id} ({name})"),
            None => writeln!(out, "account      {id}"),
        };
        let key_id = account.key_id.as_deref().map(clean).unwrap_or_default();
        let _ = match account.key_kind {
            "user" => writeln!(out, "key          user key of user {key_id}"),
            "system_key" => writeln!(out, "key          system key {key_id}"),
            _ => writeln!(
                out,
                "key          of an unknown kind (no user_id or system_key_id)"
            ),
        };
    }
    let _ = match (checkup.quota.remaining, checkup.quota.limit) {
        (Some(left), Some(limit)) => writeln!(
            out,
            "quota        {left} of {limit} requests left this hour ({} used by this check)",
            checkup.requests
        ),
        (Some(left), None) => writeln!(out, "quota        {left} requests left this hour"),
        _ => writeln!(out, "quota        not reported by Fivetran"),
    };
    if !checkup.probes.is_empty() {
        let width = checkup
            .probes
            .iter()
            .map(|p| p.resource.len())
            .max()
            .unwrap_or(8)
            .max(8);
        let ep_width = checkup
            .probes
            .iter()
            .map(|p| p.endpoint.len())
            .max()
            .unwrap_or(8);
        let _ = writeln!(
            out,
            "\n{:<width$}  {:<ep_width$}  {:<11}  detail",
            "resource", "endpoint", "status"
        );
        for p in &checkup.probes {
            let row = format!(
                "{:<width$}  {:<ep_width$}  {:<11}  {}",
                p.resource,
                p.endpoint,
                outcome_name(p.outcome),
                p.detail.as_deref().unwrap_or("")
            );
            let _ = writeln!(out, "{}", row.trim_end());
            if let Some(hint) = &p.hint {
                let _ = writeln!(out, "{:<width$}  hint: {hint}", "");
            }
        }
    }
    audit_sources(&mut out, checkup);
    let bad = checkup.probes.iter().filter(|p| !p.fine).count();
    let bad_sources = checkup.audit_sources.iter().filter(|c| !c.fine).count();
    let _ = match checkup.verdict {
        Readiness::NotReady if bad == 0 => writeln!(
            out,
            "\nnot ready: {bad_sources} of {} audit sources cannot be read in full; see each one's hint, then run doctor again",
            checkup.audit_sources.len()
        ),
        Readiness::Ready => {
            // The follow-ups some accounts are not offered, named as the reader knows them.
            let not_offered: Vec<String> = checkup
                .probes
                .iter()
                .filter(|p| p.outcome == Outcome::Unavailable && p.fine)
                .map(|p| match p.resource {
                    "connection_errors" => "a connection's active errors".to_owned(),
                    other => other.replace('_', " "),
                })
                .collect();
            writeln!(
                out,
                "\nready: every resource is readable{}{}",
                if checkup.audit_sources.is_empty() {
                    ""
                } else {
                    ", and every audit source"
                },
                if not_offered.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} {} not offered to this account, which is fine: collect records {} as unavailable)",
                        not_offered.join(" and "),
                        if not_offered.len() == 1 { "is" } else { "are" },
                        if not_offered.len() == 1 { "it" } else { "them" },
                    )
                }
            )
        }
        Readiness::NotReady => writeln!(
            out,
            "\nnot ready: {bad} of {} resources cannot be read; grant what the hints say, then run doctor again",
            checkup.probes.len()
        ),
        Readiness::Failed => writeln!(
            out,
            "\nfailed: the check could not run (see the error below)"
        ),
    };
    out
}

/// Each audit source: where, what it holds, what was found, and the grants of a reader.
/// Values from the warehouse and the API are cleaned of control characters.
fn audit_sources(out: &mut String, checkup: &Checkup) {
    for c in &checkup.audit_sources {
        let _ = writeln!(
            out,
            "\naudit source {}  {} (tls {})",
            c.source,
            clean(&c.warehouse),
            c.tls
        );
        if let Some(pc) = &c.platform_connector {
            let _ = writeln!(
                out,
                "  platform connector  {}{}{}",
                clean(pc),
                c.destination
                    .as_deref()
                    .map(|d| format!(", destination {}", clean(d)))
                    .unwrap_or_default(),
                c.freshness
                    .as_deref()
                    .map(|f| format!(", {f}"))
                    .unwrap_or_default()
            );
        }
        if c.connected {
            let tables: Vec<String> = c
                .tables
                .iter()
                .map(|t| {
                    let state = match (t.present, t.selectable) {
                        (false, _) => "absent".to_owned(),
                        (true, false) => "not readable".to_owned(),
                        (true, true) => match t.rows_in_window {
                            Some(n) => format!("readable, {n} rows in the window"),
                            None => "readable".to_owned(),
                        },
                    };
                    format!("{}: {state}", t.table)
                })
                .collect();
            let _ = writeln!(out, "  schema {}  {}", clean(&c.schema), tables.join("; "));
        }
        let _ = match &c.detail {
            None => writeln!(out, "  ready"),
            Some(detail) => writeln!(out, "  not ready: {}", clean(detail)),
        };
        if let Some(hint) = &c.hint {
            let _ = writeln!(out, "  hint: {}", clean(hint));
        }
        let _ = writeln!(out, "  grants for a least-privilege reader:");
        for grant in &c.grants {
            let _ = writeln!(out, "    {}", clean(grant));
        }
    }
}

/// The status word of the table and the JSON checkup.
fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Readable => "readable",
        Outcome::Forbidden => "forbidden",
        Outcome::Unavailable => "unavailable",
        Outcome::Error => "error",
        Outcome::Skipped => "skipped",
    }
}

#[cfg(test)]
mod tests;
