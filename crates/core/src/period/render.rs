//! A rolled-up period written out: as one JSON document (canonical, schema
//! `iru-fivetran/period/v1`), as a CSV of its changes (RFC 4180, formula injection neutralized
//! as in the bundle's own CSVs) and as Markdown for a ticket or an auditor's workpaper (every
//! value from a bundle escaped).

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::changes;
use crate::evidence::{self, csv as cells};
use crate::report::{markdown_code, markdown_escape};

use super::{Gap, MemberState, Period, SCHEMA};

/// The JSON document of a period.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PeriodDocument {
    /// Always `iru-fivetran/period/v1`.
    #[schemars(extend("const" = SCHEMA))]
    pub schema: &'static str,
    /// The account.
    pub account_id: String,
    /// The period's first day (UTC), `YYYY-MM-DD`.
    pub from: String,
    /// The period's last day (UTC), included.
    pub to: String,
    /// Every bundle looked at, oldest first: the period's and the last one before it.
    pub bundles: Vec<PeriodBundle>,
    /// Every place the series cannot vouch for.
    pub gaps: Vec<PeriodGap>,
    /// The number of changes.
    pub count: usize,
    /// Every change, oldest comparison first, then as in `changes.json`.
    pub changes: Vec<PeriodChange>,
}

/// One bundle of the series.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PeriodBundle {
    /// The bundle directory's name.
    pub bundle_id: String,
    /// Its run's start, RFC 3339 UTC.
    pub started_at: String,
    /// In the period, or the last one before it (where the log starts from).
    pub in_period: bool,
    /// `complete` or `partial` (verified and used), `failed` (a failed run), `unverified`
    /// (left out).
    #[schemars(extend("enum" = ["complete", "partial", "failed", "unverified"]))]
    pub state: &'static str,
    /// Why it was left out, for `unverified`.
    pub reason: Option<String>,
}

/// A place the series cannot vouch for.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PeriodGap {
    /// No run started on these days.
    NoRun {
        /// The first day.
        from: String,
        /// The last day, included.
        to: String,
    },
    /// A run failed.
    FailedRun {
        /// Its `.failed` directory.
        bundle: String,
    },
    /// A bundle does not verify and was left out.
    Unverified {
        /// The directory.
        bundle: String,
        /// Its problems.
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
    /// No usable bundle before the period's first one: changes before it are not seen.
    NoEarlierBundle {
        /// The period's first usable bundle.
        bundle: String,
    },
}

/// One change, with the two bundles it was seen between.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PeriodChange {
    /// It happened after this run started...
    pub seen_after: String,
    /// ... and before this one did.
    pub seen_by: String,
    /// The older bundle.
    pub old_bundle: String,
    /// The newer bundle.
    pub new_bundle: String,
    /// The change, as an item of `changes.json` (redacted the same way).
    pub change: Value,
}

impl PeriodDocument {
    /// The document of a period.
    pub fn of(period: &Period) -> Self {
        let bundles = period
            .members
            .iter()
            .map(|m| {
                let (state, reason) = match &m.state {
                    MemberState::Complete => ("complete", None),
                    MemberState::Partial => ("partial", None),
                    MemberState::Failed => ("failed", None),
                    MemberState::Unverified(reason) => ("unverified", Some(reason.clone())),
                };
                PeriodBundle {
                    bundle_id: m.name.clone(),
                    started_at: m.started_at.clone(),
                    in_period: m.in_period,
                    state,
                    reason,
                }
            })
            .collect();
        let gaps = period.gaps.iter().map(gap).collect();
        let changes: Vec<PeriodChange> = period
            .steps
            .iter()
            .flat_map(|step| {
                changes::items(&step.changes)
                    .into_iter()
                    .map(|change| PeriodChange {
                        seen_after: step.old.1.clone(),
                        seen_by: step.new.1.clone(),
                        old_bundle: step.old.0.clone(),
                        new_bundle: step.new.0.clone(),
                        change,
                    })
            })
            .collect();
        Self {
            schema: SCHEMA,
            account_id: period.account_id.clone(),
            from: period.from.to_string(),
            to: period.to.to_string(),
            bundles,
            gaps,
            count: changes.len(),
            changes,
        }
    }
}

fn gap(g: &Gap) -> PeriodGap {
    match g {
        Gap::NoRun { from, to } => PeriodGap::NoRun {
            from: from.to_string(),
            to: to.to_string(),
        },
        Gap::FailedRun { bundle } => PeriodGap::FailedRun {
            bundle: bundle.clone(),
        },
        Gap::Unverified { bundle, reason } => PeriodGap::Unverified {
            bundle: bundle.clone(),
            reason: reason.clone(),
        },
        Gap::NotCompared {
            old,
            new,
            artifacts,
        } => PeriodGap::NotCompared {
            old: old.clone(),
            new: new.clone(),
            artifacts: artifacts.clone(),
        },
        Gap::NotComparable { old, new, reason } => PeriodGap::NotComparable {
            old: old.clone(),
            new: new.clone(),
            reason: reason.clone(),
        },
        Gap::NoEarlierBundle { first } => PeriodGap::NoEarlierBundle {
            bundle: first.clone(),
        },
    }
}

/// The period as canonical JSON (sorted keys, two-space indent, trailing newline).
pub fn json(period: &Period) -> Vec<u8> {
    let doc = PeriodDocument::of(period);
    evidence::render(&serde_json::to_value(doc).expect("a period always serializes"))
}

/// The CSV columns, in order.
const COLUMNS: [&str; 13] = [
    "seen_after",
    "seen_by",
    "old_bundle",
    "new_bundle",
    "kind",
    "category",
    "artifact",
    "id",
    "label",
    "field",
    "before",
    "after",
    "note",
];

/// The period's changes as CSV, one row per change.
pub fn csv(period: &Period) -> Vec<u8> {
    let doc = PeriodDocument::of(period);
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = cells::write_row(&mut out, COLUMNS);
    for c in &doc.changes {
        let field = |k: &str| cells::cell(c.change.get(k)).into_owned();
        let row = [
            c.seen_after.clone(),
            c.seen_by.clone(),
            c.old_bundle.clone(),
            c.new_bundle.clone(),
            field("kind"),
            field("category"),
            field("artifact"),
            field("id"),
            field("label"),
            field("field"),
            field("before"),
            field("after"),
            field("note"),
        ];
        let _ = cells::write_row(&mut out, row.iter().map(String::as_str));
    }
    out
}

/// The period as Markdown: what was read, the gaps, then the changes of each comparison.
pub fn markdown(period: &Period) -> String {
    let doc = PeriodDocument::of(period);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Changes of account {}, {} to {}\n",
        markdown_code(&doc.account_id),
        doc.from,
        doc.to
    );
    let used = doc
        .bundles
        .iter()
        .filter(|b| matches!(b.state, "complete" | "partial"))
        .count();
    let _ = writeln!(
        out,
        "{} bundle(s) read, {used} verified and compared, {} change(s), {} gap(s).\n",
        doc.bundles.len(),
        doc.count,
        doc.gaps.len()
    );
    out.push_str("## Gaps\n\n");
    if doc.gaps.is_empty() {
        out.push_str(
            "None: a verified bundle every day, each compared in full with the one before.\n\n",
        );
    }
    for g in &doc.gaps {
        let line = match g {
            PeriodGap::NoRun { from, to } if from == to => format!("no run on {from}"),
            PeriodGap::NoRun { from, to } => format!("no run from {from} to {to}"),
            PeriodGap::FailedRun { bundle } => {
                format!("the run {} failed", markdown_code(bundle))
            }
            PeriodGap::Unverified { bundle, reason } => format!(
                "{} left out: {}",
                markdown_code(bundle),
                markdown_escape(reason)
            ),
            PeriodGap::NotCompared {
                old,
                new,
                artifacts,
            } => format!(
                "between {} and {}, not compared (not whole): {}",
                markdown_code(old),
                markdown_code(new),
                markdown_escape(&artifacts.join(", "))
            ),
            PeriodGap::NotComparable { old, new, reason } => format!(
                "{} and {} cannot be compared: {}",
                markdown_code(old),
                markdown_code(new),
                markdown_escape(reason)
            ),
            PeriodGap::NoEarlierBundle { bundle } => format!(
                "no bundle before {}: changes before it are not seen",
                markdown_code(bundle)
            ),
        };
        let _ = writeln!(out, "- {line}");
    }
    if !doc.gaps.is_empty() {
        out.push('\n');
    }
    out.push_str("## Changes\n");
    let mut current: Option<(&str, &str)> = None;
    for c in &doc.changes {
        if current != Some((&c.old_bundle, &c.new_bundle)) {
            current = Some((&c.old_bundle, &c.new_bundle));
            let _ = writeln!(out, "\n### Between {} and {}\n", c.seen_after, c.seen_by);
            let _ = writeln!(
                out,
                "From {} to {}.\n",
                markdown_code(&c.old_bundle),
                markdown_code(&c.new_bundle)
            );
            out.push_str("| change | item | field | before | after |\n|---|---|---|---|---|\n");
        }
        let text = |k: &str| markdown_escape(&cells::cell(c.change.get(k)));
        let item = match c.change.get("label").and_then(Value::as_str) {
            Some(label) => format!("{} ({})", text("id"), markdown_escape(label)),
            None => text("id"),
        };
        let _ = writeln!(
            out,
            "| {} | {item} | {} | {} | {} |",
            text("kind"),
            text("field"),
            text("before"),
            text("after")
        );
    }
    if doc.changes.is_empty() {
        out.push_str("\nNo change was seen in the period.\n");
    }
    out
}
