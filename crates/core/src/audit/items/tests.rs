//! Unit tests of rows into items.

use jiff::Timestamp;

use super::*;
use crate::warehouse::Key;

fn origin() -> Origin {
    Origin {
        destination: Some("sturdy_kiln".into()),
        platform_connector: "quiet_abacus".into(),
        schema: "fivetran_metadata".into(),
    }
}

fn known() -> Known {
    let mut known = Known {
        account_id: Some("sterling_paddock".into()),
        ..Known::default()
    };
    known
        .connections
        .insert("velvet_summit".into(), "salesforce".into());
    known
        .destinations
        .insert("quiet_meadow".into(), Some("Analytics EU".into()));
    known
}

fn at() -> Timestamp {
    "2026-12-05T10:00:00.123456Z".parse().expect("time")
}

fn log(data: Field, event: &str) -> LogRow {
    LogRow {
        key: Key {
            at: at(),
            id: "l_1".into(),
        },
        connection_id: Some("velvet_summit".into()),
        event: Some("INFO".into()),
        message_event: Some(event.into()),
        message_data: data,
        sync_id: None,
    }
}

fn text(s: &str) -> Field {
    Field::Text(s.into())
}

#[test]
fn event_verbs() {
    for (event, want) in [
        ("create_connection", "CREATE"),
        ("edit_user", "EDIT"),
        ("change_schema_config", "EDIT"),
        ("delete_team", "DELETE"),
        ("pause_connector", "PAUSE"),
        ("resume_connector", "RESUME"),
        ("resync_table", "SYNC"),
        ("sync_connection", "SYNC"),
        ("generate_api_secret", "GENERATE"),
        ("rotate_widget", "ROTATE_WIDGET"),
    ] {
        assert_eq!(verb(event), want, "{event}");
    }
}

#[test]
fn a_log_row_is_an_action_a_system_action_or_chatter() {
    let (known, actors) = (known(), Actors::default());
    let run = |data: Field, event: &str| from_log(&log(data, event), &origin(), &known, &actors);
    assert!(matches!(run(text("{}"), "sync_start").0, Outcome::Chatter));
    assert!(matches!(
        run(text(r#"{"table": "actor"}"#), "records_modified").0,
        Outcome::Chatter
    ));
    assert!(matches!(
        run(text(r#"{"actor": "Fivetran"}"#), "resume_connector").0,
        Outcome::System
    ));
    let (outcome, key) = run(
        text(r#"{"actor": "jonas.weber@acme.example", "id": "velvet_summit"}"#),
        "pause_connector",
    );
    let Outcome::Action { item, incomplete } = outcome else {
        panic!("an action")
    };
    assert!(!incomplete);
    assert_eq!(item["id"], "log:l_1");
    assert_eq!(item["at"], "2026-12-05T10:00:00.123456Z");
    assert_eq!(item["sort_key"], "2026-12-05T10:00:00.123456Z|log:l_1");
    assert_eq!(item["action"], "PAUSE");
    assert_eq!(item["event"], "pause_connector");
    assert_eq!(
        item["resource"],
        json!({"type": "CONNECTION", "id": "velvet_summit", "name": "salesforce"})
    );
    assert_eq!(item["actor"]["email"], "jonas.weber@acme.example");
    assert_eq!(item["source"]["table"], "log");
    assert_eq!(item["source"]["platform_connector"], "quiet_abacus");
    // Unknown to the API, an email has no user id, so the action cannot be matched.
    assert_eq!(key, None);
}

#[test]
fn a_log_row_that_cannot_be_read_is_kept_and_says_so() {
    let (known, actors) = (known(), Actors::default());
    for (data, says) in [
        (
            text(r#"{"actor": "maya@acme.example", "id":"#),
            "not valid JSON",
        ),
        (Field::TooLarge(10_485_800), "10485800 bytes"),
        (text(r#"{"actor": 7}"#), "actor is not a string"),
    ] {
        let (outcome, _) = from_log(&log(data, "edit_connector"), &origin(), &known, &actors);
        let Outcome::Action { item, incomplete } = outcome else {
            panic!("kept")
        };
        assert!(incomplete);
        let notes = item[NOTES_KEY]["incomplete"][0].as_str().expect("note");
        assert!(notes.contains(says), "{notes}");
        assert_eq!(item["actor"], Value::Null);
        assert_eq!(item["action"], "EDIT");
        // The connection column still says what it was about.
        assert_eq!(item["resource"]["id"], "velvet_summit");
    }
}

#[test]
fn subjects_of_log_events() {
    let known = known();
    let data = json!({"id": "frozen_pebble"});
    let subject = |event| log_subject(event, Some("c1"), &data, Some("u1"), &known);
    assert_eq!(
        subject("edit_connection"),
        (Some("CONNECTION"), Some("c1".into()))
    );
    assert_eq!(
        subject("create_user"),
        (Some("USER"), Some("frozen_pebble".into()))
    );
    assert_eq!(
        subject("delete_team"),
        (Some("TEAM"), Some("frozen_pebble".into()))
    );
    assert_eq!(
        subject("edit_account"),
        (Some("ACCOUNT"), Some("sterling_paddock".into()))
    );
    assert_eq!(
        subject("generate_api_secret"),
        (Some("API_KEY"), Some("u1".into()))
    );
    assert_eq!(subject("rotate_widget"), (None, Some("c1".into())));
    let none = log_subject("edit_connection", None, &data, None, &known);
    assert_eq!(none, (Some("CONNECTION"), Some("frozen_pebble".into())));
}

fn trail(user: Option<&str>, old: Field) -> AuditTrailRow {
    AuditTrailRow {
        key: Key {
            at: at(),
            id: "at_1".into(),
        },
        user_id: user.map(Into::into),
        action: Some("EDIT".into()),
        interaction_method: Some("API".into()),
        primary_resource_type: Some("CONNECTION".into()),
        primary_resource_id: Some("velvet_summit".into()),
        secondary_resource_type: Some("DESTINATION".into()),
        secondary_resource_id: Some("quiet_meadow".into()),
        old_values: old,
        new_values: text(r#"{"paused": true, "password": "x"}"#),
    }
}

#[test]
fn audit_trail_rows_become_items_and_keys() {
    let (known, actors) = (known(), Actors::default());
    let row = trail(Some("brisk_falcon"), text(r#"{"paused": false}"#));
    let Outcome::Action { item, incomplete } =
        from_audit_trail(&row, &origin(), &known, &actors, &["l_2".into()])
    else {
        panic!("an action")
    };
    assert!(!incomplete);
    assert_eq!(item["id"], "audit_trail:at_1");
    assert_eq!(item["method"], "API");
    assert_eq!(item["old_values"], json!({"paused": false}));
    assert_eq!(item["new_values"]["paused"], true);
    assert_eq!(
        item["secondary"],
        json!({"type": "DESTINATION", "id": "quiet_meadow", "name": "Analytics EU"})
    );
    assert_eq!(item["source"]["also_in_log"], json!(["l_2"]));
    assert_eq!(
        audit_trail_key(&row),
        Some(ActionKey {
            resource_type: "CONNECTION".into(),
            resource_id: "velvet_summit".into(),
            verb: "EDIT".into(),
            actor: "brisk_falcon".into(),
        })
    );
    for system in [None, Some("fivetran")] {
        let row = trail(system, Field::Null);
        assert!(matches!(
            from_audit_trail(&row, &origin(), &known, &actors, &[]),
            Outcome::System
        ));
        assert_eq!(audit_trail_key(&row), None);
    }
    let bad = trail(Some("brisk_falcon"), text("{not json"));
    let Outcome::Action { item, incomplete } =
        from_audit_trail(&bad, &origin(), &known, &actors, &[])
    else {
        panic!("kept")
    };
    assert!(incomplete);
    assert_eq!(item["old_values"], Value::Null);
}

#[test]
fn a_pause_in_log_matches_an_edit_in_audit_trail() {
    let mut known = known();
    known.users.insert(
        "brisk_falcon".into(),
        crate::audit::known::Person {
            email: Some("jonas.weber@acme.example".into()),
            ..Default::default()
        },
    );
    known
        .emails
        .insert("jonas.weber@acme.example".into(), "brisk_falcon".into());
    let actors = Actors::default();
    let (_, key) = from_log(
        &log(
            text(r#"{"actor": "jonas.weber@acme.example", "id": "velvet_summit"}"#),
            "pause_connector",
        ),
        &origin(),
        &known,
        &actors,
    );
    let row = trail(Some("brisk_falcon"), Field::Null);
    assert_eq!(key, audit_trail_key(&row));
}
