//! The benchmark's parts (`examples/bench/`): the generated account, the fake's latency, the
//! request plan against what the collector really sends, and the floor arithmetic.

use std::collections::HashSet;
use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use iru_fivetran_fake::synthetic::{SyntheticSize, floor, median};
use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer};
use serde_json::Value;

use crate::support::{self, KEY, PLANTED, SECRET, expected_requests};

fn ids<'a>(items: &'a [Value], key: &str) -> Vec<&'a str> {
    items
        .iter()
        .map(|i| i[key].as_str().expect("string id"))
        .collect()
}

#[test]
fn the_generated_account_has_the_size_asked_and_is_the_same_every_time() {
    let size = SyntheticSize {
        users: 40,
        teams: 6,
        groups: 4,
        connections: 30,
        memberships_per_user: 5,
        ..SyntheticSize::default()
    };
    let a = FakeAccount::synthetic(&size);
    assert_eq!(
        format!("{a:?}"),
        format!("{:?}", FakeAccount::synthetic(&size))
    );
    assert_eq!((a.users.len(), a.teams.len(), a.groups.len()), (40, 6, 4));
    assert_eq!((a.destinations.len(), a.connections.len()), (4, 30));

    // Ids are unique across kinds, and every destination is its group's.
    let mut all = ids(&a.users, "id");
    all.extend(ids(&a.teams, "id"));
    all.extend(ids(&a.groups, "id"));
    all.extend(ids(&a.connections, "id"));
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), all.len());
    assert_eq!(ids(&a.destinations, "id"), ids(&a.groups, "id"));
    assert!(
        all.iter()
            .all(|id| id.len() == 13 && id.as_bytes()[6] == b'_')
    );

    // Each user has its memberships, alternately groups (3 of 5) and connections (2 of 5),
    // each to a group or connection that exists, none twice.
    let groups: HashSet<&str> = ids(&a.groups, "id").into_iter().collect();
    let connections: HashSet<&str> = ids(&a.connections, "id").into_iter().collect();
    for user in ids(&a.users, "id") {
        let (g, c) = (&a.user_groups[user], &a.user_connections[user]);
        assert_eq!((g.len(), c.len()), (3, 2), "{user}");
        assert!(ids(g, "id").iter().all(|id| groups.contains(id)));
        assert!(ids(c, "id").iter().all(|id| connections.contains(id)));
        assert_eq!(ids(g, "id").iter().collect::<HashSet<_>>().len(), 3);
    }
    for team in ids(&a.teams, "id") {
        assert!(!a.team_users[team].is_empty());
    }

    // Some connections have a schema config, some do not; all have details and syncs.
    let with_schema = a.connection_schemas.len();
    assert!(with_schema > 0 && with_schema < 30, "{with_schema}");
    assert_eq!(a.connection_details.len(), 30);
    assert!(a.sync_history.values().all(|syncs| !syncs.is_empty()));
    let json = serde_json::to_string(&a.connection_details).expect("json");
    assert!(
        json.contains(PLANTED),
        "secrets are planted for the leak check"
    );

    // Fewer groups than a user's group memberships: each group once.
    let few = FakeAccount::synthetic(&SyntheticSize {
        groups: 1,
        memberships_per_user: 6,
        ..size
    });
    assert!(few.user_groups.values().all(|g| g.len() == 1));
}

#[test]
fn the_plan_counts_what_a_collection_of_the_generated_account_needs() {
    // Over 1,000 users and connections, so the top-level lists take more than one page.
    let size = SyntheticSize {
        users: 2_100,
        teams: 12,
        groups: 5,
        connections: 1_001,
        ..SyntheticSize::default()
    };
    let plan = size.plan(1000, 1);
    assert_eq!(
        plan.total() as usize,
        expected_requests(&FakeAccount::synthetic(&size), 1000)
    );
    let part = |name: &str| plan.parts.iter().find(|(n, _)| *n == name).expect(name).1;
    assert_eq!(part("users"), 3 + 2 * 2_100);
    // Each connection's detail, schema config and active errors.
    assert_eq!(part("connections"), 2 + 3 * 1_001);
    assert_eq!(part("sync_history"), 1_001);
    assert_eq!(size.plan(1000, 3).total(), plan.total() + 2 * 1_001);
}

#[test]
fn the_collector_makes_exactly_the_planned_requests() {
    let size = SyntheticSize {
        now: jiff::Timestamp::now(),
        ..SyntheticSize::default()
    };
    let options = FakeOptions {
        page_size: 1000,
        ..support::options()
    };
    let fake = FakeServer::start(FakeAccount::synthetic(&size), options).expect("server");
    // support::collect also checks that no planted secret escaped redaction.
    let run = support::collect(&fake, &[]);
    run.assert_code(0);
    let planned = size.plan(1000, 1).total();
    assert_eq!(fake.requests().len() as u64, planned);
    assert_eq!(run.manifest()["requests"]["total"], planned);
    let syncs: usize = run.json("sync_history.json")["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["syncs"].as_array().map_or(0, Vec::len))
        .sum();
    let generated: usize = FakeAccount::synthetic(&size)
        .sync_history
        .values()
        .map(Vec::len)
        .sum();
    assert_eq!(syncs, generated, "every generated sync is in the window");
}

#[test]
fn the_fake_waits_its_latency_before_each_answer() {
    let latency = Duration::from_millis(40);
    let options = FakeOptions {
        latency,
        ..support::options()
    };
    let fake = FakeServer::start(FakeAccount::synthetic(&SyntheticSize::default()), options)
        .expect("server");
    let url = fake.api_url();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_owned();
    let auth = BASE64.encode(format!("{KEY}:{SECRET}"));
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(&host).expect("connect");
    write!(
        stream,
        "GET /v1/account/info HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    assert_eq!(FakeOptions::default().latency, Duration::ZERO);
}

#[test]
fn the_floor_is_the_rate_or_the_latency_whichever_binds() {
    let ms = Duration::from_millis;
    // 1,000 requests at 100/s take 10 s; at 20 ms, 4 at a time, 5 s: the rate binds.
    assert_eq!(floor(1_000, 100.0, ms(20), 4), Duration::from_secs(10));
    // At 1,000/s the latency binds: 5 s, or 20 s one at a time.
    assert_eq!(floor(1_000, 1_000.0, ms(20), 4), Duration::from_secs(5));
    assert_eq!(floor(1_000, 1_000.0, ms(20), 1), Duration::from_secs(20));
    assert_eq!(
        floor(1_000, 0.5, Duration::ZERO, 4),
        Duration::from_secs(2_000)
    );
    assert_eq!(floor(0, 4.0, ms(20), 4), Duration::ZERO);

    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    assert_eq!(median(&[7.0]), Some(7.0));
    assert_eq!(median(&[]), None);
}
