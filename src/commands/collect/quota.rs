//! What the run says about Fivetran's hourly quota before it starts in earnest.

use tracing::{info, warn};

use iru_fivetran_core::client::{self, Client};
use iru_fivetran_core::evidence::bundle;
use iru_fivetran_core::evidence::manifest;
use iru_fivetran_core::files;

use crate::config::Config;

/// Says, before the run starts in earnest, how much of the hourly quota is left, the reserve
/// kept for other tools, and how many requests the run will need: as many as the previous run
/// of the same account under `--out` made, the best estimate there is before the lists are read.
pub(super) fn announce(client: &Client, config: &Config, account_id: Option<&str>) {
    let stats = client.stats().snapshot();
    let reserve = client.reserve_requests();
    let left = stats.lowest_remaining.map_or_else(
        || "not reported".to_owned(),
        |r| {
            format!(
                "{r} of {}",
                stats.quota.unwrap_or(client::quota::ASSUMED_QUOTA)
            )
        },
    );
    let estimate = previous_run_requests(&config.out_dir, account_id).map_or_else(
        || "no earlier bundle of this account here to estimate the run's requests from".to_owned(),
        |(bundle, n)| format!("the last run ({bundle}) needed {n} requests"),
    );
    info!("hourly quota left: {left}; reserve kept for other tools: {reserve}; {estimate}");
    if let (Some(left), Some((_, needed))) = (
        stats.lowest_remaining,
        previous_run_requests(&config.out_dir, account_id),
    ) && needed > left.saturating_sub(reserve)
    {
        warn!(
            "this run may need more requests ({needed}) than the quota holds above the reserve ({}): it will {}",
            left.saturating_sub(reserve),
            match config.on_quota {
                client::quota::OnQuota::Slow => "slow down at the reserve",
                client::quota::OnQuota::Stop => "stop the remaining artifacts at the reserve",
            }
        );
    }
}

/// The newest earlier bundle of the account under `out_dir` and its `requests.total`, read
/// without verification (an estimate only). Looks at 10,000 entries at most.
fn previous_run_requests(
    out_dir: &std::path::Path,
    account_id: Option<&str>,
) -> Option<(String, u64)> {
    let newest = bundle::earlier(out_dir, account_id, 10_000)
        .into_iter()
        .next()?
        .name;
    let path = out_dir.join(&newest).join(manifest::FILE_NAME);
    let bytes = files::read_bounded(&path, 16 * 1024 * 1024).ok()?;
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let total = manifest.pointer("/requests/total")?.as_u64()?;
    Some((newest, total))
}
