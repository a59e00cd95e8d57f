//! Whether a bundle is signed and what checking its signature found ([`Signed`]), in the words
//! `verify` and `report` use, and the check of a verified bundle's signature that baseline
//! selection makes. Every check is of the manifest bytes the inspection read, parsed and
//! hashed, never of the file read again.

use std::fs;
use std::path::Path;

use crate::evidence::sign::{self, SIGNATURE_FILE, SignError, TrustedKey};

use super::{Inspection, Problem, Verified};

/// Whether a bundle is signed, and whether the signature holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// There is no `manifest.json.sig`.
    Unsigned,
    /// There is a `manifest.json.sig`, and no key was given to check it.
    NotChecked,
    /// The signature holds for the manifest, made by the key with this fingerprint.
    Valid(String),
    /// A key was given and the signature does not hold for it: why, on one line.
    Invalid(String),
}

impl Signed {
    /// `unsigned`, `not_checked`, `valid` or `invalid`.
    pub fn code(&self) -> &'static str {
        match self {
            Signed::Unsigned => "unsigned",
            Signed::NotChecked => "not_checked",
            Signed::Valid(_) => "valid",
            Signed::Invalid(_) => "invalid",
        }
    }

    /// The fingerprint of the key the signature holds for, if it was checked and holds.
    pub fn key(&self) -> Option<&str> {
        match self {
            Signed::Valid(key) => Some(key),
            _ => None,
        }
    }

    /// What was found, in words: `unsigned`, `signed, not checked (no --public-key)`,
    /// `signature valid for SHA256:...` or `signature does not hold: why`.
    pub fn words(&self) -> String {
        match self {
            Signed::Unsigned => "unsigned".into(),
            Signed::NotChecked => "signed, not checked (no --public-key)".into(),
            Signed::Valid(key) => format!("signature valid for {key}"),
            Signed::Invalid(why) => format!("signature does not hold: {why}"),
        }
    }

    /// The problem this is when a key was given to check the signature with: none when it
    /// holds, and none when no key was given (an unsigned bundle can be intact).
    pub fn problem(&self, key_given: bool) -> Option<Problem> {
        match self {
            Signed::Valid(_) | Signed::NotChecked => None,
            Signed::Unsigned if !key_given => None,
            Signed::Unsigned => Some(Problem::Signature {
                detail: format!(
                    "the bundle is unsigned (no {SIGNATURE_FILE}), so it cannot hold for --public-key"
                ),
            }),
            Signed::Invalid(why) => Some(Problem::Signature {
                detail: why.clone(),
            }),
        }
    }
}

/// An error on one line: a hint goes after a `; `.
fn one_line(e: &SignError) -> String {
    e.to_string().replace('\n', "; ")
}

impl Inspection {
    /// Whether the bundle is signed; with `public_key` (an OpenSSH `.pub` file), whether the
    /// signature holds for the manifest bytes this inspection read and hashed.
    pub fn signature(&self, public_key: Option<&Path>) -> Signed {
        let present = fs::symlink_metadata(self.dir.join(SIGNATURE_FILE)).is_ok();
        let Some(path) = public_key else {
            return if present {
                Signed::NotChecked
            } else {
                Signed::Unsigned
            };
        };
        let key = match TrustedKey::load(path) {
            Ok(key) => key,
            Err(e) => return Signed::Invalid(one_line(&e)),
        };
        let Some(manifest) = &self.manifest_bytes else {
            return Signed::Invalid(
                "manifest.json could not be read, so its signature cannot be checked".into(),
            );
        };
        match sign::check_one(&self.dir, manifest, &key, path) {
            Ok(check) => Signed::Valid(check.fingerprint),
            Err(SignError::Unsigned { .. }) => Signed::Unsigned,
            Err(e) => Signed::Invalid(one_line(&e)),
        }
    }
}

impl Verified {
    /// Checks that the manifest this bundle verified with (its bytes as read, parsed and
    /// hashed) is signed by one of `trusted`; returns the signer's fingerprint.
    pub fn check_signature(&self, trusted: &[TrustedKey]) -> Result<String, SignError> {
        sign::check(&self.dir, &self.manifest_bytes, trusted).map(|c| c.fingerprint)
    }
}
