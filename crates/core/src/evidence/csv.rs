//! The spreadsheet exports: `access.csv`, `users.csv` and `connections.csv`, made from the JSON
//! artifacts already written (so redaction has happened), one row per item, in item order.
//!
//! RFC 4180: CRLF line ends, a header row, a field quoted when it holds a comma, a double
//! quote, CR or LF, and a double quote doubled inside. Items come from untrusted API data, so a
//! field that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! CR) is neutralized with a leading `'` first (OWASP's advice on CSV injection), control
//! characters other than tab, CR and LF become U+FFFD, and the invisible characters that
//! reorder or hide text become their code point (`[U+202E]`). The bundle
//! ([`crate::evidence::bundle::Bundle::write_table`]) writes the file.

use std::borrow::Cow;
use std::io::{self, Write};

use serde_json::Value;

use crate::text::{hidden_mark, is_invisible_format};
use crate::vocab::Artifact;

/// One export: its fixed file name, the artifact it is made from, and its columns.
#[derive(Debug)]
pub struct Table {
    /// The file name in the bundle.
    pub name: &'static str,
    /// The artifact each row is an item of.
    pub from: Artifact,
    /// `(header, JSON pointer into the item)`.
    pub columns: &'static [(&'static str, &'static str)],
}

/// Every export, in the order they are written.
pub const TABLES: [Table; 3] = [
    Table {
        name: "access.csv",
        from: Artifact::Access,
        columns: &[
            ("user_id", "/user_id"),
            ("user_email", "/user_email"),
            ("user_name", "/user_name"),
            ("user_active", "/user_active"),
            ("user_status", "/user_status"),
            ("user_logged_in_at", "/user_logged_in_at"),
            ("resource_type", "/resource_type"),
            ("resource_id", "/resource_id"),
            ("resource_name", "/resource_name"),
            ("group_id", "/group_id"),
            ("role", "/role"),
            ("role_is_custom", "/role_is_custom"),
            ("via", "/via"),
            ("team_id", "/team_id"),
            ("team_name", "/team_name"),
        ],
    },
    Table {
        name: "users.csv",
        from: Artifact::Users,
        columns: &[
            ("id", "/id"),
            ("email", "/email"),
            ("given_name", "/given_name"),
            ("family_name", "/family_name"),
            ("role", "/role"),
            ("active", "/active"),
            ("verified", "/verified"),
            ("invited", "/invited"),
            ("created_at", "/created_at"),
            ("logged_in_at", "/logged_in_at"),
        ],
    },
    Table {
        name: "connections.csv",
        from: Artifact::Connections,
        columns: &[
            ("id", "/id"),
            ("schema", "/schema"),
            ("service", "/service"),
            ("group_id", "/group_id"),
            ("paused", "/paused"),
            ("setup_state", "/status/setup_state"),
            ("sync_state", "/status/sync_state"),
            ("sync_frequency", "/sync_frequency"),
            ("schedule_type", "/schedule_type"),
            ("networking_method", "/networking_method"),
            ("connected_by", "/connected_by"),
            ("created_at", "/created_at"),
            ("succeeded_at", "/succeeded_at"),
            ("failed_at", "/failed_at"),
        ],
    },
];

/// The characters a spreadsheet may read as the start of a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a character is replaced in a cell: a control character other than tab, CR and LF
/// (an escape sequence would reach the terminal of whoever `cat`s the file), or an invisible
/// character that reorders or hides text (U+202E would reverse what follows it in the cell).
fn replaced(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\r' | '\n')) || is_invisible_format(c)
}

/// One field: control characters replaced (U+FFFD), invisible formatting characters shown as
/// their code point (`[U+202E]`), neutralized, and quoted as needed.
pub fn field(text: &str) -> Cow<'_, str> {
    let text: Cow<'_, str> = if text.contains(replaced) {
        Cow::Owned(
            text.chars()
                .map(|c| match c {
                    c if is_invisible_format(c) => hidden_mark(c),
                    c if replaced(c) => "\u{fffd}".to_owned(),
                    c => c.to_string(),
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    };
    let neutral: Cow<'_, str> = if text.starts_with(FORMULA_START) {
        Cow::Owned(format!("'{text}"))
    } else {
        text
    };
    if neutral.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", neutral.replace('"', "\"\"")))
    } else {
        neutral
    }
}

/// The text of a JSON value in a cell: strings as they are, null or absent empty, numbers and
/// booleans as JSON, anything else as compact JSON.
pub fn cell(value: Option<&Value>) -> Cow<'_, str> {
    match value {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::String(s)) => Cow::Borrowed(s),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

/// Writes one row, CRLF-terminated.
pub fn write_row<'a>(
    out: &mut impl Write,
    fields: impl IntoIterator<Item = &'a str>,
) -> io::Result<()> {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(field(f).as_bytes())?;
    }
    out.write_all(b"\r\n")
}

impl Table {
    /// Writes the header row.
    pub fn write_header(&self, out: &mut impl Write) -> io::Result<()> {
        write_row(out, self.columns.iter().map(|(h, _)| *h))
    }

    /// Writes the row of one item.
    pub fn write_item(&self, out: &mut impl Write, item: &Value) -> io::Result<()> {
        let cells: Vec<Cow<'_, str>> = self
            .columns
            .iter()
            .map(|(_, pointer)| cell(item.pointer(pointer)))
            .collect();
        write_row(out, cells.iter().map(AsRef::as_ref))
    }
}

#[cfg(test)]
mod tests;
