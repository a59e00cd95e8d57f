//! The spill-to-disk writer of one artifact: items arrive in any order, are redacted and kept
//! on disk, and come out sorted in the bundle's canonical form.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::evidence::redact::{Redaction, Redactor};
use crate::evidence::{render, sorted};
use crate::files::{self, Digest, WriteError, create_private, failed};
use crate::vocab::{Artifact, Sink};

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
    pub(super) fn create(dir: &Path, artifact: Artifact) -> Result<Self, WriteError> {
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
        let written = files::write_private(&self.dir.join(self.artifact.file_name()), |out| {
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
    serde_json::to_vec(&sorted(item)).expect("a JSON value always serializes")
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
