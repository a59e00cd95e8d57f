//! Unit tests of `report::model`.

use super::*;

#[test]
fn rows_keep_the_first_in_order_and_count_the_rest() {
    let mut rows = Rows::new(3);
    for n in [9, 1, 8, 2, 7, 3, 6, 4, 5, 0] {
        rows.push(n);
    }
    rows.trim();
    assert_eq!(rows.rows, [0, 1, 2]);
    assert_eq!((rows.total, rows.hidden()), (10, 7));
}

#[test]
fn long_strings_are_clipped_on_a_character_boundary() {
    let long = "é".repeat(MAX_CELL_CHARS + 10);
    let clipped = clip(&long);
    assert_eq!(clipped.chars().count(), MAX_CELL_CHARS + 1);
    assert!(clipped.ends_with('…'));
    assert_eq!(clip("short"), "short");
}

#[test]
fn prose_is_cut_after_a_whole_word() {
    // The cut would fall inside "long": it falls before it instead.
    assert_eq!(
        clip_to("the audit trail is long", 20),
        "the audit trail is…"
    );
    // A word that ends exactly at the limit is kept whole.
    assert_eq!(clip_to("the audit trail was", 15), "the audit trail…");
    // No space in the last quarter: a plain cut, still at most `max` characters.
    assert_eq!(
        clip_to("a verylongidentifierwithoutspaces", 20),
        "a verylongidentifier…"
    );
    assert_eq!(clip_to("exactly twenty chars", 20), "exactly twenty chars");
}

#[test]
fn many_categories_fold_into_other() {
    let mut tally: Tally<u32> = Tally::default();
    for n in 0..40u32 {
        for _ in 0..=n {
            tally.add(n);
        }
    }
    let chart = tally.chart("t".into(), ToString::to_string);
    assert_eq!(chart.bars.len(), MAX_BARS);
    assert_eq!(chart.total(), (1..=40).sum::<u64>());
    assert_eq!(chart.bars.last().expect("bars").0, "other (25 values)");
    // The largest categories are the ones kept.
    assert!(chart.bars.iter().any(|(l, _)| l == "39"));
    assert!(!chart.bars.iter().any(|(l, _)| l == "0"));
}

#[test]
fn administrators_rank_first() {
    assert!(role_rank(Some("Account Administrator")) < role_rank(Some("Account Reviewer")));
    assert!(role_rank(Some("Destination Administrator")) < role_rank(Some("Analyst")));
    assert!(role_rank(Some("Analyst")) < role_rank(None));
}
