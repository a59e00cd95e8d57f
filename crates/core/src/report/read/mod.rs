//! Reading a bundle into the [`Model`]: each artifact streamed once, in the order the labels
//! need (groups before the connections and destinations named after them).
//!
//! This module holds the [`Reader`] every artifact is streamed through and [`read`], which
//! calls the readers in that order: what the [`manifest`] itself says, then one submodule per
//! artifact ([`users`], [`connections`], [`audit`], [`destinations`], [`findings`],
//! [`access`], [`changes`], [`trail`]), and [`code`] for the six listings of trust, code and
//! secrets.

mod access;
mod audit;
mod changes;
mod code;
mod connections;
mod destinations;
mod findings;
mod manifest;
mod trail;
mod users;

use std::cell::RefCell;
use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::Value;

use crate::text::printable;
use crate::verify::{Inspection, Problem};

use super::model::{Check, Model, Signature, State, clip, text};

use access::read_access;
use audit::read_audit;
use changes::read_changes;
use code::read_code;
use connections::read_connections;
use destinations::read_destinations;
use findings::read_findings;
use manifest::{artifact_rows, controls, header, limitations, table_rows};
use trail::read_trail;
use users::read_users;

/// Reads the artifacts of an inspected bundle, verified or not.
struct Reader<'a> {
    found: &'a Inspection,
    manifest: &'a Value,
    /// Files that no longer read as the inspection hashed them: what is rendered from them is
    /// not what was checked.
    changed: RefCell<Vec<Problem>>,
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
                // A file the inspection hashed that now reads otherwise (changed, gone, or
                // no longer a file) changed after it was checked. Anything else about it the
                // inspection already reported, with the same reader.
                if self.found.files.contains_key(file) {
                    self.changed.borrow_mut().extend(
                        e.problems
                            .iter()
                            .filter(|p| !matches!(p, Problem::Envelope { .. }))
                            .cloned(),
                    );
                }
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
    let reader = Reader {
        found,
        manifest,
        changed: RefCell::new(Vec::new()),
    };
    let now: Option<Timestamp> = reader
        .manifest_text("/started_at")
        .and_then(|t| t.parse().ok());

    let mut header = header(&reader);
    header.bundle_dir = printable(&found.dir.display().to_string());

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

    let destinations =
        read_destinations(&reader, &group_label, &per_destination, &verdicts, max_rows);

    let findings = read_findings(&reader, max_rows);
    let access = read_access(&reader, &group_label, max_rows);
    let changes = read_changes(&reader, max_rows);
    let trail = read_trail(&reader, max_rows);
    let code = read_code(&reader, max_rows);

    // Decided once every artifact has been read: a file changed while it was rendered counts.
    let changed = reader.changed.into_inner();
    let check = if found.problems.is_empty() && changed.is_empty() {
        Check::Verified(found.files.len())
    } else {
        let all = found.problems.iter().chain(&changed);
        Check::Problems(all.map(ToString::to_string).collect())
    };

    Model {
        signature,
        artifacts: artifact_rows(manifest),
        tables: table_rows(manifest),
        findings,
        access,
        destinations,
        changes,
        trail,
        limitations: limitations(manifest),
        controls: controls(manifest),
        header,
        check,
        users,
        users_by_role,
        login_age,
        connections,
        connections_by_state,
        connections_by_frequency,
        audit,
        code,
    }
}
