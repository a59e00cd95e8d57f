//! Unit tests of `evidence::bundle`.

use super::*;
use serde_json::json;
use sha2::{Digest as _, Sha256};

#[test]
fn bundle_appears_only_when_finished() {
    let out = tempfile::tempdir().expect("tmp");
    let mut b = Bundle::create(out.path(), "20260101T000000Z").expect("create");
    b.write("users.json", b"{}\n").expect("write");
    let names = |p: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(p)
            .expect("read")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let before = names(out.path());
    assert_eq!(before.len(), 1);
    assert!(before[0].starts_with(".iru-fivetran-") && before[0].ends_with(".incomplete"));
    let dir = b
        .finish("fivetran-acc-x", "manifest.json", |id| {
            format!("{{\"bundle_id\":\"{id}\"}}\n").into_bytes()
        })
        .expect("finish");
    assert_eq!(names(out.path()), ["fivetran-acc-x"]);
    assert_eq!(names(&dir), ["SHA256SUMS", "manifest.json", "users.json"]);
    let sums = fs::read_to_string(dir.join("SHA256SUMS")).expect("sums");
    assert_eq!(sums.lines().count(), 2);
    assert!(sums.contains(&format!(
        "{}  users.json",
        hex::encode(Sha256::digest(b"{}\n"))
    )));
}

#[test]
fn items_stream_back_with_the_other_fields() {
    let text =
        br#"{"count": 2, "items": [{"id": "a"}, {"id": "b", "n": [1]}], "status": "complete"}"#;
    let mut seen = Vec::new();
    let fields = read_items(&text[..], |item| seen.push(item)).expect("read");
    assert_eq!(seen, [json!({"id": "a"}), json!({"id": "b", "n": [1]})]);
    assert_eq!(fields["status"], "complete");
    assert!(!fields.contains_key("items"));
    assert!(read_items(&b"{\"items\": [1,"[..], |_| {}).is_err());
    assert!(read_items(&b"[]"[..], |_| {}).is_err(), "not an envelope");
}

#[test]
fn a_dropped_bundle_leaves_nothing_behind() {
    let out = tempfile::tempdir().expect("tmp");
    let mut b = Bundle::create(out.path(), "s").expect("create");
    b.write("users.json", b"{}\n").expect("write");
    drop(b);
    assert_eq!(fs::read_dir(out.path()).expect("read").count(), 0);
}

#[test]
fn a_write_error_names_the_path_and_the_drop_cleans_up() {
    let out = tempfile::tempdir().expect("tmp");
    let mut b = Bundle::create(out.path(), "s").expect("create");
    // The temporary directory gone makes the write fail, as a full or read-only disk would.
    // (A directory planted at the predictable `users.json.partial` did, before temporary
    // names were made unpredictable.)
    fs::remove_dir_all(b.tmp_dir()).expect("rm");
    let err = b.write("users.json", b"{}\n").expect_err("cannot write");
    assert!(err.to_string().contains("users.json.partial"), "{err}");
    drop(b);
    assert_eq!(fs::read_dir(out.path()).expect("read").count(), 0);
}

#[test]
fn a_taken_name_gets_a_suffix_and_the_manifest_knows_it() {
    let out = tempfile::tempdir().expect("tmp");
    fs::create_dir(out.path().join("fivetran-acc-x")).expect("mkdir");
    let b = Bundle::create(out.path(), "s").expect("create");
    let dir = b
        .finish("fivetran-acc-x", "manifest.json", |id| {
            id.as_bytes().to_vec()
        })
        .expect("finish");
    assert!(dir.ends_with("fivetran-acc-x-2"));
    assert_eq!(
        fs::read(dir.join("manifest.json")).expect("m"),
        b"fivetran-acc-x-2"
    );
}

#[cfg(unix)]
#[test]
fn unwritable_output_names_the_path() {
    use std::os::unix::fs::PermissionsExt as _;
    let out = tempfile::tempdir().expect("tmp");
    let locked = out.path().join("locked");
    fs::create_dir(&locked).expect("mkdir");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).expect("chmod");
    // root ignores permission bits; only check when they apply.
    if fs::File::create(locked.join("probe")).is_err() {
        let err = Bundle::create(&locked.join("sub"), "s").expect_err("unwritable");
        assert!(err.to_string().contains("locked/sub"), "{err}");
    }
    let file = out.path().join("file");
    fs::write(&file, b"x").expect("write");
    let err = Bundle::create(&file, "s").expect_err("a file, not a directory");
    assert!(err.to_string().contains("hint:"), "{err}");
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn two_bundles_of_one_process_in_one_second_get_distinct_temporary_directories() {
    let out = tempfile::tempdir().expect("tmp");
    let first = Bundle::create(out.path(), "20260101T000000Z").expect("first");
    let second = Bundle::create(out.path(), "20260101T000000Z").expect("second: not File exists");
    assert_ne!(first.tmp_dir(), second.tmp_dir());
    for b in [&first, &second] {
        let name = b
            .tmp_dir()
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let random = name
            .strip_prefix(&format!(
                ".iru-fivetran-20260101T000000Z-{}-",
                std::process::id()
            ))
            .and_then(|rest| rest.strip_suffix(".incomplete"))
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(random.len(), 16, "{name}");
    }
}

/// The old predictable name (`.iru-fivetran-<stamp>-<pid>.incomplete`) and a guessed one,
/// squatted by a link to a directory elsewhere: the bundle goes elsewhere, nothing is written
/// through the links.
#[cfg(unix)]
#[test]
fn a_squatted_temporary_name_is_skipped_never_followed() {
    let out = tempfile::tempdir().expect("tmp");
    let elsewhere = tempfile::tempdir().expect("tmp");
    let old = format!(".iru-fivetran-s-{}.incomplete", std::process::id());
    std::os::unix::fs::symlink(elsewhere.path(), out.path().join(&old)).expect("link");
    std::os::unix::fs::symlink(elsewhere.path(), out.path().join(".guessed")).expect("link");
    let mut b = Bundle::create_via(out.path(), |attempt| match attempt {
        0 => old.clone(),
        1 => ".guessed".into(),
        _ => temp_dir_name("s"),
    })
    .expect("created under a third name");
    b.write("users.json", b"{}\n").expect("write");
    assert!(fs::symlink_metadata(b.tmp_dir()).expect("tmp").is_dir());
    drop(b);
    assert_eq!(names_in(elsewhere.path()), Vec::<String>::new());
    assert_eq!(
        names_in(out.path()),
        [".guessed", old.as_str()],
        "the links stay"
    );
}

/// Links to nowhere at the bundle's name and its `-2`: before, `exists()` said free, the rename
/// failed ("Not a directory") and the run threw away what it had collected.
#[cfg(unix)]
#[test]
fn dangling_links_at_the_bundle_names_are_skipped() {
    let out = tempfile::tempdir().expect("tmp");
    for name in ["fivetran-acc-x", "fivetran-acc-x-2"] {
        std::os::unix::fs::symlink(out.path().join("nowhere"), out.path().join(name))
            .expect("link");
    }
    let b = Bundle::create(out.path(), "s").expect("create");
    let dir = b
        .finish("fivetran-acc-x", "manifest.json", |id| {
            id.as_bytes().to_vec()
        })
        .expect("finish");
    assert!(dir.ends_with("fivetran-acc-x-3"), "{}", dir.display());
    assert_eq!(
        fs::read(dir.join("manifest.json")).expect("m"),
        b"fivetran-acc-x-3"
    );
    assert!(!out.path().join("nowhere").exists(), "no link followed");
}

/// Every name from `<base>` to `<base>-100` squatted: the bundle is kept under a name that says
/// so, its manifest naming it, for a finished bundle and a failed one alike.
#[cfg(unix)]
#[test]
fn with_every_name_squatted_the_bundle_is_kept_under_a_name_that_says_so() {
    let out = tempfile::tempdir().expect("tmp");
    for suffix in ["", ".failed"] {
        for n in 1..=100 {
            let name = match n {
                1 => format!("fivetran-acc-x{suffix}"),
                n => format!("fivetran-acc-x-{n}{suffix}"),
            };
            std::os::unix::fs::symlink(out.path().join("nowhere"), out.path().join(name))
                .expect("link");
        }
    }
    let mut b = Bundle::create(out.path(), "s").expect("create");
    b.write("users.json", b"{}\n").expect("write");
    let dir = b
        .finish("fivetran-acc-x", "manifest.json", |id| {
            id.as_bytes().to_vec()
        })
        .expect("kept, not thrown away");
    let failed = Bundle::create(out.path(), "s")
        .expect("create")
        .keep_failed("fivetran-acc-x", "manifest.json", |id| {
            id.as_bytes().to_vec()
        });
    for (dir, suffix) in [(dir, ""), (failed, ".failed")] {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let random = name
            .strip_prefix("fivetran-acc-x-names-taken-")
            .and_then(|r| r.strip_suffix(suffix))
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(random.len(), 16, "{name}");
        assert_eq!(
            fs::read(dir.join("manifest.json")).expect("m"),
            name.as_bytes()
        );
    }
    assert!(!out.path().join("nowhere").exists(), "no link followed");
    assert_eq!(
        names_in(out.path()).len(),
        202,
        "200 links and two bundles, no .incomplete"
    );
}
