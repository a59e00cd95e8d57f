//! Lists whose cursor never ends (1,000 small items a page, a fresh `next_cursor` each time):
//! an artifact stops at what `verify` accepts, a list held in memory at its own bound; each is
//! kept as `partial` with the reason, and the run goes on.

use iru_fivetran_core::evidence::bundle::Bundle;
use iru_fivetran_core::evidence::envelope;
use iru_fivetran_core::paginate::{self, Limits};
use iru_fivetran_core::resources::{self, Capacity, Ctx};
use iru_fivetran_core::vocab::{Artifact, Status, Window};
use iru_fivetran_fake::Fault;

use crate::support::{self, acme, collect, requests_to, server};

fn window() -> Window {
    let now = jiff::Timestamp::now();
    Window {
        start: now - jiff::SignedDuration::from_hours(24),
        end: now,
    }
}

#[test]
fn an_endless_artifact_stops_at_the_bytes_verify_accepts_and_is_partial() {
    let fake = server(acme());
    fake.inject(Fault::endless("/v1/roles", 1000));
    let client = support::fake_client(&fake, 1000.0);
    let ctx = Ctx {
        client: &client,
        fan_out: 8,
        window: window(),
    };
    let out = tempfile::tempdir().expect("tmp");
    let bundle = Bundle::create(out.path(), "20260101T000000Z").expect("bundle");
    let mut sink = bundle.sink(Artifact::Roles).expect("sink");
    // A small stand-in for what verify accepts (512 MiB less the envelope's room).
    let capacity = Capacity {
        items: 1_000_000,
        bytes: 2_000_000,
    };
    let collected = support::runtime()
        .block_on(resources::collect_within(
            &ctx,
            Artifact::Roles,
            &mut sink,
            capacity,
        ))
        .expect("a full artifact is not a fatal error");
    assert_eq!(collected.status, Status::Partial);
    let reason = collected.reason.clone().expect("a reason");
    assert!(
        reason.contains("the most of one file that `verify` accepts"),
        "{reason}"
    );
    let items = sink.count();
    assert!(items > 10_000, "{items} items before the bound");
    // It stopped reading: one page past the bound at most.
    let pages = requests_to(&fake, "/v1/roles");
    assert!(pages <= items / 1000 + 2, "{pages} pages for {items} items");

    // The file holds the items within the bound, measured as written: the same envelope
    // without items is the rest (but for the digits of `count` and the brackets' line ends,
    // which the envelope's room in a real run covers).
    let empty = {
        let other = bundle.sink(Artifact::Groups).expect("sink");
        let without_items = iru_fivetran_core::vocab::Collected {
            status: collected.status,
            reason: collected.reason.clone(),
            ..Default::default()
        };
        let header = envelope(Artifact::Roles, None, "2026-01-01T00:00:00Z", without_items);
        other.finish(header).expect("written").0.bytes
    };
    let header = envelope(Artifact::Roles, None, "2026-01-01T00:00:00Z", collected);
    let (written, _) = sink.finish(header).expect("written");
    let items_bytes = written.bytes - empty;
    assert!(
        items_bytes <= capacity.bytes + 16,
        "{items_bytes} > {}",
        capacity.bytes
    );
    assert!(
        items_bytes > capacity.bytes - 200,
        "{items_bytes}: the bound is measured exactly, so the file fills it to the last item"
    );
}

#[test]
fn a_list_stops_at_its_item_and_byte_limits() {
    let fake = server(acme());
    fake.inject(Fault::endless("/v1/roles", 1000));
    let client = support::fake_client(&fake, 1000.0);
    let rt = support::runtime();
    let items = Limits {
        items: 2500,
        ..Limits::HELD
    };
    let listed = rt.block_on(paginate::list_all_limited(
        &client,
        iru_fivetran_core::endpoints::ROLES,
        "/roles",
        &[],
        "id",
        items,
    ));
    assert_eq!(listed.items.len(), 2500);
    assert_eq!(listed.pages, 3);
    let error = listed.error.expect("stopped").to_string();
    assert!(
        error.contains("stopped after 2500 items, the most a list held in memory may hold"),
        "{error}"
    );

    let bytes = Limits {
        bytes: 100_000,
        ..Limits::HELD
    };
    let listed = rt.block_on(paginate::list_all_limited(
        &client,
        iru_fivetran_core::endpoints::ROLES,
        "/roles",
        &[],
        "id",
        bytes,
    ));
    let kept: usize = listed.items.iter().map(|i| i.to_string().len()).sum();
    assert!(kept <= 100_000 && kept > 99_000, "{kept}");
    assert!(
        listed
            .error
            .expect("stopped")
            .to_string()
            .contains("100000 bytes")
    );
}

#[test]
fn an_endless_membership_list_stops_that_user_and_the_run_goes_on() {
    let account = acme();
    let user = account.users[0]["id"].as_str().expect("id").to_owned();
    let fake = server(account);
    fake.inject(Fault::endless(&format!("/v1/users/{user}/groups"), 1000));
    let run = collect(&fake, &["--resources", "users,roles"]);
    run.assert_code(3);
    let users = run.json("users.json");
    assert_eq!(users["status"], "partial");
    let reason = support::reason(&users);
    assert!(
        reason.contains("stopped after 100000 items, the most a list held in memory may hold"),
        "{reason}"
    );
    let held = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["id"] == user.as_str())
        .expect("the user is kept");
    assert_eq!(
        held["group_memberships"].as_array().map(Vec::len),
        Some(100_000)
    );
    assert_eq!(
        requests_to(&fake, &format!("/v1/users/{user}/groups")),
        100,
        "one page past the bound is never asked for"
    );
    assert_eq!(run.json("roles.json")["status"], "complete");
    iru_fivetran_core::verify::verify(&run.bundle()).expect("the bundle verifies");
}
