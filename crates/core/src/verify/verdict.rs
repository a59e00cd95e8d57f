//! The verdict on a bundle as one JSON document, for `verify --format json` (schema
//! [`SCHEMA_ID`]).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::text::printable;

use super::{Inspection, Signed};

/// The schema id of the document `verify --format json` prints.
pub const SCHEMA_ID: &str = "iru-fivetran/verify/v1";

/// The report of `iru-fivetran verify --format json`.
// (What it holds: the bundle, whether it is intact, its files and its problems. The doc line
// above is the schema's published description, and the two `rename`s below keep the `$defs`
// names the schema was published with.)
#[derive(Debug, Serialize, JsonSchema)]
pub struct Verdict {
    /// Always `iru-fivetran/verify/v1`.
    #[schemars(extend("const" = SCHEMA_ID))]
    pub schema: &'static str,
    /// The bundle directory, as given on the command line.
    pub bundle: String,
    /// `true` exactly when the bundle is intact (exit 0): `problems` is then empty.
    pub verified: bool,
    /// The manifest's `bundle_id`, or null if the manifest could not be read.
    pub bundle_id: Option<String>,
    /// The manifest's `account.account_id`, or null.
    pub account_id: Option<String>,
    /// The manifest's `status` (`complete`, `partial` or `failed`): how complete the run was,
    /// which is not whether the files are intact. Null if the manifest could not be read.
    pub run_status: Option<String>,
    /// Whether the bundle is signed and what checking the signature found.
    pub signature: VerdictSignature,
    /// Every file that could be hashed, sorted by name (`SHA256SUMS` itself is not hashed).
    pub files: Vec<VerdictFile>,
    /// Everything wrong, in the order found.
    pub problems: Vec<VerdictProblem>,
}

/// The signature of the bundle's manifest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerdictSignature {
    /// `unsigned` (no `manifest.json.sig`), `not_checked` (signed, but no `--public-key` was
    /// given), `valid` (it holds for `--public-key`) or `invalid` (it does not). With
    /// `--public-key`, anything but `valid` is a problem and the bundle does not verify.
    pub status: &'static str,
    /// The fingerprint (`SHA256:...`) of the key the signature holds for, when `valid`.
    pub key: Option<String>,
    /// The same in words, as printed on stderr: `unsigned`, `signed, not checked (no
    /// --public-key)`, `signature valid for SHA256:...` or `signature does not hold: ...`.
    pub message: String,
}

/// One hashed file.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "ReportFile")]
pub struct VerdictFile {
    /// The file name inside the bundle.
    pub name: String,
    /// SHA-256 of the file, 64 lower-case hex digits.
    pub sha256: String,
    /// File size in bytes.
    pub bytes: u64,
}

/// One problem.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "ReportProblem")]
pub struct VerdictProblem {
    /// What kind of problem: `hash_mismatch` (tampered), `missing`, `extra` (added),
    /// `not_in_manifest` (added, listed in `SHA256SUMS` only), `size_mismatch`, `envelope`,
    /// `manifest`, `not_in_sums`, `not_a_file`, `unsafe_name`, `bad_sums_line`, `duplicate`,
    /// `too_large`, `unreadable`, `not_a_directory`, `too_many_entries`,
    /// `changed_since_verified` or `signature` (the signature does not hold for `--public-key`).
    pub code: &'static str,
    /// The file it is about (escaped as in `message`), or null.
    pub file: Option<String>,
    /// The problem in words, as printed on stderr.
    pub message: String,
}

impl Verdict {
    /// The verdict on an inspection and its signature; `key_given` says whether a
    /// `--public-key` was given, which makes a signature that does not hold a problem.
    pub fn of(found: &Inspection, signed: &Signed, key_given: bool) -> Self {
        let text = |pointer: &str| {
            found
                .manifest
                .as_ref()
                .and_then(|m| m.pointer(pointer))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let signature_problem = signed.problem(key_given);
        let problems: Vec<VerdictProblem> = found
            .problems
            .iter()
            .chain(&signature_problem)
            .map(|p| VerdictProblem {
                code: p.code(),
                file: p.file().map(printable),
                message: p.to_string(),
            })
            .collect();
        Self {
            schema: SCHEMA_ID,
            bundle: found.dir.display().to_string(),
            verified: problems.is_empty(),
            bundle_id: text("/bundle_id"),
            account_id: text("/account/account_id"),
            run_status: text("/status"),
            signature: VerdictSignature {
                status: signed.code(),
                key: signed.key().map(str::to_owned),
                message: signed.words(),
            },
            files: found
                .files
                .iter()
                .map(|(name, digest)| VerdictFile {
                    name: name.clone(),
                    sha256: digest.sha256.clone(),
                    bytes: digest.bytes,
                })
                .collect(),
            problems,
        }
    }
}
