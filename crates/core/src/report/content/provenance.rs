//! The first section, "Account and provenance": which account, when, with which API key, and
//! whether the bundle verifies and its signature holds.

use super::{Block, Section, or_unknown};
use crate::report::model::{Check, Model, Signature};

pub(super) fn section(model: &Model, account: String) -> Section {
    let h = &model.header;
    let key = match (&h.key_id, &h.key_kind, &h.key_owner) {
        (Some(id), Some(kind), Some(owner)) => format!("{id} ({kind} key of {owner})"),
        (Some(id), Some(kind), None) => format!("{id} ({kind} key)"),
        (Some(id), None, _) => id.clone(),
        _ => "unknown".into(),
    };
    let verification = match &model.check {
        Check::Verified(files) => format!(
            "verified: {files} files match SHA256SUMS and the manifest's hashes, sizes and \
             envelopes"
        ),
        Check::Problems(p) => format!("DOES NOT VERIFY: {} problem(s), listed above", p.len()),
    };
    let signature = match &model.signature {
        Signature::Unsigned => "not signed (collect --sign-key signs the manifest)".into(),
        Signature::NotChecked => {
            "signed (manifest.json.sig), not checked: pass --public-key to check it".into()
        }
        Signature::Holds(by) => format!("holds: manifest.json is signed by {by}"),
        Signature::Fails(why) => format!("DOES NOT HOLD: {why}"),
    };
    let mut facts = vec![
        ("Account", account),
        (
            "Collected",
            format!(
                "{} to {} (UTC)",
                or_unknown(&h.started_at),
                or_unknown(&h.finished_at)
            ),
        ),
        ("API key", key),
        (
            "Key's access",
            match (&h.key_scope, &h.key_access) {
                (Some(scope), Some(words)) => format!("{scope}: {words}"),
                _ => "not recorded (a bundle from before the key's access was read)".into(),
            },
        ),
        ("Bundle", or_unknown(&h.bundle_id)),
        ("Bundle directory", h.bundle_dir.clone()),
        ("manifest.json SHA-256", or_unknown(&h.manifest_sha256)),
        ("Verification", verification),
        ("Signature", signature),
        ("Run status", or_unknown(&h.run_status)),
        ("Written by", or_unknown(&h.written_by)),
    ];
    if !h.options.is_empty() {
        let options = h
            .options
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        facts.push(("Options", options));
    }
    Section {
        id: "provenance",
        title: "Account and provenance",
        blocks: vec![Block::Facts(facts)],
    }
}
