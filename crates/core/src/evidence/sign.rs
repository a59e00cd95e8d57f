//! Signing `manifest.json` with an Ed25519 key (`collect --sign-key`), and checking such a
//! signature: [`verify_signature`] reads the bundle's manifest itself; [`check`] and
//! [`check_one`] take the manifest bytes the caller already read and hashed (the verifier's),
//! against one or several [`TrustedKey`]s (baseline selection trusts `--sign-key`'s public half
//! and `collect --public-key`).
//!
//! The signature is an OpenSSH SSHSIG (PEM armour `-----BEGIN SSH SIGNATURE-----`) over the
//! exact bytes of `manifest.json`, in the namespace [`NAMESPACE`], hashed with SHA-512, so an
//! auditor needs nothing but OpenSSH to check it:
//!
//! ```text
//! ssh-keygen -Y verify -f allowed_signers -I evidence@example.com -n iru-fivetran \
//!     -s manifest.json.sig < manifest.json
//! ```
//!
//! Where it lives: `manifest.json.sig`, beside the manifest, in the bundle. The manifest cannot
//! hold its own signature, and `SHA256SUMS` is written after both, so the order is manifest →
//! signature → `SHA256SUMS`, and `SHA256SUMS` lists the signature like any other file. The
//! manifest in turn holds every artifact's hash, so one signature vouches for the whole bundle.
//!
//! The private key is read once, kept in memory only (zeroized on drop by `ssh-key`), and never
//! printed: [`SigningKey`]'s `Debug` shows the public fingerprint, and no error quotes the file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};
use zeroize::Zeroizing;

use crate::evidence::manifest;
use crate::files;
use crate::text::printable;

/// The SSHSIG namespace every signature of this tool is made in (`ssh-keygen -Y ... -n`). A
/// signature made for another purpose (git commits use `git`) never passes as a bundle's.
pub const NAMESPACE: &str = "iru-fivetran";

/// The signature's file name, beside `manifest.json` in the bundle.
pub const SIGNATURE_FILE: &str = "manifest.json.sig";

/// Largest key file read: an Ed25519 OpenSSH key is about 400 bytes.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Largest signature file read: an Ed25519 SSHSIG is about 300 bytes.
const MAX_SIGNATURE_BYTES: u64 = 64 * 1024;

/// A problem loading the signing key, signing, or checking a signature.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The key file could not be read.
    #[error("cannot read signing key {path}: {cause}\nhint: check the path given by --sign-key", path = path.display())]
    KeyUnreadable {
        /// The key file.
        path: PathBuf,
        /// What went wrong.
        cause: String,
    },
    /// The key file may be read by group or others.
    #[error("signing key {path} is readable by group or others (mode {mode:03o})\nhint: chmod 600 {path}", path = path.display())]
    KeyTooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file is not an OpenSSH private key.
    #[error("signing key {path} is not an OpenSSH private key ({detail})\nhint: --sign-key takes a file that starts with -----BEGIN OPENSSH PRIVATE KEY-----, such as one made by: ssh-keygen -t ed25519 -N '' -C iru-fivetran -f KEY", path = path.display())]
    KeyMalformed {
        /// The key file.
        path: PathBuf,
        /// What the parser said (never the file's text).
        detail: String,
    },
    /// The key is protected by a passphrase.
    #[error("signing key {path} is protected by a passphrase, which collect cannot ask for (it runs unattended)\nhint: use a dedicated signing key without a passphrase, kept chmod 600: ssh-keygen -t ed25519 -N '' -C iru-fivetran -f KEY", path = path.display())]
    KeyEncrypted {
        /// The key file.
        path: PathBuf,
    },
    /// The key is not Ed25519.
    #[error("signing key {path} is {algorithm}, not Ed25519\nhint: make an Ed25519 key for signing bundles: ssh-keygen -t ed25519 -N '' -C iru-fivetran -f KEY", path = path.display())]
    KeyAlgorithm {
        /// The key file.
        path: PathBuf,
        /// The key's algorithm.
        algorithm: String,
    },
    /// Signing failed (not expected with a valid Ed25519 key).
    #[error("cannot sign manifest.json: {0}")]
    Sign(ssh_key::Error),
    /// A file needed to check the signature could not be read.
    #[error("cannot read {path}: {problem}{hint}", path = path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
        /// What to do, if anything (starts with a newline).
        hint: &'static str,
    },
    /// The public key file is not an OpenSSH public key.
    #[error("{path} is not an OpenSSH public key ({detail})\nhint: pass the signer's public key file, one line such as: ssh-ed25519 AAAAC3Nza... comment", path = path.display())]
    PublicKey {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        detail: String,
    },
    /// The signature file is not an SSHSIG.
    #[error("{SIGNATURE_FILE} in {dir} is not an SSH signature ({detail})", dir = dir.display())]
    SignatureMalformed {
        /// The bundle directory.
        dir: PathBuf,
        /// What the parser said.
        detail: String,
    },
    /// The signature was made for another purpose.
    #[error("{SIGNATURE_FILE} in {dir} was made in namespace {found}, not {NAMESPACE}: it is not a bundle signature", dir = dir.display())]
    Namespace {
        /// The bundle directory.
        dir: PathBuf,
        /// The signature's namespace, quoted and escaped.
        found: String,
    },
    /// The signature was made by another key.
    #[error("{SIGNATURE_FILE} in {dir} was made by key {signed_by}, not by the key in {public_key} ({expected})\nhint: check that you were given the public key of whoever signs these bundles", dir = dir.display(), public_key = public_key.display())]
    WrongKey {
        /// The bundle directory.
        dir: PathBuf,
        /// The public key file given.
        public_key: PathBuf,
        /// Fingerprint of the key that signed.
        signed_by: String,
        /// Fingerprint of the key given.
        expected: String,
    },
    /// The bundle has no signature file.
    #[error("cannot read {}: no such file\nhint: the bundle was not signed; collect signs it when given --sign-key", dir.join(SIGNATURE_FILE).display())]
    Unsigned {
        /// The bundle directory.
        dir: PathBuf,
    },
    /// The signature was made by a key that is none of those trusted.
    #[error("{SIGNATURE_FILE} in {dir} was made by key {signed_by}, which is not {trusted}\nhint: a bundle counts as signed only by a key given with --sign-key or --public-key", dir = dir.display())]
    Untrusted {
        /// The bundle directory.
        dir: PathBuf,
        /// Fingerprint of the key that signed.
        signed_by: String,
        /// The trusted keys' fingerprints, joined with " or ".
        trusted: String,
    },
    /// The signature does not match the manifest's bytes.
    #[error("{} in {dir} does not match its signature {SIGNATURE_FILE}: the manifest was changed after it was signed, or the signature is damaged", manifest::FILE_NAME, dir = dir.display())]
    BadSignature {
        /// The bundle directory.
        dir: PathBuf,
    },
}

/// An Ed25519 private key loaded for signing manifests. Cheap to clone; `Debug` shows the
/// public fingerprint only.
#[derive(Clone)]
pub struct SigningKey {
    key: Arc<PrivateKey>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads an unencrypted OpenSSH Ed25519 private key file. On Unix a file readable by group
    /// or others is refused, like the credentials file: a signing key anyone can read proves
    /// nothing.
    pub fn load(path: &Path) -> Result<Self, SignError> {
        let unreadable = |cause: String| SignError::KeyUnreadable {
            path: path.to_owned(),
            cause,
        };
        // What it is, its mode and its size are judged before it is opened: a FIFO never
        // blocks, a device is never read without end.
        let meta = files::input_metadata(path).map_err(|f| unreadable(f.to_string()))?;
        check_permissions(path, &meta)?;
        if meta.len() > MAX_KEY_BYTES {
            return Err(SignError::KeyMalformed {
                path: path.to_owned(),
                detail: format!("{} bytes, larger than a key file can be", meta.len()),
            });
        }
        // The file's bytes are wiped once parsed; the parsed key zeroizes itself on drop.
        let text = Zeroizing::new(
            files::read_input(path, MAX_KEY_BYTES).map_err(|f| unreadable(f.to_string()))?,
        );
        let key = PrivateKey::from_openssh(&*text).map_err(|e| SignError::KeyMalformed {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        if key.is_encrypted() {
            return Err(SignError::KeyEncrypted {
                path: path.to_owned(),
            });
        }
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(SignError::KeyAlgorithm {
                path: path.to_owned(),
                algorithm: key.algorithm().to_string(),
            });
        }
        Ok(Self::from_private_key(key))
    }

    /// Wraps a key already in memory (tests; the key must be Ed25519 for [`load`]'s promise
    /// to hold, which `sign` does not re-check).
    ///
    /// [`load`]: SigningKey::load
    pub fn from_private_key(key: PrivateKey) -> Self {
        Self { key: Arc::new(key) }
    }

    /// The public key's SHA-256 fingerprint, as `ssh-keygen -l` prints it (`SHA256:...`).
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// Signs `manifest` (the exact bytes of `manifest.json`); returns the armoured SSHSIG
    /// that `manifest.json.sig` holds. Ed25519 signing is deterministic: the same key and
    /// manifest give the same signature.
    pub fn sign(&self, manifest: &[u8]) -> Result<Vec<u8>, SignError> {
        let signature = self
            .key
            .sign(NAMESPACE, HashAlg::Sha512, manifest)
            .map_err(SignError::Sign)?;
        signature
            .to_pem(LineEnding::LF)
            .map(String::into_bytes)
            .map_err(SignError::Sign)
    }
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &std::fs::Metadata) -> Result<(), SignError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SignError::KeyTooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &Path, _: &std::fs::Metadata) -> Result<(), SignError> {
    Ok(())
}

impl SignError {
    /// What is wrong on one line, naming no local path (for `changes.json`, which must not
    /// carry the collecting machine's paths).
    pub fn reason(&self) -> String {
        match self {
            SignError::Unsigned { .. } => format!("unsigned (no {SIGNATURE_FILE})"),
            SignError::Untrusted {
                signed_by, trusted, ..
            } => format!("signed by {signed_by}, which is not {trusted}"),
            SignError::WrongKey {
                signed_by,
                expected,
                ..
            } => format!("signed by {signed_by}, which is not {expected}"),
            SignError::BadSignature { .. } => format!(
                "{} does not match its signature (changed after it was signed, or the signature is damaged)",
                manifest::FILE_NAME
            ),
            SignError::Namespace { found, .. } => {
                format!("{SIGNATURE_FILE} was made in namespace {found}, not {NAMESPACE}")
            }
            SignError::SignatureMalformed { detail, .. } => {
                format!(
                    "{SIGNATURE_FILE} is not an SSH signature ({})",
                    printable(detail)
                )
            }
            SignError::Unreadable { problem, .. } => {
                format!("{SIGNATURE_FILE} cannot be read: {problem}")
            }
            other => printable(&other.to_string().replace('\n', "; ")),
        }
    }
}

/// A public key bundle signatures are checked against: the `.pub` file given with
/// `--public-key`, or the public half of the `--sign-key` of the run. Only its key material
/// counts, not its comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    key: PublicKey,
}

impl TrustedKey {
    /// Reads an OpenSSH public key file (its first line that is neither blank nor a comment),
    /// at most 64 KiB, refusing what is not a regular file.
    pub fn load(path: &Path) -> Result<Self, SignError> {
        let text =
            files::read_bounded(path, MAX_KEY_BYTES).map_err(|failure| SignError::Unreadable {
                problem: failure.to_string(),
                path: path.to_owned(),
                hint: "\nhint: pass the signer's public key file (the .pub beside the signing key)",
            })?;
        let key = parse_public_key(&text).map_err(|detail| SignError::PublicKey {
            path: path.to_owned(),
            detail,
        })?;
        Ok(Self { key })
    }

    /// The key's SHA-256 fingerprint (`SHA256:...`).
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }
}

impl SigningKey {
    /// The public half, to check signatures this key made.
    pub fn trusted_key(&self) -> TrustedKey {
        TrustedKey {
            key: self.key.public_key().clone(),
        }
    }
}

/// A signature that checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    /// Fingerprint of the key that signed (`SHA256:...`), the one given.
    pub fingerprint: String,
    /// Lower-case hex SHA-256 of the `manifest.json` bytes the signature covers.
    pub manifest_sha256: String,
}

/// Checks that `bundle_dir/manifest.json.sig` is a signature of `bundle_dir/manifest.json`,
/// made in namespace [`NAMESPACE`] by the key whose OpenSSH public key (a `.pub` file, one
/// line `ssh-ed25519 AAAA... comment`) is in `public_key_path`. This is what
/// `ssh-keygen -Y verify ... -n iru-fivetran` checks, without needing OpenSSH.
///
/// It checks the signature only. The manifest holds every artifact's SHA-256, so a caller that
/// also wants the artifacts vouched for runs [`crate::verify::verify`] on the same directory
/// (hashes, sizes, no file missing or added) and compares its manifest digest with
/// [`SignatureCheck::manifest_sha256`] if it reads the files at different times.
///
/// Errors, each naming the file: a missing or unreadable manifest, signature or public key
/// (each read at most 64 MiB / 64 KiB, never following a symlink inside the bundle); a public
/// key or signature that does not parse; a signature made in another namespace
/// ([`SignError::Namespace`]) or by another key ([`SignError::WrongKey`]); and a manifest whose
/// bytes do not match ([`SignError::BadSignature`], e.g. one byte changed after signing).
pub fn verify_signature(
    bundle_dir: &Path,
    public_key_path: &Path,
) -> Result<SignatureCheck, SignError> {
    let trusted = TrustedKey::load(public_key_path)?;
    let manifest_bytes = files::read_bounded(
        &bundle_dir.join(manifest::FILE_NAME),
        files::MAX_MANIFEST_BYTES,
    )
    .map_err(|failure| SignError::Unreadable {
        problem: failure.to_string(),
        path: bundle_dir.join(manifest::FILE_NAME),
        hint: "",
    })?;
    check_one(bundle_dir, &manifest_bytes, &trusted, public_key_path)
}

/// [`check`] against one key read from `public_key_path`, which a mismatch names
/// ([`SignError::WrongKey`]).
pub fn check_one(
    bundle_dir: &Path,
    manifest: &[u8],
    trusted: &TrustedKey,
    public_key_path: &Path,
) -> Result<SignatureCheck, SignError> {
    check(bundle_dir, manifest, std::slice::from_ref(trusted)).map_err(|e| match e {
        SignError::Untrusted { dir, signed_by, .. } => SignError::WrongKey {
            dir,
            public_key: public_key_path.to_owned(),
            signed_by,
            expected: trusted.fingerprint(),
        },
        other => other,
    })
}

/// Checks that `bundle_dir/manifest.json.sig` is a signature of `manifest`, the bytes of
/// `manifest.json` as the caller read them (so what is checked is exactly what the caller
/// hashed and uses, whatever the file holds by now), made in namespace [`NAMESPACE`] by one of
/// `trusted`. The signature file is read at most 64 KiB, never through a symlink.
///
/// Errors: [`SignError::Unsigned`] when there is no signature file; [`SignError::Untrusted`]
/// when it was made by none of `trusted` (also when `trusted` is empty); the others as for
/// [`verify_signature`].
pub fn check(
    bundle_dir: &Path,
    manifest: &[u8],
    trusted: &[TrustedKey],
) -> Result<SignatureCheck, SignError> {
    let path = bundle_dir.join(SIGNATURE_FILE);
    let signature_text = match files::read_bounded(&path, MAX_SIGNATURE_BYTES) {
        Ok(text) => text,
        Err(files::ReadFailure::Missing) => {
            return Err(SignError::Unsigned {
                dir: bundle_dir.to_owned(),
            });
        }
        Err(failure) => {
            return Err(SignError::Unreadable {
                problem: failure.to_string(),
                path,
                hint: "",
            });
        }
    };
    let signature =
        SshSig::from_pem(&signature_text).map_err(|e| SignError::SignatureMalformed {
            dir: bundle_dir.to_owned(),
            detail: e.to_string(),
        })?;
    if signature.namespace() != NAMESPACE {
        return Err(SignError::Namespace {
            dir: bundle_dir.to_owned(),
            found: format!("\"{}\"", printable(signature.namespace())),
        });
    }
    let Some(signer) = trusted
        .iter()
        .find(|t| t.key.key_data() == signature.public_key())
    else {
        let names: Vec<String> = trusted.iter().map(TrustedKey::fingerprint).collect();
        return Err(SignError::Untrusted {
            dir: bundle_dir.to_owned(),
            signed_by: signature
                .public_key()
                .fingerprint(HashAlg::Sha256)
                .to_string(),
            trusted: if names.is_empty() {
                "any key given".into()
            } else {
                names.join(" or ")
            },
        });
    };
    signer
        .key
        .verify(NAMESPACE, manifest, &signature)
        .map_err(|_| SignError::BadSignature {
            dir: bundle_dir.to_owned(),
        })?;
    Ok(SignatureCheck {
        fingerprint: signer.fingerprint(),
        manifest_sha256: hex::encode(Sha256::digest(manifest)),
    })
}

/// The first line of an OpenSSH public key file that is neither blank nor a comment.
fn parse_public_key(bytes: &[u8]) -> Result<PublicKey, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or_else(|| "the file is empty".to_owned())?;
    PublicKey::from_openssh(line).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
