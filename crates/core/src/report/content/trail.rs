//! The "Audit trail" section: who did what, read from the Platform Connector's tables: each
//! audit source and destination read, the actions per person, the changes no audit event
//! explains, and the timeline.

use super::{Block, Cell, Section, Table, code, more, part_note, text};
use crate::report::model::{Model, State};

pub(super) fn section(model: &Model) -> Section {
    let part = &model.trail;
    let mut blocks = Vec::new();
    match (&part.state, &part.data) {
        (State::Absent, _) => blocks.push(Block::Para(
            "This bundle has no audit trail: audit_trail was not collected (`--resources`), or \
             the bundle predates it."
                .into(),
        )),
        (_, None) => blocks.extend(part_note(part)),
        (_, Some(trail)) => {
            blocks.extend(part_note(part));
            if !trail.sources.is_empty() {
                blocks.push(Block::Heading("Audit sources".into()));
                blocks.push(Block::List(trail.sources.clone()));
            }
            if !trail.destinations.is_empty() {
                blocks.push(Block::Heading("Destinations".into()));
                blocks.push(Block::List(trail.destinations.clone()));
            }
            blocks.push(Block::Heading("Actions per person".into()));
            if trail.people.rows.is_empty() {
                blocks.push(Block::Para("No user action in the window read.".into()));
            } else {
                blocks.push(Block::Table(Table {
                    headers: &["Person", "User id", "Still an active user", "Actions"],
                    rows: trail
                        .people
                        .rows
                        .iter()
                        .map(|p| {
                            vec![
                                text(&p.person),
                                code(&p.user_id),
                                text(&p.active),
                                Cell::Count(p.rank.0),
                            ]
                        })
                        .collect(),
                    more: more(&trail.people, "audit_trail.json"),
                }));
            }
        }
    }
    if let Some(changes) = &model.changes.data {
        blocks.push(Block::Heading("Changes no audit event explains".into()));
        if changes.unexplained.rows.is_empty() {
            blocks.push(Block::Para(
                "None: every change since the baseline that the audit trail covers has an audit \
                 event on its item (see the change log's \"Who\" column)."
                    .into(),
            ));
        } else {
            blocks.push(Block::Table(Table {
                headers: &["Change", "Artifact", "Subject", "Field", "Before", "After"],
                rows: changes
                    .unexplained
                    .rows
                    .iter()
                    .map(|c| {
                        vec![
                            code(&c.kind),
                            text(&c.artifact),
                            text(&c.subject),
                            code(&c.field),
                            text(&c.before),
                            text(&c.after),
                        ]
                    })
                    .collect(),
                more: more(&changes.unexplained, "changes.json"),
            }));
        }
    }
    if let Some(trail) = &part.data
        && !trail.timeline.rows.is_empty()
    {
        blocks.push(Block::Heading("Timeline".into()));
        blocks.push(Block::Table(Table {
            headers: &["When (UTC)", "Who", "Action", "On", "How", "Id"],
            rows: trail
                .timeline
                .rows
                .iter()
                .map(|a| {
                    vec![
                        code(&a.at),
                        text(&a.actor),
                        code(&a.action),
                        text(&a.resource),
                        text(&a.method),
                        code(&a.id),
                    ]
                })
                .collect(),
            more: more(&trail.timeline, "audit_trail.json"),
        }));
    }
    Section {
        id: "trail",
        title: "Audit trail",
        blocks,
    }
}
