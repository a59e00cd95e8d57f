//! The effective access matrix (`access.json`) and the spreadsheet exports, end to end.

use std::fs;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::support::{acme, collect, run, server};

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

/// Parses RFC 4180 text (quoted fields, doubled quotes, CRLF) into rows of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the last row ends in CRLF"
    );
    rows
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn verify(dir: &Path) -> crate::support::Run {
    run(&["verify", dir.to_str().expect("utf-8 path")], &[])
}

#[test]
fn the_csv_exports_match_the_json_and_verify_checks_them() {
    let fake = server(acme());
    let collected = collect(&fake, &[]);
    collected.assert_code(0);
    let dir = collected.bundle();
    let access = collected.json("access.json");
    let text = fs::read_to_string(dir.join("access.csv")).expect("access.csv");
    let rows = parse_csv(&text);
    let header = &rows[0];
    assert_eq!(header[0], "user_id");
    for column in ["user_status", "user_logged_in_at"] {
        assert!(
            header.contains(&column.to_owned()),
            "{column} in {header:?}"
        );
    }
    let items = access["items"].as_array().expect("items");
    assert_eq!(rows.len() - 1, items.len(), "one row per item");
    for (row, item) in rows[1..].iter().zip(items) {
        for (name, value) in header.iter().zip(row) {
            assert_eq!(value, &cell(&item[name.as_str()]), "{name} of {item}");
        }
    }
    let users = parse_csv(&fs::read_to_string(dir.join("users.csv")).expect("users.csv"));
    assert_eq!(users.len() - 1, acme().users.len());
    let connections =
        parse_csv(&fs::read_to_string(dir.join("connections.csv")).expect("connections.csv"));
    assert_eq!(connections[0][..2], ["id".to_owned(), "schema".to_owned()]);
    assert_eq!(connections.len() - 1, acme().connections.len());

    // Listed in the manifest (derived, with hash and size) and in SHA256SUMS.
    let manifest = collected.manifest();
    let tables = manifest["tables"].as_array().expect("tables");
    let names: Vec<&str> = tables.iter().filter_map(|t| t["path"].as_str()).collect();
    assert_eq!(names, ["access.csv", "users.csv", "connections.csv"]);
    let bytes = fs::read(dir.join("access.csv")).expect("read");
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(tables[0]["sha256"], sha.as_str());
    assert_eq!(tables[0]["bytes"], bytes.len());
    assert_eq!(tables[0]["kind"], "derived");
    assert_eq!(tables[0]["from"], "access");
    assert_eq!(tables[0]["rows"], items.len());
    let sums = fs::read_to_string(dir.join("SHA256SUMS")).expect("sums");
    assert!(sums.contains(&format!("{sha}  access.csv\n")), "{sums}");

    verify(&dir).assert_code(0);
    let mut changed = bytes.clone();
    let last = changed.len() - 3;
    changed[last] ^= 1;
    fs::write(dir.join("access.csv"), &changed).expect("write");
    let failed = verify(&dir);
    failed.assert_code(1);
    assert!(failed.stderr.contains("access.csv"), "{}", failed.stderr);
}
