//! `collect --archive`: a finished bundle as one reproducible `<bundle>.tar.gz` beside it.
//!
//! The archive is a function of the bundle's directory name and file contents only, so the
//! same bundle archived twice, on another machine or after a copy that changed every file's
//! time, gives the same bytes and the same SHA-256:
//!
//! - entries: the directory `<bundle>/`, then each file `<bundle>/<name>` in byte order of
//!   names; ustar headers, no extended attributes, no user or group names, uid and gid 0;
//! - times: every entry's mtime is the manifest's `started_at` (the moment the evidence
//!   describes, which is also what an extracted file then shows), never the files' own;
//! - modes: `0700` for the directory and `0600` for files, the modes the bundle itself has:
//!   it holds personal data (names, e-mail addresses), and tar applies the archived mode on
//!   extraction (less the umask), so a wider mode would widen access wherever it is unpacked;
//! - gzip: level 9, no file name, mtime 0, operating system 255 ("unknown").
//!
//! The archive is written as a new file under an unpredictable `<bundle>.tar.gz.partial-<hex>`
//! name ([`files::write_private`]) and renamed, `0600`. Its SHA-256
//! cannot be inside the bundle (which is sealed before); it goes to the log and the run summary.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::{Compression, GzBuilder};
use jiff::Timestamp;
use serde_json::Value;

use crate::evidence::manifest;
use crate::files::{self, WriteError, is_plain_file_name};

/// Mode of the bundle directory entry.
const DIR_MODE: u32 = 0o700;
/// Mode of every file entry.
const FILE_MODE: u32 = 0o600;
/// The gzip level: fixed, since another level gives other bytes.
const GZIP_LEVEL: u32 = 9;

/// An archive written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archived {
    /// `<out>/<bundle>.tar.gz`.
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the archive.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// Why a bundle could not be archived.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The bundle directory or one of its files could not be read.
    #[error("cannot archive {path}: {problem}", path = path.display())]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The archive could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Writes `<bundle_dir>.tar.gz` beside `bundle_dir` (see the module documentation for what
/// makes it reproducible) and returns its path and SHA-256.
pub fn write_archive(bundle_dir: &Path) -> Result<Archived, ArchiveError> {
    let unreadable = |path: &Path, problem: String| ArchiveError::Read {
        path: path.to_owned(),
        problem,
    };
    let name = bundle_dir
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| is_plain_file_name(n))
        .ok_or_else(|| unreadable(bundle_dir, "not a bundle directory name".into()))?;
    let mtime = started_at(bundle_dir)?;
    let files = list_files(bundle_dir)?;
    let path = bundle_dir.with_file_name(format!("{name}.tar.gz"));
    let written = files::write_private(&path, |out| {
        let gzip = GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(out, Compression::new(GZIP_LEVEL));
        let mut tar = tar::Builder::new(gzip);
        let mut dir = header(tar::EntryType::Directory, DIR_MODE, 0, mtime);
        tar.append_data(&mut dir, format!("{name}/"), io::empty())?;
        for (file, len) in &files {
            let source = fs::File::open(bundle_dir.join(file))?;
            let mut entry = header(tar::EntryType::Regular, FILE_MODE, *len, mtime);
            let exact = Exact {
                inner: source.take(*len),
                left: *len,
            };
            tar.append_data(&mut entry, format!("{name}/{file}"), exact)?;
        }
        tar.into_inner()?.finish()?.flush()
    })?;
    Ok(Archived {
        path,
        sha256: written.sha256,
        bytes: written.bytes,
    })
}

/// A ustar header with everything that could vary between machines fixed.
fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    header.set_size(size);
    header
}

/// The manifest's `started_at` in seconds since the epoch (0 if before it).
fn started_at(bundle_dir: &Path) -> Result<u64, ArchiveError> {
    let path = bundle_dir.join(manifest::FILE_NAME);
    let bad = |problem: String| ArchiveError::Read {
        path: path.clone(),
        problem,
    };
    let bytes =
        files::read_bounded(&path, files::MAX_MANIFEST_BYTES).map_err(|f| bad(f.to_string()))?;
    let manifest: Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let started: Timestamp = manifest
        .get("started_at")
        .and_then(Value::as_str)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| bad("no RFC 3339 `started_at`".into()))?;
    Ok(u64::try_from(started.as_second()).unwrap_or(0))
}

/// The bundle's files and sizes, sorted by name. Anything but a regular file with a plain
/// name is refused: the tool wrote this directory, so something else in it is a surprise.
fn list_files(bundle_dir: &Path) -> Result<Vec<(String, u64)>, ArchiveError> {
    let unreadable = |path: &Path, problem: String| ArchiveError::Read {
        path: path.to_owned(),
        problem,
    };
    let listing = fs::read_dir(bundle_dir).map_err(|e| unreadable(bundle_dir, e.to_string()))?;
    let mut files = Vec::new();
    for (seen, entry) in listing.enumerate() {
        if seen == files::MAX_DIR_ENTRIES {
            return Err(unreadable(bundle_dir, "too many entries".into()));
        }
        let entry = entry.map_err(|e| unreadable(bundle_dir, e.to_string()))?;
        let path = entry.path();
        let name = entry
            .file_name()
            .into_string()
            .ok()
            .filter(|n| is_plain_file_name(n))
            .ok_or_else(|| unreadable(&path, "not a file name a bundle holds".into()))?;
        let meta = fs::symlink_metadata(&path).map_err(|e| unreadable(&path, e.to_string()))?;
        if !meta.file_type().is_file() {
            return Err(unreadable(&path, "not a regular file".into()));
        }
        files.push((name, meta.len()));
    }
    files.sort();
    Ok(files)
}

/// Reads exactly `left` bytes or fails: a file that shrank after it was listed would
/// otherwise leave its tar header's size wrong and the archive corrupt.
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "a bundle file shrank while it was archived",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
