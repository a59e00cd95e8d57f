//! `changes.json` and `iru-fivetran diff`: two collections of the fake account with edits in
//! between, the change log of the second bundle, baseline selection, and `diff`.

use std::path::{Path, PathBuf};

use iru_fivetran_fake::{FakeAccount, FakeServer};
use serde_json::{Value, json};

use crate::support::{self, Run, acme, server};

/// `collect --out OUT extra...` (the explicit `--out` is scanned for leaks too).
fn collect_to(fake: &FakeServer, out: &Path, extra: &[&str]) -> Run {
    let out = out.to_str().expect("utf-8 temp path");
    let mut args = vec!["--out", out];
    args.extend_from_slice(extra);
    support::collect(fake, &args)
}

/// Collects `sel` into `out`, applies `edit` to the fake account, and collects again: the old run
/// and the new one, whose `changes.json` compares the two.
fn collect_edit_collect(
    fake: &FakeServer,
    out: &Path,
    sel: &[&str],
    edit: impl FnOnce(&mut FakeAccount),
) -> (Run, Run) {
    let old = collect_to(fake, out, sel);
    fake.edit(edit);
    let new = collect_to(fake, out, sel);
    (old, new)
}

/// Runs `iru-fivetran diff ARGS` through `support::run` (cleared environment, leak check).
fn diff(args: &[&str]) -> Run {
    let mut full = vec!["diff"];
    full.extend_from_slice(args);
    support::run(&full, &[])
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The one change of `kind` on `id` at `field`.
fn change<'a>(changes: &'a Value, kind: &str, id: &str, field: &str) -> &'a Value {
    let items = changes["items"].as_array().expect("items");
    let found: Vec<&Value> = items
        .iter()
        .filter(|c| c["kind"] == kind && c["id"] == id && c["field"] == field)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{kind} {id} {field} in {:#?}",
        items
            .iter()
            .map(|c| format!("{} {} {}", c["kind"], c["id"], c["field"]))
            .collect::<Vec<_>>()
    );
    found[0]
}

/// Each change as `kind id field: before -> after`, values as compact JSON, sorted.
fn lines(changes: &Value) -> Vec<String> {
    let mut lines: Vec<String> = changes["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().expect("string").to_owned();
            let (kind, id, field) = (text("kind"), text("id"), text("field"));
            format!("{kind} {id} {field}: {} -> {}", c["before"], c["after"])
        })
        .collect();
    lines.sort();
    lines
}

/// The changes are exactly `expected` (in any order): each item, field, before and after.
fn assert_changes(changes: &Value, expected: &[&str]) {
    let mut expected: Vec<&str> = expected.to_vec();
    expected.sort_unstable();
    assert_eq!(lines(changes), expected);
}

fn item<'a>(list: &'a mut [Value], key: &str, id: &str) -> &'a mut Value {
    list.iter_mut()
        .find(|i| i[key] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

/// Applies `f` to a connection's list item and to its detail (the collected record is the
/// list item overlaid with the detail).
fn edit_connection(a: &mut FakeAccount, id: &str, f: impl Fn(&mut Value)) {
    f(item(&mut a.connections, "id", id));
    f(a.connection_details.get_mut(id).expect("detail"));
}

/// `diff OLD NEW --format json` prints exactly the items of NEW's changes.json.
fn assert_diff_agrees(old: &Run, new: &Run, changes: &Value) {
    let run = diff(&[path(&old.bundle()), path(&new.bundle()), "--format", "json"]);
    run.assert_code(0);
    let printed: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(
        &printed, &changes["items"],
        "diff and changes.json disagree"
    );
}

fn flip_a_byte(file: &Path) {
    let mut bytes = std::fs::read(file).expect("read");
    let i = bytes.len() / 2;
    bytes[i] ^= 0x20;
    std::fs::write(file, bytes).expect("write");
}

#[test]
fn a_first_run_has_no_baseline_an_unchanged_second_one_has_no_changes() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let first = collect_to(&fake, out.path(), &["--resources", "users,changes"]);
    first.assert_code(0);
    let changes = first.json("changes.json");
    assert_eq!(changes["status"], "unavailable");
    assert_eq!(changes["kind"], "derived");
    assert_eq!(changes["count"], 0);
    assert_eq!(changes["baseline"], Value::Null);
    let reason = changes["reason"].as_str().expect("reason");
    let dir_name = out.path().file_name().expect("name").to_string_lossy();
    assert_eq!(
        reason,
        format!(
            "no earlier bundle of account sterling_paddock with the same resources under --out {dir_name}"
        )
    );

    let second = collect_to(&fake, out.path(), &["--resources", "users,changes"]);
    second.assert_code(0);
    let changes = second.json("changes.json");
    assert_eq!(changes["status"], "complete", "{}", changes["reason"]);
    assert_eq!(changes["count"], 0);
    assert_eq!(changes["summary"], json!({}));
    let manifest = first.manifest();
    assert_eq!(
        changes["baseline"],
        json!({
            "bundle_id": manifest["bundle_id"],
            "started_at": manifest["started_at"],
            "account_id": "sterling_paddock",
            "manifest_sha256": manifest_sha256(&first.bundle()),
        })
    );
}

/// The SHA-256 of a bundle's `manifest.json`, as `changes.json` records its baseline's.
fn manifest_sha256(bundle: &Path) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(
        std::fs::read(bundle.join("manifest.json")).expect("manifest"),
    ))
}

/// Every access edit at once: users, their memberships, teams and theirs.
fn edit_access(a: &mut FakeAccount) {
    a.users.retain(|u| u["id"] != "rusty_beacon");
    a.users.push(json!({
        "id": "new_hire", "email": "new.hire@acme.example", "given_name": "New",
        "family_name": "Hire", "verified": false, "invited": true, "active": true,
        "role": "Account Administrator", "created_at": "2026-11-01T00:00:00Z"
    }));
    a.user_groups.insert(
        "new_hire".into(),
        vec![json!({"id": "warm_harbor", "role": "Destination Reviewer", "created_at": "2026-11-01T00:00:00Z"})],
    );
    item(&mut a.users, "id", "brisk_falcon")["role"] = json!("Account Reviewer");
    item(&mut a.users, "id", "amber_quartz")["active"] = json!(false);
    item(&mut a.users, "id", "copper_willow")["active"] = json!(true);
    let lena = item(&mut a.users, "id", "frozen_pebble");
    lena["invited"] = json!(false);
    lena["verified"] = json!(true);
    let sam = item(&mut a.users, "id", "gentle_comet");
    sam["email"] = json!("sam.chen@new.example");
    sam["logged_in_at"] = json!("2026-11-30T00:00:00Z");
    let jonas = a.user_groups.get_mut("brisk_falcon").expect("groups");
    jonas.retain(|m| m["id"] != "4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7");
    item(jonas, "id", "warm_harbor")["role"] = json!("Destination Analyst");
    let tomas = a
        .user_connections
        .get_mut("silent_orbit")
        .expect("connections");
    tomas.retain(|m| m["id"] != "ochre_thimble");
    item(tomas, "id", "pale_river")["role"] = json!("Connection Reviewer");
    tomas.push(json!({"id": "velvet_summit", "role": "Connection Administrator", "created_at": "2026-11-02T00:00:00Z"}));

    a.teams.retain(|t| t["id"] != "lucky_harvest");
    a.teams.push(json!({"id": "brave_otter", "name": "Contractors", "description": null, "role": "Account Analyst"}));
    a.team_users.insert(
        "brave_otter".into(),
        vec![json!({"user_id": "silent_orbit", "role": "Team Member", "created_at": "2026-11-03T00:00:00Z"})],
    );
    let t = item(&mut a.teams, "id", "hollow_ridge");
    t["name"] = json!("Security");
    t["role"] = json!("Account Administrator");
    t["description"] = json!("Oversight");
    let users = a.team_users.get_mut("hollow_ridge").expect("users");
    users.retain(|m| m["user_id"] != "frozen_pebble");
    item(users, "user_id", "amber_quartz")["role"] = json!("Team Member");
    users.push(json!({"user_id": "tidy_lantern", "role": "Team Manager", "created_at": "2026-11-03T00:00:00Z"}));
    let groups = a.team_groups.get_mut("hollow_ridge").expect("groups");
    groups.retain(|m| m["id"] != "quiet_meadow");
    item(groups, "id", "warm_harbor")["role"] = json!("Destination Administrator");
    groups.push(json!({"id": "4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7", "role": "Destination Analyst", "created_at": "2026-11-03T00:00:00Z"}));
    let conns = a
        .team_connections
        .get_mut("hollow_ridge")
        .expect("connections");
    item(conns, "id", "lone_sextant")["role"] = json!("Connection Administrator");
    conns.push(json!({"id": "fervent_ledger", "role": "Connection Reviewer", "created_at": "2026-11-03T00:00:00Z"}));
    let grand = a
        .team_connections
        .entry("grand_compass".into())
        .or_default();
    grand.push(json!({"id": "crimson_atlas", "role": "Connection Reviewer", "created_at": "2026-11-03T00:00:00Z"}));
}

#[test]
fn access_changes_of_users_teams_and_memberships() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "users,teams,changes"];
    let (old, new) = collect_edit_collect(&fake, out.path(), &sel, edit_access);
    old.assert_code(0);
    new.assert_code(0);
    let c = new.json("changes.json");
    assert_eq!(c["status"], "complete", "{}", c["reason"]);
    assert_changes(
        &c,
        &[
            r#"connection_membership_granted silent_orbit connection_memberships.velvet_summit: null -> "Connection Administrator""#,
            r#"connection_membership_revoked silent_orbit connection_memberships.ochre_thimble: "Connection Administrator" -> null"#,
            r#"connection_membership_role_changed silent_orbit connection_memberships.pale_river.role: "Connection Administrator" -> "Connection Reviewer""#,
            r#"group_membership_granted new_hire group_memberships.warm_harbor: null -> "Destination Reviewer""#,
            r#"group_membership_revoked brisk_falcon group_memberships.4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7: "Destination Administrator" -> null"#,
            r#"group_membership_role_changed brisk_falcon group_memberships.warm_harbor.role: "Destination Administrator" -> "Destination Analyst""#,
            r#"team_connection_membership_granted grand_compass connection_memberships.crimson_atlas: null -> "Connection Reviewer""#,
            r#"team_connection_membership_granted hollow_ridge connection_memberships.fervent_ledger: null -> "Connection Reviewer""#,
            r#"team_connection_membership_role_changed hollow_ridge connection_memberships.lone_sextant.role: "Connection Reviewer" -> "Connection Administrator""#,
            r#"team_created brave_otter role: null -> "Account Analyst""#,
            r#"team_deleted lucky_harvest role: null -> null"#,
            r#"team_description_changed hollow_ridge description: "Read-only oversight for audits (SOC 2, ISO 27001)." -> "Oversight""#,
            r#"team_group_membership_granted hollow_ridge group_memberships.4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7: null -> "Destination Analyst""#,
            r#"team_group_membership_revoked hollow_ridge group_memberships.quiet_meadow: "Destination Reviewer" -> null"#,
            r#"team_group_membership_role_changed hollow_ridge group_memberships.warm_harbor.role: "Destination Reviewer" -> "Destination Administrator""#,
            r#"team_member_added brave_otter user_memberships.silent_orbit: null -> "Team Member""#,
            r#"team_member_added hollow_ridge user_memberships.tidy_lantern: null -> "Team Manager""#,
            r#"team_member_removed hollow_ridge user_memberships.frozen_pebble: "Team Member" -> null"#,
            r#"team_member_role_changed hollow_ridge user_memberships.amber_quartz.role: "Team Manager" -> "Team Member""#,
            r#"team_renamed hollow_ridge name: "Security & Compliance" -> "Security""#,
            r#"team_role_changed hollow_ridge role: "Account Reviewer" -> "Account Administrator""#,
            r#"user_activated copper_willow active: false -> true"#,
            r#"user_added new_hire role: null -> "Account Administrator""#,
            r#"user_details_changed gentle_comet email: "sam.chen@acme.example" -> "sam.chen@new.example""#,
            r#"user_invite_changed frozen_pebble invited: true -> false"#,
            r#"user_removed rusty_beacon role: "Account Billing" -> null"#,
            r#"user_role_changed brisk_falcon role: "Account Administrator" -> "Account Reviewer""#,
            r#"user_suspended amber_quartz active: true -> false"#,
            r#"user_verified_changed frozen_pebble verified: false -> true"#,
        ],
    );

    // Not `logged_in_at` (activity); a deleted team is one change, not revocations.
    // Labels and categories:
    let added = change(&c, "user_added", "new_hire", "role");
    assert_eq!(added["label"], "new.hire@acme.example");
    assert_eq!(added["category"], "access");
    assert_eq!(added["artifact"], "users");
    assert_eq!(
        change(&c, "team_renamed", "hollow_ridge", "name")["label"],
        "Security"
    );
    assert_eq!(c["summary"]["team_member_added"], 2);
    assert_eq!(c["summary"]["user_added"], 1);

    // diff over the two bundles prints exactly the items.
    let (a, b) = (old.bundle(), new.bundle());
    let json_run = diff(&[path(&a), path(&b), "--format", "json"]);
    json_run.assert_code(0);
    let printed: Value = serde_json::from_str(&json_run.stdout).expect("json");
    assert_eq!(&printed, &c["items"]);
    assert!(json_run.stderr.is_empty(), "{}", json_run.stderr);

    let text = diff(&[path(&a), path(&b)]);
    text.assert_code(0);
    let t = &text.stdout;
    assert!(
        t.starts_with("account sterling_paddock: fivetran-sterling_paddock-"),
        "{t}"
    );
    assert!(t.contains("29 change(s)\n"), "{t}");
    assert!(t.contains("      2  team_member_added\n"), "{t}");
    assert!(
        t.contains(
            "new administrators: new.hire@acme.example (new_hire), team Security (hollow_ridge)\n"
        ),
        "{t}"
    );
    assert!(
        t.contains("removed users: dana.kowalski@acme.example (rusty_beacon)\n"),
        "{t}"
    );
    assert!(
        t.contains("brisk_falcon): Destination Analyst on group warm_harbor"),
        "{t}"
    );
    assert!(
        t.contains("  user_role_changed  jonas.weber@acme.example (brisk_falcon)  role: \"Account Administrator\" -> \"Account Reviewer\"\n"),
        "{t}"
    );
    assert!(t.find("\naccess: users").expect("users") < t.find("\naccess: teams").expect("teams"));
    // Same output twice.
    assert_eq!(diff(&[path(&a), path(&b)]).stdout, text.stdout);
}

#[test]
fn changes_json_is_sorted_by_an_unredacted_sort_key_access_first() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "users,webhooks,changes"];
    let (old, new) = collect_edit_collect(&fake, out.path(), &sel, |a| {
        a.users.retain(|u| u["id"] != "rusty_beacon");
        item(&mut a.webhooks, "id", "mellow_tundra")["active"] = json!(false);
    });
    old.assert_code(0);
    let c = new.json("changes.json");
    let keys: Vec<&str> = c["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["sort_key"].as_str().expect("sort_key"))
        .collect();
    assert_eq!(
        keys,
        [
            "0-access/01-users/rusty_beacon/user_removed/role",
            "1-configuration/07-webhooks/mellow_tundra/webhook_changed/active",
        ]
    );
}

/// Connection edits: lifecycle, pause, schedule, settings, config keys (redacted or not),
/// schema config, and operational state that must not show.
fn edit_connections(a: &mut FakeAccount) {
    a.connections.retain(|c| c["id"] != "mellow_cactus");
    a.connection_details.remove("mellow_cactus");
    let mut born = a.connections[0].clone();
    born["id"] = json!("fresh_meadow");
    born["schema"] = json!("fresh_schema");
    born["service"] = json!("google_sheets");
    a.connections.push(born.clone());
    a.connection_details.insert("fresh_meadow".into(), born);
    edit_connection(a, "fervent_ledger", |c| {
        c["paused"] = json!(true);
        c["succeeded_at"] = json!("2026-11-30T00:00:00Z");
        c["status"]["sync_state"] = json!("paused");
        if let Some(config) = c["config"].as_object_mut() {
            config.remove("password");
            config.insert("port".into(), json!(6432));
        }
    });
    edit_connection(a, "lone_sextant", |c| c["paused"] = json!(false));
    edit_connection(a, "velvet_summit", |c| {
        c["sync_frequency"] = json!(720);
        c["daily_sync_time"] = json!("03:00");
        c["config"]["client_secret"] = json!("PLANTED-new-salesforce-secret");
    });
    edit_connection(a, "pale_river", |c| {
        c["networking_method"] = json!("SshTunnel");
        c["group_id"] = json!("warm_harbor");
        c["config"]["prefix"] = json!("events/v2/");
        c["config"]["new_option"] = json!(true);
        if let Some(config) = c["config"].as_object_mut() {
            config.remove("pattern");
        }
    });
    edit_connection(a, "brittle_canyon", |c| {
        c["config"]["api_token"] = json!("PLANTED-rotated-zendesk-token");
    });
    if let Some(setup_tests) = a
        .connection_details
        .get_mut("crimson_atlas")
        .and_then(|c| c["setup_tests"].as_array_mut())
    {
        setup_tests.clear();
    }
    let sc = a
        .connection_schemas
        .get_mut("fervent_ledger")
        .expect("schema");
    sc["schema_change_handling"] = json!("BLOCK_ALL");
    sc["enable_new_by_default"] = json!(true);
    sc["schemas"]["billing"]["enabled"] = json!(true);
    let public = &mut sc["schemas"]["public"];
    public["enabled"] = json!(false);
    public["tables"]["audit_log_raw"]["enabled"] = json!(true);
    public["tables"]["orders"]["enabled"] = json!(false);
    let columns = &mut public["tables"]["customers"]["columns"];
    columns["date_of_birth"]["enabled"] = json!(true);
    columns["phone"]["enabled"] = json!(false);
    columns["id"]["hashed"] = json!(true);
    columns["email"]["hashed"] = json!(false);
}

#[test]
fn configuration_changes_of_connections_and_their_schema_config() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "connections,changes"];
    let (old, new) = collect_edit_collect(&fake, out.path(), &sel, edit_connections);
    old.assert_code(0);
    new.assert_code(0);
    let c = new.json("changes.json");
    assert_diff_agrees(&old, &new, &c);
    assert_eq!(c["status"], "complete", "{}", c["reason"]);
    // Not there: operational state (succeeded_at, status, setup_tests) and the changed
    // value of a redacted key (brittle_canyon's api_token).
    assert_changes(
        &c,
        &[
            r#"column_disabled fervent_ledger schema_config.schemas.public.tables.customers.columns.phone.enabled: true -> false"#,
            r#"column_enabled fervent_ledger schema_config.schemas.public.tables.customers.columns.date_of_birth.enabled: false -> true"#,
            r#"column_hashed fervent_ledger schema_config.schemas.public.tables.customers.columns.id.hashed: false -> true"#,
            r#"column_unhashed fervent_ledger schema_config.schemas.public.tables.customers.columns.email.hashed: true -> false"#,
            r#"connection_config_changed fervent_ledger config.password: "<redacted>" -> null"#,
            r#"connection_config_changed fervent_ledger config.port: 5432 -> 6432"#,
            r#"connection_config_changed pale_river config.new_option: null -> true"#,
            r#"connection_config_changed pale_river config.pattern: ".*\\.jsonl\\.gz$" -> null"#,
            r#"connection_config_changed pale_river config.prefix: "events/" -> "events/v2/""#,
            r#"connection_config_changed velvet_summit config.client_secret: null -> "<redacted>""#,
            r#"connection_created fresh_meadow service: null -> "google_sheets""#,
            r#"connection_deleted mellow_cactus service: "iterable" -> null"#,
            r#"connection_paused fervent_ledger paused: false -> true"#,
            r#"connection_resumed lone_sextant paused: true -> false"#,
            r#"connection_schedule_changed velvet_summit daily_sync_time: null -> "03:00""#,
            r#"connection_schedule_changed velvet_summit sync_frequency: 360 -> 720"#,
            r#"connection_setting_changed pale_river group_id: "quiet_meadow" -> "warm_harbor""#,
            r#"connection_setting_changed pale_river networking_method: "Directly" -> "SshTunnel""#,
            r#"schema_change_handling_changed fervent_ledger schema_config.enable_new_by_default: false -> true"#,
            r#"schema_change_handling_changed fervent_ledger schema_config.schema_change_handling: "ALLOW_COLUMNS" -> "BLOCK_ALL""#,
            r#"schema_disabled fervent_ledger schema_config.schemas.public.enabled: true -> false"#,
            r#"schema_enabled fervent_ledger schema_config.schemas.billing.enabled: false -> true"#,
            r#"table_disabled fervent_ledger schema_config.schemas.public.tables.orders.enabled: true -> false"#,
            r#"table_enabled fervent_ledger schema_config.schemas.public.tables.audit_log_raw.enabled: false -> true"#,
        ],
    );
    let secret = change(
        &c,
        "connection_config_changed",
        "velvet_summit",
        "config.client_secret",
    );
    assert!(
        secret["note"].as_str().expect("note").contains("redacted"),
        "{secret}"
    );
    let paused = change(&c, "connection_paused", "fervent_ledger", "paused");
    assert_eq!(
        (&paused["label"], &paused["category"]),
        (&json!("pg_prod"), &json!("configuration"))
    );
}

/// Edits to everything that is neither a user, a team nor a connection.
fn edit_the_rest(a: &mut FakeAccount) {
    let sandbox = "4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7";
    a.destinations.retain(|d| d["id"] != sandbox);
    a.destination_details.remove(sandbox);
    let mut born = a.destinations[1].clone();
    born["id"] = json!("bold_delta");
    born["group_id"] = json!("bold_delta");
    born["service"] = json!("databricks");
    a.destinations.push(born.clone());
    a.destination_details.insert("bold_delta".into(), born);
    for d in [
        item(&mut a.destinations, "id", "quiet_meadow"),
        a.destination_details
            .get_mut("quiet_meadow")
            .expect("detail"),
    ] {
        d["region"] = json!("GCP_EUROPE_WEST1");
        d["setup_status"] = json!("broken");
    }
    let eu = a
        .destination_details
        .get_mut("quiet_meadow")
        .expect("detail");
    eu["config"]["data_set_location"] = json!("europe-west1");
    if let Some(config) = eu["config"].as_object_mut() {
        config.remove("secret_key");
    }

    a.groups.retain(|g| g["id"] != sandbox);
    a.groups.push(
        json!({"id": "bold_delta", "name": "Lakehouse", "created_at": "2026-11-01T00:00:00Z"}),
    );
    item(&mut a.groups, "id", "quiet_meadow")["name"] = json!("Analytics Europe");

    a.webhooks.retain(|w| w["id"] != "rapid_sparrow");
    a.webhooks.push(json!({
        "id": "quick_heron", "type": "account", "group_id": null,
        "url": "https://hooks.acme.example/new", "events": ["sync_end"], "active": true,
        "secret": "PLANTED-new-webhook-secret", "created_at": "2026-11-01T00:00:00Z"
    }));
    let hook = item(&mut a.webhooks, "id", "mellow_tundra");
    hook["events"] = json!(["sync_end"]);
    hook["active"] = json!(false);

    a.log_services.retain(|l| l["id"] != "quiet_meadow");
    a.log_services.push(
        json!({"id": "bold_delta", "service": "new_relic_log", "enabled": true,
                               "status": {"setup_state": "connected", "tasks": []}}),
    );
    let dd = item(&mut a.log_services, "id", "warm_harbor");
    dd["enabled"] = json!(false);
    dd["status"]["setup_state"] = json!("incomplete");
    let account_level = a.account_log_service.as_mut().expect("account log service");
    account_level["config"]["channel"] = json!("fivetran-audit-v2");
    account_level["config"]["token"] = json!("PLANTED-rotated-splunk-token");

    a.roles.retain(|r| r["name"] != "Connector Reviewer");
    a.roles.push(
        json!({"name": "Auditor (custom)", "description": "Reads everything",
                        "scope": ["ACCOUNT"], "is_custom": true, "is_deprecated": false}),
    );
    let analyst = item(&mut a.roles, "name", "Account Analyst");
    analyst["description"] = json!("Can view the account.");
    analyst["is_deprecated"] = json!(true);

    a.private_links.clear();
    a.private_links
        .push(json!({"id": "shy_fjord", "name": "bigquery-psc", "region": "GCP_EUROPE_WEST1"}));
    a.proxy_agents.clear();
    a.proxy_agents
        .push(json!({"id": "calm_pier", "display_name": "dc2-proxy", "region": "AWS_US_EAST_1"}));
    a.hybrid_deployment_agents.clear();
    a.hybrid_deployment_agents
        .push(json!({"id": "warm_forge", "display_name": "onprem-2", "group_id": "warm_harbor"}));
}

#[test]
fn configuration_changes_of_destinations_groups_webhooks_logs_roles_and_agents() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let resources = "destinations,groups,webhooks,log_services,roles,private_links,proxy_agents,hybrid_deployment_agents,changes";
    let sel = ["--resources", resources];
    let (old, new) = collect_edit_collect(&fake, out.path(), &sel, edit_the_rest);
    old.assert_code(0);
    new.assert_code(0);
    let c = new.json("changes.json");
    assert_diff_agrees(&old, &new, &c);
    assert_eq!(c["status"], "complete", "{}", c["reason"]);
    // Not there: setup_status, the changed value of the redacted Splunk token.
    assert_changes(
        &c,
        &[
            r#"destination_added bold_delta service: null -> "databricks""#,
            r#"destination_config_changed quiet_meadow config.data_set_location: "EU" -> "europe-west1""#,
            r#"destination_config_changed quiet_meadow config.secret_key: "<redacted>" -> null"#,
            r#"destination_removed 4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7 service: "redshift" -> null"#,
            r#"destination_setting_changed quiet_meadow region: "GCP_EUROPE_WEST3" -> "GCP_EUROPE_WEST1""#,
            r#"group_added bold_delta name: null -> "Lakehouse""#,
            r#"group_removed 4b8e1f0c2d7a49e3b6c5a1f9e0d2c8b7 name: "Sandbox" -> null"#,
            r#"group_renamed quiet_meadow name: "Analytics EU" -> "Analytics Europe""#,
            r#"hybrid_deployment_agent_added warm_forge display_name: null -> "onprem-2""#,
            r#"hybrid_deployment_agent_removed e5c3a9b7d1f24e08a6b2c4d8f0e1a3c7 display_name: "billing-onprem-agent" -> null"#,
            r#"log_service_added bold_delta service: null -> "new_relic_log""#,
            r#"log_service_changed vivid_anchor config.channel: "fivetran-audit" -> "fivetran-audit-v2""#,
            r#"log_service_changed warm_harbor enabled: true -> false"#,
            r#"log_service_changed warm_harbor status.setup_state: "connected" -> "incomplete""#,
            r#"log_service_removed quiet_meadow service: "cloudwatch" -> null"#,
            r#"private_link_added shy_fjord name: null -> "bigquery-psc""#,
            r#"private_link_removed jolly_isthmus name: "snowflake-prod-privatelink" -> null"#,
            r#"proxy_agent_added calm_pier display_name: null -> "dc2-proxy""#,
            r#"proxy_agent_removed 7d1f3b9e2c5a4f60b8e4d2a1c9f7e3b5 display_name: "dc1-proxy-01" -> null"#,
            r#"role_added Auditor (custom) scope: null -> ["ACCOUNT"]"#,
            r#"role_changed Account Analyst description: "Can view the account and its usage, and create destinations." -> "Can view the account.""#,
            r#"role_changed Account Analyst is_deprecated: false -> true"#,
            r#"role_removed Connector Reviewer scope: ["CONNECTOR"] -> null"#,
            r#"webhook_added quick_heron url: null -> "https://hooks.acme.example/new""#,
            r#"webhook_changed mellow_tundra active: true -> false"#,
            r#"webhook_changed mellow_tundra events: ["sync_start","sync_end","connection_failure","create_connector","edit_connector","delete_connector"] -> ["sync_end"]"#,
            r#"webhook_removed rapid_sparrow url: "https://alerts.acme.example/eu/fivetran" -> null"#,
        ],
    );
    assert_eq!(
        change(&c, "role_added", "Auditor (custom)", "scope")["category"],
        "access"
    );
    let renamed = change(&c, "group_renamed", "quiet_meadow", "name");
    assert_eq!(
        (&renamed["label"], &renamed["category"]),
        (&json!("Analytics Europe"), &json!("configuration"))
    );
}

#[test]
fn system_key_changes_and_keys_about_to_expire() {
    let in_days = |d: i64| {
        let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * d);
        t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    };
    let mut account = acme();
    item(&mut account.system_keys, "id", "ample_kestrel")["expired_at"] = json!(in_days(200));
    let mut steady = account.system_keys[0].clone();
    steady["id"] = json!("steady_key");
    steady["name"] = json!("steady");
    steady["key"] = json!("PLANTED-steady-key");
    let steady_expiry = in_days(20);
    steady["expired_at"] = json!(steady_expiry);
    account.system_keys.push(steady);
    let fake = server(account);
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "system_keys,changes"];
    let (soon, later) = (in_days(10), in_days(100));
    let (old, new) = collect_edit_collect(&fake, out.path(), &sel, |a| {
        a.system_keys.retain(|k| k["id"] != "lucid_otter");
        let mut fresh = a.system_keys[0].clone();
        fresh["id"] = json!("fresh_key");
        fresh["name"] = json!("fresh");
        fresh["key"] = json!("PLANTED-fresh-key");
        fresh["expired_at"] = json!(soon);
        fresh["permissions"] = json!([{"resource_type": "USER", "access_level": "MANAGE"}]);
        a.system_keys.push(fresh);
        let evidence = item(&mut a.system_keys, "id", "ample_kestrel");
        evidence["updated_at"] = json!("2026-11-20T00:00:00Z");
        evidence["permissions"] = json!([{"resource_type": "ACCOUNT", "access_level": "READ"}]);
        evidence["last_used_at"] = json!("2026-11-21T00:00:00Z");
        item(&mut a.system_keys, "id", "f2a91c7d03e84b6c9d51e7a8b0c4f6e2")["expired_at"] =
            json!(later);
    });
    old.assert_code(0);
    new.assert_code(0);
    let c = new.json("changes.json");
    assert_diff_agrees(&old, &new, &c);
    let terraform = "f2a91c7d03e84b6c9d51e7a8b0c4f6e2";
    let (lucid, evidence) = (permissions("lucid_otter"), permissions("ample_kestrel"));
    // Not there: last_used_at (activity), keys expiring later than 30 days or expired.
    assert_changes(
        &c,
        &[
            r#"system_key_created fresh_key permissions: null -> [{"access_level":"MANAGE","resource_type":"USER"}]"#,
            &format!("system_key_deleted lucid_otter permissions: {lucid} -> null"),
            r#"system_key_rotated ample_kestrel updated_at: "2026-08-30T09:00:12.733Z" -> "2026-11-20T00:00:00Z""#,
            &format!(
                r#"system_key_permissions_changed ample_kestrel permissions: {evidence} -> [{{"access_level":"READ","resource_type":"ACCOUNT"}}]"#
            ),
            &format!(r#"system_key_expiry_changed {terraform} expired_at: null -> "{later}""#),
            &format!(r#"system_key_expiring fresh_key expired_at: "{soon}" -> "{soon}""#),
            &format!(
                r#"system_key_expiring steady_key expired_at: "{steady_expiry}" -> "{steady_expiry}""#
            ),
        ],
    );
    let rotated = change(&c, "system_key_rotated", "ample_kestrel", "updated_at");
    assert!(
        rotated["note"]
            .as_str()
            .expect("note")
            .contains("only sign"),
        "{rotated}"
    );
    let steady = change(&c, "system_key_expiring", "steady_key", "expired_at");
    assert_eq!(
        (&steady["label"], &steady["category"]),
        (&json!("steady"), &json!("access"))
    );
    assert!(
        steady["note"].as_str().expect("note").contains("30 days"),
        "{steady}"
    );
    assert_eq!(
        change(&c, "system_key_deleted", "lucid_otter", "permissions")["label"],
        "dbt-ci (legacy)"
    );
    assert_eq!(c["summary"]["system_key_expiring"], 2);
}

/// A fixture system key's `permissions`, as compact JSON.
fn permissions(id: &str) -> String {
    acme()
        .system_keys
        .into_iter()
        .find(|k| k["id"] == id)
        .map(|k| k["permissions"].to_string())
        .expect("key")
}

fn bundle_id(run: &Run) -> Value {
    run.manifest()["bundle_id"].clone()
}

#[test]
fn an_explicit_baseline_is_used_and_a_bad_one_fails_the_artifact() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "users,changes"];
    let (first, second) = collect_edit_collect(&fake, out.path(), &sel, |a| {
        item(&mut a.users, "id", "brisk_falcon")["role"] = json!("Account Reviewer");
    });
    assert_eq!(second.json("changes.json")["count"], 1);

    // Without --baseline the third run would compare with the second and find nothing.
    let first_dir = first.bundle();
    let with = [&sel[..], &["--baseline", path(&first_dir)]].concat();
    let third = collect_to(&fake, out.path(), &with);
    third.assert_code(0);
    let c = third.json("changes.json");
    assert_eq!(c["baseline"]["bundle_id"], bundle_id(&first));
    assert_changes(
        &c,
        &[r#"user_role_changed brisk_falcon role: "Account Administrator" -> "Account Reviewer""#],
    );
    let fourth = collect_to(&fake, out.path(), &sel);
    let c = fourth.json("changes.json");
    assert_eq!(c["baseline"]["bundle_id"], bundle_id(&third));
    assert_eq!(c["count"], 0);

    // A baseline of other resources cannot be compared: the artifact fails, the run goes on.
    let elsewhere = tempfile::tempdir().expect("tmp");
    let teams = collect_to(&fake, elsewhere.path(), &["--resources", "teams,changes"]);
    let teams_dir = teams.bundle();
    let with = [&sel[..], &["--baseline", path(&teams_dir)]].concat();
    let run = collect_to(&fake, out.path(), &with);
    run.assert_code(3);
    let c = run.json("changes.json");
    assert_eq!(c["status"], "failed");
    assert_eq!(c["baseline"], Value::Null);
    let reason = c["reason"].as_str().expect("reason");
    assert!(
        reason.contains("cannot be compared") && reason.contains("different resources"),
        "{reason}"
    );
    let name = teams_dir.file_name().expect("name").to_string_lossy();
    assert!(reason.contains(name.as_ref()), "{reason}");
    assert!(
        !reason.contains(path(&teams_dir)),
        "no local path in the evidence: {reason}"
    );
    assert_eq!(run.json("users.json")["status"], "complete");

    // A baseline that does not verify fails it too, naming the file.
    flip_a_byte(&first_dir.join("users.json"));
    let with = [&sel[..], &["--baseline", path(&first_dir)]].concat();
    let run = collect_to(&fake, out.path(), &with);
    run.assert_code(3);
    let c = run.json("changes.json");
    assert_eq!(c["status"], "failed");
    let reason = c["reason"].as_str().expect("reason");
    assert!(
        reason.contains("does not verify") && reason.contains("users.json: sha256 differs"),
        "{reason}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

#[test]
fn the_automatic_baseline_skips_tampered_foreign_failed_and_unfinished_bundles() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "users,changes"];
    let first = collect_to(&fake, out.path(), &sel);
    // Newer, but of other resources.
    collect_to(&fake, out.path(), &["--resources", "users,teams,changes"]).assert_code(0);
    fake.edit(|a| a.users.retain(|u| u["id"] != "rusty_beacon"));
    let second = collect_to(&fake, out.path(), &sel);
    let second_dir = second.bundle();
    // Copies of the newer bundle under names that are never baselines, then tampering.
    let name = second_dir
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    copy_dir(&second_dir, &out.path().join(format!("{name}.failed")));
    copy_dir(
        &second_dir,
        &out.path().join(format!(".iru-fivetran-{name}.incomplete")),
    );
    flip_a_byte(&second_dir.join("users.json"));
    let junk: PathBuf = out
        .path()
        .join("fivetran-sterling_paddock-29991231T235959Z");
    std::fs::create_dir(&junk).expect("mkdir");
    std::fs::write(junk.join("manifest.json"), b"{").expect("write");

    let third = collect_to(&fake, out.path(), &sel);
    third.assert_code(0);
    let c = third.json("changes.json");
    assert_eq!(c["baseline"]["bundle_id"], bundle_id(&first));
    assert_changes(
        &c,
        &[r#"user_removed rusty_beacon role: "Account Billing" -> null"#],
    );
}

#[test]
fn an_artifact_incomplete_in_a_bundle_is_not_compared_and_is_named() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "users,webhooks,changes"];
    let (old, new) = collect_edit_collect(&fake, out.path(), &sel, |a| {
        a.forbidden
            .insert("/v1/webhooks".into(), "You do not have permission".into());
        a.users.retain(|u| u["id"] != "rusty_beacon");
    });
    old.assert_code(0);
    // Partial because webhooks.json is: changes.json marks webhooks, not itself.
    new.assert_code(3);
    let c = new.json("changes.json");
    assert_eq!(c["status"], "complete", "{c}");
    assert_eq!(
        c["not_compared"],
        json!([{"artifact": "webhooks", "status": "forbidden", "bundle": "new"}])
    );
    let items = c["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "users compared, webhooks not: {items:#?}");
    assert_eq!(items[0]["kind"], "user_removed");
    assert_eq!(
        support::manifest_artifact(&new.manifest(), "changes")["status"],
        "complete"
    );
}

/// An artifact that was incomplete only in last night's bundle is nothing the operator can
/// act on tonight: tonight's run is complete (exit 0) and `changes.json` names what it could
/// not compare.
#[test]
fn an_artifact_incomplete_only_in_the_baseline_leaves_the_run_complete() {
    let mut account = acme();
    account
        .forbidden
        .insert("/v1/webhooks".into(), "You do not have permission".into());
    let fake = server(account);
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "users,webhooks,changes"];
    let (old, new) = collect_edit_collect(&fake, out.path(), &sel, |a| {
        a.forbidden.clear();
        a.users.retain(|u| u["id"] != "rusty_beacon");
    });
    old.assert_code(3);
    new.assert_code(0);
    let c = new.json("changes.json");
    assert_eq!(c["status"], "complete", "{c}");
    assert_eq!(
        c["not_compared"],
        json!([{"artifact": "webhooks", "status": "forbidden", "bundle": "old"}])
    );
    assert_eq!(c["items"].as_array().expect("items").len(), 1, "{c}");
    assert_eq!(new.manifest()["status"], "complete");
}

#[test]
fn diff_refuses_other_accounts_other_resources_and_tampered_bundles() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let users = collect_to(&fake, out.path(), &["--resources", "users,changes"]).bundle();
    let teams = collect_to(&fake, out.path(), &["--resources", "teams,changes"]).bundle();
    let mut other_account = acme();
    other_account.account_info["account_id"] = json!("other_acct");
    let other_fake = server(other_account);
    let other = collect_to(&other_fake, out.path(), &["--resources", "users,changes"]).bundle();

    let run = diff(&[path(&users), path(&other)]);
    run.assert_code(1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains(
            "the bundles are of different accounts: sterling_paddock and other_acct\nhint: "
        ),
        "{}",
        run.stderr
    );
    let run = diff(&[path(&users), path(&teams), "--format", "json"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "different resources: only in the old one: users; only in the new one: teams"
        ),
        "{}",
        run.stderr
    );

    flip_a_byte(&users.join("users.json"));
    std::fs::write(teams.join("extra.txt"), b"planted").expect("write");
    let run = diff(&[path(&users), path(&teams)]);
    run.assert_code(1);
    assert!(run.stdout.is_empty());
    let e = &run.stderr;
    assert!(
        e.contains(&format!("bundle {} does not verify", users.display())),
        "{e}"
    );
    assert!(
        e.contains("users.json: sha256 differs from SHA256SUMS"),
        "{e}"
    );
    assert!(
        e.contains(&format!("bundle {} does not verify", teams.display())),
        "{e}"
    );
    assert!(e.contains("extra.txt: not listed"), "{e}");
    assert!(e.contains("hint: "), "{e}");

    let run = diff(&[path(&out.path().join("nowhere")), path(&other)]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("not a bundle directory"),
        "{}",
        run.stderr
    );
}

/// Moves a bundle collected elsewhere into `out`, under a name a baseline may have.
fn plant(bundle: &Path, out: &Path) -> PathBuf {
    let name = bundle
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let mut to = out.join(&name);
    if to.exists() {
        to = out.join(format!("{name}-9"));
    }
    std::fs::rename(bundle, &to).expect("plant");
    to
}

#[test]
fn a_run_that_signs_takes_only_a_baseline_signed_by_its_key() {
    let side = crate::package::Side::new();
    let (private, public, _) = side.key(0o600);
    let sign = ["--sign-key", path(&private)];
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "users,teams,changes"];
    let signed = collect_to(&fake, out.path(), &[&sel[..], &sign[..]].concat());
    signed.assert_code(0);

    // The account changes; then someone who can write to --out plants an unsigned bundle of
    // the changed account, collected elsewhere, so that the next run would see no change.
    fake.edit(edit_access);
    // A second later, so that the two bundles' names (their ids) differ.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let elsewhere = tempfile::tempdir().expect("tmp");
    let forged = collect_to(&fake, elsewhere.path(), &sel);
    forged.assert_code(0);
    assert_ne!(bundle_id(&forged), bundle_id(&signed));
    let forged_dir = plant(&forged.bundle(), out.path());

    let next = collect_to(&fake, out.path(), &[&sel[..], &sign[..]].concat());
    next.assert_code(0);
    let c = next.json("changes.json");
    assert_eq!(c["status"], "complete", "{}", c["reason"]);
    assert_eq!(
        c["count"],
        29,
        "every change, none hidden: {}",
        lines(&c).join("\n")
    );
    assert_eq!(c["baseline"]["bundle_id"], bundle_id(&signed));
    assert_eq!(
        c["baseline"]["manifest_sha256"],
        manifest_sha256(&signed.bundle())
    );
    assert!(lines(&c).contains(
        &r#"user_role_changed brisk_falcon role: "Account Administrator" -> "Account Reviewer""#
            .to_owned()
    ));

    // With no signed bundle left, nothing is a baseline: unavailable, and the reason says why.
    std::fs::remove_dir_all(signed.bundle()).expect("rm");
    std::fs::remove_dir_all(next.bundle()).expect("rm");
    let alone = collect_to(&fake, out.path(), &[&sel[..], &sign[..]].concat());
    alone.assert_code(0);
    let c = alone.json("changes.json");
    assert_eq!(c["status"], "unavailable");
    assert_eq!(c["baseline"], Value::Null);
    let reason = c["reason"].as_str().expect("reason");
    let forged_name = forged_dir.file_name().expect("name").to_string_lossy();
    assert!(
        reason.contains("this run trusts only bundles signed by SHA256:")
            && reason.contains(&format!(
                "the newest {forged_name}: unsigned (no manifest.json.sig)"
            )),
        "{reason}"
    );
    std::fs::remove_dir_all(alone.bundle()).expect("rm");

    // --public-key names another key a baseline may be signed by; an explicit --baseline that
    // is not signed by a trusted key fails the artifact.
    let with_key = ["--public-key", path(&public)];
    let run = collect_to(
        &fake,
        out.path(),
        &[&sel[..], &with_key[..], &["--baseline", path(&forged_dir)]].concat(),
    );
    run.assert_code(3);
    let c = run.json("changes.json");
    assert_eq!(c["status"], "failed");
    let reason = c["reason"].as_str().expect("reason");
    assert!(
        reason.contains("is not signed by SHA256:") && reason.contains("unsigned"),
        "{reason}"
    );
    assert!(
        !reason.contains(path(out.path())),
        "no local path: {reason}"
    );
}

#[test]
fn without_a_key_an_unsigned_baseline_is_still_taken() {
    let fake = server(acme());
    let out = tempfile::tempdir().expect("tmp");
    let sel = ["--resources", "users,changes"];
    let (old, new) = collect_edit_collect(&fake, out.path(), &sel, |a| {
        item(&mut a.users, "id", "brisk_falcon")["role"] = json!("Account Reviewer");
    });
    old.assert_code(0);
    let c = new.json("changes.json");
    assert_eq!(c["baseline"]["bundle_id"], bundle_id(&old));
    assert_eq!(
        c["baseline"]["manifest_sha256"],
        manifest_sha256(&old.bundle())
    );
    assert_eq!(c["count"], 1);
}

#[test]
fn a_public_key_that_cannot_be_read_is_a_usage_error_before_any_request() {
    let fake = server(acme());
    let keys = tempfile::tempdir().expect("tmp");
    let not_a_key = keys.path().join("not.pub");
    std::fs::write(&not_a_key, "ssh-ed25519 !!!\n").expect("write");
    for key in [keys.path().join("missing.pub"), not_a_key] {
        let out = tempfile::tempdir().expect("tmp");
        let run = collect_to(&fake, out.path(), &["--public-key", path(&key)]);
        run.assert_code(2);
        assert!(
            run.stderr.contains(path(&key)) && run.stderr.contains("hint:"),
            "{}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_dir(out.path()).expect("out").count(),
            0,
            "nothing written"
        );
    }
    assert!(fake.requests().is_empty(), "no request");
}
