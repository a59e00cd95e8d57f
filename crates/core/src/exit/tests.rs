//! Unit tests of `exit`.

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
fn a_run_status_has_one_exit_code() {
    assert_eq!(of_run(RunStatus::Complete), COMPLETE);
    assert_eq!(of_run(RunStatus::Partial), PARTIAL);
    assert_eq!(of_run(RunStatus::Failed), FAILED);
}
