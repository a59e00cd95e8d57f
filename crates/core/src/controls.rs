//! The control map: which controls of SOC 2 (the 2017 Trust Services Criteria, revised points
//! of focus 2022) and of ISO/IEC 27001:2022 Annex A each artifact and each finding gives
//! evidence for, and how. Kept as data here, shipped in every manifest (`controls`), shown in
//! the report, and explained for auditors in `docs/auditors.md`.
//!
//! "Supports" is meant as an auditor means it: the file is evidence an auditor can inspect
//! when testing the control's design or operation. No file proves a control operates on its
//! own; each mapping says what the file shows for it.

use serde::Serialize;

use crate::vocab::Artifact;

/// A control framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub enum Framework {
    /// The AICPA's 2017 Trust Services Criteria (SOC 2), with the points of focus of 2022.
    #[serde(rename = "SOC 2 (TSC 2017)")]
    Soc2,
    /// ISO/IEC 27001:2022, Annex A.
    #[serde(rename = "ISO/IEC 27001:2022 Annex A")]
    Iso27001,
}

/// One control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    /// Its framework.
    pub framework: Framework,
    /// Its id in the framework (`CC6.1`, `5.15`).
    pub id: &'static str,
    /// Its name, in short.
    pub title: &'static str,
}

const fn soc2(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::Soc2,
        id,
        title,
    }
}

const fn iso(id: &'static str, title: &'static str) -> Control {
    Control {
        framework: Framework::Iso27001,
        id,
        title,
    }
}

/// Logical access security over protected information assets.
pub const CC6_1: Control = soc2("CC6.1", "logical access security over information assets");
/// Users registered and authorized before access is granted, and removed when no longer
/// authorized.
pub const CC6_2: Control = soc2("CC6.2", "user registration, authorization and removal");
/// Access authorized, modified or removed by role and least privilege.
pub const CC6_3: Control = soc2("CC6.3", "role-based access, least privilege, removal");
/// Boundary protection against threats from outside the system.
pub const CC6_6: Control = soc2("CC6.6", "protection at the system boundary");
/// Transmission of information restricted to authorized parties and protected.
pub const CC6_7: Control = soc2("CC6.7", "information in transmission");
/// Configuration changes that introduce vulnerabilities detected and monitored.
pub const CC7_1: Control = soc2("CC7.1", "configuration monitoring");
/// System components monitored for anomalies; security events logged.
pub const CC7_2: Control = soc2("CC7.2", "monitoring and security event logging");
/// Changes authorized, configured, tested, approved and implemented.
pub const CC8_1: Control = soc2("CC8.1", "change management");

/// Access control policy and rules.
pub const A5_15: Control = iso("5.15", "access control");
/// Identity management over the identities' life cycle.
pub const A5_16: Control = iso("5.16", "identity management");
/// Authentication information managed.
pub const A5_17: Control = iso("5.17", "authentication information");
/// Access rights provisioned, reviewed, modified and removed.
pub const A5_18: Control = iso("5.18", "access rights");
/// Information transfer rules and agreements.
pub const A5_14: Control = iso("5.14", "information transfer");
/// Information security for the use of cloud services.
pub const A5_23: Control = iso("5.23", "information security for use of cloud services");
/// Privileged access rights restricted and managed.
pub const A8_2: Control = iso("8.2", "privileged access rights");
/// Configurations established, documented, monitored and reviewed.
pub const A8_9: Control = iso("8.9", "configuration management");
/// Logs produced, stored, protected and analysed.
pub const A8_15: Control = iso("8.15", "logging");
/// Networks and systems monitored for anomalous behaviour.
pub const A8_16: Control = iso("8.16", "monitoring activities");
/// Networks secured, managed and controlled.
pub const A8_20: Control = iso("8.20", "networks security");
/// Changes subject to change management procedures.
pub const A8_32: Control = iso("8.32", "change management");

mod findings;

pub use findings::of_finding;

/// One mapping: a control, and what the evidence shows for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Support {
    /// The control.
    pub control: Control,
    /// What the evidence shows for it, in words.
    pub how: &'static str,
}

const fn s(control: Control, how: &'static str) -> Support {
    Support { control, how }
}

/// What an artifact gives evidence for.
pub fn of_artifact(artifact: Artifact) -> &'static [Support] {
    match artifact {
        Artifact::Account => {
            const {
                &[
                    s(
                        CC6_1,
                        "the account and the identity of the key that read it: the scope the bundle speaks for",
                    ),
                    s(
                        A5_15,
                        "the account and the identity of the key that read it: the scope the bundle speaks for",
                    ),
                ]
            }
        }
        Artifact::Users => {
            const {
                &[
                    s(
                        CC6_2,
                        "every user with their account role, status (active, invited, verified) and last login",
                    ),
                    s(
                        CC6_3,
                        "each user's memberships on destinations and connections, with their roles",
                    ),
                    s(
                        A5_16,
                        "every user identity with their status and creation date",
                    ),
                    s(
                        A5_18,
                        "each user's access rights: account role and memberships",
                    ),
                ]
            }
        }
        Artifact::Roles => {
            const {
                &[
                    s(
                        CC6_3,
                        "the roles that can be granted, standard and custom, and their scope",
                    ),
                    s(A5_15, "the access rules expressed as roles"),
                    s(A8_2, "which roles carry administrative rights"),
                ]
            }
        }
        Artifact::Teams => {
            const {
                &[
                    s(
                        CC6_3,
                        "teams, their members and the roles a team grants on the account, destinations and connections",
                    ),
                    s(A5_18, "access rights granted through teams"),
                ]
            }
        }
        Artifact::Groups => {
            const {
                &[
                    s(CC6_1, "the groups that partition access to destinations"),
                    s(A5_15, "the groups that partition access to destinations"),
                ]
            }
        }
        Artifact::Destinations => {
            const {
                &[
                    s(
                        CC6_1,
                        "each destination's configuration (secrets redacted) and setup tests",
                    ),
                    s(
                        CC6_7,
                        "the connection settings to each warehouse, where its configuration states them",
                    ),
                    s(A8_9, "each destination's configuration as set"),
                    s(
                        A5_23,
                        "how the cloud service delivers data into each warehouse",
                    ),
                ]
            }
        }
        Artifact::Connections => {
            const {
                &[
                    s(
                        CC6_1,
                        "each connection's configuration (secrets redacted), owner and schema configuration",
                    ),
                    s(
                        CC7_1,
                        "each connection's setup state, schedule and last success and failure",
                    ),
                    s(
                        A8_9,
                        "each connection's configuration as set, including which tables and columns sync and which are hashed",
                    ),
                    s(A5_23, "which sources the cloud service reads and how"),
                ]
            }
        }
        Artifact::Webhooks => {
            const {
                &[
                    s(
                        CC6_7,
                        "where Fivetran sends event notifications, and whether over HTTPS",
                    ),
                    s(
                        A5_14,
                        "the event notifications leaving Fivetran and their destinations",
                    ),
                ]
            }
        }
        Artifact::LogServices => {
            const {
                &[
                    s(
                        CC7_2,
                        "the external log services configured to receive Fivetran's events",
                    ),
                    s(A8_15, "where Fivetran's logs are exported"),
                ]
            }
        }
        Artifact::SystemKeys => {
            const {
                &[
                    s(
                        CC6_1,
                        "the API keys not tied to a person: permissions, creation, last use, expiry",
                    ),
                    s(CC6_2, "keys created, unused or without expiry"),
                    s(
                        A5_17,
                        "the system keys as authentication information, with their expiry",
                    ),
                    s(A8_2, "the permissions each system key holds"),
                ]
            }
        }
        Artifact::PrivateLinks => {
            const {
                &[
                    s(
                        CC6_6,
                        "the private network links between Fivetran and the customer's systems",
                    ),
                    s(A8_20, "the private network links configured"),
                ]
            }
        }
        Artifact::ProxyAgents => {
            const {
                &[
                    s(
                        CC6_6,
                        "the proxy agents through which Fivetran reaches private systems",
                    ),
                    s(A8_20, "the proxy agents configured"),
                ]
            }
        }
        Artifact::HybridDeploymentAgents => {
            const {
                &[
                    s(
                        CC6_6,
                        "the agents that run pipelines inside the customer's network",
                    ),
                    s(A8_20, "the hybrid deployment agents configured"),
                ]
            }
        }
        Artifact::ConnectorSdkPackages => {
            const {
                &[
                    s(
                        CC8_1,
                        "the custom connector code running in pipelines: each package's SHA-256, who uploaded and last changed it, when; to match against a reviewed commit",
                    ),
                    s(A8_32, "the custom connector packages and their changes"),
                ]
            }
        }
        Artifact::SecretsManagers => {
            const {
                &[
                    s(
                        CC6_1,
                        "where pipeline credentials are kept: the external secrets managers (AWS, Azure, HashiCorp) and their configuration, secrets masked",
                    ),
                    s(
                        A5_17,
                        "the external secrets managers holding pipelines' authentication information",
                    ),
                ]
            }
        }
        Artifact::Transformations => {
            const {
                &[
                    s(
                        CC8_1,
                        "the jobs that change data in the warehouse: schedule, paused, who created them, what they run",
                    ),
                    s(A8_32, "the transformations configured and who created them"),
                ]
            }
        }
        Artifact::TransformationProjects => {
            const {
                &[
                    s(
                        CC8_1,
                        "which Git repository, branch and folder run in production, the dbt version, setup tests and errors",
                    ),
                    s(A8_32, "the dbt projects' source of code in production"),
                ]
            }
        }
        Artifact::Certificates => {
            const {
                &[
                    s(
                        CC6_7,
                        "the TLS certificates approved for sources and destinations Fivetran connects to: their SHA-256, who approved each and when",
                    ),
                    s(
                        A5_14,
                        "the certificates trusted for data in transit to and from customer hosts",
                    ),
                ]
            }
        }
        Artifact::Fingerprints => {
            const {
                &[
                    s(
                        CC6_7,
                        "the SSH host keys approved for tunnels and SFTP sources: who approved each and when",
                    ),
                    s(A5_14, "the SSH host keys trusted for data in transit"),
                ]
            }
        }
        Artifact::SyncHistory => {
            const {
                &[
                    s(
                        CC7_1,
                        "each connection's syncs over the window: when they ran and how they ended",
                    ),
                    s(A8_16, "the pipelines' operation over the window"),
                ]
            }
        }
        Artifact::AuditCoverage => {
            const {
                &[
                    s(
                        CC7_2,
                        "per destination, whether the user-action audit trail leaves Fivetran, by which route, and whether that route works",
                    ),
                    s(A8_15, "whether each destination's audit trail is exported"),
                ]
            }
        }
        Artifact::Activity => {
            const {
                &[
                    s(
                        CC6_2,
                        "users and keys created, last logins, memberships granted, in time order",
                    ),
                    s(
                        A5_18,
                        "when access rights were granted, as far as the API records it",
                    ),
                ]
            }
        }
        Artifact::Access => {
            const {
                &[
                    s(
                        CC6_3,
                        "who can reach each resource, with which role, directly or through a team: the input of an access review",
                    ),
                    s(A5_18, "the effective access rights, for review"),
                    s(A8_2, "who holds administrative roles"),
                ]
            }
        }
        Artifact::Findings => {
            const {
                &[
                    s(
                        CC6_3,
                        "checks an access review starts from, each saying what it proves and cannot",
                    ),
                    s(
                        A5_18,
                        "checks an access review starts from, each saying what it proves and cannot",
                    ),
                ]
            }
        }
        Artifact::Changes => {
            const {
                &[
                    s(
                        CC8_1,
                        "every change of access and configuration since the previous bundle, field by field",
                    ),
                    s(CC7_1, "configuration changes between two runs"),
                    s(A8_32, "the changes to compare with approved change records"),
                    s(A8_9, "configuration drift between two runs"),
                ]
            }
        }
        Artifact::AuditTrail => {
            const {
                &[
                    s(
                        CC7_2,
                        "each user action Fivetran recorded in the window: who, when, how, on what",
                    ),
                    s(
                        CC8_1,
                        "who changed connections, destinations, users and teams, with old and new values",
                    ),
                    s(
                        A8_15,
                        "the user-action log read from the Platform Connector's tables",
                    ),
                    s(A8_32, "the authorship of each configuration change"),
                ]
            }
        }
    }
}

/// One entry of the manifest's `controls`: a control, and which files and findings of this
/// bundle give evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ControlEntry {
    /// `SOC 2 (TSC 2017)` or `ISO/IEC 27001:2022 Annex A`.
    pub framework: Framework,
    /// The control's id (`CC6.1`, `5.15`).
    pub control: &'static str,
    /// Its name, in short.
    pub title: &'static str,
    /// Each file (`users.json`) or finding (`findings.json#FT-ACCESS-001`) of the bundle that
    /// gives evidence for it, with what it shows.
    pub evidence: Vec<Evidence>,
}

/// A file or a finding, and what it shows for a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Evidence {
    /// `users.json`, or `findings.json#FT-ACCESS-001`.
    pub source: String,
    /// What it shows for the control.
    pub shows: &'static str,
}

/// The controls the artifacts of a bundle give evidence for, with the findings when
/// `findings.json` is among them: SOC 2 first, then ISO, each by control id.
pub fn map(artifacts: &[Artifact], finding_ids: &[&str]) -> Vec<ControlEntry> {
    let mut entries: Vec<ControlEntry> = Vec::new();
    let mut add = |support: &Support, source: String| {
        let c = support.control;
        let evidence = Evidence {
            source,
            shows: support.how,
        };
        match entries
            .iter_mut()
            .find(|e| e.framework == c.framework && e.control == c.id)
        {
            Some(entry) => entry.evidence.push(evidence),
            None => entries.push(ControlEntry {
                framework: c.framework,
                control: c.id,
                title: c.title,
                evidence: vec![evidence],
            }),
        }
    };
    for &artifact in artifacts {
        for support in of_artifact(artifact) {
            add(support, artifact.file_name().to_owned());
        }
    }
    if artifacts.contains(&Artifact::Findings) {
        for id in finding_ids {
            for support in of_finding(id) {
                add(support, format!("findings.json#{id}"));
            }
        }
    }
    entries.sort_by(|a, b| {
        (a.framework, numeric(a.control), a.control).cmp(&(
            b.framework,
            numeric(b.control),
            b.control,
        ))
    });
    for entry in &mut entries {
        entry.evidence.sort_by(|a, b| a.source.cmp(&b.source));
    }
    entries
}

/// A control id's numbers, so that `CC6.10` sorts after `CC6.9` and `8.15` after `8.2`.
fn numeric(id: &str) -> Vec<u32> {
    id.trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .split('.')
        .filter_map(|n| n.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests;
