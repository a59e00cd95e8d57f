//! Unit tests of `evidence::redact`.

use super::*;
use serde_json::json;

#[test]
fn secret_key_names() {
    for key in [
        "password",
        "PassWord",
        "db_password",
        "client_secret",
        "clientSecret",
        "api_key",
        "apiKey",
        "API-KEY",
        "token",
        "access_token",
        "refreshToken",
        "private_key",
        "privateKey",
        "passphrase",
        "credentials",
        "credentials_json",
        "key",
        "primary_key",
        "signing_keys",
        "aws_secret_access_key",
        "access_key_id",
        "Authorization",
        "connection_string",
        "connectionString",
        "set_cookie",
    ] {
        assert!(is_secret_key(key), "{key} should be secret");
    }
    for key in [
        "public_key",
        "host",
        "user",
        "auth",
        "port",
        "email",
        "hashed",
        "monkey_business",
        "name",
        "keystone",
    ] {
        assert!(!is_secret_key(key), "{key} should not be secret");
    }
}

#[test]
fn masks_strings_at_any_depth_and_records_paths() {
    let mut items = vec![
        json!({
            "id": "a",
            "config": {"host": "h", "password": "PLANTED", "port": 5432, "pin_code": "",
                       "passcode": 1234, "secret_set": true, "token_hint": null,
                       "credentials": {"json": "PLANTED", "kind": "sa", "ttl": 30},
                       "is_private_key_set": true, "tokens": ["PLANTED", "PLANTED"]},
            "connect_card": {"token": "PLANTED", "uri": "https://x"},
        }),
        json!({"id": "b", "config": {"password": "******"}, "Weird Key!": {"Secret": "PLANTED"}}),
    ];
    let record = redact_items(Artifact::Connections, &mut items);
    let text = serde_json::to_string(&items).expect("json");
    assert!(!text.contains("PLANTED"), "{text}");
    assert_eq!(items[0]["config"]["host"], "h");
    assert_eq!(items[0]["config"]["port"], 5432);
    assert_eq!(
        items[0]["config"]["credentials"]["ttl"], MARKER,
        "numbers too"
    );
    assert_eq!(
        items[0]["config"]["passcode"], 1234,
        "not a secret-named key"
    );
    assert_eq!(items[0]["config"]["secret_set"], true, "booleans kept");
    assert!(items[0]["config"]["token_hint"].is_null(), "nulls kept");
    assert_eq!(items[0]["config"]["is_private_key_set"], true);
    assert_eq!(items[0]["config"]["password"], MARKER);
    assert!(items[0].get("connect_card").is_none());
    assert_eq!(record.len(), 7, "{record:?}");
    assert!(record.contains(&Redaction {
        path: "$.items[*].config.password".into(),
        action: Action::Masked,
        count: 2
    }));
    assert!(record.contains(&Redaction {
        path: "$.items[*].config.tokens[*]".into(),
        action: Action::Masked,
        count: 2
    }));
    assert!(record.contains(&Redaction {
        path: "$.items[*].connect_card".into(),
        action: Action::Dropped,
        count: 1
    }));
    assert!(record.contains(&Redaction {
        path: "$.items[*][\"Weird Key!\"].Secret".into(),
        action: Action::Masked,
        count: 1
    }));
}

#[test]
fn schema_config_names_are_data_not_secrets() {
    let config = json!({"schemas": {"billing": {"tables": {"card_tokens": {
        "enabled": true, "sync_mode": "SOFT_DELETE", "name_in_destination": "card_tokens",
        "columns": {"password_hash": {"enabled": false, "hashed": true}}}}}}});
    let mut items = vec![json!({"id": "c", "config": {"password": "PLANTED"},
                                "schema_config": config.clone()})];
    let record = redact_items(Artifact::Connections, &mut items);
    assert_eq!(items[0]["schema_config"], config);
    assert_eq!(items[0]["config"]["password"], MARKER);
    assert_eq!(record.len(), 1, "{record:?}");
}

#[test]
fn an_items_own_key_field_is_never_masked() {
    let mut items = vec![json!({"sort_key": "0/users/u1", "field": "x", "api_key": "s"})];
    let record = redact_items(Artifact::Changes, &mut items);
    assert_eq!(items[0]["sort_key"], "0/users/u1");
    assert_eq!(items[0]["api_key"], MARKER);
    assert_eq!(record.len(), 1);
}

#[test]
fn empty_secrets_stay_visible() {
    let mut items = vec![json!({"id": "a", "config": {"password": ""}})];
    let record = redact_items(Artifact::Destinations, &mut items);
    assert_eq!(
        items[0]["config"]["password"], "",
        "an empty password is evidence"
    );
    assert!(record.is_empty());
}

#[test]
fn schema_config_is_skipped_for_connections_only() {
    let mut items = vec![json!({"id": "x", "schema_config": {"token": "PLANTED"}})];
    redact_items(Artifact::Webhooks, &mut items);
    assert_eq!(items[0]["schema_config"]["token"], MARKER);
}

#[test]
fn picture_is_dropped_from_users_only() {
    let mut users = vec![json!({"id": "u", "picture": "data:image/png;base64,AAAA"})];
    redact_items(Artifact::Users, &mut users);
    assert!(users[0].get("picture").is_none());
    let mut teams = vec![json!({"id": "t", "picture": "p"})];
    redact_items(Artifact::Teams, &mut teams);
    assert_eq!(teams[0]["picture"], "p");
}

#[test]
fn environment_variables_keep_their_names_and_lose_their_values() {
    let mut items = vec![json!({
        "id": "p1",
        "project_config": {
            "git_remote_url": "git@github.com:acme/dbt.git",
            "public_key": "ssh-ed25519 AAAAC3Nza acme",
            "environment_vars": ["DBT_API_TOKEN=s3cr3t=with=equals", "DBT_EMPTY=", "NO_EQUALS_SIGN"]
        }
    })];
    let redactions = redact_items(Artifact::TransformationProjects, &mut items);
    assert_eq!(
        items[0]["project_config"]["environment_vars"],
        json!(["DBT_API_TOKEN=<redacted>", "DBT_EMPTY=", "<redacted>"])
    );
    // The deploy key's public half is evidence, not a secret.
    assert_eq!(
        items[0]["project_config"]["public_key"],
        "ssh-ed25519 AAAAC3Nza acme"
    );
    assert_eq!(
        redactions,
        vec![Redaction {
            path: "$.items[*].project_config.environment_vars[*]".into(),
            action: Action::Masked,
            count: 2,
        }]
    );
}
