//! How complete an artifact and a run are, an artifact's items, and the sync-history window.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How complete an artifact is.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Everything the key can see was read.
    #[default]
    Complete,
    /// Some of it was read; `reason` says what is missing.
    Partial,
    /// Fivetran answered 403 for the list: the key may not read it.
    Forbidden,
    /// Nothing could be read.
    Failed,
    /// The evidence does not exist here, which is not a failure: Fivetran does not offer the
    /// endpoint to this account, or there is no earlier bundle to compare with. `reason` says
    /// which.
    Unavailable,
}

impl Status {
    /// The status as it is written in the bundle.
    pub fn name(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Partial => "partial",
            Status::Forbidden => "forbidden",
            Status::Failed => "failed",
            Status::Unavailable => "unavailable",
        }
    }

    /// Whether the artifact holds all there is to hold (complete, or nothing exists).
    pub fn is_whole(self) -> bool {
        matches!(self, Status::Complete | Status::Unavailable)
    }
}

/// One artifact's items and how complete they are.
#[derive(Debug, Default)]
pub struct Collected {
    /// The items, as Fivetran returned them plus the documented additions.
    pub items: Vec<Value>,
    /// Completeness.
    pub status: Status,
    /// Why it is not complete.
    pub reason: Option<String>,
    /// Fields of this artifact's envelope beyond the common ones (e.g. `window` of
    /// `sync_history`, `baseline` of `changes`).
    pub extra: Map<String, Value>,
}

/// A time window, start inclusive, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
}

/// How the run as a whole ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every artifact whole: complete, or unavailable (exit 0).
    Complete,
    /// At least one artifact partial, forbidden or failed (exit 3).
    Partial,
    /// The run could not finish (exit 1); the bundle directory is named `*.failed`.
    Failed,
}
