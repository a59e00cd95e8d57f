//! What to grant when a probe is forbidden, from what Fivetran documents (README "The API key
//! to create", `docs` of the API): a user key inherits its user's role, and Account Reviewer or
//! Account Administrator reads everything (listing system keys needs an Account
//! Administrator); a system key needs `READ` on each resource type. Where the documentation
//! names no resource type, the hint says so rather than guess one.

/// The system-key resource type that reads a probe's resource, where Fivetran documents one.
fn system_key_permission(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "account" => "ACCOUNT",
        "users" | "user_memberships" => "USER",
        "roles" => "ROLES",
        "teams" => "TEAM",
        // DESTINATION covers the group endpoints too.
        "groups" | "destinations" => "DESTINATION",
        // CONNECTOR covers the connection and connection-schema endpoints.
        "connections" | "connection_schemas" | "connection_errors" | "sync_history" => "CONNECTOR",
        "webhooks" => "WEBHOOK",
        "private_links" => "PRIVATE_LINK",
        "proxy_agents" => "PROXY",
        "hybrid_deployment_agents" => "REMOTE_EXECUTION_AGENT",
        "transformations" | "transformation_projects" => "TRANSFORMATION",
        _ => return None,
    })
}

/// The role or permission to grant a key of `key_kind` (`user`, `system_key` or `unknown`,
/// as [`crate::vocab::AccountInfo`] says) that may not read `resource`.
pub fn grant(resource: &str, key_kind: &str) -> String {
    let readable_name = resource.replace('_', " ");
    let user = if resource == "system_keys" {
        "listing system keys needs a user key of an Account Administrator".to_owned()
    } else {
        "give the key's user the Account Reviewer role (or Account Administrator), which reads \
         every resource"
            .to_owned()
    };
    let system = match (resource, system_key_permission(resource)) {
        ("system_keys", _) => {
            "a system key cannot list system keys: check this one with an Account \
             Administrator's user key (collect records system_keys as forbidden otherwise)"
                .to_owned()
        }
        (_, Some(permission)) => format!(
            "grant the system key READ on {permission} (Account Settings > API Config > System Keys)"
        ),
        (_, None) => format!(
            "grant the system key a permission that can read {readable_name} (Fivetran's \
             documentation names none for it)"
        ),
    };
    match key_kind {
        "user" => user,
        "system_key" => system,
        _ => format!("for a user key: {user}; for a system key: {system}"),
    }
}

#[cfg(test)]
mod tests;
