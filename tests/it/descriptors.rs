//! A file-descriptor limit too low for a run (`ulimit -n`): `ulimit -n 6` panicked setting up
//! the signal handlers (exit 101) and `ulimit -n 10` exited 1 leaving an empty `.incomplete`
//! directory. Now the run is refused before anything is created or requested, exit 2, with
//! the number needed and a hint; a limit that fits still runs. Unix only (`sh`, `ulimit`).

#![cfg(unix)]

use std::time::Duration;

use crate::support::{self, KEY, SECRET, acme, server};

/// `collect` against `fake` started under `ulimit -n limit`, through the support's spawn helper.
fn collect_limited(fake: &iru_fivetran_fake::FakeServer, limit: u32) -> support::Run {
    let url = fake.api_url();
    let script = format!(r#"ulimit -n {limit} || exit 99; exec "$0" "$@""#);
    support::spawn_via(
        &["sh", "-c", &script],
        &["collect", "--api-url", &url, "--rate", "1000"],
        &[("FIVETRAN_API_KEY", KEY), ("FIVETRAN_API_SECRET", SECRET)],
    )
    .wait(Duration::from_secs(60))
}

#[test]
fn too_few_file_descriptors_are_refused_cleanly_leaving_nothing() {
    for limit in [6, 10, 24] {
        let fake = server(acme());
        let run = collect_limited(&fake, limit);
        run.assert_code(2);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        for needle in [
            "error: too few file descriptors: a run with --concurrency 8 needs 48 free",
            "(ulimit -n)",
            "hint: raise the limit",
        ] {
            assert!(
                run.stderr.contains(needle),
                "ulimit -n {limit}: {needle}:\n{}",
                run.stderr
            );
        }
        assert!(run.stdout.is_empty());
        assert_eq!(
            run.out_entries(),
            Vec::<String>::new(),
            "ulimit -n {limit}: nothing left"
        );
        assert!(fake.requests().is_empty(), "ulimit -n {limit}: no request");
    }
}

#[test]
fn a_limit_that_fits_still_collects_a_whole_bundle() {
    let fake = server(acme());
    let run = collect_limited(&fake, 64);
    run.assert_code(0);
    iru_fivetran_core::verify::verify(&run.bundle()).expect("the bundle verifies");
}
