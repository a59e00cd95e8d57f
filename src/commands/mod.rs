//! One module per subcommand: each takes its parsed flags, runs, and returns the exit code.
//! The work itself is in the library's modules; a command resolves its settings, starts what
//! it needs (a runtime, a signal handler), calls them, and says how it went.

pub mod changes;
pub mod collect;
pub mod demo;
pub mod diff;
pub mod doctor;
pub mod manual;
pub mod report;
pub mod schema;
pub mod verify;

use std::path::Path;

use iru_fivetran_core::evidence::bundle;
use iru_fivetran_core::evidence::manifest;
use iru_fivetran_core::text::printable;

/// When `path` is a folder of bundles (the likeliest mistake: `collect`'s `--out` given where
/// one bundle is meant), what to say instead of every problem a folder has as a bundle: how
/// many bundles it holds and the newest one's path.
pub(crate) fn folder_of_bundles(path: &Path) -> Option<String> {
    if path.join(manifest::FILE_NAME).exists() {
        return None;
    }
    let found: Vec<bundle::Found> = bundle::all(path, 100_000)
        .into_iter()
        .filter(|f| !f.failed)
        .collect();
    let newest = found.last()?;
    let shown = printable(&path.display().to_string());
    Some(format!(
        "{shown} is not a bundle: it holds {} bundle(s); did you mean {}?\nhint: give one bundle directory, as `iru-fivetran collect` printed it",
        found.len(),
        printable(&path.join(&newest.name).display().to_string())
    ))
}
