//! docs/examples/cron/iru-fivetran-cron.sh: which bundles it keeps. It runs with bash against
//! a temporary out dir of fake bundles, with a fake `iru-fivetran` first on PATH that creates
//! one bundle directory (or a `.failed` one) and prints its path as the real one does. The
//! real binary is not run here, so no secret is involved.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const FAKE: &str = r#"#!/usr/bin/env bash
set -eu
printf '%s\n' "$*" > "$FAKE_ARGS"
out=
while [ $# -gt 0 ]; do
  if [ "$1" = --out ]; then out=$2; shift; fi
  shift
done
mkdir -p "$out"
if [ "$FAKE_EXIT" = 1 ]; then
  mkdir "$out/$FAKE_NAME.failed"
else
  mkdir "$out/$FAKE_NAME"
  if [ -n "${FAKE_BASELINE-}" ]; then
    printf '%s' "$FAKE_BASELINE" > "$out/$FAKE_NAME/changes.json"
  fi
  printf '%s\n' "$out/$FAKE_NAME"
fi
exit "$FAKE_EXIT"
"#;

fn bash_available() -> bool {
    Command::new("bash")
        .args(["-c", "exit 0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

struct Cron {
    tmp: tempfile::TempDir,
}

impl Cron {
    /// A temp dir with `bin/iru-fivetran` (the fake) and `out/` holding `entries`: names
    /// ending in `.tar.gz` or `.txt` are files, the rest directories.
    fn new(entries: &[&str]) -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let bin = tmp.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin dir");
        let fake = bin.join("iru-fivetran");
        std::fs::write(&fake, FAKE).expect("fake written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755))
                .expect("fake executable");
        }
        let out = tmp.path().join("out");
        std::fs::create_dir_all(&out).expect("out dir");
        for name in entries {
            let path = out.join(name);
            if name.ends_with(".tar.gz") || name.ends_with(".txt") {
                std::fs::write(&path, b"x").expect("file");
            } else {
                std::fs::create_dir(&path).expect("dir");
                std::fs::write(path.join("manifest.json"), b"{}").expect("manifest");
            }
        }
        Cron { tmp }
    }

    fn out(&self) -> PathBuf {
        self.tmp.path().join("out")
    }

    /// Runs the script with `IRU_FIVETRAN_KEEP=keep`; the fake writes `name` and exits `exit`.
    fn run(&self, keep: &str, name: &str, exit: u8, extra: &[&str]) -> Output {
        self.run_with(&[("IRU_FIVETRAN_KEEP", keep)], name, exit, extra)
    }

    /// Runs the script with `env` (besides the out dir, the credentials path and the fake's
    /// settings); the fake writes `name` and exits `exit`.
    fn run_with(&self, env: &[(&str, &str)], name: &str, exit: u8, extra: &[&str]) -> Output {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/cron/iru-fivetran-cron.sh");
        let path = format!(
            "{}:{}",
            self.tmp.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("bash")
            .arg(script)
            .args(extra)
            .env_clear()
            .env("PATH", path)
            .env("IRU_FIVETRAN_OUT_DIR", self.out())
            .envs(env.iter().copied())
            .env(
                "IRU_FIVETRAN_CREDENTIALS_FILE",
                "/etc/iru-fivetran/test.toml",
            )
            .env("FAKE_ARGS", self.tmp.path().join("args"))
            .env("FAKE_NAME", name)
            .env("FAKE_EXIT", exit.to_string())
            .output()
            .expect("bash runs")
    }

    fn args(&self) -> String {
        std::fs::read_to_string(self.tmp.path().join("args")).expect("fake was called")
    }

    /// What is left under the out dir, sorted.
    fn left(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.out())
            .expect("out dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort();
    names
}

/// Bundles of account `acme` over five days, a failed run, two other accounts (one whose id
/// starts like acme's), an unrelated file and another run's temporary directory.
const POPULATED: &[&str] = &[
    "fivetran-acme-20261101T021500Z",
    "fivetran-acme-20261101T021500Z.tar.gz",
    "fivetran-acme-20261102T021500Z.tar.gz",
    "fivetran-acme-20261103T021500Z.failed",
    "fivetran-acme-20261104T021500Z",
    "fivetran-acme-20261105T021500Z",
    "fivetran-acme-20261105T021500Z.tar.gz",
    "fivetran-acme-20261105T021500Z-2",
    "fivetran-acme-20261105T021500Z-10",
    "fivetran-acme-eu-20261101T021500Z",
    "fivetran-other-20261101T021500Z",
    "notes.txt",
    ".iru-fivetran-20261106T021500Z-42.incomplete",
];

/// What survives KEEP=2 after the new bundle: the two newest acme bundles (-10 was written
/// after -2, in the same second), the failed run's evidence, and everything that is not an
/// acme bundle.
const SURVIVORS: &[&str] = &[
    "fivetran-acme-20261106T021500Z",
    "fivetran-acme-20261105T021500Z-10",
    "fivetran-acme-20261103T021500Z.failed",
    "fivetran-acme-eu-20261101T021500Z",
    "fivetran-other-20261101T021500Z",
    "notes.txt",
    ".iru-fivetran-20261106T021500Z-42.incomplete",
];

#[test]
fn cron_wrapper_keeps_the_newest_bundles_of_the_account_with_their_archives() {
    if !bash_available() {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let cron = Cron::new(POPULATED);
    let out = cron.run("2", "fivetran-acme-20261106T021500Z", 0, &["--archive"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    // Silent on success, so cron mails nothing.
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    assert_eq!(cron.left(), sorted(SURVIVORS));
    let args = cron.args();
    assert!(args.starts_with("collect -q "), "{args}");
    assert!(
        args.contains("--credentials-file /etc/iru-fivetran/test.toml"),
        "{args}"
    );
    assert!(args.trim_end().ends_with("--archive"), "{args}");
}

#[test]
fn cron_wrapper_prunes_after_a_partial_run_and_says_it_was_partial() {
    if !bash_available() {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let cron = Cron::new(POPULATED);
    let out = cron.run("2", "fivetran-acme-20261106T021500Z", 3, &[]);
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("partial bundle"), "{stderr}");
    assert!(
        stderr.contains("fivetran-acme-20261106T021500Z"),
        "{stderr}"
    );
    assert_eq!(cron.left(), sorted(SURVIVORS));
}

#[test]
fn cron_wrapper_prunes_nothing_after_a_failure_and_names_the_evidence_kept() {
    if !bash_available() {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let cron = Cron::new(POPULATED);
    let out = cron.run("1", "fivetran-acme-20261106T021500Z", 1, &[]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("collect exited 1"), "{stderr}");
    assert!(
        stderr.contains("fivetran-acme-20261106T021500Z.failed"),
        "the new failure is logged: {stderr}"
    );
    assert!(
        !stderr.contains("20261103T021500Z.failed"),
        "an older failure was logged when it happened: {stderr}"
    );
    let mut expected: Vec<&str> = POPULATED.to_vec();
    expected.push("fivetran-acme-20261106T021500Z.failed");
    assert_eq!(cron.left(), sorted(&expected));
}

#[test]
fn cron_wrapper_never_prunes_the_bundle_it_just_wrote() {
    if !bash_available() {
        eprintln!("skipped: bash is not installed");
        return;
    }
    // The clock went back: the new bundle's stamp is older than the newest one there.
    let cron = Cron::new(&[
        "fivetran-acme-20261105T021500Z",
        "fivetran-acme-20261104T021500Z",
    ]);
    let out = cron.run("1", "fivetran-acme-20261101T021500Z", 0, &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(
        cron.left(),
        sorted(&[
            "fivetran-acme-20261101T021500Z",
            "fivetran-acme-20261105T021500Z"
        ])
    );
}

#[test]
fn cron_wrapper_refuses_a_keep_that_is_not_a_positive_number() {
    if !bash_available() {
        eprintln!("skipped: bash is not installed");
        return;
    }
    for keep in ["0", "-1", "3x"] {
        let cron = Cron::new(&["fivetran-acme-20261105T021500Z"]);
        let out = cron.run(keep, "fivetran-acme-20261106T021500Z", 0, &[]);
        assert_eq!(out.status.code(), Some(2), "keep {keep:?}");
        assert!(
            text(&out.stderr).contains("IRU_FIVETRAN_KEEP"),
            "keep {keep:?}"
        );
        // Refused before collect runs: nothing new, nothing removed.
        assert_eq!(cron.left(), ["fivetran-acme-20261105T021500Z"]);
    }
}

/// A bundle name of account `acme` for a run that started `back` before now.
fn acme_bundle(back: jiff::Span) -> String {
    let at = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .checked_sub(back)
        .expect("a date");
    format!("fivetran-acme-{}", at.strftime("%Y%m%dT%H%M%SZ"))
}

/// A changes.json, as collect writes it (canonical JSON), whose baseline is `bundle_id`.
fn changes_against(bundle_id: &str) -> String {
    format!(
        "{{\n  \"baseline\": {{\n    \"account_id\": \"acme\",\n    \"bundle_id\": \"{bundle_id}\",\n    \"started_at\": \"2026-01-01T00:00:00Z\"\n  }},\n  \"count\": 0,\n  \"items\": []\n}}\n"
    )
}

#[test]
fn cron_wrapper_keeps_thirteen_months_of_bundles_by_default() {
    if !bash_available() {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let old = acme_bundle(jiff::Span::new().months(14));
    let just_over = acme_bundle(jiff::Span::new().months(13).days(2));
    let within = acme_bundle(jiff::Span::new().months(12).days(20));
    let recent = acme_bundle(jiff::Span::new().days(1));
    let new = acme_bundle(jiff::Span::new());
    let archive = format!("{old}.tar.gz");
    let cron = Cron::new(&[&old, &archive, &just_over, &within, &recent]);
    let out = cron.run_with(&[], &new, 0, &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    assert_eq!(cron.left(), sorted(&[&within, &recent, &new]));
}

#[test]
fn cron_wrapper_keeps_the_bundle_a_kept_change_log_was_counted_from() {
    if !bash_available() {
        eprintln!("skipped: bash is not installed");
        return;
    }
    // By age: the oldest kept bundle compared itself with one from 20 months ago.
    let baseline = acme_bundle(jiff::Span::new().months(20));
    let other_old = acme_bundle(jiff::Span::new().months(19));
    let kept = acme_bundle(jiff::Span::new().months(12));
    let new = acme_bundle(jiff::Span::new());
    let cron = Cron::new(&[&baseline, &other_old, &kept]);
    std::fs::write(
        cron.out().join(&kept).join("changes.json"),
        changes_against(&baseline),
    )
    .expect("changes.json");
    let out = cron.run_with(&[], &new, 0, &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(cron.left(), sorted(&[&baseline, &kept, &new]));

    // By count: KEEP=1 keeps the new bundle, and the bundle its own changes.json names.
    let cron = Cron::new(&POPULATED[..2]);
    let out = cron.run_with(
        &[
            ("IRU_FIVETRAN_KEEP", "1"),
            (
                "FAKE_BASELINE",
                &changes_against("fivetran-acme-20261101T021500Z"),
            ),
        ],
        "fivetran-acme-20261106T021500Z",
        0,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(
        cron.left(),
        sorted(&[
            "fivetran-acme-20261101T021500Z",
            "fivetran-acme-20261101T021500Z.tar.gz",
            "fivetran-acme-20261106T021500Z"
        ])
    );
}

#[test]
fn cron_wrapper_refuses_months_that_are_not_a_positive_number() {
    if !bash_available() {
        eprintln!("skipped: bash is not installed");
        return;
    }
    for months in ["0", "-1", "13m"] {
        let cron = Cron::new(&["fivetran-acme-20261105T021500Z"]);
        let out = cron.run_with(
            &[("IRU_FIVETRAN_KEEP_MONTHS", months)],
            "fivetran-acme-20261106T021500Z",
            0,
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "months {months:?}");
        assert!(
            text(&out.stderr).contains("IRU_FIVETRAN_KEEP_MONTHS"),
            "months {months:?}"
        );
        assert_eq!(cron.left(), ["fivetran-acme-20261105T021500Z"]);
    }
}
