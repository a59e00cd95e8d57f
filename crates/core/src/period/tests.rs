//! Unit tests of `period`: the days without a run, and the stamps read as times.

use super::*;

fn day(s: &str) -> Date {
    s.parse().expect("a date")
}

fn found(stamp: &str) -> Found {
    Found {
        account: "acme".into(),
        stamp: stamp.into(),
        n: 1,
        failed: false,
        name: format!("fivetran-acme-{stamp}"),
    }
}

#[test]
fn days_without_a_run_become_ranges() {
    let runs = [found("20261102T021500Z"), found("20261105T235959Z")];
    let refs: Vec<&Found> = runs.iter().collect();
    assert_eq!(
        no_run_days(day("2026-11-01"), day("2026-11-07"), &refs),
        [
            Gap::NoRun {
                from: day("2026-11-01"),
                to: day("2026-11-01")
            },
            Gap::NoRun {
                from: day("2026-11-03"),
                to: day("2026-11-04")
            },
            Gap::NoRun {
                from: day("2026-11-06"),
                to: day("2026-11-07")
            },
        ]
    );
    let every_day: Vec<Found> = (1..=3)
        .map(|d| found(&format!("2026110{d}T000000Z")))
        .collect();
    let refs: Vec<&Found> = every_day.iter().collect();
    assert_eq!(no_run_days(day("2026-11-01"), day("2026-11-03"), &refs), []);
}

#[test]
fn a_stamp_reads_as_rfc3339_and_a_day_as_its_first_stamp() {
    assert_eq!(rfc3339_of("20261102T021500Z"), "2026-11-02T02:15:00Z");
    assert_eq!(stamp_of(day("2026-11-02")), "20261102T000000Z");
}

#[test]
fn a_backwards_period_and_several_accounts_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    for name in [
        "fivetran-acme-20261102T021500Z",
        "fivetran-other-20261102T021500Z",
    ] {
        std::fs::create_dir(dir.path().join(name)).expect("mkdir");
    }
    let request = |account: Option<&'static str>, from: &str, to: &str| Request {
        dir: dir.path(),
        account,
        from: day(from),
        to: day(to),
    };
    let backwards = roll_up(&request(None, "2026-11-05", "2026-11-01")).expect_err("backwards");
    assert!(backwards.is_usage(), "{backwards}");
    let several = roll_up(&request(None, "2026-11-01", "2026-11-05")).expect_err("several");
    assert!(several.is_usage());
    assert!(
        several.to_string().contains("2 accounts: acme, other")
            && several.to_string().contains("--account"),
        "{several}"
    );
    let empty = roll_up(&request(Some("acme"), "2026-12-01", "2026-12-05")).expect_err("empty");
    assert!(!empty.is_usage());
    assert!(
        empty.to_string().contains("no bundle of account acme"),
        "{empty}"
    );
}
