//! The effective access matrix (`access.json`) and the spreadsheet exports, end to end.

use serde_json::Value;

use crate::support::{acme, collect, server};

/// The items of `access.json` for one user, as `(resource_type, resource_id, via, team_id,
/// role)`.
fn rows_of(access: &Value, user: &str) -> Vec<(String, String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    access["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["user_id"] == user)
        .map(|i| {
            (
                s(&i["resource_type"]),
                s(&i["resource_id"]),
                s(&i["via"]),
                s(&i["team_id"]),
                s(&i["role"]),
            )
        })
        .collect()
}

fn row(parts: [&str; 5]) -> (String, String, String, String, String) {
    let [a, b, c, d, e] = parts.map(str::to_owned);
    (a, b, c, d, e)
}

#[test]
fn access_names_every_path_to_every_resource() {
    let fake = server(acme());
    let run = collect(&fake, &["--resources", "access"]);
    run.assert_code(0);
    let manifest = run.manifest();
    let resources: Vec<&str> = manifest["options"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for source in ["users", "teams", "roles", "groups", "connections", "access"] {
        assert!(resources.contains(&source), "{source} in {resources:?}");
    }
    let access = run.json("access.json");
    assert_eq!(access["kind"], "derived");
    assert_eq!(access["status"], "complete");
    // silent_orbit reaches pale_river directly and through the team Analytics EU: two items.
    let silent = rows_of(&access, "silent_orbit");
    assert!(silent.contains(&row([
        "connection",
        "pale_river",
        "direct",
        "",
        "Connection Administrator"
    ])));
    assert!(silent.contains(&row([
        "connection",
        "pale_river",
        "team",
        "lucky_harvest",
        "Connection Administrator"
    ])));
    // A team-granted account role beside the user's own.
    let maya = rows_of(&access, "tidy_lantern");
    assert!(maya.contains(&row(["account", "", "direct", "", "Account Administrator"])));
    assert!(maya.contains(&row([
        "account",
        "",
        "team",
        "grand_compass",
        "Account Administrator"
    ])));
    // rusty_beacon is in no team and has no membership: the account role only.
    assert_eq!(
        rows_of(&access, "rusty_beacon"),
        [row(["account", "", "direct", "", "Account Billing"])]
    );
    let keys: Vec<&str> = access["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["sort_key"].as_str().expect("key"))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by sort_key");
}
