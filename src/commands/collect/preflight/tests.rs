//! Unit tests of `collect::preflight`.

use std::fs;

use super::*;

/// A directory that looks like a bundle: a manifest and its sums.
fn bundle_in(dir: &Path, name: &str) -> PathBuf {
    let bundle = dir.join(name);
    fs::create_dir_all(&bundle).expect("mkdir");
    fs::write(bundle.join("manifest.json"), b"{}").expect("manifest");
    fs::write(bundle.join("SHA256SUMS"), b"").expect("sums");
    bundle
}

#[test]
fn an_out_that_is_or_is_inside_a_bundle_is_refused_naming_where_to_write() {
    let dir = tempfile::tempdir().expect("tmp");
    let bundle = bundle_in(dir.path(), "fivetran-acc-20260101T000000Z");
    let resolved = bundle.canonicalize().expect("resolved");
    let parent = printable(&resolved.parent().expect("parent").display().to_string());

    let err = out_dir(&bundle).expect_err("the bundle itself").to_string();
    assert!(
        err.contains("is a bundle (it holds manifest.json and SHA256SUMS)"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "hint: give the directory that holds the bundles, e.g. --out {parent}"
        )),
        "{err}"
    );

    for inside in [bundle.join("sub"), bundle.join("not").join("yet")] {
        let err = out_dir(&inside).expect_err("inside").to_string();
        assert!(err.contains("is inside the bundle"), "{err}");
        assert!(err.contains(&format!("--out {parent}")), "{err}");
    }
    fs::create_dir(bundle.join("made")).expect("mkdir");
    assert!(
        out_dir(&bundle.join("made")).is_err(),
        "an existing directory inside"
    );
}

#[test]
fn an_ordinary_out_passes_whether_or_not_it_exists() {
    let dir = tempfile::tempdir().expect("tmp");
    bundle_in(dir.path(), "fivetran-acc-20260101T000000Z");
    assert!(out_dir(dir.path()).is_ok(), "the folder of bundles");
    assert!(out_dir(&dir.path().join("new").join("evidence")).is_ok());
    // Half a bundle (a manifest alone) is not taken for one.
    let half = dir.path().join("half");
    fs::create_dir(&half).expect("mkdir");
    fs::write(half.join("manifest.json"), b"{}").expect("manifest");
    assert!(out_dir(&half).is_ok());
}

#[test]
fn enough_descriptors_pass_and_the_count_is_what_could_be_opened() {
    assert_eq!(free_descriptors(10), 10);
    assert_eq!(descriptors_needed(8), 48);
    assert!(descriptors(8).is_ok());
    let err = Refused::Descriptors {
        concurrency: 8,
        needed: 48,
        free: 2,
    }
    .to_string();
    assert!(
        err.contains("could open only 2 (ulimit -n)") && err.contains("hint: raise"),
        "{err}"
    );
}
