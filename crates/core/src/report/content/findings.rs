//! The "Findings" section: the checks' tally and table, then each check with what it proves,
//! what it cannot, and its subjects.

use super::{Block, Cell, Section, Table, code, more, part_note, text};
use crate::report::model::{Finding, Model};

pub(super) fn section(model: &Model) -> Section {
    let part = &model.findings;
    let mut blocks: Vec<Block> = part_note(part).into_iter().collect();
    let list = &part.data;
    let count = |s: &str| list.iter().filter(|f| f.status == s).count();
    if !list.is_empty() {
        blocks.push(Block::Para(format!(
            "{} checks: {} fail, {} pass, {} n/a (the artifact they read is missing or \
             incomplete). Each states what it proves and what it cannot.",
            list.len(),
            count("fail"),
            count("pass"),
            count("n/a")
        )));
    }
    blocks.push(Block::Table(Table {
        headers: &["Check", "Status", "What is checked", "Subjects"],
        rows: list
            .iter()
            .map(|f| {
                vec![
                    code(&f.id),
                    Cell::Status(f.status.clone()),
                    text(&f.title),
                    Cell::Count(f.count),
                ]
            })
            .collect(),
        more: None,
    }));
    for f in list {
        blocks.extend(finding(f));
    }
    Section {
        id: "findings",
        title: "Findings",
        blocks,
    }
}

fn finding(f: &Finding) -> Vec<Block> {
    let mut blocks = vec![
        Block::Heading(format!("{}: {}", f.id, f.title)),
        Block::Facts(vec![
            ("Status", f.status.clone()),
            ("Proves", f.proves.clone()),
            ("Cannot prove", f.cannot_prove.clone()),
        ]),
    ];
    if !f.subjects.rows.is_empty() {
        blocks.push(Block::Table(Table {
            headers: &["Subject", "Id", "Detail"],
            rows: f
                .subjects
                .rows
                .iter()
                .map(|s| vec![text(&s.label), code(&s.id), text(&s.detail)])
                .collect(),
            more: more(&f.subjects, "findings.json"),
        }));
    }
    blocks
}
