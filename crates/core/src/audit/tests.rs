//! Unit tests of the audit trail's discovery and status, without a warehouse.

use std::path::Path;

use super::*;
use crate::audit::known::PlatformConnector;
use crate::credentials::VaultAuditSource;
use crate::vocab::Artifact;

fn source(destination: Option<&str>, schema: Option<&str>) -> AuditSource {
    crate::credentials::audit::check(
        VaultAuditSource {
            kind: Some("postgres".into()),
            destination: destination.map(Into::into),
            host: Some("127.0.0.1".into()),
            database: Some("analytics".into()),
            user: Some("r".into()),
            password: Some("p".into()),
            schema: schema.map(Into::into),
            tls: Some("disable".into()),
            ..VaultAuditSource::default()
        },
        1,
        Path::new("."),
    )
    .expect("valid")
}

fn pc(id: &str, group: &str, schema: &str) -> PlatformConnector {
    PlatformConnector {
        id: id.into(),
        group_id: Some(group.into()),
        schema: Some(schema.into()),
        paused: Some(false),
        succeeded_at: Some("2026-12-06T09:00:00Z".parse().expect("time")),
        account_level: false,
        deleted: false,
    }
}

fn known(connectors: Vec<PlatformConnector>) -> Known {
    let mut known = Known {
        platform_connectors: connectors,
        ..Known::default()
    };
    for g in ["sturdy_kiln", "warm_harbor", "quiet_meadow"] {
        known
            .destinations
            .insert(g.into(), Some(format!("name of {g}")));
    }
    known
        .statuses
        .insert(Artifact::Connections, Status::Complete);
    known
}

#[test]
fn a_source_is_matched_by_destination_then_schema() {
    let k = known(vec![
        pc("quiet_abacus", "sturdy_kiln", "fivetran_metadata"),
        pc("second", "sturdy_kiln", "fivetran_log"),
        pc("lone_sextant", "warm_harbor", "fivetran_metadata"),
    ]);
    let t = discover::target(&source(Some("warm_harbor"), None), &k).expect("one");
    assert_eq!(t.connector.id, "lone_sextant");
    assert_eq!(t.schema, "fivetran_metadata");
    let e = discover::target(&source(Some("sturdy_kiln"), None), &k).expect_err("two");
    assert_eq!(e.status, Status::Failed);
    assert!(
        e.reason
            .contains("2 Platform Connectors could be meant (quiet_abacus, second)"),
        "{}",
        e.reason
    );
    assert!(
        e.reason
            .contains("hint: name the `destination` of this audit source and its `schema`"),
        "{}",
        e.reason
    );
    let t = discover::target(&source(Some("sturdy_kiln"), Some("fivetran_log")), &k)
        .expect("by schema");
    assert_eq!(t.connector.id, "second");
    let e = discover::target(&source(None, None), &k).expect_err("three");
    assert!(e.reason.contains("3 Platform Connectors"), "{}", e.reason);
    let e = discover::target(&source(Some("quiet_meadow"), None), &k).expect_err("none");
    assert!(
        e.reason.contains(
            "no Platform Connector (service fivetran_log) writes to destination quiet_meadow"
        ),
        "{}",
        e.reason
    );
    assert!(e.reason.contains("; hint: "), "{}", e.reason);
    // With one Platform Connector in the account, no destination is needed; a schema given
    // is the one read.
    let k = known(vec![pc("quiet_abacus", "sturdy_kiln", "fivetran_metadata")]);
    let t = discover::target(&source(None, Some("custom")), &k).expect("the only one");
    assert_eq!(
        (t.connector.id.as_str(), t.schema.as_str()),
        ("quiet_abacus", "custom")
    );
}

#[test]
fn paused_never_synced_and_deleted_platform_connectors_are_not_read() {
    let mut paused = pc("quiet_abacus", "sturdy_kiln", "fivetran_metadata");
    paused.paused = Some(true);
    let k = known(vec![paused]);
    let e = discover::target(&source(None, None), &k).expect_err("paused");
    assert_eq!(e.status, Status::Unavailable);
    assert!(e.reason.contains("is paused"), "{}", e.reason);
    let mut fresh = pc("quiet_abacus", "sturdy_kiln", "fivetran_metadata");
    fresh.succeeded_at = None;
    let k = known(vec![fresh]);
    let e = discover::target(&source(None, None), &k).expect_err("never");
    assert_eq!(e.status, Status::Unavailable);
    assert!(e.reason.contains("never synced"), "{}", e.reason);
    let mut gone = pc("quiet_abacus", "sturdy_kiln", "fivetran_metadata");
    gone.deleted = true;
    let mut k = known(vec![gone]);
    k.statuses.insert(Artifact::Connections, Status::Partial);
    let e = discover::target(&source(None, None), &k).expect_err("deleted");
    assert_eq!(e.status, Status::Failed);
    assert!(
        e.reason.contains("connections.json is not complete"),
        "{}",
        e.reason
    );
}

fn facts(n: usize, status: Status, pc: &str) -> SourceFacts {
    SourceFacts {
        source: n,
        kind: "postgres".into(),
        host: "db.example.com".into(),
        port: 5432,
        database: "analytics".into(),
        user: "r".into(),
        status,
        platform_connector: Some(pc.into()),
        reason: (status != Status::Complete).then(|| format!("reason {n}")),
        ..SourceFacts::default()
    }
}

static NET: crate::warehouse::Net = crate::warehouse::Net {
    extra_roots: Vec::new(),
    max_wait: std::time::Duration::from_secs(60),
};

fn ctx<'a>(sources: &'a [AuditSource], previous: &'a BTreeMap<String, Previous>) -> Ctx<'a> {
    Ctx {
        sources,
        since: "2026-12-05T00:00:00Z".parse().expect("time"),
        run_start: "2026-12-06T10:00:00Z".parse().expect("time"),
        previous,
        account_id: Some("acme"),
        net: &NET,
    }
}

#[test]
fn the_artifact_s_status_comes_from_its_sources() {
    let previous = BTreeMap::new();
    let none = artifact(&ctx(&[], &previous), &AuditFacts::default());
    assert_eq!(none.status, Status::Unavailable);
    assert!(
        none.reason
            .as_deref()
            .expect("reason")
            .contains("[[audit_sources]]")
    );
    let one = [source(None, None)];
    let with = |statuses: &[Status]| {
        let facts = AuditFacts {
            sources: statuses
                .iter()
                .enumerate()
                .map(|(i, s)| facts(i + 1, *s, "pc"))
                .collect(),
            destinations: vec![],
        };
        artifact(&ctx(&one, &previous), &facts)
    };
    assert_eq!(
        with(&[Status::Complete, Status::Unavailable]).status,
        Status::Complete
    );
    let partial = with(&[Status::Complete, Status::Failed]);
    assert_eq!(partial.status, Status::Partial);
    assert_eq!(
        partial.reason.as_deref(),
        Some("audit source 2 (postgres r@db.example.com:5432/analytics) failed: reason 2")
    );
    assert_eq!(
        with(&[Status::Failed, Status::Forbidden]).status,
        Status::Failed
    );
    assert_eq!(with(&[Status::Forbidden]).status, Status::Forbidden);
    assert_eq!(with(&[Status::Partial]).status, Status::Partial);
}

#[test]
fn every_destination_says_whether_its_trail_was_read() {
    let mut account = pc("lone_sextant", "warm_harbor", "fivetran_metadata");
    account.account_level = true;
    account.paused = Some(true);
    let k = known(vec![
        pc("quiet_abacus", "sturdy_kiln", "fivetran_metadata"),
        account,
    ]);
    let read = facts(1, Status::Complete, "quiet_abacus");
    let covered = discover::destinations(&k, &[read]);
    let by = |id: &str| {
        covered
            .iter()
            .find(|d| d.destination == id)
            .expect(id)
            .clone()
    };
    let kiln = by("sturdy_kiln");
    assert_eq!(kiln.coverage, "read");
    assert_eq!(kiln.sources, vec![1]);
    assert_eq!(
        kiln.platform_connectors,
        vec!["quiet_abacus", "lone_sextant"]
    );
    assert!(
        kiln.reason
            .contains("read through audit source 1 (Platform Connector quiet_abacus)"),
        "{}",
        kiln.reason
    );
    let meadow = by("quiet_meadow");
    assert_eq!(meadow.coverage, "not_read");
    assert_eq!(meadow.name.as_deref(), Some("name of quiet_meadow"));
    assert!(
        meadow
            .reason
            .contains("Platform Connector lone_sextant is paused"),
        "{}",
        meadow.reason
    );
    let none = discover::destinations(&known(vec![]), &[]);
    assert!(
        none.iter()
            .all(|d| d.coverage == "not_read" && d.reason.contains("no Platform Connector"))
    );
}
