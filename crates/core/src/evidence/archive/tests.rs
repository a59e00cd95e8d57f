//! Tests of [`super`]: the archive is a function of the bundle's name and contents only.

use super::*;
use crate::evidence::bundle::Bundle;
use sha2::{Digest as _, Sha256};

const STARTED: &str = "2026-11-27T03:01:40Z";

/// A finished bundle named `fivetran-acc-x` under `out`.
fn bundle(out: &Path) -> PathBuf {
    let mut b = Bundle::create(out, "s").expect("create");
    b.write("users.json", b"{\"items\": [\"Ada\"]}\n")
        .expect("users");
    b.write("account.json", b"{}\n").expect("account");
    b.finish("fivetran-acc-x", manifest::FILE_NAME, |id| {
        format!("{{\"bundle_id\": \"{id}\", \"started_at\": \"{STARTED}\"}}\n").into_bytes()
    })
    .expect("finish")
}

/// The archive's entries: path, mode, uid, gid, mtime, user name, contents.
type Entry = (String, u32, u64, u64, u64, Option<String>, Vec<u8>);

fn entries(archive: &Path) -> Vec<Entry> {
    let file = fs::File::open(archive).expect("open");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    tar.entries()
        .expect("entries")
        .map(|e| {
            let mut e = e.expect("entry");
            let h = e.header().clone();
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("read");
            (
                e.path().expect("path").display().to_string(),
                h.mode().expect("mode"),
                h.uid().expect("uid"),
                h.gid().expect("gid"),
                h.mtime().expect("mtime"),
                h.username().expect("utf8").map(str::to_owned),
                data,
            )
        })
        .collect()
}

#[test]
fn entries_are_sorted_owned_by_0_private_and_dated_by_the_manifest() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = bundle(out.path());
    let archived = write_archive(&dir).expect("archive");
    assert_eq!(archived.path, out.path().join("fivetran-acc-x.tar.gz"));
    let bytes = fs::read(&archived.path).expect("read");
    assert_eq!(archived.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(archived.bytes, bytes.len() as u64);
    // gzip: no FNAME flag, mtime 0, best compression, OS unknown.
    assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0]);
    assert_eq!(bytes[8], 2);
    assert_eq!(bytes[9], 255);

    let started: Timestamp = STARTED.parse().expect("time");
    let started = u64::try_from(started.as_second()).expect("after 1970");
    let listed = entries(&archived.path);
    let names: Vec<&str> = listed.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "fivetran-acc-x/",
            "fivetran-acc-x/SHA256SUMS",
            "fivetran-acc-x/account.json",
            "fivetran-acc-x/manifest.json",
            "fivetran-acc-x/users.json",
        ]
    );
    for (name, mode, uid, gid, mtime, user, _) in &listed {
        let expected = if name.ends_with('/') { 0o700 } else { 0o600 };
        assert_eq!(*mode, expected, "{name}");
        assert_eq!((*uid, *gid, *mtime), (0, 0, started), "{name}");
        assert!(
            user.as_deref().is_none_or(str::is_empty),
            "{name}: {user:?}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&archived.path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn the_extracted_files_match_sha256sums() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = bundle(out.path());
    let archived = write_archive(&dir).expect("archive");
    let listed = entries(&archived.path);
    let file = |name: &str| {
        listed
            .iter()
            .find(|e| e.0 == format!("fivetran-acc-x/{name}"))
            .map(|e| e.6.clone())
            .expect("in the archive")
    };
    let sums = String::from_utf8(file("SHA256SUMS")).expect("utf8");
    assert_eq!(sums.lines().count(), 3);
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").expect("sums line");
        assert_eq!(hex::encode(Sha256::digest(file(name))), hash, "{name}");
        assert_eq!(file(name), fs::read(dir.join(name)).expect("original"));
    }
}

#[test]
fn the_same_bundle_gives_the_same_bytes_twice_and_after_a_copy() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = bundle(out.path());
    let first = write_archive(&dir).expect("first");
    let first_bytes = fs::read(&first.path).expect("read");
    let second = write_archive(&dir).expect("second");
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(fs::read(&second.path).expect("read"), first_bytes);

    // A copy elsewhere, every file with another time and mode, listed in another order.
    let elsewhere = tempfile::tempdir().expect("tmp");
    let copy = elsewhere.path().join("fivetran-acc-x");
    fs::create_dir(&copy).expect("mkdir");
    let mut names: Vec<_> = fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    names.reverse();
    for (n, name) in names.iter().enumerate() {
        fs::copy(dir.join(name), copy.join(name)).expect("copy");
        let file = fs::File::options()
            .write(true)
            .open(copy.join(name))
            .expect("open");
        let when = std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(1_000_000 + 7_777 * n as u64);
        file.set_modified(when).expect("touch");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(fs::Permissions::from_mode(0o644))
                .expect("chmod");
        }
    }
    let copied = write_archive(&copy).expect("copy archive");
    assert_eq!(copied.sha256, first.sha256);
    assert_eq!(fs::read(&copied.path).expect("read"), first_bytes);
}

#[test]
fn a_changed_file_changes_the_archive() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = bundle(out.path());
    let before = write_archive(&dir).expect("before");
    fs::write(dir.join("users.json"), b"{\"items\": [\"Bob\"]}\n").expect("edit");
    let after = write_archive(&dir).expect("after");
    assert_ne!(before.sha256, after.sha256);
}

#[cfg(unix)]
#[test]
fn anything_but_plain_files_is_refused_and_nothing_is_left() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = bundle(out.path());
    std::os::unix::fs::symlink("/etc/passwd", dir.join("extra")).expect("symlink");
    let err = write_archive(&dir).expect_err("symlink");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    fs::remove_file(dir.join("extra")).expect("rm");

    fs::remove_file(dir.join(manifest::FILE_NAME)).expect("rm manifest");
    let err = write_archive(&dir).expect_err("no manifest");
    assert!(err.to_string().contains("manifest.json"), "{err}");
    let left: Vec<_> = fs::read_dir(out.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["fivetran-acc-x"], "no archive, no .partial");
}

#[test]
fn a_file_that_shrinks_while_archived_is_an_error_not_a_corrupt_archive() {
    let mut short = Exact {
        inner: &b"abc"[..],
        left: 5,
    };
    let mut buf = Vec::new();
    let err = short.read_to_end(&mut buf).expect_err("shrank");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}
