//! The "Access review" section: the user charts, the users table (administrators first) and
//! the effective-access table, one row per user, resource and path.

use super::{Block, Cell, Section, Table, code, more, part_note, text};
use crate::report::model::{AccessRow, Model, UserRow};

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

pub(super) fn section(model: &Model) -> Section {
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
