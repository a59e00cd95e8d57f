//! Signals mid-run: SIGINT, SIGTERM, SIGHUP or SIGQUIT while a request is in flight stops the
//! run promptly, removes the temporary bundle and leaves nothing under `--out`; so do two
//! signals at once, and a signal while a DNS lookup is stuck. Unix only.

#![cfg(unix)]

#[cfg(target_os = "linux")]
use std::path::{Path, PathBuf};
#[cfg(target_os = "linux")]
use std::process::Command;
use std::time::{Duration, Instant};

use iru_fivetran_fake::{Fault, Transport};

use crate::support::{self, acme, server};
#[cfg(target_os = "linux")]
use crate::support::{KEY, SECRET, arg};

/// A stall far longer than any test waits: only a cancelled run ends before it.
const STALL: Duration = Duration::from_secs(30);

/// Runs `users,roles` with `/v1/roles` stalled, sends `signals` once the stalled request has
/// arrived, and checks what must hold whatever the signals: a prompt exit, nothing at all left
/// under `--out`, no request after the signals, no secret anywhere (the temporary directory is
/// scanned mid-run, before it is removed).
fn interrupt_mid_request(signals: &[&str]) -> support::Run {
    let fake = server(acme());
    let empty_page = r#"{"code":"Success","data":{"items":[]}}"#;
    fake.inject(Fault::transport(
        "/v1/roles",
        Transport::Stall(STALL),
        empty_page,
    ));
    let child = support::spawn_collect(&fake, &["--resources", "users,roles"]);
    support::wait_for("the stalled request", Duration::from_secs(10), || {
        fake.requests().iter().any(|r| r.path == "/v1/roles")
    });
    let out = child.out_dir();
    let during = support::entries(&out);
    assert_eq!(during.len(), 1, "{during:?}");
    assert!(
        during[0].starts_with(".iru-fivetran-") && during[0].ends_with(".incomplete"),
        "only the temporary directory exists mid-run: {during:?}"
    );
    let tmp = out.join(&during[0]);
    // Users are read alongside the stalled roles and written when they are done.
    support::wait_for("users.json", Duration::from_secs(10), || {
        tmp.join("users.json").is_file()
    });
    support::assert_no_secret_under(&tmp);
    let sent = fake.requests().len();

    let signalled = Instant::now();
    for signal in signals {
        child.signal(signal);
    }
    let run = child.wait(Duration::from_secs(10));
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        signalled.elapsed()
    );
    assert!(run.stdout.is_empty(), "no bundle path: {}", run.stdout);
    assert_eq!(
        support::entries(&out),
        Vec::<String>::new(),
        "no bundle, no .incomplete"
    );
    assert_eq!(fake.requests().len(), sent, "no request after the signal");
    run
}

#[test]
fn sigint_mid_request_stops_removes_the_temporary_bundle_and_exits_130() {
    let run = interrupt_mid_request(&["INT"]);
    run.assert_code(130);
    assert!(
        run.stderr.contains("interrupted by SIGINT")
            && run.stderr.contains("temporary directory was removed"),
        "{}",
        run.stderr
    );
}

#[test]
fn sigterm_mid_request_stops_removes_the_temporary_bundle_and_exits_143() {
    let run = interrupt_mid_request(&["TERM"]);
    run.assert_code(143);
    assert!(
        run.stderr.contains("interrupted by SIGTERM"),
        "{}",
        run.stderr
    );
}

/// SIGHUP (the terminal closed, an SSH session dropped) killed the run and left its
/// `.incomplete` directory, personal data included; it is handled like SIGINT.
#[test]
fn sighup_mid_request_stops_removes_the_temporary_bundle_and_exits_129() {
    let run = interrupt_mid_request(&["HUP"]);
    run.assert_code(129);
    assert!(
        run.stderr.contains("interrupted by SIGHUP")
            && run.stderr.contains("temporary directory was removed"),
        "{}",
        run.stderr
    );
}

/// SIGQUIT (Ctrl-\) dumped core and left the `.incomplete` directory; it is handled like
/// SIGINT.
#[test]
fn sigquit_mid_request_stops_removes_the_temporary_bundle_and_exits_131() {
    let run = interrupt_mid_request(&["QUIT"]);
    run.assert_code(131);
    assert!(
        run.stderr.contains("interrupted by SIGQUIT"),
        "{}",
        run.stderr
    );
}

/// Two signals back to back: the first cancels (130); the second either arrives while the
/// second-signal listener is up (`std::process::exit(143)`) or after it, when it is swallowed.
/// Either way the exit is prompt and nothing is left. This cannot isolate "a second signal ends
/// it at once": the first signal's cleanup (dropping the run, which removes the temporary
/// directory) is over before the listener exists. See the ignored test below for the case
/// where it matters.
#[test]
fn two_signals_in_quick_succession_still_exit_promptly_and_leave_nothing() {
    let run = interrupt_mid_request(&["INT", "TERM"]);
    assert!(
        run.code == 130 || run.code == 143,
        "exit {}\n{}",
        run.code,
        run.stderr
    );
}

/// The one case where a second signal matters: a first signal while a DNS lookup is stuck.
/// reqwest resolves names with `getaddrinfo` on tokio's blocking pool; after the first signal
/// `collect_command` drops the runtime, which waits for every blocking task, and the
/// second-signal listener (a task on that runtime) is already gone. Here `/etc/hosts` is a FIFO
/// (bind-mounted in a private mount namespace, so only the child sees it) that no one ever
/// opens for writing: the lookup of `localhost` never returns.
///
/// Before the fix (src/lib.rs, `collect_command` calls `runtime.shutdown_background()` on the
/// signal path) neither the first nor the second SIGINT ended the process.
#[cfg(target_os = "linux")]
#[test]
fn a_signal_during_a_stuck_dns_lookup_still_ends_the_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = dir.path().join("hosts");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let unshare = Path::new("/usr/bin/unshare");
    if !made.is_ok_and(|s| s.success()) || !unshare.exists() {
        eprintln!("skipped: needs mkfifo and unshare");
        return;
    }
    let script = r#"mount --bind "$FIFO" /etc/hosts || exit 99; exec "$0" "$@""#;
    let fifo_arg = format!("FIFO={}", arg(&fifo));
    let child = support::spawn_via(
        &[
            "/usr/bin/unshare",
            "--mount",
            "--propagation",
            "private",
            "/usr/bin/env",
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            &fifo_arg,
            "/bin/sh",
            "-c",
            script,
        ],
        &["collect", "--api-url", "http://localhost:9/v1"],
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    );
    // The lookup's thread waits in the kernel for a writer that never comes.
    let tasks = PathBuf::from(format!("/proc/{}/task", child.pid()));
    support::wait_for(
        "a thread blocked opening /etc/hosts",
        Duration::from_secs(10),
        || {
            std::fs::read_dir(&tasks).is_ok_and(|dir| {
                dir.flatten().any(|task| {
                    std::fs::read_to_string(task.path().join("wchan"))
                        .is_ok_and(|w| w == "wait_for_partner")
                })
            })
        },
    );
    child.signal("INT");
    // The second SIGINT comes once the first one's cleanup has removed the temporary directory
    // (made before the lookup): the run is then past listening for a second signal, as when a
    // person presses Ctrl-C again because the first seemed to do nothing.
    let out = child.out_dir();
    support::wait_for("the first signal's cleanup", Duration::from_secs(3), || {
        support::entries(&out).is_empty()
    });
    child.signal("INT");
    let run = child.wait(Duration::from_secs(3));
    run.assert_code(130);
}
