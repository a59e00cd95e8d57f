//! The comparison rules, one function per artifact: [`access`] (users, teams, roles, system
//! keys), [`settings`] (groups, destinations, connections with their [`schema_config`],
//! webhooks, log services, private links and agents) and [`code`] (SDK packages, secrets
//! managers, transformations, dbt projects, approved certificates and fingerprints), all
//! written with the [`kit`].

mod access;
mod code;
mod kit;
mod schema_config;
mod settings;

use crate::vocab::Artifact;

use super::Change;

pub use code::PROJECT_SOURCE;
pub(in crate::changes) use kit::{Ctx, Pair};
pub use settings::{CONNECTION_SCHEDULE, CONNECTION_SETTINGS, DESTINATION_SETTINGS};

/// A rule: the changes between the two items of a pair.
pub(in crate::changes) type Rule = fn(&Pair<'_>, &Ctx, &mut Vec<Change>);

/// The rule of an artifact; `None` for the artifacts that are not compared.
pub(in crate::changes) fn rule(artifact: Artifact) -> Option<Rule> {
    Some(match artifact {
        Artifact::Users => access::user,
        Artifact::Teams => access::team,
        Artifact::Roles => access::role,
        Artifact::SystemKeys => access::system_key,
        Artifact::Groups => settings::group,
        Artifact::Destinations => settings::destination,
        Artifact::Connections => settings::connection,
        Artifact::Webhooks => settings::webhook,
        Artifact::LogServices => settings::log_service,
        Artifact::PrivateLinks | Artifact::ProxyAgents | Artifact::HybridDeploymentAgents => {
            settings::agent
        }
        Artifact::ConnectorSdkPackages => code::sdk_package,
        Artifact::SecretsManagers => code::secrets_manager,
        Artifact::Transformations => code::transformation,
        Artifact::TransformationProjects => code::transformation_project,
        Artifact::Certificates | Artifact::Fingerprints => code::approval,
        _ => return None,
    })
}

/// The artifacts that have comparison rules, in bundle order.
pub(in crate::changes) fn compared_artifacts() -> impl Iterator<Item = Artifact> {
    Artifact::ALL.into_iter().filter(|a| rule(*a).is_some())
}
