//! The manifest of a run, from what it wrote and what its client counted.

use jiff::Timestamp;
use tracing::info;

use iru_fivetran_core::client::{self, StatsSnapshot};
use iru_fivetran_core::controls;
use iru_fivetran_core::derive::findings::CHECK_IDS;
use iru_fivetran_core::evidence::bundle::Bundle;
use iru_fivetran_core::evidence::manifest::{
    self, ArtifactEntry, EndpointEntry, Manifest, Requests, TableEntry, Tool,
};
use iru_fivetran_core::evidence::{csv, render};
use iru_fivetran_core::files::WriteError;
use iru_fivetran_core::vocab::{Artifact, Kind, RunStatus, Status, rfc3339};

use super::run::Run;

impl Run<'_> {
    /// Complete when every artifact is whole; failed when no collected artifact could be read
    /// at all (each failed or forbidden; one that does not exist here, `unavailable`, such as
    /// an audit trail without an audit source, was not read either); partial otherwise.
    pub(super) fn status(&self) -> RunStatus {
        let unreadable =
            |e: &&ArtifactEntry| matches!(e.status, Status::Failed | Status::Forbidden);
        let collected: Vec<&ArtifactEntry> = self
            .entries
            .iter()
            .filter(|e| e.kind == Kind::Collected && e.status != Status::Unavailable)
            .collect();
        if self.entries.iter().all(|e| e.status.is_whole()) {
            RunStatus::Complete
        } else if collected.iter().all(unreadable) {
            RunStatus::Failed
        } else {
            RunStatus::Partial
        }
    }

    /// The manifest of this run, for the bundle named `bundle_id`.
    pub(super) fn manifest(
        &self,
        bundle_id: &str,
        stats: &StatsSnapshot,
        status: RunStatus,
        error: Option<String>,
    ) -> Manifest {
        Manifest {
            schema: manifest::SCHEMA,
            tool: Tool::current(),
            bundle_id: bundle_id.to_owned(),
            account: self.account.clone(),
            started_at: rfc3339(self.started),
            finished_at: rfc3339(Timestamp::now()),
            options: manifest::Options {
                resources: self.resource_names(),
                skip: self.config.skip.iter().map(|a| a.name()).collect(),
                since: rfc3339(self.config.window.start),
                inactive_days: self.config.inactive_days,
                stale_days: self.config.stale_days,
                max_admins: self.config.max_admins,
                api_url: self.config.api_url.to_string(),
                rate: self.config.rate,
                max_wait_secs: self.config.max_wait.as_secs(),
                max_time_secs: self.config.max_time.as_secs(),
                concurrency: self.config.concurrency,
                reserve: match self.config.reserve {
                    client::quota::Reserve::Requests(n) => n.to_string(),
                    client::quota::Reserve::Percent(p) => format!("{p}%"),
                },
                on_quota: match self.config.on_quota {
                    client::quota::OnQuota::Slow => "slow",
                    client::quota::OnQuota::Stop => "stop",
                },
                profile: self
                    .config
                    .credentials
                    .profile()
                    .map(|p| p.as_str().to_owned()),
            },
            status,
            error,
            requests: Requests::from(stats),
            artifacts: self.entries.clone(),
            tables: self.tables.clone(),
            endpoints: EndpointEntry::from_stats(stats),
            audit_trail: self.audit.clone(),
            not_available_from_api: manifest::limitations(),
            controls: controls::map(
                &self
                    .entries
                    .iter()
                    .filter_map(|e| Artifact::from_name(e.resource))
                    .collect::<Vec<_>>(),
                &CHECK_IDS,
            ),
        }
    }
}

/// Writes each CSV export whose artifact is in the bundle, and records it for the manifest.
pub(super) fn write_tables(
    bundle: &mut Bundle,
    tables: &mut Vec<TableEntry>,
) -> Result<(), WriteError> {
    for table in &csv::TABLES {
        if let Some((written, rows)) = bundle.write_table(table)? {
            // Shown in the end-of-run table; a line of its own only in plain logs.
            if crate::progress::drawn() {
                tracing::debug!("{}: {rows} row(s)", table.name);
            } else {
                info!("{}: {rows} row(s)", table.name);
            }
            tables.push(TableEntry {
                path: table.name,
                kind: Kind::Derived,
                from: table.from.name(),
                sha256: written.sha256,
                bytes: written.bytes,
                rows,
            });
        }
    }
    Ok(())
}

/// The manifest's canonical bytes.
pub(super) fn render_json(manifest: &Manifest) -> Vec<u8> {
    render(&serde_json::to_value(manifest).expect("the manifest always serializes"))
}
