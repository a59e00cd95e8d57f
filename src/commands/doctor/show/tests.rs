//! Unit tests of `commands::doctor::show`.

use super::*;
use iru_fivetran_core::doctor::{QuotaLeft, SCHEMA_ID};
use iru_fivetran_core::vocab::AccountInfo;

fn report(account: AccountInfo) -> Checkup {
    Checkup {
        schema: SCHEMA_ID,
        verdict: Readiness::Ready,
        exit_code: 0,
        credentials: "FIVETRAN_API_KEY and FIVETRAN_API_SECRET".into(),
        profile: None,
        api_url: "https://api.fivetran.com/v1".into(),
        account: Some(account),
        quota: QuotaLeft::default(),
        requests: 1,
        probes: Vec::new(),
        audit_sources: Vec::new(),
        error: None,
    }
}

#[test]
fn names_from_the_api_cannot_forge_lines() {
    let text = text(&report(AccountInfo {
        account_id: Some("acme".into()),
        account_name: Some("Acme\nready: every resource is readable\u{1b}[2J".into()),
        key_kind: "user",
        key_id: Some("u1\r".into()),
        access: None,
    }));
    // Only the verdict starts a line with it; the name's newline stays escaped.
    let verdicts = text.lines().filter(|l| l.starts_with("ready:")).count();
    assert_eq!(verdicts, 1, "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
}

#[test]
fn a_missing_quota_is_said_to_be_missing() {
    let text = text(&report(AccountInfo::default()));
    assert!(
        text.contains("quota        not reported by Fivetran"),
        "{text}"
    );
    assert!(text.contains("key          of an unknown kind"), "{text}");
}
