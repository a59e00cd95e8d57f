//! What the report says, in order, independent of the format: both renderers
//! ([`super::html`], [`super::markdown`]) walk the same [`Document`], so the HTML and the
//! Markdown always carry the same content. Strings here are plain text, the bundle's untrusted
//! values among them; escaping is the renderers' job.
//!
//! This module holds the document's types, the helpers every section uses, and the order:
//! the [`banners`] above everything, then one section per submodule ([`provenance`],
//! [`findings`], [`access`], [`inventory`], [`code`], [`audit`], [`trail`], [`changes`],
//! [`controls`], [`files`]).

mod access;
mod audit;
mod banners;
mod changes;
mod code;
mod controls;
mod files;
mod findings;
mod inventory;
mod provenance;
mod trail;

use super::model::{Chart, Model, Part, Rows, State};

/// How a notice looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// The evidence cannot be relied on.
    Bad,
    /// Part of the evidence is missing or incomplete.
    Warn,
}

/// One table cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Ordinary text.
    Text(String),
    /// Identifiers and hashes (monospace).
    Code(String),
    /// A count, right-aligned.
    Count(u64),
    /// `pass`, `fail` or `n/a`, shown as a badge.
    Status(String),
}

/// A table: static headers, rows of cells, and a note on rows left out.
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
    /// `Some(text)` when rows were left out (`--max-rows`).
    pub more: Option<String>,
}

/// One block of a section.
#[derive(Debug, Clone)]
pub enum Block {
    /// A third-level heading.
    Heading(String),
    Para(String),
    Note(Tone, String),
    /// Label and value pairs.
    Facts(Vec<(&'static str, String)>),
    List(Vec<String>),
    Table(Table),
    /// A chart and its static id.
    Chart(Chart, &'static str),
}

/// A top-level section.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub blocks: Vec<Block>,
}

/// A warning above the report.
#[derive(Debug, Clone)]
pub struct Banner {
    pub tone: Tone,
    pub headline: String,
    /// The problems, one each.
    pub lines: Vec<String>,
    /// What it means and what to do.
    pub advice: String,
}

/// A whole report.
#[derive(Debug, Clone)]
pub struct Document {
    pub title: String,
    pub subtitle: String,
    /// Shown above everything else.
    pub banners: Vec<Banner>,
    pub sections: Vec<Section>,
    pub footer: String,
}

fn or_unknown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "unknown".into())
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn code(s: impl Into<String>) -> Cell {
    Cell::Code(s.into())
}

fn more<T: Ord>(rows: &Rows<T>, files: &str) -> Option<String> {
    (rows.hidden() > 0).then(|| {
        format!(
            "Showing the first {} of {} rows (--max-rows); {files} hold them all.",
            rows.rows.len(),
            rows.total
        )
    })
}

/// The note a part needs, as a block.
fn part_note<T>(part: &Part<T>) -> Option<Block> {
    part.note().map(|note| {
        let tone = match part.state {
            State::Unreadable(_) => Tone::Bad,
            _ => Tone::Warn,
        };
        Block::Note(tone, note)
    })
}

/// Builds the document of a model.
pub fn document(model: &Model) -> Document {
    let h = &model.header;
    let account = match (&h.account_name, &h.account_id) {
        (Some(name), Some(id)) => format!("{name} ({id})"),
        (None, Some(id)) => id.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => "unknown account".into(),
    };
    Document {
        title: format!(
            "Fivetran evidence report: {}",
            h.account_name
                .clone()
                .or_else(|| h.account_id.clone())
                .unwrap_or_else(|| "unknown account".into())
        ),
        subtitle: format!(
            "Account {account}, collected {} (UTC), bundle {}",
            or_unknown(&h.started_at),
            or_unknown(&h.bundle_id)
        ),
        banners: banners::banners(model),
        sections: vec![
            provenance::section(model, account),
            findings::section(model),
            access::section(model),
            inventory::section(model),
            code::section(model),
            audit::section(model),
            trail::section(model),
            changes::section(model),
            controls::section(model),
            files::section(model),
        ],
        footer: format!(
            "Rendered by iru-fivetran {} from bundle {} (manifest.json SHA-256 {}). This report is a \
             reading of the bundle: the bundle's files and their hashes are the evidence; check \
             them with `iru-fivetran verify`.",
            env!("CARGO_PKG_VERSION"),
            or_unknown(&h.bundle_id),
            or_unknown(&h.manifest_sha256),
        ),
    }
}
