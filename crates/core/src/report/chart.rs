//! Horizontal bar charts as inline SVG (HTML) or as text bars (Markdown).
//!
//! Labels come from the bundle and are escaped by the caller's `escape`; every number in the
//! markup is computed here. The SVG has no `xmlns`, no links and no external reference: inline
//! SVG in HTML needs none.

use std::fmt::Write as _;

use super::model::{Chart, clip_to};

const WIDTH: f64 = 560.0;
const LABEL_WIDTH: f64 = 190.0;
const BAR_SPACE: f64 = 300.0;
const ROW: f64 = 24.0;
const BAR: f64 = 16.0;
/// Longest label drawn, in characters; the full label is in the table beside the chart.
const LABEL_CHARS: usize = 28;

/// The chart as an `<svg>` element. `id` must be a static, unique identifier.
pub fn svg(chart: &Chart, id: &str, escape: impl Fn(&str) -> String) -> String {
    let max = chart.bars.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let rows = chart.bars.len().max(1);
    let height = rows as f64 * ROW + 8.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}: {} in all</title>"#,
        escape(&chart.title),
        chart.total(),
    );
    if max == 0 {
        let _ = write!(
            out,
            r#"<text x="0" y="{}" class="empty">nothing to count</text>"#,
            ROW - 8.0
        );
    }
    for (i, (label, n)) in chart.bars.iter().enumerate() {
        let y = i as f64 * ROW + 4.0;
        let text_y = y + BAR - 3.0;
        let width = if max == 0 {
            0.0
        } else {
            (*n as f64 / max as f64 * BAR_SPACE).max(if *n > 0 { 1.5 } else { 0.0 })
        };
        let _ = write!(
            out,
            r#"<text x="{lx}" y="{text_y}" text-anchor="end">{label}</text><rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1}" height="{BAR}" rx="2" class="bar"/><text x="{vx:.1}" y="{text_y}" class="value">{n}</text>"#,
            lx = LABEL_WIDTH - 8.0,
            label = escape(&clip_to(label, LABEL_CHARS)),
            vx = LABEL_WIDTH + width + 6.0,
        );
    }
    out.push_str("</svg>");
    out
}

/// The chart as Markdown table rows: label, count, and a bar of up to 20 blocks.
pub fn text_bars(chart: &Chart) -> Vec<(String, u64, String)> {
    let max = chart.bars.iter().map(|(_, n)| *n).max().unwrap_or(0);
    chart
        .bars
        .iter()
        .map(|(label, n)| {
            let blocks = if max == 0 {
                0
            } else {
                // Rounded up, so that a count above zero always shows.
                (n * 20).div_ceil(max) as usize
            };
            (label.clone(), *n, "█".repeat(blocks))
        })
        .collect()
}

#[cfg(test)]
mod tests;
