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

/// `text` without its escape sequences (colours, cursor moves) and carriage returns.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[test]
fn at_a_terminal_the_bars_say_it_all_and_are_gone_before_the_table() {
    let Some(drawn) = under_a_terminal(&[], &[]) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert!(has_progress(&drawn), "{drawn:?}");
    // An artifact waiting for its first request says so.
    assert!(drawn.contains("queued"), "{drawn:?}");
    let text = plain(&drawn);
    // No log line per artifact or per spreadsheet export while the bars show them.
    for line in text.lines().filter(|l| l.contains(" INFO ")) {
        let message = line.split(" INFO ").nth(1).unwrap_or_default().trim_start();
        assert!(
            !support::ARTIFACTS
                .iter()
                .any(|a| message.starts_with(&format!("{a}: ")))
                && !message.contains(".csv: "),
            "a line per artifact under the bars: {line}"
        );
    }
    // Log times to the second: `2026-12-06T19:45:25Z`, no microseconds.
    let stamp = text
        .lines()
        .find_map(|l| l.split(" INFO ").next().filter(|_| l.contains(" INFO ")))
        .and_then(|before| before.split_whitespace().last())
        .expect("an INFO line");
    assert_eq!(stamp.len(), 20, "{stamp}");
    assert!(stamp.ends_with('Z') && !stamp.contains('.'), "{stamp}");
    // The table comes after the bars are cleared, and nothing is redrawn after it.
    let table = drawn.find("artifact ").expect("the table");
    let after = &drawn[table..];
    assert!(
        !after.contains("\u{1b}[2K"),
        "redrawn after the table: {after:?}"
    );
    assert!(
        !after.contains("item(s)"),
        "a bar after the table: {after:?}"
    );
    assert!(
        !after.contains("queued"),
        "a bar after the table: {after:?}"
    );
    // It ends with one verdict line (the demo then says its own next steps).
    let verdicts: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("complete: ") || l.starts_with("partial: "))
        .collect();
    assert_eq!(verdicts, ["complete: all 26 artifacts whole"], "{text}");
}

#[test]
fn a_run_ends_with_one_verdict_line_and_the_next_command() {
    let fake = support::server(support::acme());
    let run = support::collect(&fake, &[]);
    run.assert_code(0);
    let bundle = run.bundle();
    let last = run.stderr.lines().last().expect("stderr");
    assert_eq!(
        last,
        format!(
            "complete: all 26 artifacts whole; next: iru-fivetran report {} --out report.html",
            bundle.display()
        ),
        "{}",
        run.stderr
    );

    // A partial run names what is not whole; -q and JSON logs stay as they were.
    let mut account = support::acme();
    account
        .forbidden
        .insert("/v1/teams".into(), "Access denied".into());
    let fake = support::server(account);
    let run = support::collect(&fake, &[]);
    run.assert_code(3);
    let verdict = run.stderr.lines().last().expect("stderr");
    assert!(
        verdict.starts_with("partial: ")
            && verdict.contains("artifacts not whole (teams")
            && verdict.ends_with(&format!(
                "next: iru-fivetran report {} --out report.html",
                run.bundle().display()
            )),
        "{}",
        run.stderr
    );
    for quiet in [&["-q"][..], &["--log-format", "json"][..]] {
        let run = support::collect(&fake, quiet);
        run.assert_code(3);
        assert!(
            !run.stderr.contains("next: iru-fivetran"),
            "{quiet:?}: {}",
            run.stderr
        );
    }
}
