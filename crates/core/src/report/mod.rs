//! The report: a bundle as a page a reviewer can open anywhere (`iru-fivetran report BUNDLE`).
//!
//! The flow: [`crate::verify::inspect`] checks the bundle (hashes, sizes, envelopes) and keeps
//! what it found; [`read::read`] streams the artifacts into what the report shows, each table
//! capped at `--max-rows`; [`content::document`] says it, in order, once for both formats;
//! [`html`] or [`markdown`] renders it, escaping every string. The command writes the text.
//!
//! A bundle that does not verify is still rendered, under a banner listing its problems, and
//! the exit code is 3. Only a path that is not a bundle at all (no readable manifest) gives no
//! report. Nothing reads the clock, so the same bundle gives the same bytes.

mod chart;
mod content;
mod html;
mod markdown;
mod model;
mod read;

use std::path::Path;

use crate::evidence::sign::SIGNATURE_FILE;
use crate::verify::{Inspection, VerifyError, inspect};

use model::{Check, Signature};

pub use markdown::{code as markdown_code, escape as markdown_escape};

/// The form of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One self-contained HTML page.
    Html,
    /// Markdown (GitHub-flavoured tables).
    Markdown,
}

/// Renders a bundle in `format`, returning the text and whether the bundle verified (and its
/// signature held, when checked). An error, with what was found wrong, when the path is not a
/// bundle with a readable manifest.
pub fn render(
    bundle: &Path,
    format: Format,
    public_key: Option<&Path>,
    max_rows: usize,
) -> Result<(String, bool), VerifyError> {
    let found = inspect(bundle);
    if found.manifest.is_none() {
        return Err(VerifyError {
            dir: found.dir,
            problems: found.problems,
        });
    }
    let signature = signature(&found, public_key);
    let model = read::read(&found, signature, max_rows);
    let trusted = matches!(model.check, Check::Verified(_))
        && !matches!(model.signature, Signature::Fails(_));
    let doc = content::document(&model);
    let text = match format {
        Format::Html => html::render(&doc),
        Format::Markdown => markdown::render(&doc),
    };
    Ok((text, trusted))
}

fn signature(found: &Inspection, public_key: Option<&Path>) -> Signature {
    let signed = std::fs::symlink_metadata(found.dir.join(SIGNATURE_FILE)).is_ok();
    match public_key {
        None if signed => Signature::NotChecked,
        None => Signature::Unsigned,
        Some(key) => match found.check_signature(key) {
            Ok(fingerprint) => Signature::Holds(fingerprint),
            Err(why) => Signature::Fails(why),
        },
    }
}
