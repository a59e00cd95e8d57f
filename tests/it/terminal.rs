//! What a person at a terminal sees, and what pipes, cron mail and CI logs do not: progress
//! lines and colour only on a terminal (a pseudo-terminal from `script` here), colour off with
//! `NO_COLOR` or `--color never`, and the summary table either way unless `-q`.

use std::process::Command;

use crate::support;

/// Runs `demo --out DIR extra...` under a pseudo-terminal and returns what it drew; `None`
/// where util-linux `script` is not installed.
fn under_a_terminal(extra: &[&str], env: &[(&str, &str)]) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let out = tempfile::tempdir().expect("tmp");
    let mut line = format!(
        "{} demo --out {}",
        env!("CARGO_BIN_EXE_iru-fivetran"),
        out.path().display()
    );
    for arg in extra {
        line.push(' ');
        line.push_str(arg);
    }
    let mut cmd = Command::new(script);
    cmd.env_clear()
        .env("TERM", "xterm-256color")
        .env("SHELL", "/bin/sh")
        .env("PATH", "/usr/bin:/bin")
        .args(["-qec", &line, "/dev/null"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("script runs");
    assert!(output.status.success(), "{output:?}");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// An SGR colour sequence, as the log lines' levels use (`ESC[32m` and the like).
fn has_colour(text: &str) -> bool {
    text.contains("\u{1b}[32m") || text.contains("\u{1b}[33m") || text.contains("\u{1b}[31m")
}

/// indicatif redraws its lines by clearing them (`ESC[2K`).
fn has_progress(text: &str) -> bool {
    text.contains("\u{1b}[2K")
}

#[test]
fn progress_and_colour_appear_on_a_terminal_only() {
    let Some(drawn) = under_a_terminal(&[], &[]) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert!(has_progress(&drawn), "{drawn:?}");
    assert!(has_colour(&drawn), "{drawn:?}");
    assert!(
        drawn.contains("requests"),
        "the header counts requests: {drawn:?}"
    );
    assert!(
        drawn.contains("hybrid_deployment_agents  unavailable"),
        "summary: {drawn:?}"
    );

    // Piped (the usual test run): plain lines, no escape at all, the summary table still.
    let out = tempfile::tempdir().expect("tmp");
    let dir = out.path().join("d");
    let run = support::run(&["demo", "--out", dir.to_str().expect("utf8")], &[]);
    run.assert_code(0);
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
    assert!(run.stderr.contains("artifact"), "{}", run.stderr);
    // The spreadsheet exports are rows of the summary table too.
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("access.csv ") && l.ends_with("CSV of access.json")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("INFO"),
        "plain log lines: {}",
        run.stderr
    );
}

#[test]
fn no_color_and_color_never_keep_the_progress_but_drop_the_colour() {
    for (extra, env) in [
        (&[][..], &[("NO_COLOR", "1")][..]),
        (&["--color", "never"][..], &[][..]),
    ] {
        let Some(drawn) = under_a_terminal(extra, env) else {
            return;
        };
        assert!(!has_colour(&drawn), "{extra:?} {env:?}: {drawn:?}");
        assert!(has_progress(&drawn), "{extra:?} {env:?}: {drawn:?}");
    }
}

#[test]
fn quiet_draws_nothing_even_on_a_terminal() {
    let Some(drawn) = under_a_terminal(&["-q"], &[]) else {
        return;
    };
    assert!(!has_progress(&drawn), "{drawn:?}");
    assert!(!drawn.contains("artifact"), "no summary with -q: {drawn:?}");
    // Only the bundle path.
    assert_eq!(drawn.trim().lines().count(), 1, "{drawn:?}");
}

/// Runs `line` (a shell command line) under a pseudo-terminal: its exit code and what it
/// drew; `None` where util-linux `script` is not installed.
fn in_a_terminal(line: &str) -> Option<(i32, String)> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let output = Command::new(script)
        .env_clear()
        .env("TERM", "xterm-256color")
        .env("SHELL", "/bin/sh")
        .env("PATH", "/usr/bin:/bin")
        .args(["-qec", line, "/dev/null"])
        .output()
        .expect("script runs");
    let code = output.status.code().expect("exit code");
    Some((code, String::from_utf8_lossy(&output.stdout).into_owned()))
}

#[test]
fn an_html_report_is_not_poured_onto_a_terminal() {
    let bundle = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/bundle");
    let bin = env!("CARGO_BIN_EXE_iru-fivetran");
    let Some((code, drawn)) = in_a_terminal(&format!("{bin} report {}", bundle.display())) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert_eq!(code, 2, "{drawn}");
    assert!(!drawn.contains("<html"), "{drawn}");
    assert!(drawn.contains("--out report.html"), "{drawn}");
    // Markdown reads on a terminal, and a pipe still gets the page.
    let (code, drawn) = in_a_terminal(&format!("{bin} report {} --format md", bundle.display()))
        .expect("script is there");
    assert_eq!(code, 0, "{drawn}");
    assert!(drawn.contains("# "), "{drawn}");
    let (code, drawn) =
        in_a_terminal(&format!("{bin} report {} | head -c 200", bundle.display())).expect("script");
    assert_eq!(code, 0, "{drawn}");
    assert!(
        drawn.contains("<!DOCTYPE html>") || drawn.contains("<html"),
        "{drawn}"
    );
}
