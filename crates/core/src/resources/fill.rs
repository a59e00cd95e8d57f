//! The bound on one artifact: no more items than [`Capacity::items`], and no more bytes in its
//! file than `verify` accepts ([`crate::files::MAX_FILE_BYTES`], less room for the envelope).
//! Each item is measured as it will be written (redacted, pretty, indented) before it goes to
//! the artifact's sink; the first that would not fit fills the artifact, and its producer stops
//! reading. The artifact is then `partial`, with the reason.

use serde_json::Value;

use crate::evidence::redact::written_len;
use crate::files::MAX_FILE_BYTES;
use crate::paginate::MAX_ARTIFACT_ITEMS;
use crate::vocab::{Artifact, Sink};

/// Room kept in an artifact's file for its envelope: the common fields, and a reason quoting
/// a few failed requests (each path holding an id of up to some thousands of characters).
pub const ENVELOPE_ROOM: u64 = 1024 * 1024;

/// The most one artifact may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Items at most.
    pub items: usize,
    /// Bytes of the items in the artifact's file at most.
    pub bytes: u64,
}

impl Capacity {
    /// What one artifact may hold in a run: what `verify` accepts.
    pub const ARTIFACT: Capacity = Capacity {
        items: MAX_ARTIFACT_ITEMS,
        bytes: MAX_FILE_BYTES - ENVELOPE_ROOM,
    };
}

/// An artifact's sink, bounded to a [`Capacity`].
pub struct Filler<'s> {
    sink: &'s mut dyn Sink,
    artifact: Artifact,
    capacity: Capacity,
    bytes: u64,
    full: Option<String>,
}

impl<'s> Filler<'s> {
    /// Bounds `sink`, the sink of `artifact`, to `capacity`.
    pub fn new(sink: &'s mut dyn Sink, artifact: Artifact, capacity: Capacity) -> Self {
        Self {
            sink,
            artifact,
            capacity,
            bytes: 0,
            full: None,
        }
    }
}

impl Sink for Filler<'_> {
    fn push(&mut self, item: Value) {
        if self.full.is_some() {
            return;
        }
        let count = self.sink.count();
        let len = written_len(self.artifact, &item);
        if count >= self.capacity.items {
            self.full = Some(format!(
                "stopped after {count} items, the most one artifact may hold; the items read are kept"
            ));
        } else if self.bytes.saturating_add(len) > self.capacity.bytes {
            self.full = Some(format!(
                "stopped after {count} items ({} bytes): the next would take {} past {} bytes, the most of one file that `verify` accepts; the items read are kept",
                self.bytes,
                self.artifact.file_name(),
                self.capacity.bytes
            ));
        } else {
            self.bytes += len;
            self.sink.push(item);
        }
    }

    fn count(&self) -> usize {
        self.sink.count()
    }

    fn full(&self) -> Option<&str> {
        self.full.as_deref().or_else(|| self.sink.full())
    }
}
