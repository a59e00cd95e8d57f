//! The artifacts of trust, code and secrets as listings: `certificates.json`,
//! `fingerprints.json`, `transformations.json`, `transformation_projects.json`,
//! `secrets_managers.json` and `connector_sdk_packages.json`. Each is streamed once into a few
//! counts and its rows (capped, in the file's key order); then the people the rows shown name
//! (who approved, created or updated) are looked up in one pass over `users.json`, for the ids
//! shown only, so memory stays with the rows.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::Reader;
use crate::report::model::{Code, ListRow, Listing, Part, Rows, display, flag, list, text};

/// A fact that counts the items matching a test: its label and the test.
type Counted = (&'static str, fn(&Value) -> bool);

/// How one artifact becomes a listing.
struct Spec {
    resource: &'static str,
    /// Where the item's key is: rows are shown in its order.
    key: &'static str,
    cells: fn(&Value) -> Vec<(String, bool)>,
    /// The columns holding a user id, shown with the user's email where `users.json` has it.
    people: &'static [usize],
    /// Facts counting the items that match.
    counted: &'static [Counted],
    /// Facts the envelope states.
    envelope: fn(&Value) -> Vec<(&'static str, String)>,
}

fn cell(item: &Value, pointer: &str) -> (String, bool) {
    (
        item.pointer(pointer).map(display).unwrap_or_default(),
        false,
    )
}

fn code(item: &Value, pointer: &str) -> (String, bool) {
    (item.pointer(pointer).map(display).unwrap_or_default(), true)
}

fn parent(item: &Value) -> (String, bool) {
    let kind = text(item, "/parent_type").unwrap_or_default();
    let id = text(item, "/parent_id").unwrap_or_default();
    (format!("{kind} {id}"), false)
}

fn no_envelope(_: &Value) -> Vec<(&'static str, String)> {
    Vec::new()
}

/// The approvals' `asked`, `not_asked` and `deleted_during_run`.
fn asked(envelope: &Value) -> Vec<(&'static str, String)> {
    let per_kind = |field: &str| {
        let n = |kind: &str| {
            envelope
                .pointer(&format!("/{field}/{kind}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        format!(
            "{} connection(s), {} destination(s)",
            n("connections"),
            n("destinations")
        )
    };
    if envelope.get("asked").is_none() {
        return Vec::new();
    }
    vec![
        ("Asked", per_kind("asked")),
        (
            "Not asked (nothing to approve in their configuration)",
            per_kind("not_asked"),
        ),
        (
            "Deleted during the run",
            envelope
                .get("deleted_during_run")
                .map(display)
                .unwrap_or_default(),
        ),
    ]
}

const CERTIFICATES: Spec = Spec {
    resource: "certificates",
    key: "/sort_key",
    cells: |c| {
        vec![
            parent(c),
            cell(c, "/name"),
            code(c, "/sha256"),
            cell(c, "/validated_by"),
            cell(c, "/validated_date"),
        ]
    },
    people: &[3],
    counted: &[],
    envelope: asked,
};

const FINGERPRINTS: Spec = Spec {
    resource: "fingerprints",
    key: "/sort_key",
    cells: |f| {
        vec![
            parent(f),
            code(f, "/hash"),
            cell(f, "/validated_by"),
            cell(f, "/validated_date"),
        ]
    },
    people: &[2],
    counted: &[],
    envelope: asked,
};

const TRANSFORMATIONS: Spec = Spec {
    resource: "transformations",
    key: "/id",
    cells: |t| {
        let name = text(t, "/transformation_config/name")
            .or_else(|| text(t, "/transformation_config/package_name"))
            .unwrap_or_default();
        let steps: Vec<String> = list(t.pointer("/transformation_config").unwrap_or(t), "steps")
            .iter()
            .filter_map(|s| text(s, "/command"))
            .collect();
        let runs = if steps.is_empty() {
            text(t, "/transformation_config/package_name")
                .map(|p| format!("Quickstart package {p}"))
                .unwrap_or_default()
        } else {
            steps.join("; ")
        };
        let schedule = format!(
            "{}{}",
            text(t, "/schedule/schedule_type").unwrap_or_default(),
            match t.pointer("/schedule/connection_ids").map(display) {
                Some(ids) if !ids.is_empty() => format!(" after {ids}"),
                _ => String::new(),
            }
        );
        vec![
            (name, false),
            cell(t, "/type"),
            cell(t, "/paused"),
            (schedule, false),
            (runs, false),
            cell(t, "/created_by_id"),
            code(t, "/id"),
        ]
    },
    people: &[5],
    counted: &[("Paused", |t| flag(t, "paused") == Some(true))],
    envelope: no_envelope,
};

/// Whether a dbt project has errors or a setup test that did not pass.
fn troubled(p: &Value) -> bool {
    !list(p, "errors").is_empty()
        || list(p, "setup_tests")
            .iter()
            .any(|t| text(t, "/status").is_some_and(|s| !s.eq_ignore_ascii_case("passed")))
}

const PROJECTS: Spec = Spec {
    resource: "transformation_projects",
    key: "/id",
    cells: |p| {
        let errors = list(p, "errors").len();
        let status = match (text(p, "/status"), errors) {
            (Some(s), 0) => s,
            (s, n) => format!("{} ({n} error(s))", s.unwrap_or_default()),
        };
        vec![
            code(p, "/project_config/git_remote_url"),
            cell(p, "/project_config/git_branch"),
            cell(p, "/project_config/folder_path"),
            cell(p, "/project_config/dbt_version"),
            code(p, "/group_id"),
            (status, false),
            cell(p, "/created_by_id"),
            code(p, "/id"),
        ]
    },
    people: &[6],
    counted: &[("With errors or a setup test not passed", troubled)],
    envelope: no_envelope,
};

const MANAGERS: Spec = Spec {
    resource: "secrets_managers",
    key: "/id",
    cells: |m| {
        vec![
            cell(m, "/name"),
            cell(m, "/type"),
            cell(m, "/is_hybrid_deployment"),
            cell(m, "/created_at"),
            cell(m, "/updated_at"),
            code(m, "/id"),
        ]
    },
    people: &[],
    counted: &[("Through Hybrid Deployment", |m| {
        flag(m, "is_hybrid_deployment") == Some(true)
    })],
    envelope: no_envelope,
};

const PACKAGES: Spec = Spec {
    resource: "connector_sdk_packages",
    key: "/id",
    cells: |p| {
        vec![
            code(p, "/id"),
            code(p, "/connection_id"),
            code(p, "/file_sha256_hash"),
            cell(p, "/last_updated_by"),
            cell(p, "/updated_at"),
            cell(p, "/created_by"),
            cell(p, "/created_at"),
        ]
    },
    people: &[3, 5],
    counted: &[],
    envelope: no_envelope,
};

/// Reads one artifact as `spec` says.
fn read_listing(reader: &Reader, spec: &Spec, max_rows: usize) -> Part<Listing> {
    let mut rows = Rows::new(max_rows);
    let mut counts = vec![0_u64; spec.counted.len()];
    let (file, state, envelope) = reader.read(spec.resource, |item| {
        for (n, (_, matches)) in counts.iter_mut().zip(spec.counted) {
            *n += u64::from(matches(&item));
        }
        rows.push(ListRow {
            key: text(&item, spec.key).unwrap_or_default(),
            cells: (spec.cells)(&item),
        });
    });
    rows.trim();
    let mut facts = vec![("Items", rows.total.to_string())];
    facts.extend(
        spec.counted
            .iter()
            .zip(counts)
            .map(|((label, _), n)| (*label, n.to_string())),
    );
    facts.extend((spec.envelope)(&envelope));
    Part {
        file,
        state,
        data: Listing { facts, rows },
    }
}

/// Reads the six listings, and names the people their rows show.
pub(super) fn read_code(reader: &Reader, max_rows: usize) -> Code {
    let specs = [
        CERTIFICATES,
        FINGERPRINTS,
        TRANSFORMATIONS,
        PROJECTS,
        MANAGERS,
        PACKAGES,
    ];
    let mut parts: Vec<Part<Listing>> = specs
        .iter()
        .map(|spec| read_listing(reader, spec, max_rows))
        .collect();
    name_people(reader, &specs, &mut parts);
    let mut parts = parts.into_iter();
    let mut next = || parts.next().expect("one part per spec");
    Code {
        certificates: next(),
        fingerprints: next(),
        transformations: next(),
        projects: next(),
        managers: next(),
        packages: next(),
    }
}

/// Replaces each user id the rows shown hold with `email (id)`, where `users.json` lists it.
fn name_people(reader: &Reader, specs: &[Spec], parts: &mut [Part<Listing>]) {
    let mut wanted = BTreeSet::new();
    for (spec, part) in specs.iter().zip(parts.iter()) {
        for row in &part.data.rows.rows {
            for &i in spec.people {
                if let Some((id, _)) = row.cells.get(i).filter(|(id, _)| !id.is_empty()) {
                    wanted.insert(id.clone());
                }
            }
        }
    }
    if wanted.is_empty() {
        return;
    }
    let mut emails: HashMap<String, String> = HashMap::new();
    let _ = reader.read("users", |u| {
        if let (Some(id), Some(email)) = (text(&u, "/id"), text(&u, "/email"))
            && wanted.contains(&id)
        {
            emails.insert(id, email);
        }
    });
    for (spec, part) in specs.iter().zip(parts.iter_mut()) {
        for row in &mut part.data.rows.rows {
            for &i in spec.people {
                if let Some((who, _)) = row.cells.get_mut(i)
                    && let Some(email) = emails.get(who.as_str())
                {
                    *who = format!("{email} ({who})");
                }
            }
        }
    }
}
