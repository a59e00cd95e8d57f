//! Unit tests of the fuzz harness: hand-made inputs for the attacks it is meant to reach, each
//! checked by the harness's own oracle and by its outcome.

use super::*;

fn outcome(data: &[u8]) -> Outcome {
    let root = tempfile::tempdir().expect("tmp");
    check_bundle_directory(root.path(), data)
}

/// `NAMES` index of `name`.
fn at(name: &str) -> u8 {
    u8::try_from(
        NAMES
            .iter()
            .position(|n| *n == name)
            .expect("a pooled name"),
    )
    .expect("small")
}

#[test]
fn a_bundle_as_written_verifies_signed_or_not() {
    for data in [&[][..], &[0], &[1]] {
        assert_eq!(
            outcome(data),
            Outcome {
                verified: true,
                edits: 0
            }
        );
    }
}

#[test]
fn the_attacks_it_is_meant_to_reach_do_not_verify() {
    let note = at("auditor-note.html");
    let users = at("users.json");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // Write a file, then list it in SHA256SUMS with its true hash: not in the manifest.
        (
            "added and summed",
            vec![0, 0, note, 3, b'a', b'b', b'c', 1, note],
        ),
        ("a link out of the bundle", vec![1, 2, users, 0]),
        ("a link inside it", vec![1, 2, at("groups.json"), 1]),
        ("a directory for a file", vec![1, 3, users]),
        ("a socket", vec![1, 8, at("users.csv")]),
        (
            "an unsafe name in SHA256SUMS",
            vec![1, 1, 200, 4, b'e', b't', b'c'],
        ),
        // users.json replaced by bytes no reader takes, every hash brought up to date.
        ("an artifact of invalid UTF-8", {
            let mut d = vec![1, 7, 3];
            d.extend(b"{\"items\": [\"\xff\"]}");
            d
        }),
        ("a byte flipped", vec![1, 5, users, 40]),
        ("the manifest's entry dropped", vec![1, 10, 0, 1]),
    ];
    for (what, data) in cases {
        let found = outcome(&data);
        assert!(!found.verified, "{what}: {found:?}");
    }
}

#[test]
fn a_signature_renewed_or_stripped_with_sha256sums_updated_still_verifies() {
    // Renewed by the key's holder; stripped with its line: an unsigned bundle can be whole.
    assert!(outcome(&[1, 11, 0]).verified);
    assert!(outcome(&[0, 11, 1]).verified);
}
