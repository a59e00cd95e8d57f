//! The collector measured: finding its binary (`--bin`, else beside this program), warning when
//! it looks older than the benchmark, and reading its `collect --help` for `--concurrency` and
//! its default.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The collector binary: `--bin`, else `iru-fivetran` beside this program, or above it when it
/// is in `examples/` (`target/release/examples/bench` → `target/release/iru-fivetran`).
pub(crate) fn collector(given: Option<&Path>) -> Result<PathBuf, String> {
    let bin = match given {
        Some(path) => path.to_owned(),
        None => {
            let me = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
            let mut dir = me.parent().ok_or("cannot find this program's directory")?;
            if dir.file_name().is_some_and(|name| name == "examples") {
                dir = dir.parent().unwrap_or(dir);
            }
            dir.join(format!("iru-fivetran{}", std::env::consts::EXE_SUFFIX))
        }
    };
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(&bin) else {
        return Err(format!(
            "{} not found\nhint: build it first with `cargo build --release`, or pass --bin PATH",
            bin.display()
        ));
    };
    // `cargo run --example` rebuilds the library, not the binary: warn when it looks stale.
    let me = std::env::current_exe().ok();
    if given.is_none()
        && me
            .as_deref()
            .and_then(modified)
            .is_some_and(|me| me > built)
    {
        eprintln!(
            "warning: {} is older than this benchmark; run `cargo build --release` if the source changed",
            bin.display()
        );
    }
    Ok(bin)
}

/// The text of `bin collect --help`.
pub(crate) fn collect_help(bin: &Path) -> Result<String, String> {
    let help = Command::new(bin)
        .args(["collect", "--help"])
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    Ok(String::from_utf8_lossy(&help.stdout).into_owned())
}

/// The default `--concurrency` the help text gives: the first number after "default" in the
/// flag's description ("(default 8, ...)" or clap's "[default: 8]").
pub(crate) fn default_concurrency(help: &str) -> Option<usize> {
    let flag = &help[help.find("--concurrency")?..];
    let after = &flag[flag.find("default")? + "default".len()..];
    after
        .trim_start_matches([' ', ':'])
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}
