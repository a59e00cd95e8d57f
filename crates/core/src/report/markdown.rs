//! The Markdown report: the same [`Document`] as the HTML page, for pasting into a ticket.
//!
//! GitHub-flavoured tables; charts become tables with a bar of block characters. Every string
//! of the document goes through [`escape`] (or [`code`] for identifiers), so a value from the
//! bundle cannot open a link, an image, raw HTML, emphasis or a new table cell, nor start a
//! new line; a URL cannot become one of GitHub's autolinks, and a character that reorders or
//! hides text (U+202E) is shown as its code point.

use std::fmt::Write as _;

use super::chart;
use super::content::{Block, Cell, Document, Table, Tone};
use crate::text::{hidden_mark, is_invisible_format};

/// Text made inert for Markdown: the characters that can start markup are backslash-escaped
/// (CommonMark allows a backslash before any ASCII punctuation), line breaks become spaces,
/// invisible formatting characters become `\[U+202E\]`, and where GitHub would turn a URL
/// into a link (an extended autolink: `http://`, `https://` or `ftp://`, or `www.`, then a
/// domain with a dot, at the start or after white space, `*`, `_`, `~` or `(`), the `:` of its
/// scheme or the `.` after `www` is escaped, which the autolinker does not read past.
pub fn escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ':' | '.' if opens_autolink(&chars, i) => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c if is_invisible_format(c) => out.push_str(&escape(&hidden_mark(c))),
            c => out.push(c),
        }
    }
    out
}

/// Whether GitHub may start an autolink at the word before `at`.
fn may_start_link(chars: &[char], at: usize) -> bool {
    at == 0 || {
        let before = chars[at - 1];
        before.is_whitespace() || matches!(before, '*' | '_' | '~' | '(')
    }
}

/// Whether the domain starting at `from` has a dot (GitHub links none without one).
fn dotted_domain(chars: &[char], from: usize) -> bool {
    let domain: Vec<char> = chars[from.min(chars.len())..]
        .iter()
        .copied()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let trimmed = domain
        .iter()
        .rposition(|c| c.is_alphanumeric())
        .map_or(&domain[..0], |end| &domain[..=end]);
    trimmed.contains(&'.') && trimmed.first().is_some_and(|c| c.is_alphanumeric())
}

/// Whether the `:` or `.` at `at` is where an autolink would begin: the `:` of `http://`,
/// `https://` or `ftp://`, or the `.` of `www.`.
fn opens_autolink(chars: &[char], at: usize) -> bool {
    let lower = |from: usize, to: usize| -> String {
        chars[from..to]
            .iter()
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    if chars[at] == ':' {
        if chars.get(at + 1..at + 3) != Some(&['/', '/'][..]) {
            return false;
        }
        ["http", "https", "ftp"].iter().any(|scheme| {
            at >= scheme.len()
                && lower(at - scheme.len(), at) == *scheme
                && may_start_link(chars, at - scheme.len())
        }) && dotted_domain(chars, at + 3)
    } else {
        at >= 3
            && lower(at - 3, at) == "www"
            && may_start_link(chars, at - 3)
            && dotted_domain(chars, at + 1)
    }
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
            c if is_invisible_format(c) => hidden_mark(c),
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
