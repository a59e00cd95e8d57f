//! Unit tests of `all_profiles`.

use super::*;

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
