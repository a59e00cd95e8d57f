//! Unit tests of `endpoints`.

use super::*;

#[test]
fn ids_become_single_encoded_segments() {
    let ok = |e: Endpoint, id: &str| e.path(&[id]).expect("usable id");
    assert_eq!(ok(USER_GROUPS, "nozzle_eat"), "/users/nozzle_eat/groups");
    assert_eq!(
        ok(USER_GROUPS, "../../account/info?x=1#f"),
        "/users/..%2F..%2Faccount%2Finfo%3Fx%3D1%23f/groups"
    );
    assert_eq!(ok(CONNECTION, "a b%c"), "/connections/a%20b%25c");
    assert_eq!(ok(CONNECTION, "é\n"), "/connections/%C3%A9%0A");
    assert_eq!(ok(CONNECTION, "..."), "/connections/...");
    assert_eq!(USERS.path(&[]).expect("no ids"), "/users");
}

#[test]
fn dot_and_empty_ids_are_refused() {
    for id in ["", ".", ".."] {
        assert!(CONNECTION.path(&[id]).is_err(), "{id:?}");
    }
}

#[test]
fn encoded_paths_survive_url_parsing_unchanged() {
    let mut url = url::Url::parse("https://api.fivetran.com/v1").expect("url");
    let path = USER_GROUPS.path(&["../x/%2e%2e?#"]).expect("usable id");
    url.set_path(&format!("/v1{path}"));
    assert_eq!(url.path(), "/v1/users/..%2Fx%2F%252e%252e%3F%23/groups");
}

#[test]
fn connection_and_destination_endpoints_ask_for_version_2() {
    for e in ALL {
        let v2 = e.template == "/connections"
            || e.template == "/connections/{id}"
            || e.template == "/connections/{id}/sync-history"
            // Fivetran's reference page for a connection's errors shows version 2.
            || e.template == "/connections/{id}/errors"
            || (e.template.starts_with("/destinations")
                // The spec's Accept for a destination's approvals is application/json.
                && !e.template.ends_with("/certificates")
                && !e.template.ends_with("/fingerprints"));
        assert_eq!(e.accept == Accept::V2, v2, "{}", e.template);
    }
}

#[test]
fn connection_errors_are_a_version_2_list_under_one_connection() {
    assert!(ALL.contains(&CONNECTION_ERRORS));
    assert_eq!(CONNECTION_ERRORS.shape, Shape::List);
    assert_eq!(
        CONNECTION_ERRORS.path(&["a/b"]).expect("usable id"),
        "/connections/a%2Fb/errors"
    );
}

#[test]
fn sync_history_is_a_version_2_list_under_one_connection() {
    assert!(ALL.contains(&SYNC_HISTORY));
    assert_eq!(SYNC_HISTORY.shape, Shape::List);
    assert_eq!(SYNC_HISTORY.accept, Accept::V2);
    assert_eq!(
        SYNC_HISTORY.path(&["a/b"]).expect("usable id"),
        "/connections/a%2Fb/sync-history"
    );
    assert_eq!(SYNC_HISTORY.display(), "/v1/connections/{id}/sync-history");
}

#[test]
fn every_template_is_listed_once() {
    let mut templates: Vec<&str> = ALL.iter().map(|e| e.template).collect();
    templates.sort_unstable();
    templates.dedup();
    assert_eq!(templates.len(), ALL.len());
}

#[test]
fn the_source_touching_column_endpoint_is_not_in_the_table() {
    assert!(ALL.iter().all(|e| !e.template.contains("/columns")));
}
