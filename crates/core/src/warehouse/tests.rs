//! Unit tests of the warehouse errors: what they say and what they let a caller do.

use super::*;

#[test]
fn only_a_dropped_connection_is_worth_reading_again() {
    let all = [
        WarehouseError::Unreachable("refused".into()),
        WarehouseError::Tls("unknown issuer".into()),
        WarehouseError::Auth("password authentication failed".into()),
        WarehouseError::Denied {
            object: "audit_trail".into(),
            detail: "permission denied".into(),
        },
        WarehouseError::Missing("table log".into()),
        WarehouseError::Timeout("canceling statement".into()),
        WarehouseError::Dropped("connection closed".into()),
        WarehouseError::Query("syntax".into()),
    ];
    for e in &all {
        assert_eq!(
            e.is_retryable(),
            matches!(e, WarehouseError::Dropped(_)),
            "{e}"
        );
        assert_eq!(
            e.is_denied(),
            matches!(e, WarehouseError::Denied { .. }),
            "{e}"
        );
        let text = e.to_string();
        assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
        assert!(!text.ends_with('.'), "{text}");
    }
    assert!(
        all[3]
            .to_string()
            .contains("permission denied on audit_trail")
    );
    assert!(all[3].hint().expect("hint").contains("doctor"));
    assert!(all[0].hint().expect("hint").contains("host and port"));
    assert!(all[6].hint().is_none());
}
