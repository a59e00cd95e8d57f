//! What the bundle being written already knows that the audit trail needs: the Platform
//! Connectors (to find the tables and the window's end), and the names of connections,
//! destinations, teams and people (to say who did what to what). Read back from the bundle an
//! item at a time, keeping only small projections: a big account's thousands of connections
//! cost an id and a name each.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde_json::Value;

use crate::evidence::bundle::Bundle;
use crate::vocab::{Artifact, NOTES_KEY, Status};

/// The service of a Platform Connector.
pub const PLATFORM_CONNECTOR: &str = "fivetran_log";

/// A Platform Connector, as `connections.json` has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformConnector {
    /// Its connection id.
    pub id: String,
    /// Its destination (group) id.
    pub group_id: Option<String>,
    /// The schema it writes.
    pub schema: Option<String>,
    /// Whether it is paused.
    pub paused: Option<bool>,
    /// Its last successful sync.
    pub succeeded_at: Option<Timestamp>,
    /// Whether it writes the whole account's logs.
    pub account_level: bool,
    /// Whether it was deleted while the run read it.
    pub deleted: bool,
}

/// A person the API lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// `email`.
    pub email: Option<String>,
    /// `given_name family_name`.
    pub name: Option<String>,
    /// `active`.
    pub active: Option<bool>,
}

/// What the bundle knows.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The account id.
    pub account_id: Option<String>,
    /// Every Platform Connector, in id order.
    pub platform_connectors: Vec<PlatformConnector>,
    /// Connection id → its name (`schema`, the name Fivetran shows).
    pub connections: HashMap<String, String>,
    /// Destination (group) id → its name, for every group and destination.
    pub destinations: BTreeMap<String, Option<String>>,
    /// Destination id → its `service` (`postgres_warehouse`, `redshift`, ...).
    pub services: HashMap<String, String>,
    /// User id → the person.
    pub users: HashMap<String, Person>,
    /// Lower-case email → user id.
    pub emails: HashMap<String, String>,
    /// Team id → its name.
    pub teams: HashMap<String, String>,
    /// The status of each source artifact read (absent: not written).
    pub statuses: BTreeMap<Artifact, Status>,
}

fn text(item: &Value, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl Known {
    /// Reads what it needs of the bundle being written.
    pub fn load(bundle: &Bundle, account_id: Option<&str>) -> Self {
        let mut known = Known {
            account_id: account_id.map(str::to_owned),
            ..Known::default()
        };
        for artifact in Artifact::AuditTrail.sources() {
            let read =
                bundle.for_each_item(artifact.file_name(), |item| known.add(*artifact, &item));
            if let Some(fields) = read {
                let status = fields
                    .get("status")
                    .and_then(|s| serde_json::from_value(s.clone()).ok())
                    .unwrap_or(Status::Failed);
                known.statuses.insert(*artifact, status);
            }
        }
        known.platform_connectors.sort_by(|a, b| a.id.cmp(&b.id));
        known
    }

    /// Adds one item of a source artifact.
    pub fn add(&mut self, artifact: Artifact, item: &Value) {
        let Some(id) = text(item, "id") else { return };
        match artifact {
            Artifact::Connections => {
                if text(item, "service").as_deref() == Some(PLATFORM_CONNECTOR) {
                    self.platform_connectors.push(PlatformConnector {
                        id: id.clone(),
                        group_id: text(item, "group_id"),
                        schema: text(item, "schema"),
                        paused: item.get("paused").and_then(Value::as_bool),
                        succeeded_at: text(item, "succeeded_at").and_then(|t| t.parse().ok()),
                        account_level: item
                            .pointer("/config/is_account_level_connector")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        deleted: item
                            .pointer(&format!("/{NOTES_KEY}/deleted_during_run"))
                            .is_some(),
                    });
                }
                if let Some(name) = text(item, "schema") {
                    self.connections.insert(id, name);
                }
            }
            Artifact::Groups => {
                let name = text(item, "name");
                let entry = self.destinations.entry(id).or_default();
                if name.is_some() {
                    *entry = name;
                }
            }
            Artifact::Destinations => {
                if let Some(service) = text(item, "service") {
                    self.services.insert(id.clone(), service);
                }
                self.destinations.entry(id).or_default();
            }
            Artifact::Users => {
                let name = match (text(item, "given_name"), text(item, "family_name")) {
                    (Some(g), Some(f)) => Some(format!("{g} {f}")),
                    (g, f) => g.or(f),
                };
                let email = text(item, "email");
                if let Some(email) = &email {
                    self.emails.insert(email.to_lowercase(), id.clone());
                }
                self.users.insert(
                    id,
                    Person {
                        email,
                        name,
                        active: item.get("active").and_then(Value::as_bool),
                    },
                );
            }
            Artifact::Teams => {
                if let Some(name) = text(item, "name") {
                    self.teams.insert(id, name);
                }
            }
            _ => {}
        }
    }

    /// The status of a source artifact (`Failed` when it was not written).
    pub fn status(&self, artifact: Artifact) -> Status {
        self.statuses
            .get(&artifact)
            .copied()
            .unwrap_or(Status::Failed)
    }

    /// The name of a resource of Fivetran type `kind` (`CONNECTION`, `DESTINATION`, `USER`,
    /// `TEAM`, `ACCOUNT`, any case), if the bundle knows it.
    pub fn name_of(&self, kind: &str, id: &str) -> Option<String> {
        match kind.to_ascii_uppercase().as_str() {
            "CONNECTION" | "CONNECTOR" => self.connections.get(id).cloned(),
            "DESTINATION" | "GROUP" => self.destinations.get(id).cloned().flatten(),
            "USER" => self.users.get(id).and_then(|p| p.email.clone()),
            "TEAM" => self.teams.get(id).cloned(),
            _ => None,
        }
    }
}
