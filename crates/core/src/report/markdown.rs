//! The Markdown report: the same [`Document`] as the HTML page, for pasting into a ticket.
//!
//! GitHub-flavoured tables; charts become tables with a bar of block characters. Every string
//! of the document goes through [`escape`] (or [`code`] for identifiers), so a value from the
//! bundle cannot open a link, an image, raw HTML, emphasis or a new table cell, nor start a
//! new line.

use std::fmt::Write as _;

use super::chart;
use super::content::{Block, Cell, Document, Table, Tone};

/// Text made inert for Markdown: the characters that can start markup are backslash-escaped
/// (CommonMark allows a backslash before any ASCII punctuation), and line breaks become spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An identifier as a code span; one that holds a backtick is escaped text instead. In a
/// table, `|` is still escaped: GitHub splits cells before it reads code spans.
pub fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    if s.contains('`') {
        return escape(s);
    }
    let inner: String = s
        .chars()
        .map(|c| match c {
            '\r' | '\n' => " ".to_owned(),
            '|' => "\\|".to_owned(),
            c if c.is_control() => "\u{FFFD}".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!("`{inner}`")
}

/// Renders the document as Markdown.
pub fn render(doc: &Document) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let _ = writeln!(
        out,
        "# {}\n\n{}\n",
        escape(&doc.title),
        escape(&doc.subtitle)
    );
    for banner in &doc.banners {
        let mark = match banner.tone {
            Tone::Bad => "WARNING",
            Tone::Warn => "Note",
        };
        let _ = writeln!(out, "> **{mark}: {}**\n>", escape(&banner.headline));
        for line in &banner.lines {
            let _ = writeln!(out, "> - {}", escape(line));
        }
        if !banner.lines.is_empty() {
            out.push_str(">\n");
        }
        let _ = writeln!(out, "> {}\n", escape(&banner.advice));
    }
    for section in &doc.sections {
        let _ = writeln!(out, "## {}\n", escape(section.title));
        for block in &section.blocks {
            block_md(&mut out, block);
        }
    }
    let _ = writeln!(out, "---\n\n{}", escape(&doc.footer));
    out
}

fn block_md(out: &mut String, block: &Block) {
    match block {
        Block::Heading(text) => {
            let _ = writeln!(out, "### {}\n", escape(text));
        }
        Block::Para(text) => {
            let _ = writeln!(out, "{}\n", escape(text));
        }
        Block::Note(tone, text) => {
            let mark = match tone {
                Tone::Bad => "WARNING",
                Tone::Warn => "Note",
            };
            let _ = writeln!(out, "> **{mark}:** {}\n", escape(text));
        }
        Block::Facts(facts) => {
            for (label, value) in facts {
                let _ = writeln!(out, "- **{}:** {}", escape(label), escape(value));
            }
            out.push('\n');
        }
        Block::List(items) => {
            for item in items {
                let _ = writeln!(out, "- {}", escape(item));
            }
            out.push('\n');
        }
        Block::Table(table) => table_md(out, table),
        Block::Chart(c, _) => {
            let _ = writeln!(
                out,
                "**{}** ({} in all)\n\n| Category | Count | |\n|---|---:|---|",
                escape(&c.title),
                c.total(),
            );
            for (label, n, bar) in chart::text_bars(c) {
                let _ = writeln!(out, "| {} | {n} | {bar} |", escape(&label));
            }
            out.push('\n');
        }
    }
}

fn table_md(out: &mut String, table: &Table) {
    let headers: Vec<String> = table.headers.iter().map(|h| escape(h)).collect();
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    out.push('|');
    for _ in table.headers {
        out.push_str("---|");
    }
    out.push('\n');
    if table.rows.is_empty() {
        let _ = writeln!(out, "| none |{}", " |".repeat(table.headers.len() - 1));
    }
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(t) => escape(t),
                Cell::Code(t) => code(t),
                Cell::Count(n) => n.to_string(),
                Cell::Status(s) if s == "fail" || s == "failed" => {
                    format!("**{}**", escape(&s.to_uppercase()))
                }
                Cell::Status(s) => escape(s),
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
    if let Some(more) = &table.more {
        let _ = writeln!(out, "_{}_\n", escape(more));
    }
}

#[cfg(test)]
mod tests;
