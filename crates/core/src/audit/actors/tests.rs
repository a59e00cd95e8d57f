//! Unit tests of actor resolution.

use super::*;
use crate::audit::known::Person;

fn known() -> Known {
    let mut known = Known::default();
    for (id, email, active) in [
        ("tidy_lantern", "maya.okafor@acme.example", true),
        ("copper_willow", "erik.lindqvist@acme.example", false),
    ] {
        known.emails.insert(email.to_owned(), id.to_owned());
        known.users.insert(
            id.to_owned(),
            Person {
                email: Some(email.to_owned()),
                name: Some(format!("name of {id}")),
                active: Some(active),
            },
        );
    }
    known
}

fn actors() -> Actors {
    let mut actors = Actors::default();
    actors.add(UserRow {
        id: "ghost_heron".into(),
        email: Some("Nora.Quist@acme.example".into()),
        given_name: Some("Nora".into()),
        family_name: Some("Quist".into()),
        deleted: Some(true),
    });
    actors.add(UserRow {
        id: "tidy_lantern".into(),
        email: Some("maya.okafor@acme.example".into()),
        given_name: None,
        family_name: None,
        deleted: Some(false),
    });
    actors
}

#[test]
fn an_email_or_an_id_resolves_to_the_same_person() {
    let (known, actors) = (known(), actors());
    let by_email = actors.resolve(&known, "MAYA.OKAFOR@acme.example");
    let by_id = actors.resolve(&known, "tidy_lantern");
    assert_eq!(by_email, by_id);
    assert_eq!(
        by_id,
        json!({"user_id": "tidy_lantern", "email": "maya.okafor@acme.example",
               "name": "name of tidy_lantern", "listed_by_api": true, "active": true,
               "deleted_in_warehouse": false})
    );
}

#[test]
fn people_the_api_no_longer_lists_come_from_user() {
    let (known, actors) = (known(), actors());
    let ghost = actors.resolve(&known, "nora.quist@acme.example");
    assert_eq!(
        ghost,
        json!({"user_id": "ghost_heron", "email": "Nora.Quist@acme.example",
               "name": "Nora Quist", "listed_by_api": false, "active": false,
               "deleted_in_warehouse": true})
    );
    let inactive = actors.resolve(&known, "copper_willow");
    assert_eq!(inactive["listed_by_api"], true);
    assert_eq!(inactive["active"], false);
    assert_eq!(inactive["deleted_in_warehouse"], Value::Null);
    let stranger = actors.resolve(&known, "contractor@partner.example");
    assert_eq!(stranger["user_id"], Value::Null);
    assert_eq!(stranger["email"], "contractor@partner.example");
    assert_eq!(stranger["active"], false);
    let unknown_id = actors.resolve(&known, "somebody_else");
    assert_eq!(unknown_id["user_id"], "somebody_else");
    assert_eq!(unknown_id["email"], Value::Null);
}

#[test]
fn fivetran_and_nobody_are_the_system() {
    for system in [
        None,
        Some(""),
        Some(" "),
        Some("fivetran"),
        Some("Fivetran"),
    ] {
        assert!(is_system(system), "{system:?}");
    }
    for user in [Some("tidy_lantern"), Some("fivetran@acme.example")] {
        assert!(!is_system(user), "{user:?}");
    }
}
