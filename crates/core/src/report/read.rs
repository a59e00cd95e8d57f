//! Reading a bundle into the [`Model`]: each artifact streamed once, in the order the labels
//! need (groups before the connections and destinations named after them).

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde_json::Value;

use crate::evidence::manifest;
use crate::text::printable;
use crate::verify::Inspection;

use super::model::{
    AccessRow, ArtifactRow, Audit, AuditRow, ChangeRow, Changes, Chart, Check, ConnectionRow,
    DestinationRow, Finding, Header, Limitation, Model, Part, Rows, Signature, State, Subject,
    Tally, UserRow, clip, display, flag, list, role_rank, text,
};

/// Reads the artifacts of an inspected bundle, verified or not.
struct Reader<'a> {
    found: &'a Inspection,
    manifest: &'a Value,
}

impl Reader<'_> {
    /// The file of the manifest's entry for `resource`.
    fn file(&self, resource: &str) -> Option<&str> {
        self.found
            .artifacts
            .iter()
            .find(|a| a.resource == resource)
            .map(|a| a.path.as_str())
    }

    /// Streams `resource`'s items to `each`; returns the file, how it was found, and the
    /// envelope's other fields (null unless read).
    fn read(&self, resource: &str, each: impl FnMut(Value)) -> (String, State, Value) {
        let Some(file) = self.file(resource) else {
            return (format!("{resource}.json"), State::Absent, Value::Null);
        };
        match self.found.stream_items(file, each) {
            Ok(envelope) => {
                let envelope = Value::Object(envelope);
                let state = State::Read {
                    status: text(&envelope, "/status").unwrap_or_else(|| "unknown".into()),
                    reason: text(&envelope, "/reason"),
                };
                (file.to_owned(), state, envelope)
            }
            Err(e) => {
                let why = e.problems.iter().map(ToString::to_string);
                let why = clip(&why.collect::<Vec<_>>().join("; "));
                (file.to_owned(), State::Unreadable(why), Value::Null)
            }
        }
    }

    fn manifest_text(&self, pointer: &str) -> Option<String> {
        text(self.manifest, pointer)
    }
}

/// Reads the model from an inspected bundle. `signature` is the caller's: checking it needs
/// the key file.
pub fn read(found: &Inspection, signature: Signature, max_rows: usize) -> Model {
    let null = Value::Null;
    let manifest = found.manifest.as_ref().unwrap_or(&null);
    let reader = Reader { found, manifest };
    let now: Option<Timestamp> = reader
        .manifest_text("/started_at")
        .and_then(|t| t.parse().ok());

    let mut header = header(&reader);
    header.bundle_dir = printable(&found.dir.display().to_string());

    let check = if found.problems.is_empty() {
        Check::Verified(found.files.len())
    } else {
        Check::Problems(found.problems.iter().map(ToString::to_string).collect())
    };

    // Groups first: connections and destinations are labelled with their names.
    let mut group_names: HashMap<String, String> = HashMap::new();
    let _ = reader.read("groups", |g| {
        if let (Some(id), Some(name)) = (text(&g, "/id"), text(&g, "/name")) {
            group_names.insert(id, name);
        }
    });
    let group_label = |id: &str| {
        group_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    };

    let (users, users_by_role, login_age, key_owner) = read_users(&reader, now, &header, max_rows);
    header.key_owner = key_owner;

    let (connections, connections_by_state, connections_by_frequency, per_destination) =
        read_connections(&reader, &group_label, max_rows);
    let (audit, verdicts) = read_audit(&reader, &group_label, max_rows);

    let mut destinations = Rows::new(max_rows);
    let (file, state, _) = reader.read("destinations", |d| {
        let id = text(&d, "/id").unwrap_or_default();
        let group = text(&d, "/group_id").unwrap_or_else(|| id.clone());
        destinations.push(DestinationRow {
            name: group_label(&group),
            service: text(&d, "/service").unwrap_or_default(),
            region: text(&d, "/region").unwrap_or_default(),
            setup_status: text(&d, "/setup_status").unwrap_or_default(),
            connections: per_destination.get(&group).copied().unwrap_or(0),
            audit: verdicts.get(&group).cloned().unwrap_or_default(),
            id,
        });
    });
    destinations.trim();

    Model {
        signature,
        artifacts: artifact_rows(manifest),
        tables: table_rows(manifest),
        findings: read_findings(&reader, max_rows),
        access: read_access(&reader, &group_label, max_rows),
        destinations: Part {
            file,
            state,
            data: destinations,
        },
        changes: read_changes(&reader, max_rows),
        limitations: limitations(manifest),
        header,
        check,
        users,
        users_by_role,
        login_age,
        connections,
        connections_by_state,
        connections_by_frequency,
        audit,
    }
}

fn header(reader: &Reader) -> Header {
    let m = |p: &str| reader.manifest_text(p);
    let mut options = Vec::new();
    if let Some(opts) = reader.manifest.get("options").and_then(Value::as_object) {
        for name in ["profile", "since", "inactive_days", "stale_days", "api_url"] {
            if let Some(value) = opts.get(name).filter(|v| !v.is_null()) {
                options.push((name.to_owned(), display(value)));
            }
        }
    }
    Header {
        bundle_dir: String::new(),
        account_name: m("/account/account_name"),
        account_id: m("/account/account_id"),
        bundle_id: m("/bundle_id"),
        started_at: m("/started_at"),
        finished_at: m("/finished_at"),
        run_status: m("/status"),
        run_error: reader
            .manifest
            .get("error")
            .filter(|e| !e.is_null())
            .map(display),
        written_by: match (m("/tool/name"), m("/tool/version")) {
            (Some(name), Some(version)) => Some(format!("{name} {version}")),
            _ => None,
        },
        key_id: m("/account/key_id"),
        key_kind: m("/account/key_kind"),
        key_owner: None,
        manifest_sha256: reader
            .found
            .files
            .get(manifest::FILE_NAME)
            .map(|d| d.sha256.clone()),
        options,
    }
}

fn artifact_rows(manifest: &Value) -> Vec<ArtifactRow> {
    list(manifest, "artifacts")
        .iter()
        .map(|a| ArtifactRow {
            path: text(a, "/path").unwrap_or_default(),
            kind: text(a, "/kind").unwrap_or_default(),
            status: text(a, "/status").unwrap_or_default(),
            count: a.get("count").and_then(Value::as_u64),
            reason: text(a, "/reason"),
            sha256: text(a, "/sha256").unwrap_or_default(),
        })
        .collect()
}

fn table_rows(manifest: &Value) -> Vec<(String, Option<u64>, String)> {
    list(manifest, "tables")
        .iter()
        .map(|t| {
            (
                text(t, "/path").unwrap_or_default(),
                t.get("rows").and_then(Value::as_u64),
                text(t, "/sha256").unwrap_or_default(),
            )
        })
        .collect()
}

fn limitations(manifest: &Value) -> Vec<Limitation> {
    list(manifest, "not_available_from_api")
        .iter()
        .map(|l| Limitation {
            statement: text(l, "/statement").unwrap_or_default(),
            instead: text(l, "/instead").unwrap_or_default(),
        })
        .collect()
}

/// Login-age buckets: `(label, upper bound in days)`.
const AGE_BUCKETS: [(&str, i64); 6] = [
    ("0-7 days", 7),
    ("8-30 days", 30),
    ("31-90 days", 90),
    ("91-180 days", 180),
    ("181-365 days", 365),
    ("over 365 days", i64::MAX),
];
const NEVER: usize = AGE_BUCKETS.len();

type UsersRead = (Part<Rows<UserRow>>, Chart, Chart, Option<String>);

fn read_users(
    reader: &Reader,
    now: Option<Timestamp>,
    header: &Header,
    max_rows: usize,
) -> UsersRead {
    let mut rows = Rows::new(max_rows);
    let mut roles: Tally<(u8, Option<String>)> = Tally::default();
    let mut ages: Tally<usize> = Tally::default();
    let mut key_owner = None;
    let owner_id = (header.key_kind.as_deref() == Some("user"))
        .then_some(header.key_id.as_deref())
        .flatten();
    let (file, state, _) = reader.read("users", |u| {
        let id = text(&u, "/id").unwrap_or_default();
        let email = text(&u, "/email").unwrap_or_default();
        if owner_id == Some(id.as_str()) {
            key_owner = Some(email.clone());
        }
        let role = text(&u, "/role");
        let logged_in_at = text(&u, "/logged_in_at");
        let age = match (now, logged_in_at.as_deref().map(str::parse::<Timestamp>)) {
            (Some(now), Some(Ok(at))) => Some(now.duration_since(at).as_secs().div_euclid(86_400)),
            _ => None,
        };
        match (&logged_in_at, age) {
            (None, _) => ages.add(NEVER),
            (Some(_), Some(days)) => ages.add(
                AGE_BUCKETS
                    .iter()
                    .position(|(_, max)| days <= *max)
                    .unwrap_or(NEVER - 1),
            ),
            // A login time that does not parse is not counted as any age.
            (Some(_), None) => {}
        }
        let name = [text(&u, "/given_name"), text(&u, "/family_name")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let state = if flag(&u, "active") == Some(false) {
            "suspended"
        } else if flag(&u, "invited") == Some(true) {
            "invited"
        } else {
            "active"
        };
        let rank = role_rank(role.as_deref());
        roles.add((rank, role.clone()));
        rows.push(UserRow {
            rank,
            role,
            email,
            id,
            name,
            state,
            logged_in_at,
            login_age_days: age,
            groups: list(&u, "group_memberships").len(),
            connections: list(&u, "connection_memberships").len(),
        });
    });
    rows.trim();
    let by_role = roles.chart(
        "Users by their own account role (team-granted roles are in the access table)".into(),
        |(_, role)| role.clone().unwrap_or_else(|| "(no account role)".into()),
    );
    let mut age_chart = ages.chart(
        "Users by time since last login (at the run's start)".into(),
        |&i| {
            AGE_BUCKETS
                .get(i)
                .map_or("never logged in", |(label, _)| label)
                .to_owned()
        },
    );
    // Every bucket is shown, empty ones too, so the histogram's axis is always the same.
    age_chart.bars = AGE_BUCKETS
        .iter()
        .map(|(label, _)| *label)
        .chain(["never logged in"])
        .map(|label| {
            let n = age_chart
                .bars
                .iter()
                .find(|(l, _)| l == label)
                .map_or(0, |(_, n)| *n);
            (label.to_owned(), n)
        })
        .collect();
    (
        Part {
            file,
            state,
            data: rows,
        },
        by_role,
        age_chart,
        key_owner,
    )
}

type ConnectionsRead = (
    Part<Rows<ConnectionRow>>,
    Chart,
    Chart,
    HashMap<String, u64>,
);

/// The order of connection states in the chart; others follow alphabetically.
fn state_order(state: &str) -> u8 {
    match state {
        "connected" => 0,
        "incomplete" => 1,
        "broken" => 2,
        "paused" => 3,
        _ => 4,
    }
}

/// `every 6 h` for 360 minutes.
pub fn frequency_label(minutes: Option<i64>) -> String {
    match minutes {
        None => "not set".into(),
        Some(m) if m > 0 && m % 1440 == 0 => format!("every {} day(s)", m / 1440),
        Some(m) if m > 0 && m % 60 == 0 => format!("every {} h", m / 60),
        Some(m) => format!("every {m} min"),
    }
}

fn read_connections(
    reader: &Reader,
    group_label: &dyn Fn(&str) -> String,
    max_rows: usize,
) -> ConnectionsRead {
    let mut rows = Rows::new(max_rows);
    let mut states: Tally<(u8, String)> = Tally::default();
    // `None` (not set) sorts first in an Option; it is shown last.
    let mut frequencies: Tally<(bool, i64)> = Tally::default();
    let mut per_destination: HashMap<String, u64> = HashMap::new();
    let (file, state, _) = reader.read("connections", |c| {
        let group = text(&c, "/group_id").unwrap_or_default();
        let state = if flag(&c, "paused") == Some(true) {
            "paused".to_owned()
        } else {
            text(&c, "/status/setup_state").unwrap_or_else(|| "unknown".into())
        };
        let minutes = c.get("sync_frequency").and_then(Value::as_i64);
        states.add((state_order(&state), state.clone()));
        frequencies.add((minutes.is_none(), minutes.unwrap_or(0)));
        *per_destination.entry(group.clone()).or_default() += 1;
        rows.push(ConnectionRow {
            destination: group_label(&group),
            schema: text(&c, "/schema").unwrap_or_default(),
            id: text(&c, "/id").unwrap_or_default(),
            service: text(&c, "/service").unwrap_or_default(),
            state,
            sync_state: text(&c, "/status/sync_state").unwrap_or_default(),
            frequency: frequency_label(minutes),
            succeeded_at: text(&c, "/succeeded_at").unwrap_or_default(),
            failed_at: text(&c, "/failed_at").unwrap_or_default(),
        });
    });
    rows.trim();
    (
        Part {
            file,
            state,
            data: rows,
        },
        states.chart("Connections by state".into(), |(_, s)| s.clone()),
        frequencies.chart("Connections by sync frequency".into(), |&(unset, m)| {
            frequency_label((!unset).then_some(m))
        }),
        per_destination,
    )
}

fn read_access(
    reader: &Reader,
    group_label: &dyn Fn(&str) -> String,
    max_rows: usize,
) -> Part<Rows<AccessRow>> {
    let mut rows = Rows::new(max_rows);
    let (file, state, _) = reader.read("access", |a| {
        let resource_type = text(&a, "/resource_type").unwrap_or_default();
        let (scope, resource) = match resource_type.as_str() {
            "account" => (0, "account".to_owned()),
            "group" => {
                let id = text(&a, "/resource_id").unwrap_or_default();
                (
                    1,
                    text(&a, "/resource_name").unwrap_or_else(|| group_label(&id)),
                )
            }
            "connection" => (
                2,
                text(&a, "/resource_name")
                    .or_else(|| text(&a, "/resource_id"))
                    .unwrap_or_default(),
            ),
            _ => (3, text(&a, "/resource_id").unwrap_or_default()),
        };
        let via = match text(&a, "/via").as_deref() {
            Some("team") => format!(
                "team {}",
                text(&a, "/team_name")
                    .or_else(|| text(&a, "/team_id"))
                    .unwrap_or_default()
            ),
            Some(other) => other.to_owned(),
            None => String::new(),
        };
        let role = text(&a, "/role");
        rows.push(AccessRow {
            scope,
            rank: role_rank(role.as_deref()),
            role,
            resource_type,
            resource,
            user: text(&a, "/user_email")
                .or_else(|| text(&a, "/user_id"))
                .unwrap_or_default(),
            user_id: text(&a, "/user_id").unwrap_or_default(),
            via,
            user_active: flag(&a, "user_active"),
        });
    });
    rows.trim();
    Part {
        file,
        state,
        data: rows,
    }
}

fn read_findings(reader: &Reader, max_rows: usize) -> Part<Vec<Finding>> {
    let mut findings = Vec::new();
    let (file, state, _) = reader.read("findings", |f| {
        let mut subjects = Rows::new(max_rows);
        for (index, s) in list(&f, "items").iter().enumerate() {
            let detail = s
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| !matches!(k.as_str(), "id" | "label"))
                        .map(|(k, v)| format!("{}: {}", clip(k), display(v)))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            subjects.push(Subject {
                index,
                label: s.get("label").map(display).unwrap_or_default(),
                id: s.get("id").map(display).unwrap_or_default(),
                detail: clip(&detail),
            });
        }
        subjects.trim();
        findings.push(Finding {
            id: text(&f, "/id").unwrap_or_default(),
            title: text(&f, "/title").unwrap_or_default(),
            status: text(&f, "/status").unwrap_or_default(),
            count: f.get("count").and_then(Value::as_u64).unwrap_or(0),
            proves: text(&f, "/proves").unwrap_or_default(),
            cannot_prove: text(&f, "/cannot_prove").unwrap_or_default(),
            subjects,
        });
    });
    Part {
        file,
        state,
        data: findings,
    }
}

/// `audit_coverage.json`, and every destination's verdict by id (for the destinations table,
/// whose rows are not necessarily the ones this table keeps).
fn read_audit(
    reader: &Reader,
    group_label: &dyn Fn(&str) -> String,
    max_rows: usize,
) -> (Part<Option<Audit>>, HashMap<String, String>) {
    let mut rows = Rows::new(max_rows);
    let mut by_id = HashMap::new();
    let (file, state, envelope) = reader.read("audit_coverage", |d| {
        let id = text(&d, "/id").unwrap_or_default();
        if let Some(verdict) = text(&d, "/verdict") {
            by_id.insert(id.clone(), verdict);
        }
        rows.push(AuditRow {
            name: text(&d, "/name").unwrap_or_else(|| group_label(&id)),
            service: text(&d, "/destination_service").unwrap_or_default(),
            verdict: text(&d, "/verdict").unwrap_or_default(),
            reason: text(&d, "/reason").unwrap_or_default(),
            id,
        });
    });
    rows.trim();
    let data = matches!(state, State::Read { .. }).then(|| {
        let verdicts = envelope
            .get("verdicts")
            .and_then(Value::as_object)
            .map(|v| {
                v.iter()
                    .map(|(k, n)| (clip(k), n.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        Audit {
            verdicts,
            account_level: account_level(envelope.get("account_level").unwrap_or(&Value::Null)),
            statement: text(&envelope, "/audit_trail").unwrap_or_default(),
            rows,
        }
    });
    (Part { file, state, data }, by_id)
}

/// The account-wide exports of the audit coverage, one line each.
fn account_level(level: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(log) = level.get("log_service").filter(|l| !l.is_null()) {
        lines.push(format!(
            "account log service {} ({}): {}, {}",
            text(log, "/id").unwrap_or_default(),
            text(log, "/service").unwrap_or_default(),
            if flag(log, "enabled") == Some(true) {
                "enabled"
            } else {
                "not enabled"
            },
            text(log, "/setup_state").unwrap_or_else(|| "setup state unknown".into()),
        ));
    }
    for p in list(level, "platform_connectors") {
        lines.push(format!(
            "platform connector {} (schema {}): {}, last success {}",
            text(p, "/id").unwrap_or_default(),
            text(p, "/schema").unwrap_or_default(),
            text(p, "/sync_state").unwrap_or_default(),
            text(p, "/succeeded_at").unwrap_or_else(|| "never".into()),
        ));
    }
    for w in list(level, "webhooks") {
        lines.push(format!(
            "account webhook {} ({}) to {}: {}",
            text(w, "/id").unwrap_or_default(),
            if flag(w, "active") == Some(true) {
                "active"
            } else {
                "inactive"
            },
            text(w, "/url").unwrap_or_default(),
            display(w.get("events").unwrap_or(&Value::Null)),
        ));
    }
    lines
}

fn read_changes(reader: &Reader, max_rows: usize) -> Part<Option<Changes>> {
    let mut rows = Rows::new(max_rows);
    let mut categories: BTreeMap<String, u64> = BTreeMap::new();
    let mut index = 0;
    let (file, state, envelope) = reader.read("changes", |c| {
        let category = text(&c, "/category").unwrap_or_default();
        *categories.entry(category.clone()).or_default() += 1;
        rows.push(ChangeRow {
            index,
            category,
            kind: text(&c, "/kind").unwrap_or_default(),
            artifact: text(&c, "/artifact").unwrap_or_default(),
            subject: text(&c, "/label")
                .or_else(|| c.get("id").map(display))
                .unwrap_or_default(),
            field: text(&c, "/field").unwrap_or_default(),
            before: c.get("before").map(display).unwrap_or_default(),
            after: c.get("after").map(display).unwrap_or_default(),
            note: text(&c, "/note").unwrap_or_default(),
        });
        index += 1;
    });
    rows.trim();
    let data = matches!(state, State::Read { .. }).then(|| Changes {
        baseline_bundle: text(&envelope, "/baseline/bundle_id").unwrap_or_default(),
        baseline_started_at: text(&envelope, "/baseline/started_at").unwrap_or_default(),
        categories: categories.into_iter().collect(),
        rows,
    });
    Part { file, state, data }
}

#[cfg(test)]
mod tests;
