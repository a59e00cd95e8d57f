//! `iru-fivetran schema [NAME]`: prints the JSON Schema of a bundle file or of a JSON output
//! ([`iru_fivetran_core::schema::generate`]), or the names.

use std::io::Write as _;

use iru_fivetran_core::evidence::render;
use iru_fivetran_core::exit;
use iru_fivetran_core::schema::{generate, names};
use iru_fivetran_core::text::printable;

use crate::cli::SchemaArgs;
use crate::output::to_stderr;

/// Runs `iru-fivetran schema [NAME]`, returning the exit code.
pub fn command(args: &SchemaArgs) -> u8 {
    let bytes = match &args.name {
        None => names()
            .iter()
            .map(|n| format!("{n}\n"))
            .collect::<String>()
            .into_bytes(),
        Some(name) => match generate(name) {
            Some(schema) => render(&schema),
            None => {
                to_stderr(&format!(
                    "error: no schema is named {:?}\nhint: the names are {}\n",
                    printable(name),
                    names().join(", ")
                ));
                return exit::USAGE;
            }
        },
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&bytes).and_then(|()| stdout.flush()) {
        Ok(()) => exit::COMPLETE,
        Err(e) => {
            to_stderr(&format!("error: cannot write to stdout: {e}\n"));
            exit::FAILED
        }
    }
}
