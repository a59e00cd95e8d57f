//! Unit tests of `client::error`.

use super::*;

#[test]
fn a_403_about_the_plan_is_told_from_one_about_a_permission() {
    for plan in [
        "Hybrid Deployment is not enabled for this account",
        "This feature is not available on your plan",
        "External logging is not included in your plan. Upgrade your plan to use it",
        "PRIVATE LINK IS NOT AVAILABLE FOR YOUR PLAN",
    ] {
        assert!(says_feature_not_enabled(plan), "{plan}");
    }
    for permission in [
        "You don't have permission to read teams",
        "Insufficient scope: requires Account Reviewer",
        "Forbidden",
    ] {
        assert!(!says_feature_not_enabled(permission), "{permission}");
    }
    let forbidden = |message: &str| ApiError::Forbidden {
        path: "/x".into(),
        code: "Forbidden".into(),
        message: message.into(),
    };
    assert!(forbidden("Hybrid Deployment is not enabled for this account").feature_not_enabled());
    assert!(!forbidden("Missing permission: READ on TEAM").feature_not_enabled());
}
