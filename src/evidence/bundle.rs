//! Where files are written. A run writes into `.iru-fivetran-<stamp>-<pid>.incomplete/` under
//! `--out`; each file is written to a `.partial` name, synced and renamed; `SHA256SUMS` comes
//! last and the directory is renamed to its final name only then. An interrupted run therefore
//! never leaves a directory that looks like a finished bundle.
//!
//! A bundle holds personal data (names, e-mail addresses): on Unix its directory is created
//! `0700` and its files `0600`, whatever the umask. Share it deliberately (`chmod`, an archive).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

/// The name of the checksum file, in the format `sha256sum -c` reads.
pub const SHA256SUMS: &str = "SHA256SUMS";

/// A file written into the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
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

/// A bundle being written. Dropped without [`Bundle::finish`], [`Bundle::keep_failed`] or
/// [`Bundle::discard`] (a signal cancelled the run, a panic), it removes its temporary
/// directory: nothing half-written is left behind.
#[derive(Debug)]
pub struct Bundle {
    out_dir: PathBuf,
    tmp: PathBuf,
    files: BTreeMap<&'static str, Written>,
    /// Set once the directory has been renamed, kept on purpose or removed.
    sealed: bool,
}

impl Drop for Bundle {
    fn drop(&mut self) {
        if !self.sealed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

fn failed(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError {
        path: path.to_owned(),
        source,
    }
}

impl Bundle {
    /// Creates `out_dir` if needed and the temporary bundle directory inside it.
    pub fn create(out_dir: &Path, stamp: &str) -> Result<Self, WriteError> {
        fs::create_dir_all(out_dir).map_err(failed(out_dir))?;
        let tmp = out_dir.join(format!(
            ".iru-fivetran-{stamp}-{}.incomplete",
            std::process::id()
        ));
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&tmp).map_err(failed(&tmp))?;
        Ok(Self {
            out_dir: out_dir.to_owned(),
            tmp,
            files: BTreeMap::new(),
            sealed: false,
        })
    }

    /// The temporary directory (for messages).
    pub fn tmp_dir(&self) -> &Path {
        &self.tmp
    }

    /// Reads back a JSON file this bundle has written (derived artifacts are computed from the
    /// collected files, so memory holds one artifact at a time).
    pub fn read_json(&self, name: &str) -> Option<serde_json::Value> {
        if !self.files.contains_key(name) {
            return None;
        }
        let bytes = fs::read(self.tmp.join(name)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes one file atomically. `name` is one of the tool's fixed file names.
    pub fn write(&mut self, name: &'static str, bytes: &[u8]) -> Result<Written, WriteError> {
        write_atomic(&self.tmp, name, bytes)?;
        let written = Written {
            sha256: hex::encode(Sha256::digest(bytes)),
            bytes: bytes.len() as u64,
        };
        self.files.insert(name, written.clone());
        Ok(written)
    }

    /// Writes the manifest (made by `manifest` for the bundle's final name) and `SHA256SUMS`,
    /// then renames the directory to `<base_name>` (or `<base_name>-2`, ... if taken). On
    /// failure the temporary directory is removed: nothing half-written is left behind.
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

    /// Writes manifest and sums for the first free name `<base>[-N]<suffix>` and renames the
    /// temporary directory to it.
    fn seal(
        &mut self,
        base_name: &str,
        suffix: &str,
        manifest_name: &'static str,
        manifest: &dyn Fn(&str) -> Vec<u8>,
    ) -> Result<PathBuf, WriteError> {
        for n in 1..=100u32 {
            let name = match n {
                1 => format!("{base_name}{suffix}"),
                n => format!("{base_name}-{n}{suffix}"),
            };
            let target = self.out_dir.join(&name);
            if target.exists() {
                continue;
            }
            self.write(manifest_name, &manifest(&name))?;
            self.write_sums()?;
            sync_dir(&self.tmp);
            match fs::rename(&self.tmp, &target) {
                Ok(()) => {
                    sync_dir(&self.out_dir);
                    return Ok(target);
                }
                // Another run took the name between the check and the rename.
                Err(e)
                    if target.exists()
                        || e.kind() == io::ErrorKind::AlreadyExists
                        || e.kind() == io::ErrorKind::DirectoryNotEmpty => {}
                Err(e) => return Err(failed(&target)(e)),
            }
        }
        Err(WriteError {
            path: self.out_dir.join(base_name),
            source: io::Error::new(
                io::ErrorKind::AlreadyExists,
                "100 bundles of this name already exist",
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

fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), WriteError> {
    let partial = dir.join(format!("{name}.partial"));
    let path = dir.join(name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&partial).map_err(failed(&partial))?;
    file.write_all(bytes).map_err(failed(&partial))?;
    file.sync_all().map_err(failed(&partial))?;
    drop(file);
    fs::rename(&partial, &path).map_err(failed(&path))
}

/// Makes renames durable where the platform allows it; best effort.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_appears_only_when_finished() {
        let out = tempfile::tempdir().expect("tmp");
        let mut b = Bundle::create(out.path(), "20260101T000000Z").expect("create");
        b.write("users.json", b"{}\n").expect("write");
        let names = |p: &Path| -> Vec<String> {
            let mut v: Vec<String> = fs::read_dir(p)
                .expect("read")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let before = names(out.path());
        assert_eq!(before.len(), 1);
        assert!(before[0].starts_with(".iru-fivetran-") && before[0].ends_with(".incomplete"));
        let dir = b
            .finish("fivetran-acc-x", "manifest.json", |id| {
                format!("{{\"bundle_id\":\"{id}\"}}\n").into_bytes()
            })
            .expect("finish");
        assert_eq!(names(out.path()), ["fivetran-acc-x"]);
        assert_eq!(names(&dir), ["SHA256SUMS", "manifest.json", "users.json"]);
        let sums = fs::read_to_string(dir.join("SHA256SUMS")).expect("sums");
        assert_eq!(sums.lines().count(), 2);
        assert!(sums.contains(&format!(
            "{}  users.json",
            hex::encode(Sha256::digest(b"{}\n"))
        )));
    }

    #[test]
    fn a_dropped_bundle_leaves_nothing_behind() {
        let out = tempfile::tempdir().expect("tmp");
        let mut b = Bundle::create(out.path(), "s").expect("create");
        b.write("users.json", b"{}\n").expect("write");
        drop(b);
        assert_eq!(fs::read_dir(out.path()).expect("read").count(), 0);
    }

    #[test]
    fn a_write_error_names_the_path_and_the_drop_cleans_up() {
        let out = tempfile::tempdir().expect("tmp");
        let mut b = Bundle::create(out.path(), "s").expect("create");
        // A directory where the partial file should go makes the write fail, as a full or
        // read-only disk would.
        fs::create_dir(b.tmp_dir().join("users.json.partial")).expect("mkdir");
        let err = b.write("users.json", b"{}\n").expect_err("cannot write");
        assert!(err.to_string().contains("users.json.partial"), "{err}");
        drop(b);
        assert_eq!(fs::read_dir(out.path()).expect("read").count(), 0);
    }

    #[test]
    fn a_taken_name_gets_a_suffix_and_the_manifest_knows_it() {
        let out = tempfile::tempdir().expect("tmp");
        fs::create_dir(out.path().join("fivetran-acc-x")).expect("mkdir");
        let b = Bundle::create(out.path(), "s").expect("create");
        let dir = b
            .finish("fivetran-acc-x", "manifest.json", |id| {
                id.as_bytes().to_vec()
            })
            .expect("finish");
        assert!(dir.ends_with("fivetran-acc-x-2"));
        assert_eq!(
            fs::read(dir.join("manifest.json")).expect("m"),
            b"fivetran-acc-x-2"
        );
    }

    #[cfg(unix)]
    #[test]
    fn unwritable_output_names_the_path() {
        use std::os::unix::fs::PermissionsExt as _;
        let out = tempfile::tempdir().expect("tmp");
        let locked = out.path().join("locked");
        fs::create_dir(&locked).expect("mkdir");
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).expect("chmod");
        // root ignores permission bits; only check when they apply.
        if fs::File::create(locked.join("probe")).is_err() {
            let err = Bundle::create(&locked.join("sub"), "s").expect_err("unwritable");
            assert!(err.to_string().contains("locked/sub"), "{err}");
        }
        let file = out.path().join("file");
        fs::write(&file, b"x").expect("write");
        let err = Bundle::create(&file, "s").expect_err("a file, not a directory");
        assert!(err.to_string().contains("hint:"), "{err}");
    }
}
