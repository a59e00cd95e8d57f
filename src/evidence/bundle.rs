//! Where files are written. A run writes into `.iru-fivetran-<stamp>-<pid>.incomplete/` under
//! `--out`; each file is written to a `.partial` name, synced and renamed; the manifest, its
//! signature (`--sign-key`) and `SHA256SUMS` come last, in that order, and the directory is
//! renamed to its final name only then. An interrupted run therefore never leaves a directory
//! that looks like a finished bundle.
//!
//! A bundle holds personal data (names, e-mail addresses): on Unix its directory is created
//! `0700` and its files `0600`, whatever the umask. Share it deliberately (`chmod`, an archive).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::evidence::csv::Table;
use crate::evidence::redact::{Redaction, Redactor};
use crate::evidence::render;
use crate::evidence::sign::{self, SigningKey};
use crate::files::{self, Digest, Hashing, WriteError, create_private, failed, sync_dir};
use crate::vocab::{Artifact, Sink};

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
        if !self.sealed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
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
            signer: None,
            sealed: false,
        })
    }

    /// Has the manifest signed with `key` when the bundle is sealed: `manifest.json.sig` is
    /// written right after the manifest and before `SHA256SUMS`, which lists it.
    pub fn sign_manifest_with(&mut self, key: SigningKey) {
        self.signer = Some(key);
    }

    /// The temporary directory (for messages).
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
    write_streamed(dir, name, |w| w.write_all(bytes)).map(|_| ())
}

/// Writes `name` in `dir` from what `fill` writes, under a `.partial` name, synced, then
/// renamed; returns its hash and size, computed as it is written.
fn write_streamed(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut Hashing<BufWriter<fs::File>>) -> io::Result<()>,
) -> Result<Digest, WriteError> {
    files::write_private(&dir.join(name), fill)
}

/// Reads an artifact envelope from `reader`, handing each element of its `items` to `each` as
/// it is parsed, and returns the other fields.
pub fn read_items(
    reader: impl io::Read,
    each: impl FnMut(Value),
) -> serde_json::Result<serde_json::Map<String, Value>> {
    use serde::de::DeserializeSeed as _;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let fields = EnvelopeSeed(each).deserialize(&mut de)?;
    de.end()?;
    Ok(fields)
}

/// Deserializes an envelope, streaming its `items`.
struct EnvelopeSeed<F>(F);

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for EnvelopeSeed<F> {
    type Value = serde_json::Map<String, Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for EnvelopeSeed<F> {
    type Value = serde_json::Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an artifact envelope")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> Result<Self::Value, A::Error> {
        let mut fields = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                map.next_value_seed(ItemsSeed(&mut self.0))?;
            } else {
                let value = map.next_value::<Value>()?;
                fields.insert(key, value);
            }
        }
        Ok(fields)
    }
}

/// Deserializes the `items` array, handing each element on.
struct ItemsSeed<'f, F>(&'f mut F);

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for ItemsSeed<'_, F> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for ItemsSeed<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of items")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            (self.0)(item);
        }
        Ok(())
    }
}

/// Where an artifact's item waits in the spill file.
struct Spilled {
    /// The item's key (`id`, ...), the first sort key.
    key: Option<Box<str>>,
    /// Where its compact text starts in the spill file, and its length.
    offset: u64,
    len: u64,
}

/// An artifact file written item by item, so memory holds one item at a time whatever the
/// size of the account.
///
/// [`ItemSink::push`] redacts an item and appends its compact canonical text (sorted keys, no
/// spaces) to a spill file beside the artifact (`.<name>.spill`, `0600`, removed when the sink
/// is finished or dropped); memory keeps only its key and place. [`ItemSink::finish`] sorts that
/// index by key, then (reading back only the items that share a key) by compact text, which is
/// the bundle's documented order, and never the order items arrived in: any concurrency gives
/// the same bytes. It then writes the envelope with each item re-rendered in its final pretty
/// form, hashing as it writes. Items are redacted before they reach the spill: no secret is
/// written to disk, even for a moment.
///
/// A write error is kept and reported by [`ItemSink::finish`], so producers push without
/// checking each item.
pub struct ItemSink {
    artifact: Artifact,
    dir: PathBuf,
    spill_path: PathBuf,
    spill: Option<BufWriter<fs::File>>,
    index: Vec<Spilled>,
    offset: u64,
    redactor: Redactor,
    error: Option<WriteError>,
    /// Told the item count as items arrive (the progress display).
    observer: Option<Box<dyn Fn(usize) + Send + Sync>>,
}

impl std::fmt::Debug for ItemSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemSink")
            .field("artifact", &self.artifact)
            .field("items", &self.index.len())
            .finish_non_exhaustive()
    }
}

impl Drop for ItemSink {
    fn drop(&mut self) {
        self.spill = None;
        let _ = fs::remove_file(&self.spill_path);
    }
}

/// The indentation of an item inside the envelope's `items` array.
const ITEM_INDENT: &[u8] = b"    ";

/// Where the items go in a rendered envelope whose `items` is empty: keys are sorted and
/// strings escaped, so this text occurs once, at the top level.
const ITEMS_SLOT: &[u8] = b"\n  \"items\": []";

impl ItemSink {
    fn create(dir: &Path, artifact: Artifact) -> Result<Self, WriteError> {
        let spill_path = dir.join(format!(".{}.spill", artifact.file_name()));
        let file = create_private(&spill_path)?;
        Ok(Self {
            artifact,
            dir: dir.to_owned(),
            spill_path,
            spill: Some(BufWriter::with_capacity(64 * 1024, file)),
            index: Vec::new(),
            offset: 0,
            redactor: Redactor::new(artifact),
            error: None,
            observer: None,
        })
    }

    /// Calls `observer` with the item count as items arrive (every few items).
    pub fn observe(&mut self, observer: impl Fn(usize) + Send + Sync + 'static) {
        self.observer = Some(Box::new(observer));
    }

    /// Items pushed so far.
    pub fn count(&self) -> usize {
        self.index.len()
    }

    /// Redacts `item` and stores it; it is dropped from memory on return.
    pub fn push(&mut self, mut item: Value) {
        if self.error.is_some() {
            return;
        }
        self.redactor.item(&mut item);
        let key = item
            .get(self.artifact.key())
            .and_then(Value::as_str)
            .map(Box::from);
        let text = compact(&item);
        drop(item);
        let Some(spill) = self.spill.as_mut() else {
            return;
        };
        if let Err(e) = spill.write_all(&text) {
            self.error = Some(failed(&self.spill_path)(e));
            return;
        }
        self.index.push(Spilled {
            key,
            offset: self.offset,
            len: text.len() as u64,
        });
        self.offset += text.len() as u64;
        if let Some(observer) = &self.observer
            && self.index.len() % 8 == 1
        {
            observer(self.index.len());
        }
    }

    /// Writes the artifact: `envelope` is its envelope with an empty `items` (its `count` is
    /// set here), the items go in sorted. Returns the file written and what was redacted.
    pub fn finish(mut self, mut envelope: Value) -> Result<(Digest, Vec<Redaction>), WriteError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let spill = self.spill.take().expect("a sink is finished once");
        spill
            .into_inner()
            .map_err(|e| failed(&self.spill_path)(e.into_error()))?;
        let mut index = std::mem::take(&mut self.index);
        let mut reader = SpillReader::open(&self.spill_path).map_err(failed(&self.spill_path))?;
        sort_spilled(&mut index, &mut reader).map_err(failed(&self.spill_path))?;
        if let Some(obj) = envelope.as_object_mut() {
            obj.insert("count".into(), Value::from(index.len()));
            obj.insert("items".into(), Value::Array(Vec::new()));
        }
        let rendered = render(&envelope);
        let slot = rendered
            .windows(ITEMS_SLOT.len())
            .position(|w| w == ITEMS_SLOT)
            .expect("an envelope has items")
            + ITEMS_SLOT.len()
            - 1;
        let (head, tail) = rendered.split_at(slot);
        let written = write_streamed(&self.dir, self.artifact.file_name(), |out| {
            out.write_all(head)?;
            for (n, entry) in index.iter().enumerate() {
                let item: Value = serde_json::from_slice(reader.read(entry)?)?;
                out.write_all(if n == 0 { b"\n" } else { b",\n" })?;
                out.write_all(&indented(&item))?;
            }
            if !index.is_empty() {
                out.write_all(b"\n  ")?;
            }
            out.write_all(tail)
        })?;
        let redactions = std::mem::replace(&mut self.redactor, Redactor::new(self.artifact));
        Ok((written, redactions.finish()))
    }
}

impl Sink for ItemSink {
    fn push(&mut self, item: Value) {
        ItemSink::push(self, item);
    }

    fn count(&self) -> usize {
        ItemSink::count(self)
    }
}

/// Reads items back from a spill file.
struct SpillReader {
    file: io::BufReader<fs::File>,
    buf: Vec<u8>,
}

impl SpillReader {
    fn open(path: &Path) -> io::Result<Self> {
        Ok(Self {
            file: io::BufReader::with_capacity(64 * 1024, fs::File::open(path)?),
            buf: Vec::new(),
        })
    }

    /// The compact text of one spilled item.
    fn read(&mut self, entry: &Spilled) -> io::Result<&[u8]> {
        io::Seek::seek(&mut self.file, io::SeekFrom::Start(entry.offset))?;
        let len = usize::try_from(entry.len).map_err(io::Error::other)?;
        self.buf.resize(len, 0);
        io::Read::read_exact(&mut self.file, &mut self.buf)?;
        Ok(&self.buf)
    }
}

/// Sorts spilled items by key, then by compact text. Only items that share a key are read back
/// to be compared, a run of them at a time.
fn sort_spilled(index: &mut [Spilled], reader: &mut SpillReader) -> io::Result<()> {
    index.sort_by(|a, b| a.key.cmp(&b.key));
    let mut start = 0;
    while start < index.len() {
        let end = start
            + index[start..]
                .iter()
                .take_while(|e| e.key == index[start].key)
                .count();
        if end - start > 1 {
            let run = &mut index[start..end];
            let mut texts = Vec::with_capacity(run.len());
            for entry in run.iter() {
                texts.push(reader.read(entry)?.to_vec());
            }
            let mut order: Vec<usize> = (0..run.len()).collect();
            order.sort_by(|&a, &b| texts[a].cmp(&texts[b]));
            let places: Vec<(u64, u64)> =
                order.iter().map(|&i| (run[i].offset, run[i].len)).collect();
            for (entry, (offset, len)) in run.iter_mut().zip(places) {
                entry.offset = offset;
                entry.len = len;
            }
        }
        start = end;
    }
    Ok(())
}

/// An item's compact canonical text: keys sorted at every level, no spaces.
fn compact(item: &Value) -> Vec<u8> {
    serde_json::to_vec(&super::sorted(item)).expect("a JSON value always serializes")
}

/// An item rendered as it appears inside the envelope: canonical, pretty, indented.
fn indented(item: &Value) -> Vec<u8> {
    let rendered = render(item);
    let body = rendered.strip_suffix(b"\n").unwrap_or(&rendered);
    let mut out = Vec::with_capacity(body.len() + body.len() / 8);
    out.extend_from_slice(ITEM_INDENT);
    for line in body.split(|&b| b == b'\n').enumerate() {
        let (n, line) = line;
        if n > 0 {
            out.push(b'\n');
            out.extend_from_slice(ITEM_INDENT);
        }
        out.extend_from_slice(line);
    }
    out
}

#[cfg(test)]
mod tests;
