//! Shell completion scripts and the man page, both generated from the clap types in
//! [`crate::cli`], so they can never disagree with `--help`. Both are written to a writer the
//! caller gives (stdout, for `iru-fivetran completions` and `iru-fivetran man`): this module
//! writes no file.
//!
//! The man page is one page, `iru-fivetran(1)`, with a section per command (its synopsis,
//! options and notes), rather than one page per command: one file to install, and `man
//! iru-fivetran` then shows everything, which suits a tool with a handful of commands.

use std::io::{self, Write};

use clap::CommandFactory as _;
use clap_complete::Shell;
use clap_mangen::Man;
use roff::{Roff, bold, roman};

use crate::cli::{Cli, LogFormat};
use crate::output;
use iru_fivetran_core::exit;

/// The binary's name, as completion scripts must call it.
const BIN: &str = "iru-fivetran";

/// The command tree the man page and completions are made from: clap's own `help`
/// subcommand left out, since `--help` documents the same and it would be noise in both.
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Writes the completion script for `shell`.
pub fn completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = command();
    // clap_complete writes through `&mut dyn Write` and cannot return its errors (it panics on
    // them), so the script is built in memory and written here, where a failure is reported.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut script);
    out.write_all(&script)?;
    out.flush()
}

/// Writes the man page: the tool, then one section per command.
pub fn man_page(out: &mut dyn Write) -> io::Result<()> {
    let cmd = command();
    let top = Man::new(cmd.clone()).title(BIN.to_uppercase());
    let mut page = Vec::new();
    top.render_title(&mut page)?;
    top.render_name_section(&mut page)?;
    top.render_synopsis_section(&mut page)?;
    top.render_description_section(&mut page)?;

    let mut list = Roff::new();
    list.control("SH", ["COMMANDS"]);
    for sub in subcommands(&cmd) {
        list.control("TP", []);
        list.text([bold(format!("{BIN} {}", sub.get_name()))]);
        if let Some(about) = sub.get_about() {
            list.text([roman(about.to_string())]);
        }
    }
    list.to_writer(&mut page)?;

    for sub in subcommands(&cmd) {
        command_section(sub, &mut page)?;
    }

    // The top-level after-help is the exit-code table of `collect`, the command that matters.
    if let Some(after) = cmd.get_after_help() {
        let mut exit = Roff::new();
        exit.control("SH", ["EXIT STATUS"]);
        exit.control("nf", []);
        exit.text([roman(after.to_string())]);
        exit.control("fi", []);
        exit.to_writer(&mut page)?;
    }
    top.render_version_section(&mut page)?;
    out.write_all(&tidy(&page))?;
    out.flush()
}

/// The lines roff puts before every rendered piece, defining the `Aq` (apostrophe) string.
const AQ_PREAMBLE: [&str; 2] = [".ie \\n(.g .ds Aq \\(aq", ".el .ds Aq '"];

/// The page assembled from separately rendered pieces, with roff's preamble (repeated before
/// each piece) written once, after the `.TH` line, so the page starts with `.TH` as man
/// pages do and `Aq` is still defined before any text uses it.
fn tidy(pieces: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(pieces);
    let mut lines = text.lines().filter(|l| !AQ_PREAMBLE.contains(l));
    let mut page = String::new();
    if let Some(title) = lines.next() {
        page.push_str(title);
        page.push('\n');
    }
    for line in AQ_PREAMBLE.into_iter().chain(lines) {
        page.push_str(line);
        page.push('\n');
    }
    page.into_bytes()
}

/// The visible subcommands, in the order `--help` lists them.
fn subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands().filter(|s| !s.is_hide_set())
}

/// One command's section: `.SH IRU-FIVETRAN COLLECT`, then clap_mangen's description,
/// synopsis, options and after-help, each demoted to a subsection of it.
fn command_section(sub: &clap::Command, page: &mut Vec<u8>) -> io::Result<()> {
    let mut heading = Roff::new();
    let title = format!("{BIN} {}", sub.get_name()).to_uppercase();
    heading.control("SH", [title.as_str()]);
    heading.to_writer(&mut *page)?;

    let man = Man::new(sub.clone());
    let mut body = Vec::new();
    man.render_description_section(&mut body)?;
    man.render_synopsis_section(&mut body)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut body)?;
    }
    if sub.get_after_help().is_some() {
        man.render_extra_section(&mut body)?;
    }
    // roff escapes a leading `.` in text, so a line starting with `.SH ` is always one of
    // clap_mangen's own section headers, never text from a help string.
    let body = String::from_utf8_lossy(&body);
    let mut notes = false;
    for line in body.lines() {
        let line = match line.strip_prefix(".SH ") {
            // The after-help is laid out by hand (tables of codes, install lines): no fill.
            // It is the last piece, so `.fi` after the loop closes it.
            Some("EXTRA") => {
                notes = true;
                ".SS NOTES\n.nf".to_owned()
            }
            Some(title) => format!(".SS {title}"),
            None => line.to_owned(),
        };
        page.extend_from_slice(line.as_bytes());
        page.push(b'\n');
    }
    if notes {
        page.extend_from_slice(b".fi\n");
    }
    Ok(())
}

/// Runs `iru-fivetran completions SHELL`, returning the exit code.
pub fn completions_command(shell: Shell) -> u8 {
    print_generated("completion script", |w| completions(shell, w))
}

/// Runs `iru-fivetran man`, returning the exit code.
pub fn man_command() -> u8 {
    print_generated("man page", man_page)
}

/// Writes generated text to stdout; exit 1 with the reason if stdout cannot take it.
fn print_generated(what: &str, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> u8 {
    let mut stdout = io::stdout().lock();
    match write(&mut stdout) {
        Ok(()) => exit::COMPLETE,
        // `iru-fivetran man | head`: the reader chose to stop; that is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::COMPLETE,
        Err(e) => {
            output::report_error(
                LogFormat::Text,
                &format_args!("cannot write the {what} to stdout: {e}"),
            );
            exit::FAILED
        }
    }
}

#[cfg(test)]
mod tests;
