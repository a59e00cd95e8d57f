//! Configuration rules: groups, destinations, connections (schema config in [`super::schema`]),
//! webhooks, log services, private links and agents.

use crate::vocab::Artifact;

use super::kit::{Ctx, Pair, Subject, at};
use super::schema_config;
use crate::changes::Change;

/// Destination fields reported as `destination_setting_changed` (config keys are separate).
pub const DESTINATION_SETTINGS: [&str; 8] = [
    "service",
    "region",
    "time_zone_offset",
    "daylight_saving_time_enabled",
    "networking_method",
    "private_link_id",
    "proxy_agent_id",
    "hybrid_deployment_agent_id",
];

/// Connection fields reported as `connection_schedule_changed`.
pub const CONNECTION_SCHEDULE: [&str; 4] = [
    "sync_frequency",
    "schedule_type",
    "daily_sync_time",
    "schedule",
];

/// Connection fields reported as `connection_setting_changed`: where data goes (`group_id`,
/// `schema`, `destination_configuration`), how it travels (`networking_method`, proxy,
/// private link, hybrid agent), what the connector is, and the delay alerting settings.
/// Operational state (`succeeded_at`, `failed_at`, `status`, `setup_tests`) is not here.
pub const CONNECTION_SETTINGS: [&str; 12] = [
    "service",
    "service_version",
    "group_id",
    "schema",
    "destination_configuration",
    "networking_method",
    "proxy_agent_id",
    "private_link_id",
    "hybrid_deployment_agent_id",
    "data_delay_sensitivity",
    "data_delay_threshold",
    "pause_after_trial",
];

/// Groups: lifecycle and name.
pub(super) fn group(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "name");
    s.lifecycle(out, pair, ("group_added", "group_removed"), "name");
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        s.fields(out, (old, new), "group_renamed", &["name"]);
    }
}

/// Destinations: lifecycle, settings and config keys.
pub(super) fn destination(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "service");
    s.lifecycle(
        out,
        pair,
        ("destination_added", "destination_removed"),
        "service",
    );
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        let both = (old, new);
        s.fields(
            out,
            both,
            "destination_setting_changed",
            &DESTINATION_SETTINGS,
        );
        s.config_keys(out, both, "config", "destination_config_changed");
    }
}

/// Connections: lifecycle, pause, schedule, settings, config keys and schema config.
pub(super) fn connection(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "schema");
    s.lifecycle(
        out,
        pair,
        ("connection_created", "connection_deleted"),
        "service",
    );
    let (Some(old), Some(new)) = (pair.old, pair.new) else {
        return;
    };
    let both = (old, new);
    s.toggle(
        out,
        both,
        "paused",
        ("connection_paused", "connection_resumed"),
    );
    s.fields(
        out,
        both,
        "connection_schedule_changed",
        &CONNECTION_SCHEDULE,
    );
    s.fields(
        out,
        both,
        "connection_setting_changed",
        &CONNECTION_SETTINGS,
    );
    s.config_keys(out, both, "config", "connection_config_changed");
    schema_config::compare(
        &s,
        out,
        (&at(old, "schema_config"), &at(new, "schema_config")),
    );
}

/// Webhooks: lifecycle and what they send where.
pub(super) fn webhook(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "url");
    s.lifecycle(out, pair, ("webhook_added", "webhook_removed"), "url");
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        s.fields(
            out,
            (old, new),
            "webhook_changed",
            &["url", "events", "active", "type", "group_id"],
        );
    }
}

/// External log services: lifecycle, whether they run, and config keys.
pub(super) fn log_service(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let s = Subject::new(pair, "service");
    s.lifecycle(
        out,
        pair,
        ("log_service_added", "log_service_removed"),
        "service",
    );
    if let (Some(old), Some(new)) = (pair.old, pair.new) {
        let both = (old, new);
        s.fields(
            out,
            both,
            "log_service_changed",
            &["enabled", "service", "status.setup_state"],
        );
        s.config_keys(out, both, "config", "log_service_changed");
    }
}

/// Private links, proxy agents and hybrid deployment agents: added and removed only.
pub(super) fn agent(pair: &Pair<'_>, _: &Ctx, out: &mut Vec<Change>) {
    let (kinds, name) = match pair.artifact {
        Artifact::PrivateLinks => (("private_link_added", "private_link_removed"), "name"),
        Artifact::ProxyAgents => (("proxy_agent_added", "proxy_agent_removed"), "display_name"),
        _ => (
            (
                "hybrid_deployment_agent_added",
                "hybrid_deployment_agent_removed",
            ),
            "display_name",
        ),
    };
    Subject::new(pair, name).lifecycle(out, pair, kinds, name);
}
