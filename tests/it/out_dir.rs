//! The output directory (`--out`): missing (created with its parents), under a file, full,
//! read-only, holding a bundle of the same name, and written by two runs at once. A run that
//! cannot write fails naming the path and leaves earlier bundles as they were. The tests that
//! need mounts or Unix tools are Unix only.

use std::collections::BTreeSet;
#[cfg(unix)]
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::process::Command;
#[cfg(unix)]
use std::time::Duration;

use crate::support::{self, KEY, SECRET, acme, arg, collect, run, server};

#[test]
fn a_missing_out_directory_is_created_with_its_parents() {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("a").join("b c").join("evidence");
    let run = collect(&fake, &["--resources", "roles", "--out", arg(&out)]);
    run.assert_code(0);
    assert_eq!(run.bundle().parent(), Some(out.as_path()));
    assert!(iru_fivetran_core::verify::verify(&run.bundle()).is_ok());
}

#[test]
fn an_unwritable_output_fails_before_any_request() {
    let fake = server(acme());
    let url = fake.api_url();
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    let out = file.join("evidence");
    let out_arg = out.to_str().expect("utf8");
    let r = run(
        &["collect", "--api-url", &url, "--out", out_arg],
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    );
    r.assert_code(1);
    assert!(
        r.stderr.contains("cannot write") && r.stderr.contains("not-a-dir"),
        "{}",
        r.stderr
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn a_taken_bundle_name_gets_a_suffix_and_the_taken_one_is_untouched() {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("evidence");
    // Take every name the run can pick: its stamp is the second it starts.
    let now = jiff::Timestamp::now();
    let mut taken = BTreeSet::new();
    for offset in -2..=15 {
        let at = now + jiff::SignedDuration::from_secs(offset);
        let name = format!(
            "fivetran-sterling_paddock-{}",
            at.strftime("%Y%m%dT%H%M%SZ")
        );
        let path = out.join(&name);
        std::fs::create_dir_all(&path).expect("mkdir");
        std::fs::write(path.join("marker"), name.as_bytes()).expect("marker");
        taken.insert(name);
    }
    let before = support::snapshot(&out);

    let run = collect(&fake, &["--resources", "roles", "--out", arg(&out)]);
    run.assert_code(0);
    let bundle = run.bundle();
    let name = bundle
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let base = name.strip_suffix("-2").expect("suffixed -2");
    assert!(taken.contains(base), "{name}");
    assert_eq!(run.manifest()["bundle_id"], name.as_str());
    assert!(iru_fivetran_core::verify::verify(&bundle).is_ok());
    let mut after = support::snapshot(&out);
    after.retain(|path, _| !path.starts_with(&name));
    assert_eq!(after, before, "the taken directories are untouched");
}

#[cfg(unix)]
#[test]
fn two_runs_at_once_into_the_same_out_give_two_complete_distinct_bundles() {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("evidence");
    let first = support::spawn_collect(&fake, &["--out", arg(&out)]);
    let second = support::spawn_collect(&fake, &["--out", arg(&out)]);
    let runs = [
        first.wait(Duration::from_secs(60)),
        second.wait(Duration::from_secs(60)),
    ];
    let mut bundles = BTreeSet::new();
    for run in &runs {
        run.assert_code(0);
        let bundle = run.bundle();
        assert_eq!(bundle.parent(), Some(out.as_path()));
        let name = bundle.file_name().expect("name").to_string_lossy();
        assert_eq!(run.manifest()["bundle_id"], name.as_ref());
        let sums = Command::new("sha256sum")
            .args(["-c", "--quiet", "SHA256SUMS"])
            .current_dir(&bundle)
            .output()
            .expect("sha256sum runs");
        assert!(
            sums.status.success(),
            "{}",
            String::from_utf8_lossy(&sums.stdout)
        );
        if let Err(e) = iru_fivetran_core::verify::verify(&bundle) {
            panic!("{}: {e}", bundle.display());
        }
        bundles.insert(bundle);
    }
    assert_eq!(bundles.len(), 2, "distinct: {bundles:?}");
    assert_eq!(support::entries(&out).len(), 2, "nothing else left");
}

// ---------------------------------------------------------------------------------------------
// A full or read-only disk (a tmpfs, as root)

/// A tmpfs mounted for one test, unmounted when dropped (also when the test fails).
#[cfg(unix)]
struct Tmpfs {
    dir: PathBuf,
}

#[cfg(unix)]
impl Tmpfs {
    /// Mounts a tmpfs of `size` on `dir`; `None` (with a note on stderr) without the right to.
    fn mount(dir: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).expect("mount point");
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Self {
                dir: dir.to_owned(),
            }),
            Ok(o) => {
                eprintln!(
                    "skipped: needs root to mount a tmpfs: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: needs root to mount a tmpfs: {e}");
                None
            }
        }
    }

    fn remount_read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.dir)
            .status()
            .expect("mount runs");
        assert!(status.success(), "remount read-only");
    }
}

#[cfg(unix)]
impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// The one bundle directory under `out`.
#[cfg(unix)]
fn only_bundle(out: &Path) -> PathBuf {
    let entries = support::entries(out);
    assert_eq!(entries.len(), 1, "{entries:?}");
    out.join(&entries[0])
}

#[cfg(unix)]
#[test]
fn a_full_disk_fails_naming_the_path_and_keeps_earlier_bundles_intact() {
    let dir = tempfile::tempdir().expect("tmp");
    let Some(mount) = Tmpfs::mount(&dir.path().join("small"), "64k") else {
        return;
    };
    let out = mount.dir.join("evidence");
    let fake = server(acme());
    // A small earlier bundle fits (a few pages); a whole account does not.
    let earlier = collect(&fake, &["--resources", "roles", "--out", arg(&out)]);
    earlier.assert_code(0);
    let earlier_dir = only_bundle(&out);
    let before = support::snapshot(&earlier_dir);

    let run = collect(&fake, &["--out", arg(&out)]);
    run.assert_code(1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains(&format!("cannot write {}/", arg(&out)))
            && run.stderr.contains("No space left on device")
            && run.stderr.contains("hint:"),
        "{}",
        run.stderr
    );
    assert_eq!(only_bundle(&out), earlier_dir, "nothing half-written left");
    assert_eq!(
        support::snapshot(&earlier_dir),
        before,
        "earlier bundle untouched"
    );
    drop(mount);
}

#[cfg(unix)]
#[test]
fn a_read_only_out_fails_before_any_request_and_keeps_earlier_bundles_intact() {
    let dir = tempfile::tempdir().expect("tmp");
    let Some(mount) = Tmpfs::mount(&dir.path().join("ro"), "1m") else {
        return;
    };
    let out = mount.dir.join("evidence");
    let fake = server(acme());
    let earlier = collect(&fake, &["--resources", "roles", "--out", arg(&out)]);
    earlier.assert_code(0);
    let earlier_dir = only_bundle(&out);
    let before = support::snapshot(&earlier_dir);
    let requests = fake.requests().len();
    // root ignores permission bits, so a read-only mount is the honest "unwritable" here.
    mount.remount_read_only();

    let nested = out.join("new").join("sub");
    for target in [&out, &nested] {
        let run = collect(&fake, &["--out", arg(target)]);
        run.assert_code(1);
        assert!(
            run.stderr.contains(&format!("cannot write {}", arg(&out)))
                && run.stderr.contains("Read-only file system"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(fake.requests().len(), requests, "no request was made");
    assert_eq!(only_bundle(&out), earlier_dir);
    assert_eq!(support::snapshot(&earlier_dir), before);
    drop(mount);
}

// ---------------------------------------------------------------------------------------------
// `--out` naming a bundle

/// `collect --out BUNDLE` wrote a new bundle inside the old one, which then stopped verifying;
/// `demo --out BUNDLE` too. Both are refused before anything is written or requested, naming
/// the folder to give instead.
#[test]
fn an_out_that_is_a_bundle_or_inside_one_is_refused_and_the_bundle_stays_intact() {
    let fake = server(acme());
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("evidence");
    let first = collect(&fake, &["--resources", "roles", "--out", arg(&out)]);
    first.assert_code(0);
    let bundle = first.bundle();
    let before = support::snapshot(&bundle);
    let requests = fake.requests().len();
    let folder = out.canonicalize().expect("resolved").display().to_string();

    let inside = bundle.join("more");
    for (target, said) in [
        (
            &bundle,
            "is a bundle (it holds manifest.json and SHA256SUMS)",
        ),
        (&inside, "is inside the bundle"),
    ] {
        let refused = collect(&fake, &["--resources", "roles", "--out", arg(target)]);
        refused.assert_code(2);
        assert!(refused.stdout.is_empty(), "{}", refused.stdout);
        for needle in [
            said,
            "fail verification",
            &format!("hint: give the directory that holds the bundles, e.g. --out {folder}"),
        ] {
            assert!(
                refused.stderr.contains(needle),
                "{needle}:\n{}",
                refused.stderr
            );
        }
    }
    let demo = run(&["demo", "--out", arg(&bundle), "--quiet"], &[]);
    demo.assert_code(2);
    assert!(demo.stderr.contains("is a bundle"), "{}", demo.stderr);

    assert_eq!(fake.requests().len(), requests, "no request was made");
    assert_eq!(
        support::snapshot(&bundle),
        before,
        "the bundle is untouched"
    );
    assert!(!inside.exists(), "nothing created inside it");
    iru_fivetran_core::verify::verify(&bundle).expect("still verifies");
    // The folder of bundles is what --out is for.
    let again = collect(&fake, &["--resources", "roles", "--out", arg(&out)]);
    again.assert_code(0);
}
