//! The "Audit coverage" section: what the audit trail covers, the verdicts, the account-wide
//! exports, the per-destination table, and what the Fivetran API does not offer.

use super::{Block, Section, Table, code, more, part_note, text};
use crate::report::model::Model;

pub(super) fn section(model: &Model) -> Section {
    let part = &model.audit;
    let mut blocks: Vec<Block> = part_note(part).into_iter().collect();
    if let Some(audit) = &part.data {
        blocks.push(Block::Para(audit.statement.clone()));
        if !audit.verdicts.is_empty() {
            let verdicts = audit
                .verdicts
                .iter()
                .map(|(verdict, n)| format!("{n} {verdict}"))
                .collect::<Vec<_>>()
                .join(", ");
            blocks.push(Block::Facts(vec![("Destinations by verdict", verdicts)]));
        }
        if !audit.account_level.is_empty() {
            blocks.push(Block::Heading("Account-wide exports".into()));
            blocks.push(Block::List(audit.account_level.clone()));
        }
        blocks.push(Block::Heading("Per destination".into()));
        blocks.push(Block::Table(Table {
            headers: &["Destination", "Service", "Audit trail", "Why", "Id"],
            rows: audit
                .rows
                .rows
                .iter()
                .map(|r| {
                    vec![
                        text(&r.name),
                        text(&r.service),
                        text(&r.verdict),
                        text(&r.reason),
                        code(&r.id),
                    ]
                })
                .collect(),
            more: more(&audit.rows, "audit_coverage.json"),
        }));
    }
    if !model.limitations.is_empty() {
        blocks.push(Block::Heading(
            "What the Fivetran API does not offer".into(),
        ));
        blocks.push(Block::List(
            model
                .limitations
                .iter()
                .map(|l| format!("{} Instead: {}", l.statement, l.instead))
                .collect(),
        ));
    }
    Section {
        id: "audit",
        title: "Audit coverage",
        blocks,
    }
}
