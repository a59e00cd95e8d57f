//! What the manifest itself says: the header (account, run, key, options), the artifacts and
//! tables it lists, and what the Fivetran API does not offer.

use serde_json::Value;

use super::Reader;
use crate::evidence::manifest;
use crate::report::model::{
    ArtifactRow, ControlRow, Header, Limitation, display, list, prose, text,
};

pub(super) fn header(reader: &Reader) -> Header {
    let m = |p: &str| reader.manifest_text(p);
    let mut options = Vec::new();
    if let Some(opts) = reader.manifest.get("options").and_then(Value::as_object) {
        for name in [
            "profile",
            "skip",
            "since",
            "inactive_days",
            "stale_days",
            "max_admins",
            "api_url",
        ] {
            if let Some(value) = opts
                .get(name)
                .filter(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
            {
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
        key_scope: m("/account/access/scope"),
        key_access: key_access(reader.manifest),
        manifest_sha256: reader
            .found
            .files
            .get(manifest::FILE_NAME)
            .map(|d| d.sha256.clone()),
        options,
    }
}

pub(super) fn artifact_rows(manifest: &Value) -> Vec<ArtifactRow> {
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

pub(super) fn table_rows(manifest: &Value) -> Vec<(String, Option<u64>, String)> {
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

pub(super) fn limitations(manifest: &Value) -> Vec<Limitation> {
    list(manifest, "not_available_from_api")
        .iter()
        .map(|l| Limitation {
            statement: prose(l, "/statement").unwrap_or_default(),
            instead: prose(l, "/instead").unwrap_or_default(),
        })
        .collect()
}

pub(super) fn controls(manifest: &Value) -> Option<Vec<ControlRow>> {
    manifest.get("controls")?;
    Some(
        list(manifest, "controls")
            .iter()
            .map(|c| ControlRow {
                framework: text(c, "/framework").unwrap_or_default(),
                control: text(c, "/control").unwrap_or_default(),
                title: text(c, "/title").unwrap_or_default(),
                evidence: list(c, "evidence")
                    .iter()
                    .map(|e| {
                        (
                            text(e, "/source").unwrap_or_default(),
                            text(e, "/shows").unwrap_or_default(),
                        )
                    })
                    .collect(),
            })
            .collect(),
    )
}

/// The key's access in words: the manifest's reason, then each permission of a system key
/// (`CONNECTOR READ, filtered to ids [...]`).
fn key_access(manifest: &Value) -> Option<String> {
    let access = manifest.pointer("/account/access")?;
    let mut words = text(access, "/reason").unwrap_or_default();
    if let Some(permissions) = access.get("permissions").and_then(Value::as_array) {
        let each: Vec<String> = permissions
            .iter()
            .map(|p| {
                let kind = text(p, "/resource_type").unwrap_or_else(|| "?".into());
                let level = text(p, "/access_level").unwrap_or_else(|| "?".into());
                match p.get("resource_filter").filter(|f| !f.is_null()) {
                    Some(filter) => format!("{kind} {level} (filter {})", display(filter)),
                    None => format!("{kind} {level}"),
                }
            })
            .collect();
        words.push_str(&format!("; permissions: {}", each.join(", ")));
    }
    Some(words)
}
