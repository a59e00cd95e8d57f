//! Where files are written. A run writes into `.iru-fivetran-<stamp>-<pid>-<random>.incomplete/`
//! under `--out` (a name no one can guess or squat); each file is written to a new file under a
//! `<name>.partial-<random>` name, synced and renamed; the manifest, its
//! signature (`--sign-key`) and `SHA256SUMS` come last, in that order, and the directory is
//! renamed to its final name only then. An interrupted run therefore never leaves a directory
//! that looks like a finished bundle.
//!
//! A bundle holds personal data (names, e-mail addresses): on Unix its directory is created
//! `0700` and its files `0600`, whatever the umask. Share it deliberately (`chmod`, an archive).

mod naming;
mod read;
mod spill;

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tracing::warn;

use crate::evidence::csv::Table;
use crate::evidence::sign::{self, SigningKey};
use crate::files::{self, Digest, Hashing, WriteError, failed, sync_dir};
use crate::vocab::Artifact;

pub use naming::{Earlier, Found, all, base_name, earlier, file_name_safe, stamp};
pub use read::{Items, read_envelope, read_items};
pub use spill::ItemSink;

/// The name of the checksum file, in the format `sha256sum -c` reads.
pub const SHA256SUMS: &str = "SHA256SUMS";

/// A bundle being written. Dropped without [`Bundle::finish`], [`Bundle::keep_failed`] or
/// [`Bundle::discard`] (a signal cancelled the run, a panic), it removes its temporary
/// directory: nothing half-written is left behind.
#[derive(Debug)]
pub struct Bundle {
    out_dir: PathBuf,
    tmp: PathBuf,
    files: BTreeMap<&'static str, Digest>,
    /// Signs the manifest when the bundle is sealed (`--sign-key`).
    signer: Option<SigningKey>,
    /// Set once the directory has been renamed, kept on purpose or removed.
    sealed: bool,
}

impl Drop for Bundle {
    fn drop(&mut self) {
        if !self.sealed && fs::remove_dir_all(&self.tmp).is_err() {
            // Out of file descriptors, `remove_dir_all` cannot open the directory to list it;
            // an empty one (the run failed before writing) is still removed by its path.
            let _ = fs::remove_dir(&self.tmp);
        }
    }
}

/// A fresh temporary directory name for a run started at `stamp`.
fn temp_dir_name(stamp: &str) -> String {
    format!(
        ".iru-fivetran-{stamp}-{}-{:016x}.incomplete",
        std::process::id(),
        rand::random::<u64>()
    )
}

impl Bundle {
    /// Creates `out_dir` if needed and the temporary bundle directory inside it,
    /// `.iru-fivetran-<stamp>-<pid>-<16 random hex digits>.incomplete`: a name no one can
    /// guess, so none can be squatted in advance; one taken anyway (by anything, a dangling link
    /// included) is skipped for another.
    pub fn create(out_dir: &Path, stamp: &str) -> Result<Self, WriteError> {
        Self::create_via(out_dir, |_| temp_dir_name(stamp))
    }

    /// [`Bundle::create`] with the temporary names given by `name(attempt)` (tests squat them).
    fn create_via(out_dir: &Path, name: impl Fn(usize) -> String) -> Result<Self, WriteError> {
        fs::create_dir_all(out_dir).map_err(failed(out_dir))?;
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        let mut attempt = 0;
        let tmp = loop {
            let tmp = out_dir.join(name(attempt));
            // `mkdir` fails on anything already there, a link included, and never follows one.
            match builder.create(&tmp) {
                Ok(()) => break tmp,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 15 => {
                    attempt += 1;
                }
                Err(e) => return Err(failed(&tmp)(e)),
            }
        };
        Ok(Self {
            out_dir: out_dir.to_owned(),
            tmp,
            files: BTreeMap::new(),
            signer: None,
            sealed: false,
        })
    }

    /// Has the manifest signed with `key` when the bundle is sealed: `manifest.json.sig` is
    /// written right after the manifest and before `SHA256SUMS`, which lists it.
    pub fn sign_manifest_with(&mut self, key: SigningKey) {
        self.signer = Some(key);
    }

    /// The temporary directory.
    #[cfg(test)]
    pub fn tmp_dir(&self) -> &Path {
        &self.tmp
    }

    /// Starts writing an artifact item by item; see [`ItemSink`]. Any number of sinks may be
    /// open at once (artifacts are collected concurrently); each is recorded in the bundle
    /// with [`Bundle::record`] once finished.
    pub fn sink(&self, artifact: Artifact) -> Result<ItemSink, WriteError> {
        ItemSink::create(&self.tmp, artifact)
    }

    /// Records a file written by a finished [`ItemSink`].
    pub fn record(&mut self, name: &'static str, written: Digest) {
        self.files.insert(name, written);
    }

    /// Reads back an artifact this bundle has written one item at a time, handing each item
    /// to `each` (projected as the caller likes: memory holds one whole item at a time), and
    /// returns the envelope's other fields. `None` if the file was not written or cannot be
    /// read back.
    pub fn for_each_item(
        &self,
        name: &str,
        each: impl FnMut(Value),
    ) -> Option<serde_json::Map<String, Value>> {
        if !self.files.contains_key(name) {
            return None;
        }
        let file = fs::File::open(self.tmp.join(name)).ok()?;
        read_items(io::BufReader::with_capacity(64 * 1024, file), each).ok()
    }

    /// Writes one file atomically. `name` is one of the tool's fixed file names.
    pub fn write(&mut self, name: &'static str, bytes: &[u8]) -> Result<Digest, WriteError> {
        write_atomic(&self.tmp, name, bytes)?;
        let written = Digest::of(bytes);
        self.files.insert(name, written.clone());
        Ok(written)
    }

    /// Writes `table` (a CSV export) from the items of the artifact it is made from, read
    /// back one at a time. Returns the file and its row count, or `None` when that artifact
    /// was not written.
    pub fn write_table(&mut self, table: &Table) -> Result<Option<(Digest, u64)>, WriteError> {
        let source = table.from.file_name();
        if !self.files.contains_key(source) {
            return Ok(None);
        }
        let mut rows = 0u64;
        let written = write_streamed(&self.tmp, table.name, |out| {
            table.write_header(out)?;
            let mut failed = None;
            let read = self.for_each_item(source, |item| {
                if failed.is_none() {
                    match table.write_item(out, &item) {
                        Ok(()) => rows += 1,
                        Err(e) => failed = Some(e),
                    }
                }
            });
            match (failed, read) {
                (Some(e), _) => Err(e),
                (None, None) => Err(io::Error::other(format!("cannot read back {source}"))),
                (None, Some(_)) => Ok(()),
            }
        })?;
        self.files.insert(table.name, written.clone());
        Ok(Some((written, rows)))
    }

    /// Writes the manifest (made by `manifest` for the bundle's final name) and `SHA256SUMS`,
    /// then renames the directory to `<base_name>` (or `<base_name>-2`, ... if taken; see
    /// [`Bundle::seal`] for when all are). On failure the temporary directory is removed:
    /// nothing half-written is left behind.
    pub fn finish(
        mut self,
        base_name: &str,
        manifest_name: &'static str,
        manifest: impl Fn(&str) -> Vec<u8>,
    ) -> Result<PathBuf, WriteError> {
        // On failure, Drop removes the temporary directory.
        let result = self.seal(base_name, "", manifest_name, &manifest);
        self.sealed = result.is_ok();
        result
    }

    /// Keeps what was collected under `<base_name>.failed` (or `<base_name>-2.failed`, ...),
    /// its manifest saying why, for a run that cannot complete. Returns where it is; if even
    /// that cannot be written, the temporary directory, still marked `.incomplete`.
    pub fn keep_failed(
        mut self,
        base_name: &str,
        manifest_name: &'static str,
        manifest: impl Fn(&str) -> Vec<u8>,
    ) -> PathBuf {
        // Kept either way: renamed, or (if even that fails) still marked `.incomplete`.
        self.sealed = true;
        self.seal(base_name, ".failed", manifest_name, &manifest)
            .unwrap_or_else(|_| self.tmp.clone())
    }

    /// Writes manifest and sums for the first free name `<base>[-N]<suffix>` (N up to 100) and
    /// renames the temporary directory to it. A name taken by anything, a dangling link
    /// included, is skipped. When all 100 are taken (squatted), the bundle is kept under
    /// `<base>-names-taken-<16 random hex digits><suffix>`, which says so and cannot be
    /// squatted in advance, rather than thrown away.
    fn seal(
        &mut self,
        base_name: &str,
        suffix: &str,
        manifest_name: &'static str,
        manifest: &dyn Fn(&str) -> Vec<u8>,
    ) -> Result<PathBuf, WriteError> {
        let numbered = (1..=100u32).map(|n| match n {
            1 => (false, format!("{base_name}{suffix}")),
            n => (false, format!("{base_name}-{n}{suffix}")),
        });
        let unplaced = std::iter::repeat_with(|| {
            let random = rand::random::<u64>();
            (
                true,
                format!("{base_name}-names-taken-{random:016x}{suffix}"),
            )
        });
        for (last_resort, name) in numbered.chain(unplaced.take(4)) {
            let target = self.out_dir.join(&name);
            // Whatever is there, even a link to nowhere, takes the name.
            if fs::symlink_metadata(&target).is_ok() {
                continue;
            }
            let manifest_bytes = manifest(&name);
            self.write(manifest_name, &manifest_bytes)?;
            if let Some(key) = &self.signer {
                let signature = key.sign(&manifest_bytes).map_err(|e| WriteError {
                    path: self.tmp.join(sign::SIGNATURE_FILE),
                    source: io::Error::other(e.to_string()),
                })?;
                self.write(sign::SIGNATURE_FILE, &signature)?;
            }
            self.write_sums()?;
            sync_dir(&self.tmp);
            match fs::rename(&self.tmp, &target) {
                Ok(()) => {
                    sync_dir(&self.out_dir);
                    if last_resort {
                        warn!(
                            "every bundle name from {base_name}{suffix} to {base_name}-100{suffix} is taken under {}; the bundle is kept as {name}, which earlier-bundle lookups (changes.json) do not consider",
                            self.out_dir.display()
                        );
                    }
                    return Ok(target);
                }
                // Another run (or anyone) took the name between the check and the rename.
                Err(e) if taken(&target, &e) => {}
                Err(e) => return Err(failed(&target)(e)),
            }
        }
        Err(WriteError {
            path: self.out_dir.join(base_name),
            source: io::Error::new(
                io::ErrorKind::AlreadyExists,
                "every name this bundle could take is taken",
            ),
        })
    }

    /// Removes the temporary directory (nothing worth keeping was collected).
    pub fn discard(self) {
        // Drop does it.
        drop(self);
    }

    fn write_sums(&mut self) -> Result<(), WriteError> {
        let mut sums = String::new();
        for (name, w) in &self.files {
            sums.push_str(&format!("{}  {name}\n", w.sha256));
        }
        write_atomic(&self.tmp, SHA256SUMS, sums.as_bytes())
    }
}

/// Whether renaming a directory to `target` failed because something is there now.
fn taken(target: &Path, e: &io::Error) -> bool {
    fs::symlink_metadata(target).is_ok()
        || matches!(
            e.kind(),
            io::ErrorKind::AlreadyExists
                | io::ErrorKind::DirectoryNotEmpty
                | io::ErrorKind::NotADirectory
                | io::ErrorKind::IsADirectory
        )
}

fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), WriteError> {
    write_streamed(dir, name, |w| w.write_all(bytes)).map(|_| ())
}

/// Writes `name` in `dir` from what `fill` writes, under a `.partial-<random>` name, synced, then
/// renamed; returns its hash and size, computed as it is written.
fn write_streamed(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut Hashing<BufWriter<fs::File>>) -> io::Result<()>,
) -> Result<Digest, WriteError> {
    files::write_private(&dir.join(name), fill)
}

#[cfg(test)]
mod tests;
