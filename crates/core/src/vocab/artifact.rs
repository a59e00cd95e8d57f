//! The artifacts of a bundle: their names, files, kinds, sources and item keys.

use serde::Serialize;

/// One evidence file of the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Artifact {
    /// `account.json`: account id and name, and the identity of the key used.
    Account,
    /// `users.json`: users with their group and connection memberships.
    Users,
    /// `roles.json`: standard and custom roles.
    Roles,
    /// `teams.json`: teams with their user, group and connection memberships.
    Teams,
    /// `groups.json`: groups (one per destination).
    Groups,
    /// `destinations.json`: destinations with config and setup tests.
    Destinations,
    /// `connections.json`: connections with config, status, setup tests and schema config.
    Connections,
    /// `webhooks.json`
    Webhooks,
    /// `log_services.json`: external logging, per destination and account-wide.
    LogServices,
    /// `system_keys.json`: the API keys not tied to a user.
    SystemKeys,
    /// `private_links.json`
    PrivateLinks,
    /// `proxy_agents.json`
    ProxyAgents,
    /// `hybrid_deployment_agents.json`
    HybridDeploymentAgents,
    /// `connector_sdk_packages.json`: custom connector code, with its SHA-256 and who changed it.
    ConnectorSdkPackages,
    /// `secrets_managers.json`: the external secrets managers pipeline credentials are kept in.
    SecretsManagers,
    /// `transformations.json`: jobs that change data in the warehouse, with their schedules.
    Transformations,
    /// `transformation_projects.json`: the dbt projects (repository, branch, folder) that run.
    TransformationProjects,
    /// `certificates.json`: the TLS certificates approved per connection and destination.
    Certificates,
    /// `fingerprints.json`: the SSH host keys approved per connection and destination.
    Fingerprints,
    /// `sync_history.json`: each connection's syncs over the `--since` window.
    SyncHistory,
    /// `audit_trail.json`: the user actions of the audit trail, read from the Platform
    /// Connector's tables in the warehouses named by the vault file's audit sources.
    AuditTrail,
    /// `audit_coverage.json` (derived): where each destination's audit trail is exported.
    AuditCoverage,
    /// `activity.json` (derived): the activity facts of the other artifacts, sorted by time.
    Activity,
    /// `access.json` (derived): who can reach what, with which role, directly or by a team.
    Access,
    /// `changes.json` (derived): what changed since the baseline bundle, each change with the
    /// audit events that explain it.
    Changes,
    /// `findings.json` (derived): reviewer-facing checks with stable ids, pass or fail (some
    /// read `changes.json`, so it comes after it).
    Findings,
}

/// Whether an artifact is read from the API or computed from other artifacts of the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Read from Fivetran.
    Collected,
    /// Computed from the bundle's collected artifacts; never alters them.
    Derived,
}

impl Artifact {
    /// Every artifact, in the order they are produced (sources before what depends on them).
    pub const ALL: [Artifact; 26] = [
        Artifact::Account,
        Artifact::Users,
        Artifact::Roles,
        Artifact::Teams,
        Artifact::Groups,
        Artifact::Destinations,
        Artifact::Connections,
        Artifact::Webhooks,
        Artifact::LogServices,
        Artifact::SystemKeys,
        Artifact::PrivateLinks,
        Artifact::ProxyAgents,
        Artifact::HybridDeploymentAgents,
        Artifact::ConnectorSdkPackages,
        Artifact::SecretsManagers,
        Artifact::Transformations,
        Artifact::TransformationProjects,
        Artifact::Certificates,
        Artifact::Fingerprints,
        Artifact::SyncHistory,
        Artifact::AuditTrail,
        Artifact::AuditCoverage,
        Artifact::Activity,
        Artifact::Access,
        Artifact::Changes,
        Artifact::Findings,
    ];

    /// The name used by `--resources`, the manifest and the schema id.
    pub fn name(self) -> &'static str {
        match self {
            Artifact::Account => "account",
            Artifact::Users => "users",
            Artifact::Roles => "roles",
            Artifact::Teams => "teams",
            Artifact::Groups => "groups",
            Artifact::Destinations => "destinations",
            Artifact::Connections => "connections",
            Artifact::Webhooks => "webhooks",
            Artifact::LogServices => "log_services",
            Artifact::SystemKeys => "system_keys",
            Artifact::PrivateLinks => "private_links",
            Artifact::ProxyAgents => "proxy_agents",
            Artifact::HybridDeploymentAgents => "hybrid_deployment_agents",
            Artifact::ConnectorSdkPackages => "connector_sdk_packages",
            Artifact::SecretsManagers => "secrets_managers",
            Artifact::Transformations => "transformations",
            Artifact::TransformationProjects => "transformation_projects",
            Artifact::Certificates => "certificates",
            Artifact::Fingerprints => "fingerprints",
            Artifact::SyncHistory => "sync_history",
            Artifact::AuditTrail => "audit_trail",
            Artifact::AuditCoverage => "audit_coverage",
            Artifact::Activity => "activity",
            Artifact::Access => "access",
            Artifact::Findings => "findings",
            Artifact::Changes => "changes",
        }
    }

    /// Collected or derived.
    pub fn kind(self) -> Kind {
        match self {
            Artifact::AuditCoverage
            | Artifact::Activity
            | Artifact::Access
            | Artifact::Findings
            | Artifact::Changes => Kind::Derived,
            _ => Kind::Collected,
        }
    }

    /// The artifacts this one is made from; selecting it selects them too.
    pub fn sources(self) -> &'static [Artifact] {
        match self {
            Artifact::SyncHistory => &[Artifact::Connections],
            Artifact::AuditTrail => &[
                Artifact::Users,
                Artifact::Teams,
                Artifact::Groups,
                Artifact::Destinations,
                Artifact::Connections,
            ],
            Artifact::Certificates | Artifact::Fingerprints => {
                &[Artifact::Connections, Artifact::Destinations]
            }
            Artifact::AuditCoverage => &[
                Artifact::Groups,
                Artifact::Destinations,
                Artifact::Connections,
                Artifact::LogServices,
                Artifact::Webhooks,
            ],
            Artifact::Activity => &[
                Artifact::Users,
                Artifact::Teams,
                Artifact::Connections,
                Artifact::SystemKeys,
                Artifact::Webhooks,
                Artifact::PrivateLinks,
                Artifact::ProxyAgents,
                Artifact::HybridDeploymentAgents,
            ],
            Artifact::Access => &[
                Artifact::Users,
                Artifact::Teams,
                Artifact::Roles,
                Artifact::Groups,
                Artifact::Connections,
            ],
            Artifact::Findings => &[
                Artifact::Users,
                Artifact::Teams,
                Artifact::Connections,
                Artifact::Destinations,
                Artifact::SystemKeys,
                Artifact::Webhooks,
                Artifact::ConnectorSdkPackages,
                Artifact::SecretsManagers,
                Artifact::AuditCoverage,
                Artifact::Certificates,
                Artifact::Fingerprints,
            ],
            _ => &[],
        }
    }

    /// The artifact of a `--resources` name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The file it is written to: a fixed name, never derived from API data.
    pub fn file_name(self) -> &'static str {
        match self {
            Artifact::Account => "account.json",
            Artifact::Users => "users.json",
            Artifact::Roles => "roles.json",
            Artifact::Teams => "teams.json",
            Artifact::Groups => "groups.json",
            Artifact::Destinations => "destinations.json",
            Artifact::Connections => "connections.json",
            Artifact::Webhooks => "webhooks.json",
            Artifact::LogServices => "log_services.json",
            Artifact::SystemKeys => "system_keys.json",
            Artifact::PrivateLinks => "private_links.json",
            Artifact::ProxyAgents => "proxy_agents.json",
            Artifact::HybridDeploymentAgents => "hybrid_deployment_agents.json",
            Artifact::ConnectorSdkPackages => "connector_sdk_packages.json",
            Artifact::SecretsManagers => "secrets_managers.json",
            Artifact::Transformations => "transformations.json",
            Artifact::TransformationProjects => "transformation_projects.json",
            Artifact::Certificates => "certificates.json",
            Artifact::Fingerprints => "fingerprints.json",
            Artifact::SyncHistory => "sync_history.json",
            Artifact::AuditTrail => "audit_trail.json",
            Artifact::AuditCoverage => "audit_coverage.json",
            Artifact::Activity => "activity.json",
            Artifact::Access => "access.json",
            Artifact::Findings => "findings.json",
            Artifact::Changes => "changes.json",
        }
    }

    /// The field items are identified and sorted by.
    pub fn key(self) -> &'static str {
        match self {
            Artifact::Roles => "name",
            Artifact::Account => "account_id",
            Artifact::Activity => "time",
            Artifact::Access
            | Artifact::Changes
            | Artifact::AuditTrail
            | Artifact::Certificates
            | Artifact::Fingerprints => "sort_key",
            _ => "id",
        }
    }
}
