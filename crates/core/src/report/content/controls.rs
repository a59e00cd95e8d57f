//! The section "Controls this evidence supports": the manifest's control map, each SOC 2 and
//! ISO/IEC 27001 control with the files and findings of this bundle that give evidence for it
//! and what each shows (`docs/auditors.md` explains the map).

use super::{Block, Cell, Section, Table, code, text};
use crate::report::model::Model;

pub(super) fn section(model: &Model) -> Section {
    let mut blocks = vec![Block::Para(
        "Each control an auditor may test with this bundle, and what each file or finding shows \
         for it. A file is evidence to inspect, not proof that the control operates: that takes \
         the auditor's own testing, over the period, with the customer's policies and records."
            .into(),
    )];
    match &model.controls {
        None => blocks.push(Block::Para(
            "This bundle's manifest has no control map: it was written by a version of the \
             tool from before the map existed."
                .into(),
        )),
        Some(rows) => blocks.push(Block::Table(Table {
            headers: &[
                "Framework",
                "Control",
                "Evidence in this bundle",
                "What it shows",
            ],
            rows: rows
                .iter()
                .flat_map(|c| {
                    c.evidence
                        .iter()
                        .enumerate()
                        .map(move |(i, (source, shows))| {
                            let (framework, control) = if i == 0 {
                                (
                                    text(&c.framework),
                                    text(format!("{} {}", c.control, c.title)),
                                )
                            } else {
                                (text(""), text(""))
                            };
                            vec![framework, control, code(source), text(shows)]
                        })
                })
                .collect::<Vec<Vec<Cell>>>(),
            more: None,
        })),
    }
    Section {
        id: "controls",
        title: "Controls this evidence supports",
        blocks,
    }
}
