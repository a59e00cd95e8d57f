//! Chaos: a seeded random mix of faults (`FakeOptions::chaos`) over many in-process runs.
//! Every run must end complete with every item exactly once, or partial with the manifest
//! saying what is missing; the check itself is shown to catch each way of getting that wrong.
//! Each kind of fault alone has its own tests: `transport.rs`, `too_many_requests.rs`,
//! `api_errors.rs`, `bodies.rs`, `pagination.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use iru_fivetran::commands::collect::run as collect;
use iru_fivetran::config::{Config, parse_api_url, parse_resources};
use iru_fivetran_core::vocab::RunStatus;
use iru_fivetran_core::vocab::Window;
use iru_fivetran_core::{credentials, verify};
use iru_fivetran_fake::{Chaos, ChaosFault, FakeAccount, FakeOptions, FakeServer};
use serde_json::{Value, json};

use crate::support::{self, acme, server};
use iru_fivetran_core::client::Delays;

/// Every item key of each collected artifact, and each membership list, as the fixture has
/// them.
struct Expected {
    keys: BTreeMap<&'static str, BTreeSet<String>>,
    /// (artifact, item id, membership field) -> member keys.
    members: BTreeMap<(&'static str, String, &'static str), BTreeSet<String>>,
}

/// The membership lists embedded in items: (artifact, field, member key).
const MEMBERSHIPS: [(&str, &str, &str); 5] = [
    ("users", "group_memberships", "id"),
    ("users", "connection_memberships", "id"),
    ("teams", "user_memberships", "user_id"),
    ("teams", "group_memberships", "id"),
    ("teams", "connection_memberships", "id"),
];

impl Expected {
    fn of(a: &FakeAccount) -> Self {
        let keys_of = |items: &[Value], key: &str| -> BTreeSet<String> {
            items
                .iter()
                .map(|i| i[key].as_str().expect("key").to_owned())
                .collect()
        };
        let mut log_services = keys_of(&a.log_services, "id");
        if let Some(service) = &a.account_log_service {
            log_services.insert(service["id"].as_str().expect("id").to_owned());
        }
        let keys = BTreeMap::from([
            ("users", keys_of(&a.users, "id")),
            ("roles", keys_of(&a.roles, "name")),
            ("teams", keys_of(&a.teams, "id")),
            ("groups", keys_of(&a.groups, "id")),
            ("destinations", keys_of(&a.destinations, "id")),
            ("connections", keys_of(&a.connections, "id")),
            ("webhooks", keys_of(&a.webhooks, "id")),
            ("log_services", log_services),
            ("system_keys", keys_of(&a.system_keys, "id")),
            ("private_links", keys_of(&a.private_links, "id")),
            ("proxy_agents", keys_of(&a.proxy_agents, "id")),
            (
                "hybrid_deployment_agents",
                keys_of(&a.hybrid_deployment_agents, "id"),
            ),
            ("sync_history", keys_of(&a.connections, "id")),
        ]);
        let mut members = BTreeMap::new();
        for (artifact, field, key) in MEMBERSHIPS {
            let (parents, map) = match (artifact, field) {
                ("users", "group_memberships") => (&a.users, &a.user_groups),
                ("users", _) => (&a.users, &a.user_connections),
                (_, "user_memberships") => (&a.teams, &a.team_users),
                (_, "group_memberships") => (&a.teams, &a.team_groups),
                _ => (&a.teams, &a.team_connections),
            };
            for parent in parents {
                let id = parent["id"].as_str().expect("id").to_owned();
                let list = map.get(&id).map_or(&[][..], Vec::as_slice);
                members.insert((artifact, id, field), keys_of(list, key));
            }
        }
        Self { keys, members }
    }
}

/// The artifacts of one bundle: envelope per name, and the manifest.
#[derive(Clone)]
struct Bundle {
    manifest: Value,
    files: BTreeMap<String, Value>,
}

impl Bundle {
    fn read(dir: &std::path::Path) -> Result<Self, String> {
        verify::verify(dir).map_err(|e| format!("does not verify: {e}"))?;
        let read = |name: &str| -> Result<Value, String> {
            let bytes = std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
            serde_json::from_slice(&bytes).map_err(|e| format!("{name}: {e}"))
        };
        let manifest = read("manifest.json")?;
        let mut files = BTreeMap::new();
        for entry in manifest["artifacts"].as_array().ok_or("no artifacts")? {
            let name = entry["resource"].as_str().ok_or("no resource")?.to_owned();
            files.insert(name, read(entry["path"].as_str().ok_or("no path")?)?);
        }
        Ok(Self { manifest, files })
    }
}

/// Keys of `items` (by `key`); an error if one is missing or repeated.
fn unique_keys(items: &[Value], key: &str, what: &str) -> Result<BTreeSet<String>, String> {
    let mut keys = BTreeSet::new();
    for item in items {
        let k = item[key]
            .as_str()
            .ok_or_else(|| format!("{what}: an item without `{key}`"))?;
        if !keys.insert(k.to_owned()) {
            return Err(format!("{what}: `{k}` twice"));
        }
    }
    Ok(keys)
}

/// The invariant of a run against faults: every artifact whose items differ from the clean
/// run's says so (not complete, with a reason); none holds an item twice or an item the
/// fixture does not have; the run is complete exactly when every artifact is whole.
fn check_run(bundle: &Bundle, clean: &Bundle, expected: &Expected) -> Result<RunStatus, String> {
    let mut whole = true;
    for (name, envelope) in &bundle.files {
        let entry = support::manifest_artifact(&bundle.manifest, name);
        let status = envelope["status"].as_str().ok_or("no status")?;
        let items = envelope["items"].as_array().ok_or("no items")?;
        if entry["status"] != status {
            return Err(format!(
                "{name}: manifest says {}, file {status}",
                entry["status"]
            ));
        }
        if envelope["count"] != items.len() || entry["count"] != items.len() {
            return Err(format!("{name}: count is not the number of items"));
        }
        let complete = status == "complete" || status == "unavailable";
        whole &= complete;
        let has_reason = |v: &Value| v["reason"].as_str().is_some_and(|r| !r.trim().is_empty());
        if !complete && (!has_reason(entry) || !has_reason(envelope)) {
            return Err(format!("{name}: {status} without a reason"));
        }
        if complete && items != clean.files[name]["items"].as_array().ok_or("clean items")? {
            let keys: Vec<&Value> = items.iter().map(|i| &i["id"]).collect();
            return Err(format!(
                "{name}: {status} but not what a clean run holds: {keys:?}"
            ));
        }
        if let Some(fixture) = expected.keys.get(name.as_str()) {
            let key = if name == "roles" { "name" } else { "id" };
            let keys = unique_keys(items, key, name)?;
            if !keys.is_subset(fixture) {
                return Err(format!("{name}: items the fixture does not have"));
            }
            if complete && &keys != fixture {
                return Err(format!("{name}: complete without every item"));
            }
            // An item that is not what a clean run holds says so itself.
            let clean_items = clean.files[name]["items"].as_array().ok_or("clean items")?;
            for item in items {
                let twin = clean_items.iter().find(|c| c[key] == item[key]);
                if twin != Some(item) && !item["_iru"]["incomplete"].is_array() {
                    return Err(format!("{name} {}: altered without a note", item[key]));
                }
            }
        }
        for (artifact_name, field, key) in MEMBERSHIPS {
            if artifact_name != name {
                continue;
            }
            for item in items {
                let id = item["id"].as_str().ok_or("no id")?.to_owned();
                let Some(list) = item[field].as_array() else {
                    if complete {
                        return Err(format!("{name} {id}: complete without {field}"));
                    }
                    continue;
                };
                let what = format!("{name} {id} {field}");
                let keys = unique_keys(list, key, &what)?;
                let fixture = &expected.members[&(artifact_name, id, field)];
                if !keys.is_subset(fixture) || (complete && &keys != fixture) {
                    return Err(format!("{what}: {keys:?}, the fixture has {fixture:?}"));
                }
            }
        }
        if name == "sync_history" {
            for item in items {
                if let Some(syncs) = item["syncs"].as_array() {
                    unique_keys(syncs, "sync_id", "a connection's syncs")?;
                }
            }
        }
    }
    let status = match bundle.manifest["status"].as_str() {
        Some("complete") => RunStatus::Complete,
        Some("partial") => RunStatus::Partial,
        other => return Err(format!("run status {other:?}")),
    };
    if whole != (status == RunStatus::Complete) {
        return Err(format!("run {status:?}, every artifact whole: {whole}"));
    }
    Ok(status)
}

/// `clean` with `name`'s envelope changed by `edit` (count and manifest kept consistent).
fn tampered(clean: &Bundle, name: &str, edit: impl FnOnce(&mut Value)) -> Bundle {
    let mut bundle = clean.clone();
    let envelope = bundle.files.get_mut(name).expect("artifact");
    edit(envelope);
    let count = envelope["items"].as_array().expect("items").len();
    envelope["count"] = json!(count);
    let (status, reason) = (envelope["status"].clone(), envelope["reason"].clone());
    let entries = bundle.manifest["artifacts"]
        .as_array_mut()
        .expect("entries");
    let entry = entries
        .iter_mut()
        .find(|e| e["resource"] == name)
        .expect("entry");
    entry["count"] = json!(count);
    entry["status"] = status.clone();
    entry["reason"] = reason;
    if status != "complete" {
        bundle.manifest["status"] = json!("partial");
    }
    bundle
}

/// The check is not vacuous: each way of getting it wrong is caught.
fn assert_the_check_catches_what_it_must(clean: &Bundle, expected: &Expected) {
    fn partial(envelope: &mut Value) {
        envelope["status"] = json!("partial");
        envelope["reason"] = json!("the list stopped");
    }
    type Edit = fn(&mut Value);
    let cases: [(&str, &str, Edit); 6] = [
        ("an item missing", "users", |e| {
            e["items"].as_array_mut().expect("items").pop();
        }),
        ("a membership missing", "teams", |e| {
            e["items"][0]["user_memberships"]
                .as_array_mut()
                .expect("list")
                .pop();
        }),
        ("memberships not read", "users", |e| {
            e["items"][0]["group_memberships"] = Value::Null;
        }),
        ("an item twice", "roles", |e| {
            partial(e);
            let first = e["items"][0].clone();
            e["items"].as_array_mut().expect("items").push(first);
        }),
        ("an item altered without a note", "groups", |e| {
            partial(e);
            e["items"][0]["name"] = json!("changed");
        }),
        ("partial without a reason", "webhooks", |e| {
            e["status"] = json!("partial");
            e["items"].as_array_mut().expect("items").pop();
        }),
    ];
    for (what, name, edit) in cases {
        let bundle = tampered(clean, name, edit);
        assert!(
            check_run(&bundle, clean, expected).is_err(),
            "{what} in {name} not caught"
        );
    }
}

/// The configuration of an in-process run: everything, at 1,000 requests/s, waits skipped.
fn config(url: &str, out: &std::path::Path, max_wait: Duration) -> Config {
    let now = jiff::Timestamp::now();
    Config {
        api_url: parse_api_url(url).expect("url"),
        out_dir: out.to_owned(),
        skip: Default::default(),
        artifacts: parse_resources(None).expect("all"),
        rate: 1000.0,
        concurrency: iru_fivetran::config::DEFAULT_CONCURRENCY,
        credentials: credentials::resolve(None, &support::test_env).expect("credentials"),
        delays: Delays::Skip,
        window: Window {
            start: now - jiff::SignedDuration::from_hours(24),
            end: now,
        },
        since: iru_fivetran::config::Since::Ago(jiff::SignedDuration::from_hours(24)),
        inactive_days: 90,
        stale_days: 7,
        max_admins: 3,
        baseline: None,
        max_wait,
        max_time: Duration::from_secs(6 * 3600),
        extra_roots: Vec::new(),
        reserve: iru_fivetran_core::client::quota::DEFAULT_RESERVE,
        on_quota: iru_fivetran_core::client::quota::OnQuota::Slow,
        sign_key: None,
        baseline_keys: Vec::new(),
    }
}

/// Runs a collection in-process and reads its bundle.
fn run_in_process(
    rt: &tokio::runtime::Runtime,
    fake: &FakeServer,
    out: &std::path::Path,
    max_wait: Duration,
) -> Result<Bundle, String> {
    let outcome = rt
        .block_on(collect::run(&config(&fake.api_url(), out, max_wait)))
        .map_err(|e| format!("the run failed: {e}"))?;
    let bundle = Bundle::read(&outcome.bundle)?;
    let said = bundle.manifest["status"].clone();
    let expected = json!(match outcome.status {
        RunStatus::Complete => "complete",
        RunStatus::Partial => "partial",
        RunStatus::Failed => "failed",
    });
    if said != expected {
        return Err(format!("outcome {expected}, manifest {said}"));
    }
    Ok(bundle)
}

/// How the chaos runs ended, summed over the seeds.
#[derive(Default)]
struct Tally {
    seeds: u64,
    complete: u32,
    partial: u32,
    /// Partial runs where the wait budget ran out, and where a request ran out of attempts.
    out_of_budget: u32,
    out_of_attempts: u32,
    faults: BTreeMap<ChaosFault, u32>,
}

/// One seed: a fresh fake with chaos on, a run, the invariant.
fn chaos_seed(
    rt: &tokio::runtime::Runtime,
    seed: u64,
    out: &std::path::Path,
    ctx: &ChaosCtx,
    tally: &std::sync::Mutex<Tally>,
) {
    // Mostly a few percent of requests, one run in five at 40% so that requests also run out
    // of attempts; every other run with a wait budget tight enough for the retries to use up.
    let percent = [2, 5, 10, 20, 40][(seed % 5) as usize];
    let max_wait = Duration::from_secs(if seed.is_multiple_of(2) { 900 } else { 5 });
    let options = FakeOptions {
        chaos: Some(Chaos { seed, percent }),
        ..support::options()
    };
    let fake = FakeServer::start(ctx.account.clone(), options).expect("server");
    let dir = out.join(seed.to_string());
    let result = run_in_process(rt, &fake, &dir, max_wait)
        .and_then(|bundle| check_run(&bundle, &ctx.clean, &ctx.expected).map(|s| (s, bundle)));
    let served = fake.chaos_served();
    let (status, bundle) = result.unwrap_or_else(|problem| {
        let list: Vec<String> = served
            .iter()
            .map(|s| {
                let query = s.query.as_deref().unwrap_or_default();
                format!("  {:?} on {}?{query} (#{})", s.fault, s.path, s.nth)
            })
            .collect();
        panic!(
            "seed {seed} ({percent}%, max wait {max_wait:?}): {problem}\nfaults served:\n{}",
            list.join("\n")
        )
    });
    let reasons = bundle.manifest["artifacts"].to_string();
    std::fs::remove_dir_all(&dir).expect("remove the run's bundle");
    let mut tally = tally.lock().expect("tally");
    tally.seeds += 1;
    if status == RunStatus::Complete {
        tally.complete += 1;
    } else {
        tally.partial += 1;
        tally.out_of_budget += u32::from(reasons.contains("past --max-wait"));
        tally.out_of_attempts += u32::from(reasons.contains("after 6 attempt(s)"));
    }
    for s in served {
        *tally.faults.entry(s.fault).or_default() += 1;
    }
}

/// What every chaos run is compared with.
struct ChaosCtx {
    account: FakeAccount,
    expected: Expected,
    clean: Bundle,
}

#[test]
fn under_a_random_mix_of_faults_a_run_is_complete_or_says_what_is_missing() {
    // Two threads take seeds in turn: at least MIN_SEEDS, then more until SEEDS or until TIME
    // has passed (on two idle cores the 150 take about 10 s; other tests share the cores).
    const MIN_SEEDS: u64 = 30;
    const SEEDS: u64 = 150;
    const TIME: Duration = Duration::from_secs(10);
    let started = Instant::now();
    let account = acme();
    let expected = Expected::of(&account);
    let out = tempfile::tempdir().expect("temp dir");
    let fake = server(account.clone());
    let clean = run_in_process(
        &support::runtime(),
        &fake,
        &out.path().join("clean"),
        Duration::from_secs(900),
    )
    .expect("a clean run");
    let status = check_run(&clean, &clean, &expected).expect("the clean run holds the fixture");
    assert_eq!(status, RunStatus::Complete);
    assert_the_check_catches_what_it_must(&clean, &expected);
    let ctx = ChaosCtx {
        account,
        expected,
        clean,
    };

    let next = AtomicU64::new(0);
    let tally = std::sync::Mutex::new(Tally::default());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let rt = support::runtime();
                loop {
                    let seed = next.fetch_add(1, Ordering::SeqCst);
                    if seed >= SEEDS || (seed >= MIN_SEEDS && started.elapsed() >= TIME) {
                        break;
                    }
                    chaos_seed(&rt, seed, out.path(), &ctx, &tally);
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let t = tally.into_inner().expect("tally");
    eprintln!(
        "chaos: {} seeds in {elapsed:.1?}: {} complete, {} partial ({} out of wait budget, {} out of attempts); faults served: {:?}",
        t.seeds, t.complete, t.partial, t.out_of_budget, t.out_of_attempts, t.faults
    );
    assert!(t.seeds >= MIN_SEEDS);
    assert!(
        t.complete > 0 && t.partial > 0,
        "both outcomes are exercised"
    );
    for fault in ChaosFault::ALL {
        assert!(t.faults.contains_key(&fault), "{fault:?} was never served");
    }
}
