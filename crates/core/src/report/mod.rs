//! The report: a bundle as a page a reviewer can open anywhere (`iru-fivetran report BUNDLE`).
//!
//! The flow: [`crate::verify::inspect`] checks the bundle (hashes, sizes, envelopes) and keeps
//! what it found, the manifest's bytes included (the header and the signature check use those,
//! not the file read again); [`read::read`] streams the artifacts into what the report shows,
//! each table capped at `--max-rows`, hashing the bytes it renders and counting any file that
//! no longer matches the inspection as a problem; [`content::document`] says it, in order,
//! once for both formats; [`html`] or [`markdown`] renders it, escaping every string. The
//! command writes the text.
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

use crate::verify::{Inspection, Signed, VerifyError, inspect};

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
    render_inspected(inspect(bundle), format, public_key, max_rows)
}

/// [`render`] of a bundle already inspected. Each artifact is read again to be rendered, and
/// the bytes rendered are hashed as they are read: a file that no longer holds what the
/// inspection hashed (replaced in between, or while it is read) is one more problem, so the
/// report carries the banner and does not count as verified.
fn render_inspected(
    found: Inspection,
    format: Format,
    public_key: Option<&Path>,
    max_rows: usize,
) -> Result<(String, bool), VerifyError> {
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

/// The signature as the report shows it: with `--public-key`, an unsigned bundle fails.
fn signature(found: &Inspection, public_key: Option<&Path>) -> Signature {
    let signed = found.signature(public_key);
    match signed {
        Signed::Unsigned if public_key.is_some() => Signature::Fails(
            signed
                .problem(true)
                .map(|p| p.to_string())
                .unwrap_or_default(),
        ),
        Signed::Unsigned => Signature::Unsigned,
        Signed::NotChecked => Signature::NotChecked,
        Signed::Valid(fingerprint) => Signature::Holds(fingerprint),
        Signed::Invalid(why) => Signature::Fails(why),
    }
}

#[cfg(test)]
mod tests;
