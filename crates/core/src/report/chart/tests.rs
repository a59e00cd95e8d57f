//! Unit tests of `report::chart`.

use super::*;

fn chart() -> Chart {
    Chart {
        title: "Users & <roles>".into(),
        bars: vec![("<b>admin</b>".into(), 4), ("viewer".into(), 1)],
    }
}

#[test]
fn text_bars_show_every_non_zero_count() {
    let mut c = chart();
    c.bars.push(("none".into(), 0));
    c.bars[1].1 = 1;
    c.bars[0].1 = 1000;
    let bars = text_bars(&c);
    assert_eq!(bars[0].2.chars().count(), 20);
    assert_eq!(bars[1].2.chars().count(), 1);
    assert_eq!(bars[2].2, "");
}

#[test]
fn an_empty_chart_says_so() {
    let empty = Chart {
        title: "t".into(),
        bars: vec![],
    };
    assert!(svg(&empty, "e", str::to_owned).contains("nothing to count"));
}
