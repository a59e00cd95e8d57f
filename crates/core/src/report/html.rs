//! The HTML report: one self-contained page.
//!
//! Inline CSS and inline SVG only: no script, no font, no image, no link to anything outside
//! the page, and a Content-Security-Policy of `default-src 'none'` that would block one if it
//! ever slipped in. Every string of the [`Document`] goes through [`escape`]; markup is written
//! only from literals in this file. Print styles keep tables readable on paper (headers
//! repeated on each page, rows not split, no navigation).

use std::fmt::Write as _;

use super::chart;
use super::content::{Block, Cell, Document, Table, Tone};
use crate::text::{hidden_mark, is_invisible_format};

/// Text or an attribute value made safe for HTML: `& < > " '` become entities, control
/// characters other than tab and newline become U+FFFD (they are not allowed in HTML text),
/// and the invisible characters that reorder or hide text (U+202E...) are shown as their code
/// point, `[U+202E]`, so that a value cannot reverse what follows it on the page.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c if is_invisible_format(c) => out.push_str(&hidden_mark(c)),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --head: #f3f5f7; --bar: #2f6f9f;
  --bad: #a40e26; --bad-bg: #ffebe9; --warn: #7d4e00; --warn-bg: #fff8c5; --ok: #1a7f37; --ok-bg: #dafbe1; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); margin: 0 auto; padding: 24px 32px 48px; max-width: 1280px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 22px 0 8px; }
p { margin: 6px 0 10px; max-width: 110ch; }
.sub { color: var(--muted); margin: 0 0 16px; }
code, .code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
td.long { word-break: break-all; }
nav { margin: 12px 0 8px; font-size: 13px; }
nav a { margin-right: 14px; color: var(--bar); }
.banner { border: 2px solid; border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.banner strong { display: block; font-size: 15px; margin-bottom: 4px; }
.banner ul { margin: 4px 0 0; padding-left: 20px; }
.banner p { margin: 6px 0 0; }
.bad { border-color: var(--bad); background: var(--bad-bg); color: var(--bad); }
.warn { border-color: #bf8700; background: var(--warn-bg); color: var(--warn); }
.note { border-left: 4px solid; padding: 6px 10px; margin: 8px 0; border-radius: 0 4px 4px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 8px 0 12px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 7px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: var(--head); font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
.more { color: var(--muted); font-size: 12px; margin: 2px 0 10px; }
.status { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.status-fail, .status-failed, .status-forbidden { background: var(--bad-bg); color: var(--bad); }
.status-pass, .status-complete { background: var(--ok-bg); color: var(--ok); }
.status-na, .status-partial, .status-unavailable, .status-other { background: var(--warn-bg); color: var(--warn); }
.charts { display: flex; flex-wrap: wrap; gap: 8px 28px; }
figure { margin: 8px 0 14px; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart text { font-size: 12px; fill: var(--fg); }
svg.chart text.value { fill: var(--muted); }
svg.chart text.empty { fill: var(--muted); font-style: italic; }
svg.chart rect.bar { fill: var(--bar); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 10.5px; }
  nav { display: none; }
  section:not(:first-of-type) { break-before: page; page-break-before: always; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  table { font-size: 9.5px; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  .banner, .status, .note, th, tbody tr:nth-child(even) td, svg.chart rect.bar {
    -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// Renders the document as one HTML page.
pub fn render(doc: &Document) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<meta name=\"generator\" content=\"iru-fivetran {}\">",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&doc.title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", escape(&doc.title));
    let _ = writeln!(out, "<p class=\"sub\">{}</p>", escape(&doc.subtitle));
    for banner in &doc.banners {
        let _ = write!(
            out,
            "<div class=\"banner {}\" role=\"alert\"><strong>{}</strong>",
            tone_class(banner.tone),
            escape(&banner.headline)
        );
        if !banner.lines.is_empty() {
            out.push_str("<ul>");
            for line in &banner.lines {
                let _ = write!(out, "<li>{}</li>", escape(line));
            }
            out.push_str("</ul>");
        }
        let _ = writeln!(out, "<p>{}</p></div>", escape(&banner.advice));
    }
    out.push_str("<nav>");
    for section in &doc.sections {
        // Section ids and titles are literals of `content`, escaped all the same.
        let _ = write!(
            out,
            "<a href=\"#{}\">{}</a>",
            escape(section.id),
            escape(section.title)
        );
    }
    out.push_str("</nav>\n</header>\n<main>\n");
    for section in &doc.sections {
        let _ = writeln!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>",
            escape(section.id),
            escape(section.title)
        );
        let mut charts_open = false;
        for block in &section.blocks {
            let is_chart = matches!(block, Block::Chart(..));
            if is_chart && !charts_open {
                out.push_str("<div class=\"charts\">\n");
                charts_open = true;
            } else if !is_chart && charts_open {
                out.push_str("</div>\n");
                charts_open = false;
            }
            block_html(&mut out, block);
        }
        if charts_open {
            out.push_str("</div>\n");
        }
        out.push_str("</section>\n");
    }
    let _ = writeln!(
        out,
        "</main>\n<footer>{}</footer>\n</body>\n</html>",
        escape(&doc.footer)
    );
    out
}

fn tone_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Bad => "bad",
        Tone::Warn => "warn",
    }
}

fn block_html(out: &mut String, block: &Block) {
    match block {
        Block::Heading(text) => {
            let _ = writeln!(out, "<h3>{}</h3>", escape(text));
        }
        Block::Para(text) => {
            let _ = writeln!(out, "<p>{}</p>", escape(text));
        }
        Block::Note(tone, text) => {
            let _ = writeln!(
                out,
                "<p class=\"note {}\">{}</p>",
                tone_class(*tone),
                escape(text)
            );
        }
        Block::Facts(facts) => {
            out.push_str("<dl class=\"facts\">");
            for (label, value) in facts {
                let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(value));
            }
            out.push_str("</dl>\n");
        }
        Block::List(items) => {
            out.push_str("<ul>");
            for item in items {
                let _ = write!(out, "<li>{}</li>", escape(item));
            }
            out.push_str("</ul>\n");
        }
        Block::Table(table) => table_html(out, table),
        Block::Chart(c, id) => {
            let _ = writeln!(
                out,
                "<figure><figcaption>{}</figcaption>{}</figure>",
                escape(&c.title),
                chart::svg(c, id, escape)
            );
        }
    }
}

/// The CSS class of a status badge: a fixed set, never the bundle's text.
fn status_class(status: &str) -> &'static str {
    match status {
        "pass" => "status-pass",
        "fail" => "status-fail",
        "n/a" => "status-na",
        "complete" => "status-complete",
        "partial" => "status-partial",
        "failed" => "status-failed",
        "forbidden" => "status-forbidden",
        "unavailable" => "status-unavailable",
        _ => "status-other",
    }
}

fn table_html(out: &mut String, table: &Table) {
    out.push_str("<table>\n<thead><tr>");
    for header in table.headers {
        let _ = write!(out, "<th>{}</th>", escape(header));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    if table.rows.is_empty() {
        let _ = writeln!(
            out,
            "<tr><td colspan=\"{}\" class=\"more\">none</td></tr>",
            table.headers.len()
        );
    }
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            match cell {
                Cell::Text(t) => {
                    let _ = write!(out, "<td>{}</td>", escape(t));
                }
                Cell::Code(t) => {
                    // Hashes and long ids may break anywhere; short ones keep their column.
                    let class = if t.chars().count() > 24 {
                        "code long"
                    } else {
                        "code"
                    };
                    let _ = write!(out, "<td class=\"{class}\">{}</td>", escape(t));
                }
                Cell::Count(n) => {
                    let _ = write!(out, "<td class=\"n\">{n}</td>");
                }
                Cell::Status(s) => {
                    let _ = write!(
                        out,
                        "<td><span class=\"status {}\">{}</span></td>",
                        status_class(s),
                        escape(s)
                    );
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    if let Some(more) = &table.more {
        let _ = writeln!(out, "<p class=\"more\">{}</p>", escape(more));
    }
}

#[cfg(test)]
mod tests;
