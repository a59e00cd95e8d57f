//! The one sanitizer of text the tool did not write itself: messages from Fivetran's servers,
//! names and values read from a bundle. Whatever it becomes (a log line, a terminal line, a
//! manifest `reason`, a summary table cell) it passes through [`sanitize`] with the rules of
//! its destination:
//!
//! - [`printable`]: a string from a bundle, for a terminal or a message; control characters,
//!   bidirectional overrides and backslashes are written as escapes, nothing is cut;
//! - [`clean`]: a message from a server, for logs, messages and the manifest; control
//!   characters escaped, at most [`MAX_MESSAGE_CHARS`] characters kept;
//! - [`one_line`]: a reason in a table cell; control characters become spaces, cut to a width.
//!
//! No output of these functions can start a new line or move the cursor on a terminal.
//!
//! [`scrub`] removes the secrets the tool holds from such text before anything else sees it;
//! [`hidden_mark`] is how the report and the spreadsheet exports show the invisible characters
//! that reorder or hide text.

pub mod scrub;

pub use scrub::Scrubber;

use std::fmt::Write as _;

/// Characters kept of a server's message; the rest is cut, with `…`.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// How characters that must not reach a reader as they are get written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hidden {
    /// Control characters, bidirectional overrides and invisible characters as `\u{..}`,
    /// and a backslash doubled, so the escapes cannot be confused with the text.
    EscapeUnicode,
    /// Control characters as Rust writes them (`\n`, `\t`, `\u{1b}`).
    EscapeControls,
    /// Control characters as a space.
    Space,
}

/// Where the text is cut: when it holds more than `longer_than` characters, the first `keep`
/// are kept and `…` marks the cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cut {
    longer_than: usize,
    keep: usize,
}

/// The rules of one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rules {
    hidden: Hidden,
    cut: Option<Cut>,
}

/// Applies `rules` to `text`.
fn sanitize(text: &str, rules: Rules) -> String {
    let keep = match rules.cut {
        Some(cut) if text.chars().nth(cut.longer_than).is_some() => Some(cut.keep),
        _ => None,
    };
    let mut out = String::with_capacity(text.len());
    for (n, c) in text.chars().enumerate() {
        if keep == Some(n) {
            out.push('…');
            break;
        }
        match rules.hidden {
            Hidden::EscapeUnicode if c == '\\' => out.push_str("\\\\"),
            Hidden::EscapeUnicode if needs_escape(c) => {
                let _ = write!(out, "{}", c.escape_unicode());
            }
            Hidden::EscapeControls if c.is_control() => {
                let _ = write!(out, "{}", c.escape_default());
            }
            Hidden::Space if c.is_control() => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A string from a bundle made safe for a terminal: control characters, bidirectional
/// overrides and backslashes are written as escapes, everything else is kept.
pub fn printable(s: &str) -> String {
    let rules = Rules {
        hidden: Hidden::EscapeUnicode,
        cut: None,
    };
    sanitize(s, rules)
}

/// Makes server-supplied text safe for messages, logs and the manifest: control characters
/// escaped, length capped.
pub fn clean(text: &str) -> String {
    let rules = Rules {
        hidden: Hidden::EscapeControls,
        cut: Some(Cut {
            longer_than: MAX_MESSAGE_CHARS,
            keep: MAX_MESSAGE_CHARS,
        }),
    };
    sanitize(text, rules)
}

/// `text` on one line, at most `max` characters, `…` where it was cut.
pub fn one_line(text: &str, max: usize) -> String {
    let rules = Rules {
        hidden: Hidden::Space,
        cut: Some(Cut {
            longer_than: max,
            keep: max.saturating_sub(1),
        }),
    };
    sanitize(text, rules)
}

/// Control characters and the invisible characters that reorder or hide text.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// The invisible characters that reorder or hide text: bidirectional embeddings, overrides and
/// isolates (U+202A to U+202E, U+2066 to U+2069), the marks U+061C, U+200E and U+200F, the
/// zero-width characters U+200B to U+200D and the byte order mark U+FEFF.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// How a document shows an [invisible formatting character](is_invisible_format): its code
/// point in words, `[U+202E]`, so that it can neither reorder the text around it nor pass
/// unseen. Formats that give `[` a meaning escape the mark like any other text.
pub fn hidden_mark(c: char) -> String {
    format!("[U+{:04X}]", u32::from(c))
}

#[cfg(test)]
mod tests;
