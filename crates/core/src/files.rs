//! How the tool touches files, for the bundle writer and its checker alike: reads bounded in
//! size that never follow a symlink ([`read_bounded`], [`open_bounded`]), reads of the files a
//! user names, bounded and regular files only ([`read_input`]), atomic private writes
//! ([`write_private`]), the rule for a file name read from a bundle ([`is_plain_file_name`]),
//! the size limits, and one [`Hashing`] reader/writer that gives a file's [`Digest`] as its
//! bytes pass.
//!
//! A file the tool writes holds personal data (names, e-mail addresses): on Unix it is created
//! `0600`, whatever the umask, always as a new file (`O_EXCL`) under a name no one can guess,
//! then renamed into place. Whoever can write to the destination folder can therefore neither
//! plant a link the tool would write through nor a file it would truncate.

use std::fmt;
use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

/// Largest file hashed or read; a larger one is a problem, not an allocation.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Largest `manifest.json` parsed.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;
/// Largest `SHA256SUMS` read.
pub const MAX_SUMS_BYTES: u64 = 1024 * 1024;
/// Directory entries examined when looking for extra files.
pub const MAX_DIR_ENTRIES: usize = 10_000;

/// The SHA-256 and size of a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

impl Digest {
    /// The digest of bytes in memory.
    pub fn of(bytes: &[u8]) -> Self {
        Self {
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
        }
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A reader or writer that hashes and counts what passes through it.
pub struct Hashing<T> {
    inner: T,
    hasher: Sha256,
    bytes: u64,
}

impl<T> Hashing<T> {
    /// Hashes what passes through `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Bytes passed so far.
    pub fn count(&self) -> u64 {
        self.bytes
    }

    /// The digest of what passed, and the inner reader or writer.
    pub fn finish(self) -> (Digest, T) {
        let digest = Digest {
            sha256: hex::encode(self.hasher.finalize()),
            bytes: self.bytes,
        };
        (digest, self.inner)
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Whether a name from the bundle may be opened: not empty, at most 255 bytes, no path
/// separator, no leading dot (so no `.` or `..`), no control characters, no `:`.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c == ':' || c.is_control())
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadFailure {
    /// It does not exist.
    Missing,
    /// It is a directory, symlink or other non-regular file.
    NotAFile,
    /// It is larger than the limit.
    TooLarge(u64),
    /// Reading failed.
    Io(io::Error),
}

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFailure::Missing => f.write_str("no such file"),
            ReadFailure::NotAFile => f.write_str("not a regular file"),
            ReadFailure::TooLarge(limit) => write!(f, "larger than {limit} bytes"),
            ReadFailure::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Opens a regular file (never following a symlink), refusing one larger than `limit`.
pub fn open_bounded(path: &Path, limit: u64) -> Result<io::Take<fs::File>, ReadFailure> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadFailure::Missing),
        Err(e) => return Err(ReadFailure::Io(e)),
    };
    if !meta.file_type().is_file() {
        return Err(ReadFailure::NotAFile);
    }
    if meta.len() > limit {
        return Err(ReadFailure::TooLarge(limit));
    }
    let file = fs::File::open(path).map_err(ReadFailure::Io)?;
    // One byte more than allowed, so that a file grown since the check is noticed.
    Ok(file.take(limit + 1))
}

/// Reads a whole regular file of at most `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadFailure> {
    let mut bytes = Vec::new();
    open_bounded(path, limit)?
        .read_to_end(&mut bytes)
        .map_err(ReadFailure::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadFailure::TooLarge(limit));
    }
    Ok(bytes)
}

/// Why an input file a user named (`--ca-cert`, `--sign-key`, `--public-key`, the vault file)
/// could not be read. Its text completes "FILE: ..." in the caller's message.
#[derive(Debug)]
pub enum InputFailure {
    /// It does not exist (or a link named points nowhere).
    Missing,
    /// It is not a regular file; says what it is (`a directory`, `a FIFO (named pipe)`...).
    NotAFile(&'static str),
    /// It is larger than the limit, in bytes.
    TooLarge(u64),
    /// Reading failed.
    Io(io::Error),
}

impl fmt::Display for InputFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputFailure::Missing => f.write_str("no such file"),
            InputFailure::NotAFile(kind) => write!(f, "{kind}, not a regular file"),
            InputFailure::TooLarge(limit) => write!(f, "larger than {limit} bytes"),
            InputFailure::Io(e) => write!(f, "{e}"),
        }
    }
}

impl InputFailure {
    fn io(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::NotFound {
            InputFailure::Missing
        } else {
            InputFailure::Io(e)
        }
    }
}

/// What a file that is not a regular one is, in words.
fn kind_of(file_type: fs::FileType) -> &'static str {
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// The metadata of an input file a user named, refusing anything but a regular file. A link
/// is followed (the user named it) and the file is not opened: a FIFO or a device is refused
/// before a read could block on it or never end.
pub fn input_metadata(path: &Path) -> Result<fs::Metadata, InputFailure> {
    let meta = fs::metadata(path).map_err(InputFailure::io)?;
    if !meta.file_type().is_file() {
        return Err(InputFailure::NotAFile(kind_of(meta.file_type())));
    }
    Ok(meta)
}

/// Reads a whole input file a user named, of at most `limit` bytes: checked with
/// [`input_metadata`] before it is opened, checked again once open (what was opened is what is
/// read), and read no further than the limit whatever its size claimed.
pub fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>, InputFailure> {
    let meta = input_metadata(path)?;
    if meta.len() > limit {
        return Err(InputFailure::TooLarge(limit));
    }
    let file = fs::File::open(path).map_err(InputFailure::io)?;
    let opened = file.metadata().map_err(InputFailure::Io)?;
    if !opened.file_type().is_file() {
        return Err(InputFailure::NotAFile(kind_of(opened.file_type())));
    }
    // Sized once, so a secret read here is not copied about by the vector growing.
    let capacity = usize::try_from(opened.len().min(limit)).unwrap_or(0) + 1;
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(InputFailure::Io)?;
    if bytes.len() as u64 > limit {
        return Err(InputFailure::TooLarge(limit));
    }
    Ok(bytes)
}

/// A write that failed, naming the path.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot write {path}: {source}\nhint: check that the --out directory exists or can be created, is writable and has free space"
)]
pub struct WriteError {
    /// The path that could not be written.
    pub path: PathBuf,
    /// The I/O error.
    pub source: io::Error,
}

/// Turns an I/O error about `path` into a [`WriteError`].
pub fn failed(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError {
        path: path.to_owned(),
        source,
    }
}

/// How many fresh names [`write_private`] tries before giving up: each has 64 random bits, so
/// only names planted on purpose (or a broken random source) are ever taken.
const TEMP_NAME_ATTEMPTS: usize = 16;

/// Creates a new file readable by its owner only (`0600` on Unix), refusing any existing file
/// or symlink at `path` (`O_CREAT | O_EXCL`): a link planted there is never followed, a file
/// there is never truncated.
pub fn create_private(path: &Path) -> Result<fs::File, WriteError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(failed(path))
}

/// Temporary names beside `path`, `<name>.partial-<16 random hex digits>`: unpredictable, so
/// none can be planted in advance, and saying what they were for if one is ever left behind
/// (a crash, a power loss).
fn temp_names(path: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    // A long name keeps its start: the temporary one must fit the file system's name limit.
    let name: String = path
        .file_name()
        .map(|n| n.to_string_lossy().chars().take(100).collect())
        .unwrap_or_default();
    std::iter::repeat_with(move || {
        path.with_file_name(format!("{name}.partial-{:016x}", rand::random::<u64>()))
    })
}

/// Creates the first of `candidates` that does not exist yet ([`create_private`]), skipping
/// names taken by anything (a file, a directory, a dangling link); at most
/// [`TEMP_NAME_ATTEMPTS`] tries.
fn create_temp(
    path: &Path,
    candidates: impl IntoIterator<Item = PathBuf>,
) -> Result<(fs::File, PathBuf), WriteError> {
    let mut last = None;
    for candidate in candidates.into_iter().take(TEMP_NAME_ATTEMPTS) {
        match create_private(&candidate) {
            Ok(file) => return Ok((file, candidate)),
            Err(e) if e.source.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| WriteError {
        path: path.to_owned(),
        source: io::Error::other("no temporary name to write under"),
    }))
}

/// Writes `path` atomically and privately (`0600` on Unix) from what `fill` writes: into a
/// new file under an unpredictable name in the same directory ([`create_private`]: never an
/// existing file, never through a link), synced, then renamed over `path` (which replaces a
/// link at `path` rather than following it). Returns the digest of what was written.
pub fn write_private(
    path: &Path,
    fill: impl FnOnce(&mut Hashing<BufWriter<fs::File>>) -> io::Result<()>,
) -> Result<Digest, WriteError> {
    write_private_via(path, temp_names(path), fill)
}

/// [`write_private`] with the temporary names given (tests plant files at them).
fn write_private_via(
    path: &Path,
    candidates: impl IntoIterator<Item = PathBuf>,
    fill: impl FnOnce(&mut Hashing<BufWriter<fs::File>>) -> io::Result<()>,
) -> Result<Digest, WriteError> {
    let (file, partial) = create_temp(path, candidates)?;
    let result = fill_and_rename(file, &partial, path, fill);
    if result.is_err() {
        // Nothing half-written is left behind; the file removed is the one made above.
        let _ = fs::remove_file(&partial);
    }
    result
}

fn fill_and_rename(
    file: fs::File,
    partial: &Path,
    path: &Path,
    fill: impl FnOnce(&mut Hashing<BufWriter<fs::File>>) -> io::Result<()>,
) -> Result<Digest, WriteError> {
    let mut out = Hashing::new(BufWriter::with_capacity(64 * 1024, file));
    fill(&mut out).map_err(failed(partial))?;
    let (digest, inner) = out.finish();
    let file = inner
        .into_inner()
        .map_err(|e| failed(partial)(e.into_error()))?;
    file.sync_all().map_err(failed(partial))?;
    drop(file);
    fs::rename(partial, path).map_err(failed(path))?;
    Ok(digest)
}

/// Makes renames durable where the platform allows it; best effort.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests;
