//! The secret-leak checks every binary-running test goes through: no secret, no Basic-auth form
//! of one, no warehouse password and no planted fixture secret in stdout, stderr or any file a
//! run wrote.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{KEY, PAIRS, PLANTED, Run, SECRET, files_under};

/// What must appear nowhere: each secret, each pair's Basic-auth form, each warehouse password,
/// the planted secrets.
pub fn leak_needles() -> Vec<String> {
    let mut needles = vec![PLANTED.to_owned()];
    needles.extend(super::postgres::PASSWORDS.map(str::to_owned));
    needles.extend(super::snowflake::secret_needles());
    needles.extend(super::bigquery::secret_needles());
    needles.extend(super::databricks::secret_needles());
    // The demo's own: only its loopback fakes accept them, but they are secrets all the same.
    needles.push(iru_fivetran::commands::demo::DEMO_SNOWFLAKE_TOKEN.to_owned());
    needles.push(iru_fivetran::commands::demo::DEMO_SECRET.to_owned());
    for (key, secret) in PAIRS {
        needles.push(secret.to_owned());
        needles.push(BASE64.encode(format!("{key}:{secret}")));
    }
    needles
}

impl Run {
    /// No secret of [`PAIRS`], no Basic-auth form of them and no planted fixture secret appears
    /// anywhere: not in stdout, not in stderr, not in any file under `--out` (bundle, temporary or failed dirs).
    pub fn assert_no_leaks(&self) {
        let needles = leak_needles();
        for needle in &needles {
            assert!(!self.stdout.contains(needle), "{needle} in stdout");
            assert!(
                !self.stderr.contains(needle),
                "{needle} in stderr:\n{}",
                self.stderr
            );
        }
        let mut files = files_under(self.out.path());
        if let Some(dir) = &self.explicit_out {
            files.extend(files_under(dir));
        }
        for file in files {
            // A file another run is writing into the same --out can be renamed between the
            // listing and the read (`x.partial-<random>` -> `x`); that run's own check reads it.
            let bytes = match std::fs::read(&file) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => panic!("{}: {e}", file.display()),
            };
            let text = String::from_utf8_lossy(&bytes);
            for needle in &needles {
                assert!(!text.contains(needle), "{needle} in {}", file.display());
            }
        }
    }
}

fn basic_auth() -> String {
    BASE64.encode(format!("{KEY}:{SECRET}"))
}

/// The same check for a file written outside `--out` (a run summary).
pub fn assert_no_secret_in(path: &Path) {
    let text = String::from_utf8_lossy(&std::fs::read(path).expect("readable")).into_owned();
    let passwords = super::postgres::PASSWORDS;
    for needle in [SECRET, basic_auth().as_str(), PLANTED]
        .iter()
        .chain(&passwords)
    {
        assert!(!text.contains(needle), "{needle} in {}", path.display());
    }
}

/// None of the secrets of [`PAIRS`], their Basic-auth forms or the planted fixture secrets is in a file under
/// `dir` (for directories a [`Run`] does not scan, such as a temporary bundle mid-run).
pub fn assert_no_secret_under(dir: &Path) {
    let needles = leak_needles();
    for file in files_under(dir) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for needle in &needles {
            assert!(!text.contains(needle), "{needle} in {}", file.display());
        }
    }
}
