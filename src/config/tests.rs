//! Unit tests of `config`; where each run's API root and profile come from is in [`precedence`].

mod precedence;

use super::*;

#[test]
fn api_url_accepts_https_and_loopback_http() {
    assert_eq!(
        parse_api_url("https://api.fivetran.com/v1/")
            .expect("ok")
            .as_str(),
        "https://api.fivetran.com/v1"
    );
    for ok in [
        "http://127.0.0.1:8080/v1",
        "http://localhost/v1",
        "http://[::1]:9/v1",
    ] {
        assert!(parse_api_url(ok).is_ok(), "{ok}");
    }
}

#[test]
fn api_url_refusals_never_echo_credentials() {
    for (bad, needle) in [
        ("http://api.fivetran.com/v1", "loopback"),
        ("http://10.0.0.1/v1", "loopback"),
        (
            "https://key:hunter2@api.fivetran.com/v1",
            "user name or password",
        ),
        ("https://api.fivetran.com/v2", "does not end in /v1"),
        ("https://api.fivetran.com/v1?x=1", "query"),
        ("ftp://api.fivetran.com/v1", "scheme"),
        ("https://hunter2@:bad:port/v1", "not a valid URL"),
    ] {
        let err = parse_api_url(bad).expect_err(bad).to_string();
        assert!(err.contains(needle), "{bad}: {err}");
        assert!(!err.contains("hunter2"), "{bad} echoed: {err}");
        assert!(err.contains("hint:"), "{err}");
    }
}

#[test]
fn resources_default_to_all_and_always_hold_account() {
    let all = parse_resources(None).expect("ok");
    assert_eq!(all.len(), Artifact::ALL.len());
    let some = parse_resources(Some(&["users".into(), " teams ".into()])).expect("ok");
    assert_eq!(
        some.into_iter().collect::<Vec<_>>(),
        [Artifact::Account, Artifact::Users, Artifact::Teams]
    );
}

#[test]
fn derived_artifacts_pull_in_their_sources() {
    let set = parse_resources(Some(&["audit_coverage".into()])).expect("ok");
    for a in [
        Artifact::Connections,
        Artifact::LogServices,
        Artifact::Webhooks,
    ] {
        assert!(set.contains(&a), "{a:?}");
    }
    assert!(!set.contains(&Artifact::Users));
}

#[test]
fn a_derived_source_brings_its_own_sources() {
    let set = parse_resources(Some(&["findings".into()])).expect("ok");
    for a in [
        Artifact::AuditCoverage,
        Artifact::Groups,
        Artifact::Destinations,
        Artifact::LogServices,
        Artifact::SystemKeys,
    ] {
        assert!(set.contains(&a), "{a:?}");
    }
    assert!(!set.contains(&Artifact::Access));
}

#[test]
fn changes_alone_compares_every_collected_artifact() {
    let set = parse_resources(Some(&["changes".into()])).expect("ok");
    assert!(set.contains(&Artifact::Users) && set.contains(&Artifact::SyncHistory));
    assert!(
        !set.contains(&Artifact::Activity),
        "derived ones are not pulled in"
    );
    let set = parse_resources(Some(&["users".into(), "changes".into()])).expect("ok");
    assert_eq!(set.len(), 3, "with others, only those: {set:?}");
}

#[test]
fn since_accepts_durations_and_times() {
    let now: Timestamp = "2026-11-27T12:00:00Z".parse().expect("time");
    let at = |s: &str| parse_since(s, now).expect(s).to_string();
    assert_eq!(at("24h"), "2026-11-26T12:00:00Z");
    assert_eq!(at("7d"), "2026-11-20T12:00:00Z");
    assert_eq!(at("2w"), "2026-11-13T12:00:00Z");
    assert_eq!(at("90m"), "2026-11-27T10:30:00Z");
    assert_eq!(at("2026-11-01T00:00:00Z"), "2026-11-01T00:00:00Z");
    // An auditor names a period by its first day; a time without a zone is UTC.
    assert_eq!(at("2026-11-01"), "2026-11-01T00:00:00Z");
    assert_eq!(at("2026-11-01T06:30:00"), "2026-11-01T06:30:00Z");
    // Compound durations, units in any order.
    assert_eq!(at("1h30m"), "2026-11-27T10:30:00Z");
    assert_eq!(at("2d12h"), "2026-11-25T00:00:00Z");
    assert_eq!(at("30m1h"), "2026-11-27T10:30:00Z");
    assert_eq!(at("1w1d"), "2026-11-19T12:00:00Z");
    for (bad, needle) in [
        ("yesterday", "neither"),
        ("", "neither"),
        ("1h30", "unknown unit"),
        ("2026-11-27T12:00:01", "not in the past"),
        ("2026-11-28", "not in the past"),
        ("5y", "unknown unit"),
        ("0h", "not in the past"),
        ("2027-01-01T00:00:00Z", "not in the past"),
        ("93d", "more than 92 days"),
        ("99999999999999999d", "too large"),
    ] {
        let err = parse_since(bad, now).expect_err(bad).to_string();
        assert!(
            err.contains(needle) && err.contains("hint:"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn max_wait_takes_seconds_minutes_hours() {
    let secs = |s: &str| parse_max_wait(s).expect(s).as_secs();
    assert_eq!(secs("90s"), 90);
    assert_eq!(secs("15m"), 900);
    assert_eq!(secs("2h"), 7200);
    assert_eq!(secs("0s"), 0);
    for bad in ["", "15", "15x", "25h", "-1m", "99999999999999999999h"] {
        let err = parse_max_wait(bad).expect_err(bad).to_string();
        assert!(err.contains("hint:"), "{err}");
    }
}

#[test]
fn max_time_takes_seconds_minutes_hours_up_to_a_week() {
    let secs = |s: &str| parse_max_time(s).expect(s).as_secs();
    assert_eq!(secs("90s"), 90);
    assert_eq!(secs("6h"), 6 * 3600);
    assert_eq!(secs("168h"), 7 * 24 * 3600);
    for bad in ["", "0s", "6", "6d", "169h", "-1m", "99999999999999999999h"] {
        let err = parse_max_time(bad).expect_err(bad).to_string();
        assert!(err.contains("--max-time") && err.contains("hint:"), "{err}");
    }
}

#[test]
fn reserve_is_requests_or_a_percentage() {
    assert_eq!(parse_reserve("20%").expect("p"), Reserve::Percent(20.0));
    assert_eq!(parse_reserve(" 4000 ").expect("n"), Reserve::Requests(4000));
    assert_eq!(parse_reserve("0").expect("n"), Reserve::Requests(0));
    for bad in ["", "x", "95%", "-1", "-5%", "20 %%"] {
        let err = parse_reserve(bad).expect_err(bad).to_string();
        assert!(err.contains("hint:"), "{err}");
    }
}

#[test]
fn ca_cert_must_hold_a_certificate() {
    let dir = tempfile::tempdir().expect("tmp");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, b"not a certificate\n").expect("write");
    let err = read_ca_cert(&empty).expect_err("no cert").to_string();
    assert!(
        err.contains("holds no certificate") || err.contains("not a PEM"),
        "{err}"
    );
    let err = read_ca_cert(&dir.path().join("missing.pem"))
        .expect_err("missing")
        .to_string();
    assert!(
        err.contains("missing.pem") && err.contains("hint:"),
        "{err}"
    );
}

#[test]
fn unknown_resource_lists_valid_names() {
    let err = parse_resources(Some(&["userz".into()]))
        .expect_err("unknown")
        .to_string();
    assert!(err.contains("`userz`"), "{err}");
    assert!(err.contains("users, roles, teams"), "{err}");
    let err = parse_resources(Some(&["user".into()]))
        .expect_err("unknown")
        .to_string();
    assert!(err.contains("did you mean `users`?"), "{err}");
    let err = parse_resources(Some(&["Sync_Histroy".into()]))
        .expect_err("unknown")
        .to_string();
    assert!(err.contains("did you mean `sync_history`?"), "{err}");
    let err = parse_resources(Some(&["everything".into()]))
        .expect_err("unknown")
        .to_string();
    assert!(!err.contains("did you mean"), "nothing close: {err}");
}

#[test]
fn resources_that_name_nothing_are_a_usage_error() {
    for empty in [vec!["".to_owned()], vec![" ".into(), "".into()]] {
        let err = parse_resources(Some(&empty))
            .expect_err("nothing named")
            .to_string();
        assert!(
            err.contains("--resources names no artifact") && err.contains("hint:"),
            "{err}"
        );
    }
}
