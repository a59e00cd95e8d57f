//! `access.json`: the effective-access table, one row per user, resource and path, resources
//! named after their groups or connections and team grants after their teams.

use super::Reader;
use crate::report::model::{AccessRow, Part, Rows, flag, role_rank, text};

pub(super) fn read_access(
    reader: &Reader,
    group_label: &dyn Fn(&str) -> String,
    max_rows: usize,
) -> Part<Rows<AccessRow>> {
    let mut rows = Rows::new(max_rows);
    let (file, state, _) = reader.read("access", |a| {
        let resource_type = text(&a, "/resource_type").unwrap_or_default();
        let (scope, resource) = match resource_type.as_str() {
            "account" => (0, "account".to_owned()),
            "group" => {
                let id = text(&a, "/resource_id").unwrap_or_default();
                (
                    1,
                    text(&a, "/resource_name").unwrap_or_else(|| group_label(&id)),
                )
            }
            "connection" => (
                2,
                text(&a, "/resource_name")
                    .or_else(|| text(&a, "/resource_id"))
                    .unwrap_or_default(),
            ),
            _ => (3, text(&a, "/resource_id").unwrap_or_default()),
        };
        let via = match text(&a, "/via").as_deref() {
            Some("team") => format!(
                "team {}",
                text(&a, "/team_name")
                    .or_else(|| text(&a, "/team_id"))
                    .unwrap_or_default()
            ),
            Some(other) => other.to_owned(),
            None => String::new(),
        };
        let role = text(&a, "/role");
        rows.push(AccessRow {
            scope,
            rank: role_rank(role.as_deref()),
            role,
            resource_type,
            resource,
            user: text(&a, "/user_email")
                .or_else(|| text(&a, "/user_id"))
                .unwrap_or_default(),
            user_id: text(&a, "/user_id").unwrap_or_default(),
            via,
            user_active: flag(&a, "user_active"),
        });
    });
    rows.trim();
    Part {
        file,
        state,
        data: rows,
    }
}
