//! JSON Schemas of the bundle's files and of the tool's JSON outputs, generated from Rust
//! types (`iru-fivetran schema` prints them).
//!
//! One schema per artifact (its envelope, from [`types`]), one for `manifest.json` (from
//! [`crate::evidence::manifest::Manifest`], the type the manifest is written from) and one for
//! the verdict of `verify --format json` ([`crate::verify::Verdict`]). They describe what the
//! tool writes (schemars' serialize contract): every key it always writes is required, objects
//! stay open, since a `v1` reader ignores keys it does not know (docs/evidence-format.md,
//! "Versioning"). The same text is committed under `schemas/`, and a test keeps the two equal.

mod types;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::evidence::manifest::{self, Manifest};
use crate::evidence::schema_id;
use crate::verify::{self, Verdict};
use crate::vocab::{Artifact, Kind};

use types::{
    AccessItem, ActivityItem, ApprovalItem, ApprovalsExtra, AuditCoverageExtra, AuditCoverageItem,
    AuditTrailExtra, AuditTrailItem, ChangeItem, ChangesExtra, ConnectionItem, Envelope,
    FindingsItem, Item, NoExtra, SyncHistoryExtra, SyncHistoryItem, TeamItem, UserItem,
};

/// The name of the manifest's schema.
pub const MANIFEST: &str = "manifest";
/// The name of the `verify --format json` report's schema.
pub const VERIFY_REPORT: &str = "verify";
/// The name of the `collect --summary-json` document's schema.
pub const SUMMARY: &str = "summary";

/// The name of the schema of `changes --format json` (a period's change log).
pub const PERIOD: &str = "period";

/// The name of the `doctor --format json` report's schema.
pub const DOCTOR_REPORT: &str = "doctor";

/// Every schema name: the artifacts in bundle order, then `manifest`, `verify`, `doctor`,
/// `summary` and `period`.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Artifact::ALL.iter().map(|a| a.name()).collect();
    names.extend([MANIFEST, VERIFY_REPORT, DOCTOR_REPORT, SUMMARY, PERIOD]);
    names
}

/// The file a schema is committed as under `schemas/`: `<name>.v1.schema.json`.
pub fn file_name(name: &str) -> String {
    format!("{name}.v1.schema.json")
}

/// The schema of `name`, or `None` for an unknown name.
pub fn generate(name: &str) -> Option<Value> {
    if name == MANIFEST {
        return Some(titled(root::<Manifest>(), manifest::SCHEMA));
    }
    if name == VERIFY_REPORT {
        return Some(titled(root::<Verdict>(), verify::SCHEMA_ID));
    }
    if name == SUMMARY {
        use crate::evidence::summary;
        return Some(titled(root::<summary::Summary>(), summary::SCHEMA));
    }
    if name == PERIOD {
        return Some(titled(
            root::<crate::period::PeriodDocument>(),
            crate::period::SCHEMA,
        ));
    }
    if name == DOCTOR_REPORT {
        return Some(titled(
            root::<crate::doctor::Checkup>(),
            crate::doctor::SCHEMA_ID,
        ));
    }
    let artifact = Artifact::from_name(name)?;
    let mut schema = match artifact {
        Artifact::Users => root::<Envelope<UserItem, NoExtra>>(),
        Artifact::Teams => root::<Envelope<TeamItem, NoExtra>>(),
        Artifact::Connections => root::<Envelope<ConnectionItem, NoExtra>>(),
        Artifact::SyncHistory => root::<Envelope<SyncHistoryItem, SyncHistoryExtra>>(),
        Artifact::AuditTrail => root::<Envelope<AuditTrailItem, AuditTrailExtra>>(),
        Artifact::Certificates | Artifact::Fingerprints => {
            root::<Envelope<ApprovalItem, ApprovalsExtra>>()
        }
        Artifact::AuditCoverage => root::<Envelope<AuditCoverageItem, AuditCoverageExtra>>(),
        Artifact::Activity => root::<Envelope<ActivityItem, NoExtra>>(),
        Artifact::Access => root::<Envelope<AccessItem, NoExtra>>(),
        Artifact::Findings => root::<Envelope<FindingsItem, NoExtra>>(),
        Artifact::Changes => root::<Envelope<ChangeItem, ChangesExtra>>(),
        _ => root::<Envelope<Item, NoExtra>>(),
    };
    // What one generic envelope type cannot say: the values fixed for this artifact.
    let kind = match artifact.kind() {
        Kind::Collected => "collected",
        Kind::Derived => "derived",
    };
    for (field, value) in [
        ("schema", json!(schema_id(artifact))),
        ("resource", json!(artifact.name())),
        ("kind", json!(kind)),
    ] {
        if let Some(Value::Object(property)) = schema.pointer_mut(&format!("/properties/{field}")) {
            property.retain(|k, _| k == "description");
            property.insert("const".into(), value);
        }
    }
    if let Some(map) = schema.as_object_mut() {
        map.insert(
            "description".into(),
            json!(format!(
                "{}: an artifact envelope (docs/evidence-format.md, section 4)",
                artifact.file_name()
            )),
        );
    }
    drop_unused_defs(&mut schema);
    Some(titled(schema, &schema_id(artifact)))
}

/// Removes the `$defs` entries nothing refers to any more (the `kind` enum, once `kind` is a
/// constant).
fn drop_unused_defs(schema: &mut Value) {
    let text = schema.to_string();
    if let Some(Value::Object(defs)) = schema.get_mut("$defs") {
        defs.retain(|name, _| text.contains(&format!("\"#/$defs/{name}\"")));
    }
}

/// The root schema of `T`, describing how it is written.
fn root<T: JsonSchema>() -> Value {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

/// Names the schema by the schema id of the file it describes (the Rust type name, which
/// schemars puts in `title`, means nothing to a reader of the bundle).
fn titled(mut schema: Value, id: &str) -> Value {
    if let Some(map) = schema.as_object_mut() {
        map.insert("title".into(), json!(id));
    }
    schema
}
