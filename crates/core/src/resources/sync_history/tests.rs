//! Unit tests of `resources::sync_history`.

use super::*;
use crate::vocab::Status;

fn t(text: &str) -> Timestamp {
    text.parse().expect("a timestamp")
}

fn window(start: &str, end: &str) -> Window {
    Window {
        start: t(start),
        end: t(end),
    }
}

fn spans(windows: &[Window]) -> Vec<(String, String)> {
    windows
        .iter()
        .map(|w| (rfc3339(w.start), rfc3339(w.end)))
        .collect()
}

#[test]
fn a_day_is_one_window() {
    let w = window("2026-11-26T03:00:00Z", "2026-11-27T03:00:00Z");
    assert_eq!(split(w), vec![w]);
}

#[test]
fn seven_days_exactly_is_one_window() {
    let w = window("2026-11-20T03:00:00Z", "2026-11-27T03:00:00Z");
    assert_eq!(split(w), vec![w]);
}

#[test]
fn one_second_over_seven_days_is_two_windows() {
    let w = window("2026-11-20T02:59:59Z", "2026-11-27T03:00:00Z");
    assert_eq!(
        spans(&split(w)),
        [
            ("2026-11-20T02:59:59Z".into(), "2026-11-27T02:59:59Z".into()),
            ("2026-11-27T02:59:59Z".into(), "2026-11-27T03:00:00Z".into()),
        ]
    );
}

#[test]
fn twenty_days_are_three_consecutive_windows_the_last_shorter() {
    let w = window("2026-11-07T03:00:00Z", "2026-11-27T03:00:00Z");
    assert_eq!(
        spans(&split(w)),
        [
            ("2026-11-07T03:00:00Z".into(), "2026-11-14T03:00:00Z".into()),
            ("2026-11-14T03:00:00Z".into(), "2026-11-21T03:00:00Z".into()),
            ("2026-11-21T03:00:00Z".into(), "2026-11-27T03:00:00Z".into()),
        ]
    );
}

#[test]
fn an_empty_window_has_no_windows() {
    let w = window("2026-11-27T03:00:00Z", "2026-11-27T03:00:00Z");
    assert!(split(w).is_empty());
}

#[test]
fn windows_are_cut_to_whole_seconds_keeping_their_length() {
    let w = whole_seconds(window(
        "2026-11-20T03:00:00.750Z",
        "2026-11-27T03:00:00.750Z",
    ));
    assert_eq!(rfc3339(w.start), "2026-11-20T03:00:00Z");
    assert_eq!(w.end.duration_since(w.start), MAX_WINDOW);
    assert_eq!(split(w).len(), 1);
}

#[test]
fn syncs_are_identified_by_sync_id_then_id_then_the_record() {
    assert_eq!(sync_key(&json!({"sync_id": "a", "id": "b"})), "sync_id:a");
    assert_eq!(sync_key(&json!({"id": 7})), "id:7");
    assert_eq!(
        sync_key(&json!({"status": "x"})),
        r#"record:{"status":"x"}"#
    );
}

#[test]
fn syncs_sort_by_start_time_not_text() {
    let mut syncs = vec![
        json!({"sync_id": "not-started", "start_time": null}),
        json!({"sync_id": "b", "start_time": "2026-11-01T00:00:44Z"}),
        json!({"sync_id": "a", "start_time": "2026-11-01T00:00:44.118Z"}),
        json!({"sync_id": "c", "start_time": "2026-10-31T23:00:00Z"}),
    ];
    sort_syncs(&mut syncs);
    let order: Vec<&str> = syncs
        .iter()
        .map(|s| s["sync_id"].as_str().expect("id"))
        .collect();
    assert_eq!(order, ["c", "b", "a", "not-started"]);
}

#[test]
fn only_refusals_of_the_endpoint_make_it_unavailable() {
    let path = "/connections/c/sync-history".to_owned();
    let status = |status: u16| ApiError::Status {
        path: path.clone(),
        status,
        attempts: 1,
        message: "non-JSON body of 9 bytes".into(),
    };
    let not_found = |code: &str| ApiError::NotFound {
        path: path.clone(),
        code: code.into(),
        message: "gone".into(),
    };
    for error in [status(400), status(404), not_found("NotFound")] {
        let whole = refusal(&error).expect("a refusal");
        assert_eq!(whole.status, Status::Unavailable);
        let reason = whole.reason.expect("reason");
        assert!(
            reason.starts_with("GET /v1/connections/c/sync-history answered 40"),
            "{reason}"
        );
        assert!(reason.ends_with(NOT_OFFERED), "{reason}");
    }
    let forbidden = ApiError::Forbidden {
        path: path.clone(),
        code: "Forbidden".into(),
        message: "no".into(),
    };
    assert_eq!(
        refusal(&forbidden).map(|c| c.status),
        Some(Status::Forbidden)
    );
    for error in [
        status(500),
        not_found("NotFound_Connection"),
        not_found("NotFound_Connector"),
    ] {
        assert!(refusal(&error).is_none(), "{error}");
    }
}

#[test]
fn items_copy_the_connection_fields_and_skip_what_cannot_be_requested() {
    let target = Target::new(&json!({
        "id": "a/b", "service": "s3", "schema": "x", "group_id": "g", "paused": false
    }));
    assert_eq!(
        target.path.as_deref(),
        Some("/connections/a%2Fb/sync-history")
    );
    let (item, problems) = target.apply();
    assert_eq!(
        item,
        json!({"id": "a/b", "service": "s3", "schema": "x", "group_id": "g", "syncs": null})
    );
    assert!(problems.is_empty());

    let unusable = Target::new(&json!({"id": ".."}));
    assert!(unusable.path.is_none());
    let (item, problems) = unusable.apply();
    assert_eq!(problems.len(), 1);
    assert!(item["_iru"]["incomplete"][0].is_string());

    let gone = json!({"code": "NotFound_Connection"});
    let deleted = Target::new(&json!({"id": "c", "_iru": {"deleted_during_run": gone}}));
    assert!(deleted.path.is_none());
    let (item, problems) = deleted.apply();
    assert!(problems.is_empty());
    assert_eq!(item["_iru"]["deleted_during_run"], gone);
    assert!(item["syncs"].is_null());
}
