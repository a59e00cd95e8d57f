//! The "Destinations and connections" section: the connection charts, then the destinations
//! and connections tables.

use super::{Block, Cell, Section, Table, code, more, part_note, text};
use crate::report::model::{ConnectionRow, DestinationRow, Model};

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

pub(super) fn section(model: &Model) -> Section {
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
