//! `changes.json` and `iru-fivetran diff`: what changed between two bundles of one account.
//!
//! A [`Snapshot`] knows a bundle's collected artifacts (derived ones are never compared) by
//! their status and reads their items only when compared; [`compare`] reads one artifact of
//! each bundle at a time, pairs their items by id and applies the rules below, after refusing
//! bundles of different accounts or different collected-resource selections
//! ([`NotComparable`]). An
//! artifact that is not whole (`partial`, `forbidden`, `failed`) in either bundle is not
//! compared at all, since a missing page would read as removals; [`not_compared`] lists them
//! and `changes.json` names each in `not_compared` (that artifact, not the whole file, is
//! marked: the rest was compared in full). Items marked `_iru.deleted_during_run` count as absent,
//! and the `_iru` notes themselves are never compared.
//!
//! Each change is `{kind, category, artifact, id, label, field, before, after, note,
//! sort_key}`: `field` is a dotted path from the item (a segment that is not a plain name is
//! JSON-quoted), `before` and `after` are JSON values, null where absent (absent and null are
//! the same), `category` is `access` (users, teams, roles, system keys, memberships) or
//! `configuration`, and items are sorted by `sort_key`
//! (`<rank>-<category>/<nn>-<artifact>/<id>/<kind>/<field>`), so access changes come first.
//! An added item is one change whose `field` is the item's headline field; an added user's or
//! team's memberships are also reported as granted, a removed one's are not (they go with it).
//!
//! | kind | artifact | field: before → after |
//! |---|---|---|
//! | `user_added`, `user_removed` | users | `role` |
//! | `user_role_changed` | users | `role` (the account role) |
//! | `user_activated`, `user_suspended` | users | `active`: → true, → false |
//! | `user_invite_changed` | users | `invited` |
//! | `user_verified_changed` | users | `verified` |
//! | `user_details_changed` | users | `email`, `given_name`, `family_name` (not `logged_in_at`: activity) |
//! | `group_membership_granted`, `_revoked` | users | `group_memberships.<group id>`: the role |
//! | `group_membership_role_changed` | users | `group_memberships.<group id>.role` |
//! | `connection_membership_granted`, `_revoked`, `_role_changed` | users | `connection_memberships.<connection id>[.role]` |
//! | `team_created`, `team_deleted` | teams | `role` |
//! | `team_renamed`, `team_role_changed`, `team_description_changed` | teams | `name`, `role`, `description` |
//! | `team_member_added`, `_removed`, `_role_changed` | teams | `user_memberships.<user id>[.role]` |
//! | `team_group_membership_granted`, `_revoked`, `_role_changed` | teams | `group_memberships.<group id>[.role]` |
//! | `team_connection_membership_granted`, `_revoked`, `_role_changed` | teams | `connection_memberships.<connection id>[.role]` |
//! | `role_added`, `role_removed` | roles (id: name) | `scope` |
//! | `role_changed` | roles | `description`, `scope`, `is_deprecated` |
//! | `system_key_created`, `system_key_deleted` | system_keys | `permissions` |
//! | `system_key_rotated` | system_keys | `updated_at` (note: the API's only sign of a rotation) |
//! | `system_key_expiry_changed` | system_keys | `expired_at` |
//! | `system_key_permissions_changed` | system_keys | `permissions` |
//! | `system_key_expiring` | system_keys | `expired_at`, before = after: expires within 30 days after the new bundle's start; reported even if unchanged |
//! | `group_added`, `group_removed`, `group_renamed` | groups | `name` |
//! | `destination_added`, `destination_removed` | destinations | `service` |
//! | `destination_config_changed` | destinations | `config.<key>`, one per key added, removed or changed (redaction rule below) |
//! | `destination_setting_changed` | destinations | [`DESTINATION_SETTINGS`] |
//! | `connection_created`, `connection_deleted` | connections | `service` |
//! | `connection_paused`, `connection_resumed` | connections | `paused`: → true, → false |
//! | `connection_schedule_changed` | connections | [`CONNECTION_SCHEDULE`] |
//! | `connection_config_changed` | connections | `config.<key>` (redaction rule below) |
//! | `connection_setting_changed` | connections | [`CONNECTION_SETTINGS`] |
//! | `schema_enabled`, `schema_disabled` | connections | `schema_config.schemas.<s>.enabled` (absent: not synced) |
//! | `table_enabled`, `table_disabled` | connections | `schema_config.schemas.<s>.tables.<t>.enabled` (absent: not synced) |
//! | `column_enabled`, `column_disabled` | connections | `....tables.<t>.columns.<c>.enabled` (absent: enabled, Fivetran's default) |
//! | `column_hashed`, `column_unhashed` | connections | `....columns.<c>.hashed` (absent: not hashed) |
//! | `schema_change_handling_changed` | connections | `schema_config.schema_change_handling`, `schema_config.enable_new_by_default` |
//! | `webhook_added`, `webhook_removed` | webhooks | `url` |
//! | `webhook_changed` | webhooks | `url`, `events`, `active`, `type`, `group_id` |
//! | `log_service_added`, `log_service_removed` | log_services | `service` |
//! | `log_service_changed` | log_services | `enabled`, `service`, `status.setup_state`, `config.<key>` (redaction rule) |
//! | `private_link_added`, `_removed` | private_links | `name` |
//! | `proxy_agent_added`, `_removed` | proxy_agents | `display_name` |
//! | `hybrid_deployment_agent_added`, `_removed` | hybrid_deployment_agents | `display_name` |
//! | `connector_sdk_package_added`, `_removed`, `_changed` | connector_sdk_packages | `file_sha256_hash`; changed: also `connection_id`, `last_updated_by` |
//! | `secrets_manager_added`, `_removed`, `_changed` | secrets_managers | `type`; changed: `name`, `is_hybrid_deployment`, `config.<key>` |
//! | `transformation_added`, `_removed`, `_changed` | transformations | `type`; changed: `paused`, `schedule`, `transformation_config` |
//! | `transformation_project_added`, `_removed` | transformation_projects | `project_config.git_remote_url` |
//! | `transformation_project_moved` | transformation_projects | [`PROJECT_SOURCE`] |
//! | `transformation_project_changed` | transformation_projects | `project_config.dbt_version`, `project_config.target_name`, `group_id` |
//! | `certificate_approved`, `_revoked`, `_reapproved` | certificates | `validated_by`; reapproved: also `validated_date`, `public_key` |
//! | `fingerprint_approved`, `_revoked`, `_reapproved` | fingerprints | the same |
//!
//! Redaction rule for `config.<key>`: when either side's value is the redaction marker
//! `<redacted>`, values are not shown: a side holding a string or number shows
//! `"<redacted>"`; null (absent), an empty string or a boolean, which hold no secret, show as
//! they are. Since a change of a redacted value cannot be seen, such a key is reported only
//! when it was added, removed, emptied or set, with a `note` saying so. Operational state is never
//! compared: `succeeded_at`, `failed_at`, `status.*` of connections, `setup_tests`,
//! `setup_status`, `logged_in_at`, `last_used_at`.

mod baseline;
mod collection;
mod compare;
pub mod explain;
mod rules;
mod snapshot;
#[cfg(test)]
mod tests;
pub mod text;

use std::path::Path;

use serde_json::{Value, json};

use crate::vocab::Artifact;

pub use collection::for_collection;
pub use compare::{CompareError, NotComparable, NotCompared, compare, not_compared, uncompared};
pub use rules::{CONNECTION_SCHEDULE, CONNECTION_SETTINGS, DESTINATION_SETTINGS, PROJECT_SOURCE};
pub use snapshot::{LoadError, Snapshot};

/// How many days ahead `system_key_expiring` looks from the new bundle's start.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

/// Where `changes.json` looks for its baseline, and what this run's bundle says of itself.
pub struct Baseline<'a> {
    /// `--out`, searched for the newest earlier bundle of the same account.
    pub out_dir: &'a Path,
    /// `--baseline`, if given.
    pub baseline: Option<&'a Path>,
    /// This run's account id.
    pub account_id: Option<&'a str>,
    /// This run's selected artifact names.
    pub resources: &'a [&'static str],
    /// This run's start (the manifest's `started_at`), RFC 3339 UTC.
    pub started_at: &'a str,
    /// The vault profile of this run, if any (a baseline must have the same).
    pub profile: Option<&'a str>,
    /// The keys a baseline must be signed by, any one of them: the public half of this run's
    /// `--sign-key` and the key of `--public-key`. Empty: no signature is asked for.
    pub trusted_keys: &'a [crate::evidence::sign::TrustedKey],
}

/// Whether a change is about who can reach what, or about how things are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Users, teams, memberships, roles and system keys.
    Access,
    /// Everything else.
    Configuration,
}

impl Category {
    /// The category of an artifact's changes.
    pub fn of(artifact: Artifact) -> Self {
        match artifact {
            Artifact::Users | Artifact::Teams | Artifact::Roles | Artifact::SystemKeys => {
                Category::Access
            }
            _ => Category::Configuration,
        }
    }

    /// `access` or `configuration`.
    pub fn name(self) -> &'static str {
        match self {
            Category::Access => "access",
            Category::Configuration => "configuration",
        }
    }
}

/// One change between two bundles.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The stable kind (see the table above).
    pub kind: &'static str,
    /// The artifact the item is in.
    pub artifact: Artifact,
    /// The item's id (a role's name).
    pub id: String,
    /// A human label: a user's email, a connection's schema, a team's or key's name, ...
    pub label: Option<String>,
    /// Dotted path of what changed, from the item.
    pub field: String,
    /// The value in the old bundle, null where absent.
    pub before: Value,
    /// The value in the new bundle, null where absent.
    pub after: Value,
    /// What the reader should know to read this change right, if anything.
    pub note: Option<&'static str>,
    /// What the newer bundle's audit trail says of it ([`explain`]); `None` until explained.
    pub audit: Option<Value>,
}

impl Change {
    /// `access` for access changes, `configuration` otherwise.
    pub fn category(&self) -> Category {
        Category::of(self.artifact)
    }

    /// `<rank>-<category>/<nn>-<artifact>/<id>/<kind>/<field>`: access first, then by
    /// artifact in bundle order, item, kind and field.
    pub fn sort_key(&self) -> String {
        let category = self.category();
        let rank = Artifact::ALL
            .iter()
            .position(|a| *a == self.artifact)
            .unwrap_or(Artifact::ALL.len());
        format!(
            "{}-{}/{rank:02}-{}/{}/{}/{}",
            category as u8,
            category.name(),
            self.artifact.name(),
            self.id,
            self.kind,
            self.field
        )
    }

    /// The change as an item of `changes.json`.
    pub fn to_json(&self) -> Value {
        json!({
            "kind": self.kind,
            "category": self.category().name(),
            "artifact": self.artifact.name(),
            "id": self.id,
            "label": self.label,
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "note": self.note,
            "sort_key": self.sort_key(),
            "audit": self.audit,
        })
    }
}

/// The `changes.json` items of a list of changes: redacted and sorted exactly as the
/// artifact's envelope does it, so `diff --format json` and the file agree byte for byte.
pub fn items(changes: &[Change]) -> Vec<Value> {
    let mut items: Vec<Value> = changes.iter().map(Change::to_json).collect();
    crate::evidence::redact::redact_items(Artifact::Changes, &mut items);
    crate::vocab::sort_items(&mut items, Artifact::Changes.key());
    items
}
