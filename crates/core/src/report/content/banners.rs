//! The warnings above the report: a bundle that does not verify, a signature that does not
//! hold, a run that was partial or did not complete.

use super::{Banner, Tone};
use crate::report::model::{Check, Model, Signature};

/// Most verification problems listed in the banner.
const MAX_PROBLEMS_SHOWN: usize = 50;

pub(super) fn banners(model: &Model) -> Vec<Banner> {
    let mut banners = Vec::new();
    if let Check::Problems(problems) = &model.check {
        let mut lines: Vec<String> = problems.iter().take(MAX_PROBLEMS_SHOWN).cloned().collect();
        if problems.len() > MAX_PROBLEMS_SHOWN {
            lines.push(format!(
                "... and {} more (iru-fivetran verify lists them all)",
                problems.len() - MAX_PROBLEMS_SHOWN
            ));
        }
        banners.push(Banner {
            tone: Tone::Bad,
            headline: format!(
                "This bundle does not verify: {} problem(s).",
                problems.len()
            ),
            lines,
            advice: "What follows was read from files that are not what the manifest says was \
                     collected, so it is not evidence. Restore the bundle from an untouched copy, \
                     or collect a new one, and render the report again."
                .into(),
        });
    }
    if let Signature::Fails(why) = &model.signature {
        banners.push(Banner {
            tone: Tone::Bad,
            headline: "The manifest's signature does not hold.".into(),
            lines: vec![why.clone()],
            advice: "The bundle may not come from the key's holder. Check that --public-key is \
                     the signer's key, received by a channel other than the bundle."
                .into(),
        });
    }
    if let Some(scope @ ("narrow" | "unknown")) = model.header.key_scope.as_deref() {
        banners.push(Banner {
            tone: Tone::Warn,
            headline: if scope == "narrow" {
                "The key that collected this bundle may not see the whole account.".into()
            } else {
                "What the key that collected this bundle may see is unknown.".into()
            },
            lines: model.header.key_access.iter().cloned().collect(),
            advice: "Fivetran answers each list with what the key may see, without saying that \
                     anything was left out. Collect with an Account Administrator's or Account \
                     Reviewer's key, or a system key with READ on every resource type and no \
                     resource filter, for evidence of the whole account."
                .into(),
        });
    }
    match model.header.run_status.as_deref() {
        Some("complete") => {}
        Some("partial") => banners.push(Banner {
            tone: Tone::Warn,
            headline: "This run was partial.".into(),
            lines: Vec::new(),
            advice: "Some artifacts are incomplete; the table \"Files of the bundle\" at the end \
                     says which and why. Tables built from them do not cover the whole account."
                .into(),
        }),
        status => banners.push(Banner {
            tone: Tone::Bad,
            headline: format!("This run's status is {}.", status.unwrap_or("unknown")),
            lines: vec![
                model
                    .header
                    .run_error
                    .clone()
                    .unwrap_or_else(|| "The manifest gives no reason.".into()),
            ],
            advice: "A failed run's bundle holds only what was collected before the failure."
                .into(),
        }),
    }
    banners
}
