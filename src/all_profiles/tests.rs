//! Unit tests of `all_profiles`.

use super::*;

#[test]
fn worst_is_failed_then_partial_then_complete() {
    assert_eq!(worst([]), 0);
    assert_eq!(worst([0, 0]), 0);
    assert_eq!(worst([0, 3, 0]), 3);
    assert_eq!(worst([3, 1, 0]), 1);
    assert_eq!(worst([1, 3]), 1);
    assert_eq!(worst([1, 2, 3]), 2);
    assert_eq!(worst([2, 130]), 130);
}

#[test]
fn status_names_follow_the_code() {
    let run = |code| ProfileRun {
        profile: "p".into(),
        code,
        result: Err(String::new()),
    };
    assert_eq!(run(0).status(), "complete");
    assert_eq!(run(3).status(), "partial");
    assert_eq!(run(1).status(), "failed");
}
