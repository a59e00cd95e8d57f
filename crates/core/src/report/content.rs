//! What the report says, in order, independent of the format: both renderers
//! ([`super::html`], [`super::markdown`]) walk the same [`Document`], so the HTML and the
//! Markdown always carry the same content. Strings here are plain text, the bundle's untrusted
//! values among them; escaping is the renderers' job.

use super::model::{
    AccessRow, Chart, Check, ConnectionRow, DestinationRow, Finding, Model, Part, Rows, Signature,
    State, UserRow,
};

/// How a notice looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// The evidence cannot be relied on.
    Bad,
    /// Part of the evidence is missing or incomplete.
    Warn,
}

/// One table cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Ordinary text.
    Text(String),
    /// Identifiers and hashes (monospace).
    Code(String),
    /// A count, right-aligned.
    Count(u64),
    /// `pass`, `fail` or `n/a`, shown as a badge.
    Status(String),
}

/// A table: static headers, rows of cells, and a note on rows left out.
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
    /// `Some(text)` when rows were left out (`--max-rows`).
    pub more: Option<String>,
}

/// One block of a section.
#[derive(Debug, Clone)]
pub enum Block {
    /// A third-level heading.
    Heading(String),
    Para(String),
    Note(Tone, String),
    /// Label and value pairs.
    Facts(Vec<(&'static str, String)>),
    List(Vec<String>),
    Table(Table),
    /// A chart and its static id.
    Chart(Chart, &'static str),
}

/// A top-level section.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub blocks: Vec<Block>,
}

/// A warning above the report.
#[derive(Debug, Clone)]
pub struct Banner {
    pub tone: Tone,
    pub headline: String,
    /// The problems, one each.
    pub lines: Vec<String>,
    /// What it means and what to do.
    pub advice: String,
}

/// A whole report.
#[derive(Debug, Clone)]
pub struct Document {
    pub title: String,
    pub subtitle: String,
    /// Shown above everything else.
    pub banners: Vec<Banner>,
    pub sections: Vec<Section>,
    pub footer: String,
}

/// Most verification problems listed in the banner.
const MAX_PROBLEMS_SHOWN: usize = 50;

fn or_unknown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "unknown".into())
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn code(s: impl Into<String>) -> Cell {
    Cell::Code(s.into())
}

fn more<T: Ord>(rows: &Rows<T>, files: &str) -> Option<String> {
    (rows.hidden() > 0).then(|| {
        format!(
            "Showing the first {} of {} rows (--max-rows); {files} hold them all.",
            rows.rows.len(),
            rows.total
        )
    })
}

/// The note a part needs, as a block.
fn part_note<T>(part: &Part<T>) -> Option<Block> {
    part.note().map(|note| {
        let tone = match part.state {
            State::Unreadable(_) => Tone::Bad,
            _ => Tone::Warn,
        };
        Block::Note(tone, note)
    })
}

/// Builds the document of a model.
pub fn document(model: &Model) -> Document {
    let h = &model.header;
    let account = match (&h.account_name, &h.account_id) {
        (Some(name), Some(id)) => format!("{name} ({id})"),
        (None, Some(id)) => id.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => "unknown account".into(),
    };
    Document {
        title: format!(
            "Fivetran evidence report: {}",
            h.account_name
                .clone()
                .or_else(|| h.account_id.clone())
                .unwrap_or_else(|| "unknown account".into())
        ),
        subtitle: format!(
            "Account {account}, collected {} (UTC), bundle {}",
            or_unknown(&h.started_at),
            or_unknown(&h.bundle_id)
        ),
        banners: banners(model),
        sections: vec![
            provenance(model, account),
            findings(model),
            access(model),
            inventory(model),
            audit(model),
            changes(model),
            files(model),
        ],
        footer: format!(
            "Rendered by iru-fivetran {} from bundle {} (manifest.json SHA-256 {}). This report is a \
             reading of the bundle: the bundle's files and their hashes are the evidence; check \
             them with `iru-fivetran verify`.",
            env!("CARGO_PKG_VERSION"),
            or_unknown(&h.bundle_id),
            or_unknown(&h.manifest_sha256),
        ),
    }
}

fn banners(model: &Model) -> Vec<Banner> {
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

fn provenance(model: &Model, account: String) -> Section {
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

fn files(model: &Model) -> Section {
    let mut rows: Vec<Vec<Cell>> = model
        .artifacts
        .iter()
        .map(|a| {
            vec![
                code(&a.path),
                text(&a.kind),
                Cell::Status(a.status.clone()),
                a.count.map_or_else(|| text(""), Cell::Count),
                text(a.reason.clone().unwrap_or_default()),
                code(&a.sha256),
            ]
        })
        .collect();
    rows.extend(model.tables.iter().map(|(path, n, sha)| {
        vec![
            code(path),
            text("table (CSV)"),
            text(""),
            n.map_or_else(|| text(""), Cell::Count),
            text(""),
            code(sha),
        ]
    }));
    Section {
        id: "files",
        title: "Files of the bundle",
        blocks: vec![
            Block::Para(
                "Every file the manifest lists, with the hash it was written with. The report \
                 above is read from these files."
                    .into(),
            ),
            Block::Table(Table {
                headers: &[
                    "File",
                    "Kind",
                    "Status",
                    "Items",
                    "Why not complete",
                    "SHA-256",
                ],
                rows,
                more: None,
            }),
        ],
    }
}

fn findings(model: &Model) -> Section {
    let part = &model.findings;
    let mut blocks: Vec<Block> = part_note(part).into_iter().collect();
    let list = &part.data;
    let count = |s: &str| list.iter().filter(|f| f.status == s).count();
    if !list.is_empty() {
        blocks.push(Block::Para(format!(
            "{} checks: {} fail, {} pass, {} n/a (the artifact they read is missing or \
             incomplete). Each states what it proves and what it cannot.",
            list.len(),
            count("fail"),
            count("pass"),
            count("n/a")
        )));
    }
    blocks.push(Block::Table(Table {
        headers: &["Check", "Status", "What is checked", "Subjects"],
        rows: list
            .iter()
            .map(|f| {
                vec![
                    code(&f.id),
                    Cell::Status(f.status.clone()),
                    text(&f.title),
                    Cell::Count(f.count),
                ]
            })
            .collect(),
        more: None,
    }));
    for f in list {
        blocks.extend(finding(f));
    }
    Section {
        id: "findings",
        title: "Findings",
        blocks,
    }
}

fn finding(f: &Finding) -> Vec<Block> {
    let mut blocks = vec![
        Block::Heading(format!("{}: {}", f.id, f.title)),
        Block::Facts(vec![
            ("Status", f.status.clone()),
            ("Proves", f.proves.clone()),
            ("Cannot prove", f.cannot_prove.clone()),
        ]),
    ];
    if !f.subjects.rows.is_empty() {
        blocks.push(Block::Table(Table {
            headers: &["Subject", "Id", "Detail"],
            rows: f
                .subjects
                .rows
                .iter()
                .map(|s| vec![text(&s.label), code(&s.id), text(&s.detail)])
                .collect(),
            more: more(&f.subjects, "findings.json"),
        }));
    }
    blocks
}

fn user_row(u: &UserRow) -> Vec<Cell> {
    vec![
        text(&u.email),
        text(&u.name),
        text(u.role.clone().unwrap_or_else(|| "(none)".into())),
        text(u.state),
        text(u.logged_in_at.clone().unwrap_or_else(|| "never".into())),
        u.login_age_days
            .and_then(|d| u64::try_from(d).ok())
            .map_or_else(|| text(""), Cell::Count),
        Cell::Count(u.groups as u64),
        Cell::Count(u.connections as u64),
        code(&u.id),
    ]
}

fn access_row(a: &AccessRow) -> Vec<Cell> {
    let scope = match a.scope {
        0 => "account",
        1 => "destination",
        2 => "connection",
        _ => a.resource_type.as_str(),
    };
    vec![
        text(scope),
        text(&a.resource),
        text(a.role.clone().unwrap_or_else(|| "(none)".into())),
        text(&a.user),
        text(&a.via),
        text(match a.user_active {
            Some(true) => "active",
            Some(false) => "suspended",
            None => "not in users.json",
        }),
    ]
}

fn access(model: &Model) -> Section {
    let mut blocks = Vec::new();
    let users = &model.users;
    blocks.extend(part_note(users));
    blocks.push(Block::Chart(model.users_by_role.clone(), "users-by-role"));
    blocks.push(Block::Chart(model.login_age.clone(), "login-age"));
    blocks.push(Block::Heading("Users, administrators first".into()));
    blocks.push(Block::Table(Table {
        headers: &[
            "Email",
            "Name",
            "Account role",
            "State",
            "Last login",
            "Days since login",
            "Destinations",
            "Connections",
            "Id",
        ],
        rows: users.data.rows.iter().map(user_row).collect(),
        more: more(&users.data, "users.json and users.csv"),
    }));
    let access = &model.access;
    blocks.push(Block::Heading(
        "Effective access: account roles, then destinations, then connections; \
         administrators first"
            .into(),
    ));
    blocks.extend(part_note(access));
    blocks.push(Block::Para(
        "One row per user, resource and path: a user who holds a role directly and through a \
         team has a row for each. \"team X\" means the role comes with membership of team X."
            .into(),
    ));
    blocks.push(Block::Table(Table {
        headers: &["Scope", "Resource", "Role", "User", "Granted", "User state"],
        rows: access.data.rows.iter().map(access_row).collect(),
        more: more(&access.data, "access.json and access.csv"),
    }));
    Section {
        id: "access",
        title: "Access review",
        blocks,
    }
}

fn destination_row(d: &DestinationRow) -> Vec<Cell> {
    vec![
        text(&d.name),
        text(&d.service),
        text(&d.region),
        text(&d.setup_status),
        Cell::Count(d.connections),
        text(&d.audit),
        code(&d.id),
    ]
}

fn connection_row(c: &ConnectionRow) -> Vec<Cell> {
    vec![
        text(&c.destination),
        text(&c.schema),
        text(&c.service),
        text(&c.state),
        text(&c.sync_state),
        text(&c.frequency),
        text(&c.succeeded_at),
        text(&c.failed_at),
        code(&c.id),
    ]
}

fn inventory(model: &Model) -> Section {
    let mut blocks = Vec::new();
    blocks.push(Block::Chart(
        model.connections_by_state.clone(),
        "connections-by-state",
    ));
    blocks.push(Block::Chart(
        model.connections_by_frequency.clone(),
        "connections-by-frequency",
    ));
    let destinations = &model.destinations;
    blocks.push(Block::Heading("Destinations".into()));
    blocks.extend(part_note(destinations));
    blocks.push(Block::Table(Table {
        headers: &[
            "Destination",
            "Service",
            "Region",
            "Setup",
            "Connections",
            "Audit trail",
            "Id",
        ],
        rows: destinations.data.rows.iter().map(destination_row).collect(),
        more: more(&destinations.data, "destinations.json"),
    }));
    let connections = &model.connections;
    blocks.push(Block::Heading("Connections".into()));
    blocks.extend(part_note(connections));
    blocks.push(Block::Table(Table {
        headers: &[
            "Destination",
            "Schema",
            "Service",
            "State",
            "Sync state",
            "Frequency",
            "Last success",
            "Last failure",
            "Id",
        ],
        rows: connections.data.rows.iter().map(connection_row).collect(),
        more: more(&connections.data, "connections.json and connections.csv"),
    }));
    Section {
        id: "inventory",
        title: "Destinations and connections",
        blocks,
    }
}

fn audit(model: &Model) -> Section {
    let part = &model.audit;
    let mut blocks: Vec<Block> = part_note(part).into_iter().collect();
    if let Some(audit) = &part.data {
        blocks.push(Block::Para(audit.statement.clone()));
        if !audit.verdicts.is_empty() {
            let verdicts = audit
                .verdicts
                .iter()
                .map(|(verdict, n)| format!("{n} {verdict}"))
                .collect::<Vec<_>>()
                .join(", ");
            blocks.push(Block::Facts(vec![("Destinations by verdict", verdicts)]));
        }
        if !audit.account_level.is_empty() {
            blocks.push(Block::Heading("Account-wide exports".into()));
            blocks.push(Block::List(audit.account_level.clone()));
        }
        blocks.push(Block::Heading("Per destination".into()));
        blocks.push(Block::Table(Table {
            headers: &["Destination", "Service", "Audit trail", "Why", "Id"],
            rows: audit
                .rows
                .rows
                .iter()
                .map(|r| {
                    vec![
                        text(&r.name),
                        text(&r.service),
                        text(&r.verdict),
                        text(&r.reason),
                        code(&r.id),
                    ]
                })
                .collect(),
            more: more(&audit.rows, "audit_coverage.json"),
        }));
    }
    if !model.limitations.is_empty() {
        blocks.push(Block::Heading(
            "What the Fivetran API does not offer".into(),
        ));
        blocks.push(Block::List(
            model
                .limitations
                .iter()
                .map(|l| format!("{} Instead: {}", l.statement, l.instead))
                .collect(),
        ));
    }
    Section {
        id: "audit",
        title: "Audit coverage",
        blocks,
    }
}

fn changes(model: &Model) -> Section {
    let part = &model.changes;
    let mut blocks = Vec::new();
    match (&part.state, &part.data) {
        (State::Absent, _) => blocks.push(Block::Para(
            "This run had no baseline (`collect --baseline PREVIOUS_BUNDLE`), so the bundle has \
             no change log. `iru-fivetran diff OLD NEW` compares two bundles after the fact."
                .into(),
        )),
        (_, None) => blocks.extend(part_note(part)),
        (_, Some(changes)) => {
            blocks.extend(part_note(part));
            blocks.push(Block::Facts(vec![
                ("Baseline bundle", changes.baseline_bundle.clone()),
                ("Baseline collected", changes.baseline_started_at.clone()),
                (
                    "Changes",
                    if changes.categories.is_empty() {
                        "none".into()
                    } else {
                        changes
                            .categories
                            .iter()
                            .map(|(c, n)| format!("{n} {c}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                ),
            ]));
            if !changes.rows.rows.is_empty() {
                blocks.push(Block::Table(Table {
                    headers: &[
                        "Category", "Change", "Artifact", "Subject", "Field", "Before", "After",
                        "Note",
                    ],
                    rows: changes
                        .rows
                        .rows
                        .iter()
                        .map(|c| {
                            vec![
                                text(&c.category),
                                code(&c.kind),
                                text(&c.artifact),
                                text(&c.subject),
                                code(&c.field),
                                text(&c.before),
                                text(&c.after),
                                text(&c.note),
                            ]
                        })
                        .collect(),
                    more: more(&changes.rows, "changes.json"),
                }));
            }
        }
    }
    Section {
        id: "changes",
        title: "Changes since the baseline",
        blocks,
    }
}
