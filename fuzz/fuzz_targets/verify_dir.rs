//! The verifier on a whole bundle directory built from arbitrary bytes: a valid bundle, then
//! edits (files written, removed or changed; symlinks in and out; directories, sockets, odd
//! and unsafe names; lines added to SHA256SUMS; manifest entries added or dropped; the
//! signature renewed or stripped). No panic, and what `verify::inspect` says agrees with an
//! independent reading of the directory: the logic is
//! `iru_fivetran_core::verify::fuzz::check_bundle_directory`, which the property tests in
//! `tests/it/verify_props.rs` run on stable too.

#![no_main]

use iru_fivetran_core::verify::fuzz::check_bundle_directory;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A fresh directory per input, removed after: the harness builds the bundle inside it.
    let root = std::env::temp_dir().join(format!(
        "iru-fivetran-fuzz-verify-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir(&root).expect("a scratch directory");
    check_bundle_directory(&root, data);
    let _ = std::fs::remove_dir_all(&root);
});
