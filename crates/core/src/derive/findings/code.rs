//! The checks over custom code and where credentials are kept: connector SDK packages created
//! or updated within the collection window (`FT-CODE-001`), and secrets managers that a
//! connection or destination names but `secrets_managers.json` does not list
//! (`FT-SECRET-001`). Items stream past; only the subjects and, for the second, the managers'
//! ids and the references to them are kept (a handful on any account: only pipelines whose
//! credentials live in an external manager name one).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::derive::Sources;
use crate::vocab::Artifact;

use super::{Check, Params, some_of, text, time, unreadable};

/// The two checks as their items stream past.
#[derive(Debug, Default)]
pub(super) struct CodeChecks {
    /// SDK packages created or updated in the window.
    packages: Vec<Value>,
    /// Packages with neither a `created_at` nor an `updated_at` that is a time.
    undated: Vec<String>,
    /// Manager id → who names it (`connection <id>`, `destination <id>`).
    references: BTreeMap<String, BTreeSet<String>>,
    /// The ids `secrets_managers.json` lists.
    listed: BTreeSet<String>,
}

impl CodeChecks {
    /// An item of `connector_sdk_packages.json`.
    pub(super) fn add_package(&mut self, item: &Value, params: &Params) {
        let (created, updated) = (time(item, "created_at"), time(item, "updated_at"));
        if created.is_none() && updated.is_none() {
            let id = text(item, "/id").unwrap_or("(without an id)");
            self.undated.push(id.to_owned());
            return;
        }
        let within = |t: Option<Timestamp>| t.is_some_and(|t| params.since <= t && t <= params.now);
        let (change, by, at) = if within(created) {
            ("created", "created_by", "created_at")
        } else if within(updated) {
            ("updated", "last_updated_by", "updated_at")
        } else {
            return;
        };
        let id = text(item, "/id").unwrap_or("(without an id)");
        let label = match text(item, "/connection_id") {
            Some(connection) => format!("package {id}, used by connection {connection}"),
            None => format!("package {id}"),
        };
        self.packages.push(json!({
            "id": item.get("id"),
            "label": label,
            "change": change,
            "file_sha256_hash": item.get("file_sha256_hash"),
            "by": item.get(by),
            "at": item.get(at),
        }));
    }

    /// An item of `connections.json` or `destinations.json` (`kind` says which).
    pub(super) fn add_reference(&mut self, item: &Value, kind: &str) {
        let Some(manager) = text(item, "/external_secrets_manager_id").map(str::trim) else {
            return;
        };
        if manager.is_empty() {
            return;
        }
        let by = format!("{kind} {}", text(item, "/id").unwrap_or("(without an id)"));
        self.references
            .entry(manager.to_owned())
            .or_default()
            .insert(by);
    }

    /// An item of `secrets_managers.json`.
    pub(super) fn add_manager(&mut self, item: &Value) {
        if let Some(id) = text(item, "/id") {
            self.listed.insert(id.to_owned());
        }
    }

    /// Drops the packages (their artifact could not be read in full).
    pub(super) fn forget_packages(&mut self) {
        self.packages.clear();
        self.undated.clear();
    }

    /// Drops the references (the connections or destinations could not be read in full).
    pub(super) fn forget_references(&mut self) {
        self.references.clear();
    }

    /// Drops the listed managers.
    pub(super) fn forget_managers(&mut self) {
        self.listed.clear();
    }

    /// The two checks: packages, then managers.
    pub(super) fn finish(mut self) -> [Check; 2] {
        self.packages
            .sort_by_cached_key(|p| (text(p, "/id").map(str::to_owned), p.to_string()));
        let missing: Vec<Value> = self
            .references
            .into_iter()
            .filter(|(id, _)| !self.listed.contains(id))
            .map(|(id, by)| {
                json!({
                    "id": id,
                    "label": format!("secrets manager {id}"),
                    "referenced_by": by.into_iter().collect::<Vec<_>>(),
                })
            })
            .collect();
        [
            Check {
                id: "FT-CODE-001",
                // The window's times stay out of the title, which is the same in every run;
                // the manifest's `options.since` and the run's start give them.
                title: "connector SDK packages created or updated within the collection window \
                        (from --since to the run's start)"
                    .to_owned(),
                subjects: self.packages,
                status: None,
                missing: (!self.undated.is_empty()).then(|| {
                    format!(
                        "{} have no created_at or updated_at that is a time: whether they changed in the window cannot be told",
                        some_of(&self.undated, "package(s)")
                    )
                }),
                proves: "per connector_sdk_packages.json, which packages of custom connector \
                         code Fivetran records as created or last updated between the window's \
                         start (--since) and the run's start, with the file's SHA-256, who \
                         created or last updated it and when: each is a code change to match \
                         to a reviewed commit or change ticket",
                cannot_prove: "what the code does or that it was reviewed; a package updated \
                               more than once in the window shows only its last update, and \
                               one updated again after the window shows that later update \
                               only (compare the hash in changes.json with the earlier bundle)",
            },
            Check {
                id: "FT-SECRET-001",
                title: "secrets managers named by a connection or destination but not listed"
                    .to_owned(),
                subjects: missing,
                status: None,
                missing: None,
                proves: "per connections.json, destinations.json and secrets_managers.json, \
                         which external_secrets_manager_id values name no secrets manager the \
                         key could list: pipeline credentials kept somewhere this bundle does \
                         not describe",
                cannot_prove: "where those credentials are or who can read them; a manager \
                               hidden from a key with a resource filter looks missing (see the \
                               manifest's account.access); without secrets_managers.json read \
                               in full the check is n/a, since any reference would look missing",
            },
        ]
    }
}

/// Why `FT-SECRET-001` is `n/a`: any of its sources unreadable, or the list of secrets
/// managers not read in full (a manager on a page never read would look missing).
pub(super) fn managers_unreadable(sources: &Sources, artifacts: &[Artifact]) -> Option<String> {
    let list = Artifact::SecretsManagers;
    let why = unreadable(sources, artifacts).or_else(|| {
        (!sources.status(list).is_whole())
            .then(|| format!("{} is {}", list.file_name(), sources.status(list).name()))
    })?;
    Some(format!(
        "{why}; without the whole list of secrets managers, a reference cannot be told missing"
    ))
}
