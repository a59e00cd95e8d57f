//! The "Trust, code and secrets" section: the certificates and SSH host keys someone approved,
//! the transformations and the dbt projects behind them, the secrets managers and the connector
//! SDK packages, each with what it shows, what it cannot, its counts and its rows.

use super::{Block, Cell, Section, Table, more, part_note};
use crate::report::model::{Listing, Model, Part, State};

/// One listing's words: its heading, what it shows and cannot, its columns.
struct Words {
    heading: &'static str,
    shows: &'static str,
    cannot: &'static str,
    headers: &'static [&'static str],
}

const CERTIFICATES: Words = Words {
    heading: "Approved TLS certificates",
    shows: "Shows each TLS certificate someone approved for a connection or a destination \
            (certificates.json): the host it was presented for, its SHA-256, who approved it and \
            when. An approval is Fivetran trusting that certificate instead of a public \
            authority, so each row is a decision about encryption in transit to review.",
    cannot: "Cannot show whether the host still presents that certificate, or approvals held \
             by parents that were not asked: only connections and destinations whose \
             configuration names a host or an SSH tunnel are asked (the counts below).",
    headers: &["Parent", "Host", "SHA-256", "Approved by", "Approved at"],
};

const FINGERPRINTS: Words = Words {
    heading: "Approved SSH host keys",
    shows: "Shows each SSH host key someone approved for a tunnel or an SFTP source \
            (fingerprints.json): its fingerprint, who approved it and when.",
    cannot: "Cannot show whether the host still presents that key, or keys of parents that \
             were not asked (those without an SSH tunnel or SFTP host in their configuration).",
    headers: &["Parent", "Fingerprint", "Approved by", "Approved at"],
};

const TRANSFORMATIONS: Words = Words {
    heading: "Transformations",
    shows: "Shows the jobs that change data in the warehouse (transformations.json): what each \
            runs (its dbt commands, or the Quickstart package), whether it is paused, what \
            schedules it (after which connections) and who created it.",
    cannot: "Cannot show the SQL the commands run, the runs' results beyond the last status, or \
             who changed a transformation after creating it.",
    headers: &[
        "Name",
        "Type",
        "Paused",
        "Schedule",
        "Runs",
        "Created by",
        "Id",
    ],
};

const PROJECTS: Words = Words {
    heading: "dbt projects in production",
    shows: "Shows, for each dbt project (transformation_projects.json), which Git repository, \
            branch and folder run in production, the dbt version, the destination group, its \
            status and who created it: what a change to the warehouse's models must go through.",
    cannot: "Cannot show what the branch holds, who may push to it, or the values of its \
             environment variables (redacted in the bundle; their names are kept).",
    headers: &[
        "Repository",
        "Branch",
        "Folder",
        "dbt",
        "Group",
        "Status",
        "Created by",
        "Id",
    ],
};

const MANAGERS: Words = Words {
    heading: "Secrets managers",
    shows: "Shows where pipeline credentials are kept outside Fivetran (secrets_managers.json): \
            each external secrets manager's name, type, whether it is reached through Hybrid \
            Deployment, and when it was created and last changed. Connections and destinations \
            name theirs in external_secrets_manager_id; one named but not listed is \
            FT-SECRET-001.",
    cannot: "Cannot show which secrets a manager holds or who can read them there; its \
             configuration's secret values are redacted in the bundle.",
    headers: &[
        "Name",
        "Type",
        "Hybrid Deployment",
        "Created",
        "Updated",
        "Id",
    ],
};

const PACKAGES: Words = Words {
    heading: "Connector SDK packages",
    shows: "Shows the custom connector code running in pipelines (connector_sdk_packages.json): \
            each package's connection, the SHA-256 of its file, who last updated it and when, \
            and who created it. The hash is what to match to a reviewed commit; packages changed \
            in the collection window are FT-CODE-001.",
    cannot: "Cannot show the code itself, whether it was reviewed, or updates before the last \
             one (compare hashes across bundles: changes.json).",
    headers: &[
        "Package",
        "Connection",
        "File SHA-256",
        "Last updated by",
        "Updated",
        "Created by",
        "Created",
    ],
};

fn listing(words: &Words, part: &Part<Listing>, file: &str) -> Vec<Block> {
    let mut blocks = vec![
        Block::Heading(words.heading.into()),
        Block::Para(format!("{} {}", words.shows, words.cannot)),
    ];
    blocks.extend(part_note(part));
    if matches!(part.state, State::Read { .. }) {
        blocks.push(Block::Facts(part.data.facts.clone()));
        blocks.push(Block::Table(Table {
            headers: words.headers,
            rows: part
                .data
                .rows
                .rows
                .iter()
                .map(|row| {
                    row.cells
                        .iter()
                        .map(|(text, code)| {
                            if *code {
                                Cell::Code(text.clone())
                            } else {
                                Cell::Text(text.clone())
                            }
                        })
                        .collect()
                })
                .collect(),
            more: more(&part.data.rows, file),
        }));
    }
    blocks
}

pub(super) fn section(model: &Model) -> Section {
    let c = &model.code;
    let mut blocks = vec![Block::Para(
        "What Fivetran was told to trust, the code that runs in pipelines and the warehouse, and \
         where credentials are kept. People are shown by email where users.json lists them, \
         else by the id Fivetran recorded (someone removed since, or never a user)."
            .into(),
    )];
    for (words, part) in [
        (&CERTIFICATES, &c.certificates),
        (&FINGERPRINTS, &c.fingerprints),
        (&TRANSFORMATIONS, &c.transformations),
        (&PROJECTS, &c.projects),
        (&MANAGERS, &c.managers),
        (&PACKAGES, &c.packages),
    ] {
        let file = part.file.clone();
        blocks.extend(listing(words, part, &file));
    }
    Section {
        id: "code",
        title: "Trust, code and secrets",
        blocks,
    }
}
