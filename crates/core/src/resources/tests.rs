//! Unit tests of how a list's failure becomes an artifact's status.

use super::{ApiError, Problems, assemble};
use crate::vocab::Status;

fn forbidden(message: &str) -> ApiError {
    ApiError::Forbidden {
        path: "/transformations".into(),
        code: "Forbidden".into(),
        message: message.into(),
    }
}

fn not_found(message: &str) -> ApiError {
    ApiError::NotFound {
        path: "/connector-sdk/packages".into(),
        code: "NotFound".into(),
        message: message.into(),
    }
}

fn status_of(error: ApiError) -> (Status, String) {
    let collected = assemble(Some(error), 0, false, &Problems::default());
    (collected.status, collected.reason.unwrap_or_default())
}

#[test]
fn a_403_naming_a_permission_is_forbidden_and_names_it() {
    let (status, reason) = status_of(forbidden(
        "Access denied. Required permission: TRANSFORMATION_READ",
    ));
    assert_eq!(status, Status::Forbidden);
    assert!(reason.contains("TRANSFORMATION_READ"), "{reason}");
}

#[test]
fn a_403_or_404_saying_the_feature_is_not_enabled_is_unavailable_with_the_reason() {
    let message = "Connector SDK is not enabled for this account";
    for error in [forbidden(message), not_found(message)] {
        let (status, reason) = status_of(error);
        assert_eq!(status, Status::Unavailable);
        assert!(reason.contains(message), "{reason}");
    }
}

#[test]
fn a_plain_404_to_a_list_is_a_failure() {
    assert_eq!(status_of(not_found("No such endpoint")).0, Status::Failed);
}
