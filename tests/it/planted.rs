//! Names planted in the folders the tool writes to, by someone who can write there: links at
//! the temporary names of `report --out`, `--summary-json` and `--archive` (the old
//! `<path>.partial`, predictable for the archive since it follows the bundle's name), and links
//! to nowhere at the bundle names of the next seconds. The files the links point to are never
//! written, the outputs are right and `0600`, and what a run collected is never thrown away.
//! Unix only (links, modes).

#![cfg(unix)]

use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{self, acme, arg, collect, run, server};

/// A file outside the output folders that a planted link points to: it must stay as it is.
struct Victim {
    path: PathBuf,
    text: String,
}

impl Victim {
    fn new(dir: &Path, name: &str) -> Self {
        let path = dir.join(name);
        let text = format!("victim {name}: must never be written\n");
        std::fs::write(&path, &text).expect("victim");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        Self { path, text }
    }

    fn assert_untouched(&self) {
        let now = std::fs::read_to_string(&self.path).expect("victim readable");
        assert_eq!(
            now,
            self.text,
            "{} was written through a link",
            self.path.display()
        );
        assert_eq!(mode(&self.path), 0o644, "{} mode", self.path.display());
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// A regular file (not a link), `0600`.
fn assert_private_file(path: &Path) {
    let meta = std::fs::symlink_metadata(path).expect("written");
    assert!(
        meta.file_type().is_file(),
        "{} is a regular file",
        path.display()
    );
    assert_eq!(mode(path), 0o600, "{}", path.display());
}

/// The names the bundle of a run starting now may get, one per second from 2 s ago to 20 s on
/// (the account of the fixture is `sterling_paddock`).
fn bundle_names_around_now() -> Vec<String> {
    let now = jiff::Timestamp::now();
    (-2..=20)
        .map(|offset| {
            let at = now + jiff::SignedDuration::from_secs(offset);
            format!(
                "fivetran-sterling_paddock-{}",
                at.strftime("%Y%m%dT%H%M%SZ")
            )
        })
        .collect()
}

#[test]
fn links_planted_at_temporary_names_are_never_written_through() {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let outside = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("evidence");
    std::fs::create_dir(&out).expect("mkdir");

    // --summary-json: its old temporary name, and a guess at a new-style one.
    let summary = dir.path().join("summary.json");
    let summary_victim = Victim::new(outside.path(), "summary");
    symlink(
        &summary_victim.path,
        dir.path().join("summary.json.partial"),
    )
    .expect("link");
    symlink(
        &summary_victim.path,
        dir.path().join("summary.json.partial-0000000000000000"),
    )
    .expect("link");
    // --archive: `<bundle>.tar.gz.partial` for every bundle name the run may get.
    let archive_victim = Victim::new(outside.path(), "archive");
    for name in bundle_names_around_now() {
        symlink(
            &archive_victim.path,
            out.join(format!("{name}.tar.gz.partial")),
        )
        .expect("link");
    }

    let summary_arg = summary.display().to_string();
    let collected = collect(
        &fake,
        &[
            "--out",
            arg(&out),
            "--archive",
            "--summary-json",
            &summary_arg,
        ],
    );
    collected.assert_code(0);
    summary_victim.assert_untouched();
    archive_victim.assert_untouched();

    assert_private_file(&summary);
    let written: Value =
        serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("json");
    assert_eq!(written["status"], "complete", "{written}");
    let bundle = collected.bundle();
    assert_eq!(written["bundle"], bundle.display().to_string());
    iru_fivetran_core::verify::verify(&bundle).expect("the bundle verifies");
    let archive = PathBuf::from(written["archive"]["path"].as_str().expect("archive"));
    assert_private_file(&archive);
    let bytes = std::fs::read(&archive).expect("archive");
    assert_eq!(
        written["archive"]["sha256"],
        iru_fivetran_core::files::sha256_hex(&bytes)
    );
    assert_eq!(
        &bytes[..2],
        [0x1f, 0x8b],
        "a gzip file, not the victim's text"
    );

    // report --out: its old temporary name, and a link at the destination itself.
    let report_victim = Victim::new(outside.path(), "report");
    let dest_victim = Victim::new(outside.path(), "dest");
    let page = dir.path().join("report.html");
    symlink(&report_victim.path, dir.path().join("report.html.partial")).expect("link");
    symlink(&dest_victim.path, &page).expect("link");
    let page_arg = page.display().to_string();
    let reported = run(
        &["report", arg(&bundle), "--out", &page_arg, "--quiet"],
        &[],
    );
    reported.assert_code(0);
    report_victim.assert_untouched();
    dest_victim.assert_untouched();
    assert_private_file(&page);
    let html = std::fs::read_to_string(&page).expect("report");
    assert!(html.contains("<html"), "the report, not the victim's text");
    support::assert_no_secret_in(&page);
}

/// Links to nowhere at the bundle's name for every second the run may start in: `exists()`
/// said free, the rename failed ("Not a directory"), the run exited 1 and threw away what it
/// had collected. The names are skipped instead.
#[test]
fn dangling_links_at_the_next_seconds_bundle_names_neither_fail_the_run_nor_lose_it() {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("evidence");
    std::fs::create_dir(&out).expect("mkdir");
    let names = bundle_names_around_now();
    for name in &names {
        symlink(dir.path().join("nowhere"), out.join(name)).expect("link");
    }

    let collected = collect(&fake, &["--resources", "roles", "--out", arg(&out)]);
    collected.assert_code(0);
    let bundle = collected.bundle();
    let name = bundle
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let base = name.strip_suffix("-2").expect("suffixed -2");
    assert!(names.iter().any(|n| n == base), "{name}");
    assert_eq!(collected.manifest()["bundle_id"], name.as_str());
    iru_fivetran_core::verify::verify(&bundle).expect("the bundle verifies");
    assert!(!dir.path().join("nowhere").exists(), "no link followed");
    for planted in &names {
        let meta = std::fs::symlink_metadata(out.join(planted)).expect("still there");
        assert!(meta.file_type().is_symlink(), "{planted} untouched");
    }
    assert!(
        support::entries(&out)
            .iter()
            .all(|e| !e.ends_with(".incomplete")),
        "nothing left behind"
    );
}
