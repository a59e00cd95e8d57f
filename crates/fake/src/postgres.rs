//! A real PostgreSQL server on loopback, for the audit-trail tests and the benchmark: the
//! warehouse where a Fivetran Platform Connector writes its tables.
//!
//! [`LocalPostgres::start`] finds the server binaries (`initdb`, `pg_ctl`, `psql`: on `PATH`,
//! else the newest `/usr/lib/postgresql/*/bin`), and runs one supervising shell script that
//! makes a temporary directory, runs `initdb` into it, starts the server on a free port of
//! 127.0.0.1 (TCP only, SCRAM passwords, TLS when a certificate is given, any settings asked
//! for with [`LocalPostgres::start_with`]), prints `ready`, and then waits for its standard
//! input to close. The test process holds the other end of that pipe and never writes to it:
//! when the process exits, however it exits (tests done, a panic, a signal), the pipe closes,
//! and the script stops the server (`-m immediate`) and removes the directory. Nothing is left
//! behind, without a destructor having to run.
//!
//! PostgreSQL refuses to run as root. Run as root (as CI does), the script is started as the
//! `postgres` system user (else `nobody`) through `runuser`, and owns its directory; run as
//! anyone else, it runs as that user.

pub mod dump;
mod volume;

pub use volume::{PEOPLE, Volume};

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

/// The superuser the server is created with.
pub const SUPERUSER: &str = "postgres";

/// How long start-up (initdb and the server) may take.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The supervising script. Arguments come in the environment (`IRU_PG_*`); nothing from it is
/// ever interpolated into a command line.
const SUPERVISOR: &str = r#"
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/iru-pg.XXXXXX")
cleanup() {
  "$IRU_PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
printf '%s' "$IRU_PG_PASSWORD" > "$dir/pw"
"$IRU_PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --pwfile="$dir/pw" --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
rm -f "$dir/pw"
{
  echo "listen_addresses = '127.0.0.1'"
  echo "port = $IRU_PG_PORT"
  echo "unix_socket_directories = '$dir'"
  echo "fsync = off"
  echo "synchronous_commit = off"
  echo "full_page_writes = off"
  echo "max_connections = 100"
  echo "log_min_messages = fatal"
} >> "$dir/data/postgresql.conf"
if [ -n "${IRU_PG_SETTINGS:-}" ]; then
  printf '%s\n' "$IRU_PG_SETTINGS" >> "$dir/data/postgresql.conf"
fi
if [ -n "${IRU_PG_CERT:-}" ]; then
  printf '%s' "$IRU_PG_CERT" > "$dir/data/server.crt"
  printf '%s' "$IRU_PG_KEY" > "$dir/data/server.key"
  chmod 600 "$dir/data/server.key"
  echo "ssl = on" >> "$dir/data/postgresql.conf"
fi
"$IRU_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1 \
  || { cat "$dir/server.log" >&2; exit 1; }
echo "ready $dir"
cat >/dev/null
"#;

/// A server certificate and its key, PEM (the server then accepts TLS).
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// The certificate chain, PEM.
    pub cert_pem: String,
    /// The private key, PEM.
    pub key_pem: String,
}

/// A running local PostgreSQL server; see the module documentation for how it ends.
#[derive(Debug)]
pub struct LocalPostgres {
    port: u16,
    dir: PathBuf,
    password: String,
    bin: PathBuf,
    /// Kept open for the server's life: its closing is what stops the server.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

/// Why a server could not be started.
#[derive(Debug)]
pub enum StartError {
    /// No PostgreSQL server binaries on this machine.
    NotInstalled,
    /// The binaries are there but the server did not come up.
    Failed(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::NotInstalled => f.write_str(
                "no PostgreSQL server binaries (initdb, pg_ctl, psql) on PATH or under /usr/lib/postgresql/*/bin",
            ),
            StartError::Failed(why) => write!(f, "the PostgreSQL test server did not start: {why}"),
        }
    }
}

impl std::error::Error for StartError {}

/// The directory holding `initdb`, `pg_ctl` and `psql`, if this machine has one.
pub fn binaries() -> Option<PathBuf> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "psql"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_all(dir))
        .collect();
    versioned.sort();
    if let Some((_, dir)) = versioned.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| has_all(dir))
}

impl LocalPostgres {
    /// Starts a server whose superuser [`SUPERUSER`] has `password`; with `tls`, it also
    /// accepts TLS with that certificate.
    pub fn start(password: &str, tls: Option<&ServerTls>) -> Result<Self, StartError> {
        Self::start_with(password, tls, &[])
    }

    /// [`LocalPostgres::start`] with more server settings (`postgresql.conf` lines `name =
    /// 'value'`; the benchmark preloads `pg_stat_statements` to count the statements run).
    /// Names are letters, digits, `_` and `.`; values hold no quote, backslash or line break.
    pub fn start_with(
        password: &str,
        tls: Option<&ServerTls>,
        settings: &[(&str, &str)],
    ) -> Result<Self, StartError> {
        let bin = binaries().ok_or(StartError::NotInstalled)?;
        let settings = settings_lines(settings).map_err(StartError::Failed)?;
        let mut last = String::new();
        // A port found free can be taken before the server binds it: try again once.
        for _ in 0..2 {
            match Self::try_start(&bin, password, tls, &settings) {
                Ok(server) => return Ok(server),
                Err(why) => last = why,
            }
        }
        Err(StartError::Failed(last))
    }

    fn try_start(
        bin: &Path,
        password: &str,
        tls: Option<&ServerTls>,
        settings: &str,
    ) -> Result<Self, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let mut command = supervisor_command();
        command
            .env("IRU_PG_BIN", bin)
            .env("IRU_PG_PORT", port.to_string())
            .env("IRU_PG_PASSWORD", password)
            .env("IRU_PG_SETTINGS", settings)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(tls) = tls {
            command
                .env("IRU_PG_CERT", &tls.cert_pem)
                .env("IRU_PG_KEY", &tls.key_pem);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run the supervisor: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(read.map(|_| line));
        });
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(line)) if line.starts_with("ready /") => Ok(Self {
                port,
                dir: PathBuf::from(line.trim_end()["ready ".len()..].to_owned()),
                password: password.to_owned(),
                bin: bin.to_owned(),
                _stdin: Mutex::new(stdin),
                _child: Mutex::new(child),
            }),
            other => {
                drop(stdin);
                let _ = child.kill();
                let _ = child.wait();
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                Err(format!("{other:?}: {}", text.trim()))
            }
        }
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary directory holding the server's data (removed when it stops).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs SQL as the superuser in `database` through `psql` (stopping at the first error);
    /// returns what `psql` printed, unaligned and without headers.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, String> {
        let mut child = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", SUPERUSER, "-d", database, "-f", "-"])
            .env("PGPASSWORD", &self.password)
            .env("PGSSLMODE", "disable")
            .env("PGCONNECT_TIMEOUT", "10")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let sql = sql.to_owned();
        let writer =
            std::thread::spawn(move || std::io::Write::write_all(&mut stdin, sql.as_bytes()));
        let output = child.wait_with_output().map_err(|e| format!("psql: {e}"))?;
        let _ = writer.join();
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }

    /// Runs the SQL file at `path` like [`LocalPostgres::psql`].
    pub fn psql_file(&self, database: &str, path: &Path) -> Result<String, String> {
        let sql = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        self.psql(database, &sql)
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The supervisor as the user that may run a server: this one, or when it is root, the
/// `postgres` system user (else `nobody`).
fn supervisor_command() -> Command {
    if is_root() {
        let user = if has_user("postgres") {
            "postgres"
        } else {
            "nobody"
        };
        let mut command = Command::new("runuser");
        command.args(["-u", user, "--", "sh", "-c", SUPERVISOR]);
        command.current_dir("/");
        command
    } else {
        let mut command = Command::new("sh");
        command.args(["-c", SUPERVISOR]);
        command
    }
}

/// `settings` as `postgresql.conf` lines, or why one cannot be written safely.
fn settings_lines(settings: &[(&str, &str)]) -> Result<String, String> {
    let mut lines = Vec::with_capacity(settings.len());
    for (name, value) in settings {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        let value_ok = !value.contains(['\'', '\\', '\n', '\r']);
        if !name_ok || !value_ok {
            return Err(format!(
                "server setting {name:?} = {value:?} cannot be written"
            ));
        }
        lines.push(format!("{name} = '{value}'"));
    }
    Ok(lines.join("\n"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn has_user(name: &str) -> bool {
    Command::new("id")
        .arg(name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests;
