//! The warehouse of the audit-trail tests: one real PostgreSQL server per test binary, started
//! on first use ([`warehouse`]), loaded with `fixtures/platform/`, with TLS on (a CA made at
//! test time) and the reader roles the tests connect as. It stops when the test process ends,
//! however it ends (see `iru_fivetran_fake::postgres`).
//!
//! Without PostgreSQL binaries the tests that need it skip with a message, unless
//! `IRU_FIVETRAN_REQUIRE_POSTGRES` is set (CI sets it once it has installed them), which turns
//! the skip into a failure.

use std::sync::OnceLock;

use iru_fivetran_fake::postgres::{LocalPostgres, ServerTls, StartError};
use jiff::Timestamp;

use super::fixture;

/// The database the fixtures are loaded into.
pub const DATABASE: &str = "analytics";
/// The superuser's password (a secret like any other: it must appear nowhere).
pub const SUPER_PASSWORD: &str = "pg-super-Hq2W-never-printed";
/// The least-privilege reader, granted what `doctor` prints.
pub const READER: &str = "iru_reader";
/// Its password.
pub const READER_PASSWORD: &str = "pg-reader-Zr8K-never-printed";
/// A reader without `SELECT` on `audit_trail`.
pub const PARTIAL: &str = "iru_partial";
/// Its password.
pub const PARTIAL_PASSWORD: &str = "pg-partial-Vb5N-never-printed";
/// A password no role has.
pub const WRONG_PASSWORD: &str = "pg-wrong-Tx3C-never-printed";
/// Every warehouse password a test may hand the binary: none may leak.
pub const PASSWORDS: [&str; 4] = [
    SUPER_PASSWORD,
    READER_PASSWORD,
    PARTIAL_PASSWORD,
    WRONG_PASSWORD,
];

/// Set to make a missing PostgreSQL a failure instead of a skip.
pub const REQUIRE: &str = "IRU_FIVETRAN_REQUIRE_POSTGRES";

/// The running warehouse.
pub struct Warehouse {
    /// The server.
    pub server: LocalPostgres,
    /// The time the fixtures' relative times count back from (whole seconds): what the tests
    /// give as the Platform Connector's last successful sync.
    pub base: Timestamp,
    /// The CA that signed the server's certificate, PEM.
    pub ca_pem: String,
    /// Another CA, which did not.
    pub wrong_ca_pem: String,
}

/// The shared warehouse, started and loaded on first use; `None` (after saying why on stderr)
/// when this machine has no PostgreSQL and [`REQUIRE`] is not set.
pub fn warehouse() -> Option<&'static Warehouse> {
    static WAREHOUSE: OnceLock<Option<Warehouse>> = OnceLock::new();
    let shared = WAREHOUSE.get_or_init(|| match start() {
        Ok(w) => Some(w),
        Err(StartError::NotInstalled) if std::env::var_os(REQUIRE).is_none() => None,
        Err(e) => panic!("{e}"),
    });
    if shared.is_none() {
        eprintln!(
            "skipped: {} (install the `postgresql` package, or set {REQUIRE} to make this a failure)",
            StartError::NotInstalled
        );
    }
    shared.as_ref()
}

fn start() -> Result<Warehouse, StartError> {
    let (ca_pem, tls) = pki("iru-fivetran test warehouse CA", true);
    let (wrong_ca_pem, _) = pki("iru-fivetran unrelated CA", false);
    let server = LocalPostgres::start(SUPER_PASSWORD, tls.as_ref())?;
    let base = Timestamp::from_second(Timestamp::now().as_second() - 3600).expect("a time");
    let failed = |e: String| StartError::Failed(e);
    server
        .psql("postgres", &format!("CREATE DATABASE {DATABASE};"))
        .map_err(failed)?;
    let mut sql = format!(
        "SET iru.base = '{base}';\n\
         CREATE FUNCTION pg_temp.t(ago text) RETURNS timestamptz LANGUAGE sql STABLE\n\
           AS $$ SELECT current_setting('iru.base')::timestamptz - ago::interval $$;\n"
    );
    let dir = fixture("platform");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/platform")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    for file in files {
        sql.push_str(&std::fs::read_to_string(&file).expect("fixture"));
        sql.push('\n');
    }
    sql.push_str(&roles());
    server.psql(DATABASE, &sql).map_err(failed)?;
    Ok(Warehouse {
        server,
        base,
        ca_pem,
        wrong_ca_pem,
    })
}

/// The reader roles and their grants. On `fivetran_metadata`, the reader gets exactly the
/// grants `doctor` prints for a least-privilege reader (and `PUBLIC`'s default ones are
/// revoked), so every test reading it as [`READER`] proves they suffice.
fn roles() -> String {
    use iru_fivetran_core::warehouse::postgres::{Dialect, grants};
    let mut sql = format!(
        "REVOKE ALL ON DATABASE {DATABASE} FROM PUBLIC;\n\
         REVOKE ALL ON SCHEMA public FROM PUBLIC;\n\
         CREATE ROLE {READER} LOGIN PASSWORD '{READER_PASSWORD}';\n\
         CREATE ROLE {PARTIAL} LOGIN PASSWORD '{PARTIAL_PASSWORD}';\n\
         GRANT CONNECT ON DATABASE {DATABASE} TO {PARTIAL};\n"
    );
    for grant in grants(Dialect::Postgres, DATABASE, "fivetran_metadata", READER) {
        sql.push_str(&grant);
        sql.push('\n');
    }
    for schema in ["fivetran_log", "fivetran_broken", "fivetran_locked"] {
        sql.push_str(&format!(
            "GRANT USAGE ON SCHEMA {schema} TO {READER};\n\
             GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {READER};\n"
        ));
    }
    sql.push_str(&format!(
        "GRANT USAGE ON SCHEMA fivetran_metadata TO {PARTIAL};\n\
         GRANT SELECT ON fivetran_metadata.log, fivetran_metadata.\"user\" TO {PARTIAL};\n"
    ));
    sql
}

/// A CA (its PEM) and, when `leaf`, a server certificate for `localhost` and 127.0.0.1 it
/// signed.
fn pki(name: &str, leaf: bool) -> (String, Option<ServerTls>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, name);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    if !leaf {
        return (ca_cert.pem(), None);
    }
    let issuer = Issuer::new(ca, &ca_key);
    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("leaf params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params
        .signed_by(&leaf_key, &issuer)
        .expect("leaf certificate");
    let tls = ServerTls {
        cert_pem: cert.pem(),
        key_pem: leaf_key.serialize_pem(),
    };
    (ca_cert.pem(), Some(tls))
}

/// An audit source on the warehouse as `user` with `password`, plain text on loopback unless
/// `adjust` says otherwise (it may set any field; a `ca_cert` is read from `dir`).
pub fn source_in(
    w: &Warehouse,
    user: &str,
    password: &str,
    dir: &std::path::Path,
    adjust: impl FnOnce(&mut iru_fivetran_core::credentials::VaultAuditSource),
) -> iru_fivetran_core::credentials::AuditSource {
    let mut raw = iru_fivetran_core::credentials::VaultAuditSource {
        kind: Some("postgres".into()),
        host: Some("127.0.0.1".into()),
        port: Some(i64::from(w.server.port())),
        database: Some(DATABASE.into()),
        user: Some(user.into()),
        password: Some(password.into()),
        tls: Some("disable".into()),
        ..Default::default()
    };
    adjust(&mut raw);
    iru_fivetran_core::credentials::audit::check(raw, 1, dir).expect("a valid audit source")
}

/// [`source_in`] without a `ca_cert`.
pub fn source(
    w: &Warehouse,
    user: &str,
    password: &str,
    adjust: impl FnOnce(&mut iru_fivetran_core::credentials::VaultAuditSource),
) -> iru_fivetran_core::credentials::AuditSource {
    source_in(w, user, password, std::path::Path::new("."), adjust)
}

/// A TCP proxy to the warehouse that cuts its first connection once the server has sent
/// `cut_after` bytes through it (a connection dropped mid-read); later connections pass.
pub struct CuttingProxy {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    /// How many connections it accepted.
    pub accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CuttingProxy {
    pub fn start(target_port: u16, cut_after: usize) -> Self {
        use std::io::{Read as _, Write as _};
        use std::net::{Shutdown, TcpListener, TcpStream};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    continue;
                };
                let (mut c_read, mut s_write) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    while let Ok(k) = c_read.read(&mut buf) {
                        if k == 0 || s_write.write_all(&buf[..k]).is_err() {
                            break;
                        }
                    }
                    let _ = s_write.shutdown(Shutdown::Both);
                });
                let (mut s_read, mut c_write) = (server, client);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    let mut sent = 0usize;
                    while let Ok(k) = s_read.read(&mut buf) {
                        let k = if n == 0 { k.min(cut_after - sent) } else { k };
                        if k == 0 || c_write.write_all(&buf[..k]).is_err() {
                            break;
                        }
                        sent += k;
                        if n == 0 && sent >= cut_after {
                            break;
                        }
                    }
                    let _ = c_write.shutdown(Shutdown::Both);
                    let _ = s_read.shutdown(Shutdown::Both);
                });
            }
        });
        Self { port, accepted }
    }
}

/// The fake account whose Platform Connector on the warehouse (`quiet_abacus`, destination
/// `sturdy_kiln`) last synced at `sync`.
pub fn acme_synced_at(sync: Timestamp) -> iru_fivetran_fake::FakeAccount {
    let mut account = super::acme();
    let at = serde_json::Value::String(sync.to_string());
    for c in account
        .connections
        .iter_mut()
        .chain(account.connection_details.values_mut())
    {
        if c["id"] == "quiet_abacus" {
            c["succeeded_at"] = at.clone();
        }
    }
    account
}

/// The TOML of one `[[audit_sources]]` on the warehouse as `user`, plain text on loopback,
/// plus the lines of `extra`.
pub fn source_toml(w: &Warehouse, user: &str, password: &str, extra: &str) -> String {
    format!(
        "[[audit_sources]]\nkind = \"postgres\"\nhost = \"127.0.0.1\"\nport = {}\n\
         database = \"{DATABASE}\"\nuser = \"{user}\"\npassword = \"{password}\"\n\
         tls = \"disable\"\n{extra}\n",
        w.server.port()
    )
}

/// A vault file (`0600`) in `dir` with the test key and secret and `sources` (TOML).
pub fn vault_with(dir: &std::path::Path, sources: &str) -> std::path::PathBuf {
    let path = dir.join("vault.toml");
    std::fs::write(
        &path,
        format!(
            "api_key = \"{}\"\napi_secret = \"{}\"\n\n{sources}",
            super::KEY,
            super::SECRET
        ),
    )
    .expect("write vault");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path
}

/// `collect` against `fake` with the vault file `vault`, plus `extra`.
pub fn collect_with_vault(
    fake: &iru_fivetran_fake::FakeServer,
    vault: &std::path::Path,
    extra: &[&str],
) -> super::Run {
    let url = fake.api_url();
    let mut args = vec![
        "collect",
        "--api-url",
        &url,
        "--rate",
        "1000",
        "--credentials-file",
        super::arg(vault),
    ];
    args.extend_from_slice(extra);
    super::run(&args, &[])
}
