//! Rules for the evidence of code, secrets and trust: connector SDK packages (their hash),
//! secrets managers, transformations, dbt projects (moved to another repository, branch or
//! folder) and the certificates and fingerprints approved per connection and destination.

use crate::vocab::Artifact;

use super::kit::{Ctx, Pair, Subject};
use crate::changes::Change;

/// Where a dbt project's code comes from: a change here runs other code in production.
pub const PROJECT_SOURCE: [&str; 3] = [
    "project_config.git_remote_url",
    "project_config.git_branch",
    "project_config.folder_path",
];

/// Connector SDK packages: lifecycle, and new code (`file_sha256_hash`) or another connection.
pub(super) fn sdk_package(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "connection_id");
    s.lifecycle(
        out,
        pair,
        (
            "connector_sdk_package_added",
            "connector_sdk_package_removed",
        ),
        "file_sha256_hash",
    );
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        s.fields(
            out,
            (old, new),
            "connector_sdk_package_changed",
            &["file_sha256_hash", "connection_id", "last_updated_by"],
        );
    }
}

/// External secrets managers: lifecycle, kind, name and config keys.
pub(super) fn secrets_manager(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "name");
    s.lifecycle(
        out,
        pair,
        ("secrets_manager_added", "secrets_manager_removed"),
        "type",
    );
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        let both = (old, new);
        s.fields(
            out,
            both,
            "secrets_manager_changed",
            &["type", "name", "is_hybrid_deployment"],
        );
        s.config_keys(out, both, "config", "secrets_manager_changed");
    }
}

/// Transformations: lifecycle, pause, schedule and what they run.
pub(super) fn transformation(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "type");
    s.lifecycle(
        out,
        pair,
        ("transformation_added", "transformation_removed"),
        "type",
    );
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        s.fields(
            out,
            (old, new),
            "transformation_changed",
            &["paused", "schedule", "transformation_config"],
        );
    }
}

/// dbt projects: lifecycle, moved to another repository, branch or folder, and the dbt
/// version and target that run.
pub(super) fn transformation_project(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "group_id");
    s.lifecycle(
        out,
        pair,
        (
            "transformation_project_added",
            "transformation_project_removed",
        ),
        "project_config.git_remote_url",
    );
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        let both = (old, new);
        s.fields(out, both, "transformation_project_moved", &PROJECT_SOURCE);
        s.fields(
            out,
            both,
            "transformation_project_changed",
            &[
                "project_config.dbt_version",
                "project_config.target_name",
                "group_id",
            ],
        );
    }
}

/// Certificates and fingerprints: approved, revoked, or approved again (by someone else, or
/// at another time) under the same hash.
pub(super) fn approval(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let (kinds, changed, label) = if pair.artifact == Artifact::Certificates {
        (
            ("certificate_approved", "certificate_revoked"),
            "certificate_reapproved",
            "name",
        )
    } else {
        (
            ("fingerprint_approved", "fingerprint_revoked"),
            "fingerprint_reapproved",
            "parent_id",
        )
    };
    let s = Subject::new(pair, label);
    s.lifecycle(out, pair, kinds, "validated_by");
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        s.fields(
            out,
            (old, new),
            changed,
            &["validated_by", "validated_date", "public_key"],
        );
    }
}
