//! Unit tests of `report::read::connections`.

use super::*;

#[test]
fn frequencies_read_as_people_say_them() {
    assert_eq!(frequency_label(Some(360)), "every 6 h");
    assert_eq!(frequency_label(Some(1440)), "every 1 day(s)");
    assert_eq!(frequency_label(Some(15)), "every 15 min");
    assert_eq!(frequency_label(None), "not set");
}
