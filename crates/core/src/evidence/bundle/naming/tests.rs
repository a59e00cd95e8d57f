//! Unit tests of `evidence::bundle::naming`.

use super::*;

#[test]
fn bundle_names_give_stamp_and_suffix() {
    let p = |s: &str| parse_suffix(s);
    assert_eq!(p("20261127T030140Z"), Some(("20261127T030140Z".into(), 1)));
    assert_eq!(
        p("20261127T030140Z-2"),
        Some(("20261127T030140Z".into(), 2))
    );
    assert_eq!(
        p("20261127T030140Z-12"),
        Some(("20261127T030140Z".into(), 12))
    );
    assert_eq!(p("20261127T030140Z.failed"), None);
    assert_eq!(p("x-20261127T030140Z"), None, "another account's prefix");
    assert_eq!(p("20261127T030140Z-"), None);
    assert_eq!(p("20261127X030140Z"), None);
    assert_eq!(p("20261127T030140Z-99999999999"), None);
}

#[test]
fn account_ids_become_safe_file_name_parts() {
    assert_eq!(file_name_safe(Some("acc_example-01")), "acc_example-01");
    assert_eq!(file_name_safe(Some("../../etc")), "______etc");
    assert_eq!(file_name_safe(Some("a b/c\n")), "a_b_c_");
    assert_eq!(file_name_safe(Some("")), "unknown");
    assert_eq!(file_name_safe(None), "unknown");
    assert_eq!(file_name_safe(Some(&"x".repeat(500))).len(), 64);
    assert_eq!(file_name_safe(Some("é")), "_");
}

#[test]
fn earlier_bundles_are_this_accounts_finished_ones_newest_first() {
    let out = tempfile::tempdir().expect("tmp");
    for name in [
        "fivetran-acc-20261127T030140Z",
        "fivetran-acc-20261127T030140Z-2",
        "fivetran-acc-20261128T000000Z",
        "fivetran-acc-20261129T000000Z.failed",
        "fivetran-other-20261130T000000Z",
        ".iru-fivetran-20261130T000000Z-1.incomplete",
    ] {
        std::fs::create_dir(out.path().join(name)).expect("mkdir");
    }
    std::fs::write(out.path().join("fivetran-acc-20261201T000000Z"), b"").expect("a file");
    let names: Vec<String> = earlier(out.path(), Some("acc"), 100)
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(
        names,
        [
            "fivetran-acc-20261128T000000Z",
            "fivetran-acc-20261127T030140Z-2",
            "fivetran-acc-20261127T030140Z",
        ]
    );
    assert_eq!(
        base_name(Some("a/b"), "20261127T030140Z"),
        "fivetran-a_b-20261127T030140Z"
    );
}

#[test]
fn every_bundle_of_a_folder_is_found_with_its_account_read_from_the_end() {
    let out = tempfile::tempdir().expect("tmp");
    for name in [
        "fivetran-acme-eu-20261127T030140Z-2",
        "fivetran-acme-20261128T000000Z.failed",
        "fivetran-acme-20261127T030140Z",
        "fivetran--20261127T030140Z",
        "fivetran-acme-2026112T030140Z",
        "other",
    ] {
        std::fs::create_dir(out.path().join(name)).expect("mkdir");
    }
    let found: Vec<(String, String, u32, bool)> = all(out.path(), 100)
        .into_iter()
        .map(|f| (f.account, f.stamp, f.n, f.failed))
        .collect();
    assert_eq!(
        found,
        [
            ("acme".into(), "20261127T030140Z".into(), 1, false),
            ("acme-eu".into(), "20261127T030140Z".into(), 2, false),
            ("acme".into(), "20261128T000000Z".into(), 1, true),
        ]
    );
}
