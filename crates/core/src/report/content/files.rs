//! The last section, "Files of the bundle": every artifact and table the manifest lists, with
//! its status, item count and hash.

use super::{Block, Cell, Section, Table, code, text};
use crate::report::model::Model;

pub(super) fn section(model: &Model) -> Section {
    let mut rows: Vec<Vec<Cell>> = model
        .artifacts
        .iter()
        .map(|a| {
            vec![
                code(&a.path),
                text(&a.kind),
                Cell::Status(a.status.clone()),
                a.count.map_or_else(|| text(""), Cell::Count),
                text(a.reason.clone().unwrap_or_default()),
                code(&a.sha256),
            ]
        })
        .collect();
    rows.extend(model.tables.iter().map(|(path, n, sha)| {
        vec![
            code(path),
            text("table (CSV)"),
            text(""),
            n.map_or_else(|| text(""), Cell::Count),
            text(""),
            code(sha),
        ]
    }));
    Section {
        id: "files",
        title: "Files of the bundle",
        blocks: vec![
            Block::Para(
                "Every file the manifest lists, with the hash it was written with. The report \
                 above is read from these files."
                    .into(),
            ),
            Block::Table(Table {
                headers: &[
                    "File",
                    "Kind",
                    "Status",
                    "Items",
                    "Why not complete",
                    "SHA-256",
                ],
                rows,
                more: None,
            }),
        ],
    }
}
