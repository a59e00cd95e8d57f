//! Ids and names from the API built to break paths, file names and logs: each id is requested
//! as one percent-encoded path segment, or not at all when it cannot be (`.`, `..`), and kept
//! exactly in the items; bundle and file names stay sanitised; logs stay one line per event.

use std::collections::{BTreeMap, BTreeSet};

use iru_fivetran_fake::FakeAccount;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::support::{self, acme, collect, server};

#[test]
fn unusable_ids_are_never_requested() {
    let mut account = acme();
    account
        .users
        .push(serde_json::json!({"id": "..", "email": "dots@example.com"}));
    account
        .connections
        .push(serde_json::json!({"id": "../../account/info", "service": "x"}));
    let fake = server(account);
    let run = collect(&fake, &["--resources", "users,connections"]);
    run.assert_code(3);
    for r in fake.requests() {
        assert!(!r.path.contains("/../"), "{}", r.path);
    }
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.path == "/v1/connections/..%2F..%2Faccount%2Finfo"),
        "slashes encoded inside one segment"
    );
    let users = run.json("users.json");
    let dots = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["id"] == "..")
        .expect("kept");
    assert!(
        dots["_iru"]["incomplete"][0]
            .as_str()
            .expect("n")
            .contains("cannot be used")
    );
}

const LONG_ID_LEN: usize = 10_000;

/// acme with user, team, destination, connection and transformation project ids renamed (everywhere they occur: lists, membership
/// maps, references; a destination's id is also its group's) to strings built to break paths,
/// file names and logs, and a few names too.
/// Returns the account and the new ids by collection.
fn hostile_account() -> (FakeAccount, BTreeMap<&'static str, Vec<String>>) {
    let text = std::fs::read_to_string(support::fixture("accounts/acme.json")).expect("fixture");
    let mut raw: Value = serde_json::from_str(&text).expect("json");
    let hostile: BTreeMap<&str, Vec<String>> = BTreeMap::from([
        (
            "users",
            vec![
                "../../account/info".into(),
                ".".into(),
                "..".into(),
                "sp ace?x=1#frag".into(),
                "100% %2e%2e%2F".into(),
                "ünï/cødé 用户 😀".into(),
                "ctl\n\u{1b}[31mred\r\t\u{7f}".into(),
                "...".into(),
            ],
        ),
        (
            "teams",
            vec![
                "team/one".into(),
                "..%2F..".into(),
                "\u{202e}rtl\u{0}nul".into(),
            ],
        ),
        ("destinations", vec!["dest;..\\x".into()]),
        ("transformation_projects", vec!["proj/../x?y=%2e".into()]),
        ("private_links", vec!["link;%2e%2e/?#".into()]),
        (
            "connections",
            vec![
                format!("long-{}", "x".repeat(LONG_ID_LEN - 5)),
                "a/../b".into(),
                "%00%2F".into(),
                "conn#1?q".into(),
                "é\u{85}\u{2028}".into(),
            ],
        ),
    ]);
    let mut renames = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for (collection, new_ids) in &hostile {
        let items = raw[*collection].as_array().expect("list");
        let mut all = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let old = item["id"].as_str().expect("id").to_owned();
            match new_ids.get(i) {
                Some(new) => {
                    renames.insert(old, new.clone());
                    all.push(new.clone());
                }
                None => all.push(old),
            }
        }
        ids.insert(*collection, all);
    }
    rename(&mut raw, &renames);
    raw["account_info"]["account_id"] = "../../ev il\n\u{1b}[0m".into();
    raw["users"][3]["given_name"] = "\u{1b}[31mEvil\nName".into();
    raw["teams"][0]["name"] = "../../etc/passwd".into();
    raw["connections"][1]["schema"] = "s/../\u{1b}x".into();
    let account = serde_json::from_value(raw).expect("still a fake account");
    (account, ids)
}

fn rename(value: &mut Value, renames: &BTreeMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(new) = renames.get(s.as_str()) {
                *s = new.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename(v, renames)),
        Value::Object(map) => {
            for (key, mut v) in std::mem::take(map) {
                rename(&mut v, renames);
                map.insert(renames.get(&key).cloned().unwrap_or(key), v);
            }
        }
        _ => {}
    }
}

/// The ids a recorded path holds, if it is one of the endpoint templates with every id one
/// percent-encoded segment (only unreserved characters and `%XX`, never `.` or `..`).
fn ids_in_path(path: &str) -> Option<Vec<String>> {
    let segments: Vec<&str> = path.strip_prefix("/v1/")?.split('/').collect();
    iru_fivetran_core::endpoints::ALL
        .iter()
        .find_map(|endpoint| {
            let template: Vec<&str> = endpoint.template[1..].split('/').collect();
            if template.len() != segments.len() {
                return None;
            }
            let mut ids = Vec::new();
            for (t, s) in template.iter().zip(&segments) {
                if *t == "{id}" {
                    let encoded_only = s
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b));
                    if !encoded_only || *s == "." || *s == ".." || s.is_empty() {
                        return None;
                    }
                    ids.push(percent_decode_str(s).decode_utf8().ok()?.into_owned());
                } else if t != s {
                    return None;
                }
            }
            Some(ids)
        })
}

#[test]
fn hostile_ids_and_names_stay_data_never_paths_file_names_or_log_lines() {
    let (account, ids) = hostile_account();
    let fake = server(account);
    let run = collect(&fake, &["-vv"]);
    // The `.` and `..` users cannot be asked about: partial, with the reason.
    run.assert_code(3);

    // Requests: every id is one encoded segment and decodes back to the id, exactly.
    let known: BTreeSet<&String> = ids.values().flatten().collect();
    let requests = fake.requests();
    for r in &requests {
        let in_path = ids_in_path(&r.path)
            .unwrap_or_else(|| panic!("not a template with single-segment ids: {}", r.path));
        for id in &in_path {
            assert!(known.contains(id), "{id:?} from {}", r.path);
            assert!(id != "." && id != "..", "{}", r.path);
        }
    }
    let asked = |template: &str, id: &str| {
        requests.iter().any(|r| {
            r.status == 200
                && r.path.starts_with(&format!("/v1/{template}/"))
                && ids_in_path(&r.path).is_some_and(|ids| ids == [id])
        })
    };
    for id in &ids["users"] {
        let usable = id != "." && id != "..";
        assert_eq!(asked("users", id), usable, "users {id:?}");
    }
    for id in &ids["teams"] {
        assert!(asked("teams", id), "teams {id:?}");
    }
    for id in &ids["connections"] {
        assert!(asked("connections", id), "connections {id:?}");
    }
    for id in &ids["destinations"] {
        assert!(asked("destinations", id), "destinations {id:?}");
    }
    for id in &ids["private_links"] {
        assert!(asked("private-links", id), "private_links {id:?}");
    }
    for id in &ids["transformation_projects"] {
        assert!(
            asked("transformation-projects", id),
            "transformation_projects {id:?}"
        );
    }

    // Files: the fixed set, under a sanitised name directly under --out.
    let bundle = run.bundle();
    let out = run.out.path().join("evidence");
    assert_eq!(bundle.parent(), Some(out.as_path()));
    assert_eq!(run.out_entries().len(), 1, "{:?}", run.out_entries());
    let name = bundle.file_name().expect("name").to_string_lossy();
    assert!(
        name.starts_with("fivetran-______ev_il___0m-")
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "{name}"
    );
    let manifest = run.manifest();
    let mut expected: BTreeSet<String> = manifest["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|a| a["path"].as_str().expect("path").to_owned())
        .collect();
    assert_eq!(expected.len(), 26);
    expected.extend(
        [
            "manifest.json",
            "SHA256SUMS",
            "access.csv",
            "users.csv",
            "connections.csv",
        ]
        .map(str::to_owned),
    );
    let files: BTreeSet<String> = support::entries(&bundle).into_iter().collect();
    assert_eq!(files, expected);
    for file in support::files_under(&bundle) {
        let bytes = std::fs::read(&file).expect("read");
        // CSV keeps tab, CR and LF inside quoted fields (RFC 4180); nothing else.
        let allowed: &[u8] = if file.extension().is_some_and(|e| e == "csv") {
            b"\n\r\t"
        } else {
            b"\n"
        };
        assert!(
            !bytes.iter().any(|b| *b < 0x20 && !allowed.contains(b)),
            "raw control byte in {}",
            file.display()
        );
    }

    // The items keep the ids and names exactly.
    for (collection, want) in &ids {
        let envelope = run.json(&format!("{collection}.json"));
        let got: BTreeSet<&str> = envelope["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_str().expect("id"))
            .collect();
        let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
        assert_eq!(got, want, "{collection}");
    }
    let users = run.json("users.json");
    assert!(
        users["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|u| u["given_name"] == "\u{1b}[31mEvil\nName")
    );
    let long = run.json("connections.json")["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .map(str::len)
        .max();
    assert_eq!(long, Some(LONG_ID_LEN));

    // Logs: one line per event, no raw control character.
    assert!(
        run.stderr.contains("DEBUG"),
        "debug logs are on:\n{}",
        run.stderr
    );
    for c in run.stderr.chars() {
        assert!(
            !c.is_control() || c == '\n',
            "raw {c:?} in stderr:\n{}",
            run.stderr
        );
    }
    // Every line is a log event, or a row of the summary table at the end (each naming one of
    // the tool's artifacts or CSV exports): nothing from the API starts a line of its own.
    let (logs, table) = run
        .stderr
        .split_once("\nartifact ")
        .expect("the summary table");
    for line in logs.lines() {
        let first = line.split_whitespace().next().unwrap_or_default();
        assert!(
            first.parse::<jiff::Timestamp>().is_ok(),
            "a line that is not a log event: {line:?}"
        );
    }
    // The table ends with the run's verdict line (issue 20), the tool's own words and the
    // bundle's path, whose name was made safe.
    let (table, verdict) = table.trim_end().rsplit_once('\n').expect("a verdict line");
    assert!(
        verdict.starts_with("partial: ")
            && verdict.ends_with(" --out report.html")
            && verdict.contains("next: iru-fivetran report "),
        "{verdict:?}"
    );
    for line in table.lines().skip(1) {
        let first = line.split_whitespace().next().unwrap_or_default();
        assert!(
            iru_fivetran_core::vocab::Artifact::from_name(first).is_some()
                || ["access.csv", "users.csv", "connections.csv"].contains(&first),
            "a summary row that is not an artifact's or a CSV's: {line:?}"
        );
    }
}
