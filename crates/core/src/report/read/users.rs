//! `users.json`: the users table, the charts of users by role and by time since last login,
//! and the email of the API key's owner when the key is a user's.

use jiff::Timestamp;

use super::Reader;
use crate::report::model::{
    Chart, Header, Part, Rows, Tally, UserRow, flag, list, role_rank, text,
};

/// Login-age buckets: `(label, upper bound in days)`.
const AGE_BUCKETS: [(&str, i64); 6] = [
    ("0-7 days", 7),
    ("8-30 days", 30),
    ("31-90 days", 90),
    ("91-180 days", 180),
    ("181-365 days", 365),
    ("over 365 days", i64::MAX),
];
const NEVER: usize = AGE_BUCKETS.len();

type UsersRead = (Part<Rows<UserRow>>, Chart, Chart, Option<String>);

pub(super) fn read_users(
    reader: &Reader,
    now: Option<Timestamp>,
    header: &Header,
    max_rows: usize,
) -> UsersRead {
    let mut rows = Rows::new(max_rows);
    let mut roles: Tally<(u8, Option<String>)> = Tally::default();
    let mut ages: Tally<usize> = Tally::default();
    let mut key_owner = None;
    let owner_id = (header.key_kind.as_deref() == Some("user"))
        .then_some(header.key_id.as_deref())
        .flatten();
    let (file, state, _) = reader.read("users", |u| {
        let id = text(&u, "/id").unwrap_or_default();
        let email = text(&u, "/email").unwrap_or_default();
        if owner_id == Some(id.as_str()) {
            key_owner = Some(email.clone());
        }
        let role = text(&u, "/role");
        let logged_in_at = text(&u, "/logged_in_at");
        let age = match (now, logged_in_at.as_deref().map(str::parse::<Timestamp>)) {
            (Some(now), Some(Ok(at))) => Some(now.duration_since(at).as_secs().div_euclid(86_400)),
            _ => None,
        };
        match (&logged_in_at, age) {
            (None, _) => ages.add(NEVER),
            (Some(_), Some(days)) => ages.add(
                AGE_BUCKETS
                    .iter()
                    .position(|(_, max)| days <= *max)
                    .unwrap_or(NEVER - 1),
            ),
            // A login time that does not parse is not counted as any age.
            (Some(_), None) => {}
        }
        let name = [text(&u, "/given_name"), text(&u, "/family_name")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let state = if flag(&u, "active") == Some(false) {
            "suspended"
        } else if flag(&u, "invited") == Some(true) {
            "invited"
        } else {
            "active"
        };
        let rank = role_rank(role.as_deref());
        roles.add((rank, role.clone()));
        rows.push(UserRow {
            rank,
            role,
            email,
            id,
            name,
            state,
            logged_in_at,
            login_age_days: age,
            groups: list(&u, "group_memberships").len(),
            connections: list(&u, "connection_memberships").len(),
        });
    });
    rows.trim();
    let by_role = roles.chart(
        "Users by their own account role (team-granted roles are in the access table)".into(),
        |(_, role)| role.clone().unwrap_or_else(|| "(no account role)".into()),
    );
    let mut age_chart = ages.chart(
        "Users by time since last login (at the run's start)".into(),
        |&i| {
            AGE_BUCKETS
                .get(i)
                .map_or("never logged in", |(label, _)| label)
                .to_owned()
        },
    );
    // Every bucket is shown, empty ones too, so the histogram's axis is always the same.
    age_chart.bars = AGE_BUCKETS
        .iter()
        .map(|(label, _)| *label)
        .chain(["never logged in"])
        .map(|label| {
            let n = age_chart
                .bars
                .iter()
                .find(|(l, _)| l == label)
                .map_or(0, |(_, n)| *n);
            (label.to_owned(), n)
        })
        .collect();
    (
        Part {
            file,
            state,
            data: rows,
        },
        by_role,
        age_chart,
        key_owner,
    )
}
