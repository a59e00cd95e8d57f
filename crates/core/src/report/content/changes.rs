//! The "Changes since the baseline" section: the baseline, the changes by category and the
//! change log, or why there is none.

use super::{Block, Section, Table, code, more, part_note, text};
use crate::report::model::{Model, State};

pub(super) fn section(model: &Model) -> Section {
    let part = &model.changes;
    let mut blocks = Vec::new();
    match (&part.state, &part.data) {
        (State::Absent, _) => blocks.push(Block::Para(
            "This run had no baseline (`collect --baseline PREVIOUS_BUNDLE`), so the bundle has \
             no change log. `iru-fivetran diff OLD NEW` compares two bundles after the fact."
                .into(),
        )),
        (_, None) => blocks.extend(part_note(part)),
        (_, Some(changes)) => {
            blocks.extend(part_note(part));
            blocks.push(Block::Facts(vec![
                ("Baseline bundle", changes.baseline_bundle.clone()),
                ("Baseline collected", changes.baseline_started_at.clone()),
                (
                    "Changes",
                    if changes.categories.is_empty() {
                        "none".into()
                    } else {
                        changes
                            .categories
                            .iter()
                            .map(|(c, n)| format!("{n} {c}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                ),
                (
                    "Not compared",
                    if changes.not_compared.is_empty() {
                        "none: every collected artifact was compared".into()
                    } else {
                        format!(
                            "{} (incomplete in a bundle: a missing page would read as removals)",
                            changes.not_compared.join(", ")
                        )
                    },
                ),
            ]));
            if !changes.rows.rows.is_empty() {
                blocks.push(Block::Table(Table {
                    headers: &[
                        "Category", "Change", "Artifact", "Subject", "Field", "Before", "After",
                        "Note", "Who",
                    ],
                    rows: changes
                        .rows
                        .rows
                        .iter()
                        .map(|c| {
                            vec![
                                text(&c.category),
                                code(&c.kind),
                                text(&c.artifact),
                                text(&c.subject),
                                code(&c.field),
                                text(&c.before),
                                text(&c.after),
                                text(&c.note),
                                text(&c.who),
                            ]
                        })
                        .collect(),
                    more: more(&changes.rows, "changes.json"),
                }));
            }
        }
    }
    Section {
        id: "changes",
        title: "Changes since the baseline",
        blocks,
    }
}
