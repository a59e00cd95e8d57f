//! Unit tests of `client::gate`: the places in flight follow the pace, first come first
//! served, also when fewer are allowed while all are taken.

use super::*;
use crate::client::Delays;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime")
}

#[test]
fn places_shrink_as_they_are_given_back_and_grow_with_successes() {
    runtime().block_on(async {
        let clock = Clock::new(Delays::Real);
        let halt = Halt::default();
        let gate = Gate::new(Pace::new(
            1000.0,
            8,
            Duration::from_secs(1),
            Duration::from_secs(30),
        ));
        let mut places = Vec::new();
        for _ in 0..8 {
            let (place, _) = gate.enter(&clock, &halt, None).await.expect("a place");
            places.push(place);
        }
        assert_eq!(gate.places.available_permits(), 0);
        // Two slow-downs while all eight are taken: two places allowed, six owed.
        let now = clock.now();
        gate.refused(now, now, None, Duration::MAX);
        let later = now + Duration::from_secs(10);
        gate.refused(later, later, None, Duration::MAX);
        assert_eq!(gate.state().debt, 6);
        places.clear();
        assert_eq!(gate.places.available_permits(), 2);
        assert_eq!(gate.state().debt, 0);
        // Successes give them back, one per window of successes.
        for _ in 0..3 {
            gate.answered();
        }
        assert_eq!(gate.places.available_permits(), 3);
    });
}

#[test]
fn a_halt_ends_the_wait_for_a_place() {
    runtime().block_on(async {
        let clock = Clock::new(Delays::Real);
        let halt = Halt::default();
        let gate = Gate::new(Pace::new(
            1000.0,
            1,
            Duration::from_secs(1),
            Duration::from_secs(30),
        ));
        let _taken = gate.enter(&clock, &halt, None).await.expect("a place");
        let waiting = gate.enter(&clock, &halt, None);
        let stop = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            halt.stop(crate::client::ApiError::Deadline {
                path: "/x".into(),
                limit: 5,
            });
        };
        let (entered, ()) = tokio::join!(waiting, stop);
        assert!(entered.is_none());
    });
}
