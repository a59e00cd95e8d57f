//! `sync_history.json` end to end: windows of at most 7 days read to their last page, an
//! endpoint the account is not offered, deletions and failures along the way.

use iru_fivetran_fake::{
    FakeOptions, FakeServer, Fault, Recorded, SYNC_HISTORY_UNAVAILABLE, SyncHistoryMode,
    encode_cursor,
};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::{self, acme, collect, server};

const V2: &str = "application/json;version=2";
/// Syncs placed by the tests go on this connection (not the first in id order: that one is the
/// probe).
const BUSY: &str = "velvet_summit";
/// The first connection in id order, the one read alone first.
const PROBE: &str = "9c4e2a7f1b3d48e6a5f0c2d7e8b91a34";

fn path(id: &str) -> String {
    format!("/v1/connections/{id}/sync-history")
}

fn day(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

/// Time text as Fivetran writes it, with milliseconds.
fn text(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn sync(id: &str, start: Timestamp, status: &str) -> Value {
    json!({
        "sync_id": id,
        "start_time": text(start),
        "end_time": text(start + SignedDuration::from_mins(9)),
        "status": status,
    })
}

/// Syncs for [`BUSY`] over a `--since 20d` run starting now: one before the window, three in
/// each of the first two 7-day windows and four in the last (two pages each at two a page).
/// Listed newest first (but the last), so the order of the output is the collector's doing.
fn busy_syncs(now: Timestamp) -> (Vec<Value>, Vec<&'static str>) {
    let placed = [
        ("s-before", 25),
        ("s-w1-a", 19),
        ("s-w1-b", 17),
        ("s-w1-c", 15),
        ("s-w2-a", 12),
        ("s-w2-b", 10),
        ("s-w2-c", 8),
        ("s-w3-a", 5),
        ("s-w3-b", 3),
        ("s-w3-c", 1),
    ];
    let mut syncs: Vec<Value> = placed
        .iter()
        .rev()
        .map(|&(id, days)| sync(id, now - day(days), "SUCCESSFUL"))
        .collect();
    syncs.push(sync(
        "s-w3-d",
        now - SignedDuration::from_hours(1),
        "FAILURE_WITH_TASK",
    ));
    let in_window = placed[1..]
        .iter()
        .map(|&(id, _)| id)
        .chain(["s-w3-d"])
        .collect();
    (syncs, in_window)
}

fn item<'a>(envelope: &'a Value, id: &str) -> &'a Value {
    envelope["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {envelope}"))
}

fn sync_ids(item: &Value) -> Vec<&str> {
    item["syncs"]
        .as_array()
        .expect("syncs")
        .iter()
        .map(|s| s["sync_id"].as_str().expect("sync_id"))
        .collect()
}

fn time(value: &Value) -> Timestamp {
    value.as_str().expect("a time").parse().expect("RFC 3339")
}

/// `(start_time, end_time, cursor)` of a sync-history request.
fn query(r: &Recorded) -> (String, String, Option<String>) {
    let q = r.query.as_deref().expect("a query");
    assert!(q.starts_with("limit=1000&"), "{q}");
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect();
    let mut take = |name: &str| {
        pairs
            .iter()
            .position(|(k, _)| k == name)
            .map(|i| pairs.remove(i).1)
    };
    let (start, end, cursor) = (take("start_time"), take("end_time"), take("cursor"));
    let _ = take("limit");
    assert!(pairs.is_empty(), "unexpected parameters {pairs:?}");
    (start.expect("start_time"), end.expect("end_time"), cursor)
}

fn history_requests(fake: &FakeServer) -> Vec<Recorded> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/sync-history"))
        .collect()
}

/// Connections with details: the ones whose sync history is asked for.
fn live_connections(account: &iru_fivetran_fake::FakeAccount) -> usize {
    account
        .connections
        .iter()
        .filter(|c| {
            let id = c["id"].as_str().expect("id");
            account.connection_details.contains_key(id)
        })
        .count()
}

#[test]
fn syncs_across_three_windows_and_several_pages_are_each_read_once() {
    let account = acme();
    let fake = server(account.clone());
    let (syncs, expected) = busy_syncs(Timestamp::now());
    fake.edit(|a| {
        a.sync_history.insert(BUSY.into(), syncs);
    });
    let run = collect(&fake, &["--resources", "sync_history", "--since", "20d"]);
    run.assert_code(0);
    let history = run.json("sync_history.json");
    assert_eq!(history["status"], "complete", "{history}");
    assert_eq!(history["count"], account.connections.len());

    let (start, end) = (
        time(&history["window"]["start"]),
        time(&history["window"]["end"]),
    );
    assert_eq!(end.duration_since(start), day(20));
    assert_eq!(
        run.manifest()["options"]["since"],
        history["window"]["start"]
    );
    let busy = item(&history, BUSY);
    assert_eq!(sync_ids(busy), expected, "in time order, each once");
    assert_eq!(busy["service"], "salesforce");
    assert_eq!(busy["schema"], "salesforce");
    assert_eq!(busy["group_id"], "warm_harbor");
    assert!(busy.get("_iru").is_none(), "{busy}");
    for c in history["items"].as_array().expect("items") {
        assert!(c["syncs"].is_array(), "{c}");
    }

    // Three consecutive windows, each read to its second page, in order.
    let rfc = |t: Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let bounds = [start, start + day(7), start + day(14), end];
    let second_page = Some(encode_cursor(2));
    let want: Vec<(String, String, Option<String>)> = bounds
        .windows(2)
        .flat_map(|w| {
            let (s, e) = (rfc(w[0]), rfc(w[1]));
            [(s.clone(), e.clone(), None), (s, e, second_page.clone())]
        })
        .collect();
    let requests = history_requests(&fake);
    let busy_requests: Vec<_> = requests.iter().filter(|r| r.path == path(BUSY)).collect();
    let got: Vec<_> = busy_requests.iter().map(|r| query(r)).collect();
    assert_eq!(got, want);
    for r in &requests {
        assert_eq!(r.accept.as_deref(), Some(V2), "{r:?}");
        assert_eq!(r.status, 200, "{r:?}");
    }
    // Everyone else: three windows of one page each.
    let others = live_connections(&account) - 1;
    assert_eq!(requests.len(), want.len() + 3 * others);

    let endpoint = run.manifest()["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .find(|e| e["endpoint"] == "GET /v1/connections/{id}/sync-history")
        .cloned()
        .expect("sync-history in the manifest");
    assert_eq!(endpoint["requests"], requests.len());
    assert_eq!(endpoint["cursor_drained"], true);
}

#[test]
fn a_sync_returned_in_two_windows_is_kept_once() {
    let fake = server(acme());
    let now = Timestamp::now();
    let (syncs, expected) = busy_syncs(now);
    fake.edit(|a| {
        a.sync_history.insert(BUSY.into(), syncs);
    });
    // The first page of the first window (the fake serves newest first here) also carries
    // the first sync of the second window, as an API returning syncs that overlap a window
    // (not just start in it) would.
    let page = json!({"code": "Success", "data": {
        "items": [
            sync("s-w1-c", now - day(15), "SUCCESSFUL"),
            sync("s-w1-b", now - day(17), "SUCCESSFUL"),
            sync("s-w2-a", now - day(12), "SUCCESSFUL"),
        ],
        "next_cursor": encode_cursor(2),
    }});
    fake.inject(Fault::status(&path(BUSY), 200, "", "").body(&page.to_string()));
    let run = collect(&fake, &["--resources", "sync_history", "--since", "20d"]);
    run.assert_code(0);
    let history = run.json("sync_history.json");
    assert_eq!(history["status"], "complete");
    assert_eq!(sync_ids(item(&history, BUSY)), expected);
}

#[test]
fn the_default_window_is_one_day_read_in_one_request_per_connection() {
    let account = acme();
    let fake = server(account.clone());
    let run = collect(&fake, &["--resources", "sync_history"]);
    run.assert_code(0);
    let history = run.json("sync_history.json");
    assert_eq!(history["status"], "complete");
    let (start, end) = (
        time(&history["window"]["start"]),
        time(&history["window"]["end"]),
    );
    assert_eq!(end.duration_since(start), day(1));
    // The fixture's syncs are months old: none falls in the last day.
    assert!(!account.sync_history.is_empty());
    for c in history["items"].as_array().expect("items") {
        assert_eq!(c["syncs"], json!([]), "{c}");
    }
    let requests = history_requests(&fake);
    assert_eq!(requests.len(), live_connections(&account));
    for r in &requests {
        let (s, e, cursor) = query(r);
        assert_eq!(
            (s.as_str(), e.as_str(), cursor),
            (
                history["window"]["start"].as_str().expect("start"),
                history["window"]["end"].as_str().expect("end"),
                None
            )
        );
    }
}

#[test]
fn sync_history_not_offered_is_unavailable_after_one_request() {
    let not_json = Fault::status(&path(PROBE), 404, "", "").body("<html>Not Found</html>");
    let cases: [(SyncHistoryMode, Option<Fault>, &str); 3] = [
        (
            SyncHistoryMode::NotFound,
            None,
            "answered 404 NotFound: The requested resource could not be found",
        ),
        (
            SyncHistoryMode::BadRequest,
            None,
            "answered 400 BadRequest: ",
        ),
        (
            SyncHistoryMode::Available,
            Some(not_json),
            "answered 404 non-JSON body of 22 bytes",
        ),
    ];
    assert!(cases[0].2.ends_with(SYNC_HISTORY_UNAVAILABLE));
    for (mode, fault, answer) in cases {
        let options = FakeOptions {
            sync_history: mode,
            ..support::options()
        };
        let fake = FakeServer::start(acme(), options).expect("server");
        if let Some(fault) = fault {
            fake.inject(fault);
        }
        let run = collect(&fake, &["--resources", "sync_history", "--since", "20d"]);
        run.assert_code(0);
        let history = run.json("sync_history.json");
        assert_eq!(history["status"], "unavailable", "{mode:?}");
        assert_eq!(history["count"], 0);
        assert_eq!(history["items"], json!([]));
        let reason = history["reason"].as_str().expect("reason");
        let expected = format!("GET {} {answer}", path(PROBE));
        assert!(reason.starts_with(&expected), "{reason}\nwant {expected}");
        assert!(
            reason.contains("does not offer sync history to this account"),
            "{reason}"
        );
        assert!(history["window"]["start"].is_string());
        let requests = history_requests(&fake);
        assert_eq!(
            requests.len(),
            1,
            "asked once, not per connection: {requests:?}"
        );
        assert_eq!(requests[0].path, path(PROBE));
        let manifest = run.manifest();
        assert_eq!(manifest["status"], "complete");
        let entry = manifest["artifacts"]
            .as_array()
            .expect("artifacts")
            .iter()
            .find(|a| a["resource"] == "sync_history")
            .expect("sync_history in the manifest");
        assert_eq!(entry["status"], "unavailable");
        assert!(
            run.stderr.contains("sync_history: unavailable"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn sync_history_forbidden_on_the_probe_is_recorded_once() {
    let mut account = acme();
    let message = "Access denied. Required permission: CONNECTOR_READ";
    account.forbidden.insert(path(PROBE), message.into());
    let fake = server(account);
    let run = collect(&fake, &["--resources", "sync_history", "--since", "20d"]);
    run.assert_code(3);
    let history = run.json("sync_history.json");
    assert_eq!(history["status"], "forbidden");
    assert_eq!(history["count"], 0);
    assert!(
        history["reason"]
            .as_str()
            .expect("reason")
            .contains(message)
    );
    assert_eq!(history_requests(&fake).len(), 1);
}

#[test]
fn connections_deleted_during_the_run_are_kept_with_null_syncs() {
    let mut account = acme();
    // Deleted before its detail was read: connections.json already says so; not asked again.
    let early = "pale_river";
    account.connection_details.remove(early);
    account.connection_schemas.remove(early);
    let fake = server(account.clone());
    // Deleted between connections.json and its sync history.
    let late = "brave_lantern";
    fake.inject(Fault::status(
        &path(late),
        404,
        "NotFound_Connection",
        &format!("Connection with id '{late}' doesn't exist"),
    ));
    let run = collect(&fake, &["--resources", "sync_history", "--since", "20d"]);
    run.assert_code(0);
    let history = run.json("sync_history.json");
    assert_eq!(history["status"], "complete", "{history}");
    assert_eq!(history["count"], account.connections.len());
    for id in [early, late] {
        let c = item(&history, id);
        assert!(c["syncs"].is_null(), "{c}");
        assert_eq!(
            c["_iru"]["deleted_during_run"]["code"], "NotFound_Connection",
            "{c}"
        );
        assert!(c["service"].is_string(), "the connection's fields are kept");
    }
    let requests = history_requests(&fake);
    assert!(requests.iter().all(|r| r.path != path(early)));
    assert_eq!(
        requests.iter().filter(|r| r.path == path(late)).count(),
        1,
        "later windows are not asked for"
    );
}

#[test]
fn a_server_error_in_one_connections_window_makes_the_artifact_partial() {
    let fake = server(acme());
    let (syncs, _) = busy_syncs(Timestamp::now());
    fake.edit(|a| {
        a.sync_history.insert(BUSY.into(), syncs);
    });
    // The second page of the busy connection's first window keeps failing.
    fake.inject(
        Fault::status(&path(BUSY), 500, "InternalError", "boom")
            .on_cursor(&encode_cursor(2))
            .times(100),
    );
    let run = collect(&fake, &["--resources", "sync_history", "--since", "20d"]);
    run.assert_code(3);
    let history = run.json("sync_history.json");
    assert_eq!(history["status"], "partial");
    let reason = history["reason"].as_str().expect("reason");
    assert!(
        reason.contains("1 follow-up request(s) failed") && reason.contains("HTTP 500"),
        "{reason}"
    );
    let busy = item(&history, BUSY);
    // The fake serves them newest first: the first page holds the two latest of the window.
    assert_eq!(
        sync_ids(busy),
        ["s-w1-b", "s-w1-c"],
        "the page read is kept"
    );
    let note = busy["_iru"]["incomplete"][0].as_str().expect("note");
    assert!(
        note.contains(&path(BUSY))
            && note.contains("after 6 attempt(s)")
            && note.contains("window"),
        "{note}"
    );
    let busy_requests = history_requests(&fake)
        .into_iter()
        .filter(|r| r.path == path(BUSY))
        .count();
    assert_eq!(
        busy_requests,
        1 + 6,
        "first page, then six attempts; later windows not read"
    );
    for id in ["fervent_ledger", PROBE] {
        let c = item(&history, id);
        assert!(c["syncs"].is_array() && c.get("_iru").is_none(), "{c}");
    }
    assert_eq!(run.manifest()["status"], "partial");
}

#[test]
fn a_refused_key_during_sync_history_stops_the_run() {
    let fake = server(acme());
    fake.inject(Fault::status(
        &path(PROBE),
        401,
        "AuthFailed",
        "Invalid API key or secret",
    ));
    let run = collect(&fake, &["--resources", "sync_history"]);
    run.assert_code(1);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert_eq!(history_requests(&fake).len(), 1);
}

#[test]
fn bad_since_values_exit_2_before_any_request() {
    let fake = server(acme());
    for bad in [
        "",
        "yesterday",
        "7x",
        "-1d",
        "0h",
        "93d",
        "2999-01-01T00:00:00Z",
        "2026-13-01T00:00:00Z",
    ] {
        // `--since=VALUE`, so that `-1d` is a value and not a flag.
        let since = format!("--since={bad}");
        let run = collect(&fake, &["--resources", "sync_history", &since]);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{bad:?}");
        assert!(
            run.stderr.contains("--since") && run.stderr.contains("hint:"),
            "{bad:?}: {}",
            run.stderr
        );
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}
