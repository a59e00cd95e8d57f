//! Unit tests of `fake::chaos`.

use super::*;

#[test]
fn draws_are_deterministic_and_near_the_percentage() {
    let chaos = Chaos {
        seed: 7,
        percent: 5,
    };
    let draws: Vec<Option<ChaosFault>> = (0..20_000)
        .map(|n| chaos.draw("/v1/users", Some("limit=1000"), n))
        .collect();
    let again: Vec<Option<ChaosFault>> = (0..20_000)
        .map(|n| chaos.draw("/v1/users", Some("limit=1000"), n))
        .collect();
    assert_eq!(draws, again);
    let hits = draws.iter().flatten().count();
    assert!((800..1200).contains(&hits), "{hits} of 20000 at 5%");
    for fault in ChaosFault::ALL {
        assert!(draws.contains(&Some(fault)), "{fault:?} never drawn");
    }
    let none = Chaos {
        seed: 7,
        percent: 0,
    };
    assert!((0..1000).all(|n| none.draw("/v1/users", None, n).is_none()));
    let all = Chaos {
        seed: 7,
        percent: 100,
    };
    assert!((0..1000).all(|n| all.draw("/v1/users", None, n).is_some()));
}
