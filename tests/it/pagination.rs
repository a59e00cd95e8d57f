//! Lists whose pages misbehave: a cursor that loops or never ends, an item repeated across
//! pages, within a page or in a membership list, and the ways a list may end (no cursor, a null
//! or empty one, an empty page). Each item is kept once, and a list cut short says so.

use std::collections::BTreeSet;

use iru_fivetran_core::endpoints::ROLES;
use iru_fivetran_core::paginate;
use iru_fivetran_fake::{FakeOptions, FakeServer, Fault, LastPage, encode_cursor};
use serde_json::json;

use crate::support::{self, acme, collect, server};

#[test]
fn cursor_loops_and_repeated_items_are_handled() {
    let fake = server(acme());
    // The second page of roles points back at itself.
    let second = encode_cursor(2);
    let looping = format!(
        "{{\"code\":\"Success\",\"data\":{{\"items\":[{{\"name\":\"Loop Role\"}}],\"next_cursor\":\"{second}\"}}}}"
    );
    fake.inject(
        Fault::status("/v1/roles", 200, "", "")
            .body(&looping)
            .on_cursor(&second)
            .times(10),
    );
    // The second page of users repeats an item of the first.
    let users = acme().users;
    let repeated = serde_json::json!({"code": "Success", "data": {
        "items": [users[1], users[2]], "next_cursor": encode_cursor(4)}});
    fake.inject(
        Fault::status("/v1/users", 200, "", "")
            .body(&repeated.to_string())
            .on_cursor(&encode_cursor(2)),
    );
    let run = collect(&fake, &["--resources", "roles,users"]);
    run.assert_code(3);
    let roles = run.json("roles.json");
    assert_eq!(roles["status"], "partial");
    assert!(
        roles["reason"]
            .as_str()
            .expect("r")
            .contains("cursor it had already returned")
    );
    let users_out = run.json("users.json");
    assert_eq!(users_out["status"], "complete");
    assert_eq!(
        users_out["count"], 7,
        "8 users, one page replaced by a repeat: 7 distinct"
    );
    let mut ids: Vec<&str> = users_out["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["id"].as_str().expect("id"))
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 7, "each once");
}

#[test]
fn a_cursor_that_never_ends_is_cut_at_the_page_cap() {
    let fake = server(acme());
    let client = support::fake_client(&fake, 1000.0);
    // Every page of roles has a fresh cursor: the server pages two items at a time and the
    // list has 17 items (9 pages), so a cap of 5 pages stops it.
    let listed = support::runtime().block_on(paginate::list_all_capped(
        &client,
        ROLES,
        "/roles",
        &[],
        "name",
        5,
    ));
    assert_eq!(listed.pages, 5);
    assert_eq!(listed.items.len(), 10);
    let error = listed.error.expect("stopped").to_string();
    assert!(error.contains("more than 5 pages"), "{error}");
}

#[test]
fn an_item_repeated_in_a_page_or_a_membership_list_is_kept_once() {
    let account = acme();
    let fake = server(account.clone());
    // The first page of groups holds its first item twice.
    let groups = &account.groups;
    let page = json!({"code": "Success", "data": {
        "items": [groups[0], groups[1], groups[0]], "next_cursor": encode_cursor(2)}});
    fake.inject(Fault::status("/v1/groups", 200, "", "").body(&page.to_string()));
    // The second page of a team's users repeats a user of the first (keyed by `user_id`).
    let (team, members) = account
        .team_users
        .iter()
        .find(|(_, m)| m.len() == 3)
        .expect("a team with 3 users");
    let path = format!("/v1/teams/{team}/users");
    let page = json!({"code": "Success", "data": {"items": [members[1], members[2]]}});
    fake.inject(
        Fault::status(&path, 200, "", "")
            .body(&page.to_string())
            .on_cursor(&encode_cursor(2)),
    );
    let run = support::collect(&fake, &["--resources", "groups,teams"]);
    run.assert_code(0);
    let groups_out = run.json("groups.json");
    assert_eq!(groups_out["status"], "complete");
    assert_eq!(groups_out["count"], groups.len());
    let teams = run.json("teams.json");
    let item = teams["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["id"] == team.as_str())
        .expect("team");
    let users: Vec<&str> = item["user_memberships"]
        .as_array()
        .expect("read")
        .iter()
        .map(|m| m["user_id"].as_str().expect("user_id"))
        .collect();
    let expected: BTreeSet<&str> = members
        .iter()
        .map(|m| m["user_id"].as_str().expect("user_id"))
        .collect();
    assert_eq!(users.len(), 3, "{users:?}");
    assert_eq!(users.iter().copied().collect::<BTreeSet<_>>(), expected);
}

#[test]
fn an_empty_last_page_after_full_pages_ends_every_list() {
    let account = acme();
    let options = FakeOptions {
        last_page: LastPage::EmptyPage,
        ..support::options()
    };
    let fake = FakeServer::start(account.clone(), options).expect("server");
    let run = support::collect(&fake, &[]);
    run.assert_code(0);
    assert_eq!(run.json("users.json")["count"], account.users.len());
    assert_eq!(run.json("roles.json")["count"], account.roles.len());
    // 8 users at 2 a page: 4 full pages, then the empty one.
    let pages: Vec<Option<String>> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/users")
        .map(|r| r.query)
        .collect();
    assert_eq!(pages.len(), 5, "{pages:?}");
    assert!(
        pages[4]
            .as_deref()
            .is_some_and(|q| q.contains(&encode_cursor(8))),
        "{pages:?}"
    );
    let users = run.json("users.json");
    let memberships: usize = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["group_memberships"].as_array().expect("read").len())
        .sum();
    assert_eq!(
        memberships,
        account.user_groups.values().map(Vec::len).sum::<usize>(),
        "membership lists end the same way"
    );
}

#[test]
fn every_list_end_style_is_understood() {
    use iru_fivetran_fake::{FakeServer, LastPage};
    for last_page in [LastPage::Missing, LastPage::Null, LastPage::Empty] {
        let options = iru_fivetran_fake::FakeOptions {
            last_page,
            ..support::options()
        };
        let fake = FakeServer::start(acme(), options).expect("server");
        let run = collect(&fake, &["--resources", "users"]);
        run.assert_code(0);
        assert_eq!(run.json("users.json")["count"], 8, "{last_page:?}");
    }
}
