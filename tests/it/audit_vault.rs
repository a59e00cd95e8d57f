//! Audit sources as the vault file gives them, through the binary: under a profile of a JSON
//! vault, plain text refused to a host that is not loopback unless allowed (and then recorded),
//! and the README's example and grants being what the tool reads and prints.

use serde_json::{Value, json};

use crate::support::postgres::{
    DATABASE, READER, READER_PASSWORD, Warehouse, acme_synced_at, collect_with_vault, source_toml,
    vault_with, warehouse,
};
use crate::support::{KEY, SECRET, server};

/// The README's text between the line `start` and the next line that is exactly "```".
fn readme_block(start: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let from = readme
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} in README.md"));
    let block = &readme[from + start.len()..];
    block[..block.find("\n```\n").expect("end of block")].to_owned()
}

#[test]
fn a_profile_s_audit_sources_in_a_json_vault_are_read() {
    let Some(w) = warehouse() else { return };
    let fake = server(acme_synced_at(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let vault = dir.path().join("vault.json");
    let source = json!({"kind": "postgres", "destination": "sturdy_kiln", "host": "127.0.0.1",
        "port": w.server.port(), "database": DATABASE, "user": READER,
        "password": READER_PASSWORD, "tls": "disable"});
    let text = json!({"profiles": {
        "prod": {"api_key": KEY, "api_secret": SECRET, "audit_sources": [source]},
        "staging": {"api_key": KEY, "api_secret": SECRET},
    }});
    std::fs::write(&vault, text.to_string()).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&vault, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let prod = collect_with_vault(&fake, &vault, &["--profile", "prod"]);
    prod.assert_code(0);
    let trail = prod.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    assert_eq!(trail["count"], 13);
    assert_eq!(trail["sources"][0]["user"], READER);
    // The other profile has no audit source: its own, not prod's.
    let staging = collect_with_vault(&fake, &vault, &["--profile", "staging"]);
    staging.assert_code(0);
    assert_eq!(staging.json("audit_trail.json")["status"], "unavailable");
}

/// A source on the test warehouse reached through `0.0.0.0`, which is not a loopback address
/// (so the plain-text rule applies) but which Linux and macOS connect to this machine.
fn through_any_address(w: &Warehouse, extra: &str) -> String {
    source_toml(
        w,
        READER,
        READER_PASSWORD,
        &format!("destination = \"sturdy_kiln\"\n{extra}"),
    )
    .replace("host = \"127.0.0.1\"", "host = \"0.0.0.0\"")
}

#[test]
fn plain_text_beyond_loopback_is_refused_unless_allowed_and_then_recorded() {
    let Some(w) = warehouse() else { return };
    let fake = server(acme_synced_at(w.base));
    let dir = tempfile::tempdir().expect("dir");
    let refused = collect_with_vault(
        &fake,
        &vault_with(dir.path(), &through_any_address(w, "")),
        &[],
    );
    refused.assert_code(2);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert!(
        refused.stderr.contains(
            "tls = \"disable\" for host 0.0.0.0, which is not loopback: the password and the audit trail would cross the network unencrypted"
        ),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("allow_plaintext = true"),
        "{}",
        refused.stderr
    );
    assert!(fake.requests().is_empty(), "refused before any request");
    assert!(
        refused.out_entries().is_empty(),
        "{:?}",
        refused.out_entries()
    );

    let allowed = collect_with_vault(
        &fake,
        &vault_with(
            dir.path(),
            &through_any_address(w, "allow_plaintext = true"),
        ),
        &[],
    );
    allowed.assert_code(0);
    let trail = allowed.json("audit_trail.json");
    assert_eq!(trail["status"], "complete", "{}", trail["reason"]);
    let recorded = &allowed.manifest()["audit_trail"]["sources"][0];
    assert_eq!(
        (
            &recorded["host"],
            &recorded["tls"],
            &recorded["allow_plaintext"]
        ),
        (
            &Value::from("0.0.0.0"),
            &Value::from("disable"),
            &Value::from(true)
        )
    );
}

#[test]
fn the_readme_s_audit_source_and_grants_are_what_the_tool_reads_and_prints() {
    use iru_fivetran_core::credentials::Vault;
    use iru_fivetran_core::credentials::audit::{Kind, TlsMode, check};
    use iru_fivetran_core::warehouse::postgres::{Dialect, grants};

    // The vault example, with a CA beside it, reads as the source it describes.
    let example = readme_block("3) Add the source to the vault file");
    let toml = &example[example.find("```toml\n").expect("toml block") + "```toml\n".len()..];
    let text = format!("api_key = \"{KEY}\"\napi_secret = \"{SECRET}\"\n{toml}");
    let Vault::Single(account) =
        iru_fivetran_core::credentials::parse_vault(&text).expect("the README's vault parses")
    else {
        panic!("one account")
    };
    let dir = tempfile::tempdir().expect("dir");
    let ca = rcgen::generate_simple_self_signed(vec!["warehouse.example.com".to_owned()])
        .expect("certificate");
    std::fs::write(dir.path().join("ca.pem"), ca.cert.pem()).expect("write");
    let [raw] = &account.audit_sources[..] else {
        panic!("one audit source: {:?}", account.audit_sources)
    };
    let source = check(raw.clone(), 1, dir.path()).expect("the README's source is valid");
    assert_eq!(source.kind, Kind::Postgres);
    assert_eq!(source.tls, TlsMode::VerifyFull);
    assert_eq!(
        (source.host.as_str(), source.port, source.user.as_str()),
        ("warehouse.example.com", 5432, "iru_reader")
    );
    assert_eq!(source.schema.as_deref(), Some("fivetran_metadata"));

    // Every statement doctor prints for that reader is in the README's grants.
    let sql = readme_block("these statements for each source, with its names):\n\n```sql\n");
    for grant in grants(
        Dialect::Postgres,
        "analytics",
        "fivetran_metadata",
        "iru_reader",
    ) {
        assert!(
            sql.lines().any(|l| l.starts_with(&grant)),
            "{grant}\nnot in the README's\n{sql}"
        );
    }
}
