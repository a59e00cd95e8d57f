//! What each finding of `findings.json` gives evidence for, by its stable id: the second half
//! of the control map (the artifacts' half is in the parent module).

use super::{
    A5_14, A5_16, A5_17, A5_18, A8_2, A8_15, A8_16, A8_32, CC6_1, CC6_2, CC6_3, CC6_7, CC7_1,
    CC7_2, CC8_1, Support, s,
};

/// What a finding of `findings.json` gives evidence for, by its id; empty for an unknown id.
pub fn of_finding(id: &str) -> &'static [Support] {
    match id {
        "FT-TRUST-001" => {
            const {
                &[
                    s(
                        CC6_7,
                        "certificates and SSH host keys trusted on the word of someone who is no longer an active user",
                    ),
                    s(
                        A5_18,
                        "trust granted by people whose access has ended, for review",
                    ),
                ]
            }
        }
        "FT-CODE-001" => {
            const {
                &[
                    s(
                        CC8_1,
                        "custom connector code created or updated in the window, with its hash, author and time, to match to an approved change",
                    ),
                    s(
                        A8_32,
                        "changes to code running in pipelines, each with who made it and when",
                    ),
                ]
            }
        }
        "FT-SECRET-001" => {
            const {
                &[
                    s(
                        CC6_1,
                        "credentials of pipelines kept in a secrets manager the account's list does not show",
                    ),
                    s(
                        A5_17,
                        "where authentication information is stored, and the references that name no known store",
                    ),
                ]
            }
        }
        "FT-ACCESS-001" => {
            const {
                &[
                    s(
                        CC6_3,
                        "the number and names of account administrators, against a limit",
                    ),
                    s(
                        A8_2,
                        "who holds the Account Administrator role, directly or through a team",
                    ),
                ]
            }
        }
        "FT-ACCESS-002" => {
            const {
                &[
                    s(
                        CC6_2,
                        "users who have not logged in for longer than the threshold",
                    ),
                    s(A5_18, "access rights that may no longer be needed"),
                ]
            }
        }
        "FT-ACCESS-003" => {
            const {
                &[
                    s(CC6_2, "invitations never accepted"),
                    s(A5_16, "identities registered but never used"),
                ]
            }
        }
        "FT-ACCESS-004" => {
            const {
                &[
                    s(CC6_2, "suspended users who still hold memberships"),
                    s(A5_18, "access rights not removed when a user was suspended"),
                ]
            }
        }
        "FT-ACCESS-005" => {
            const {
                &[
                    s(CC6_3, "access granted twice, directly and through a team"),
                    s(A5_18, "access rights to simplify before a review"),
                ]
            }
        }
        "FT-CONN-001" => {
            const {
                &[
                    s(
                        CC7_1,
                        "connections broken, paused or without a recent successful sync",
                    ),
                    s(A8_16, "connections not operating as configured"),
                ]
            }
        }
        "FT-AUDIT-001" => {
            const {
                &[
                    s(
                        CC7_2,
                        "destinations whose user-action audit trail is not exported",
                    ),
                    s(A8_15, "destinations without exported logs"),
                ]
            }
        }
        "FT-AUDIT-002" => {
            const {
                &[
                    s(CC8_1, "changes no recorded user action explains"),
                    s(A8_32, "changes to reconcile with change records"),
                ]
            }
        }
        "FT-AUDIT-003" => {
            const {
                &[
                    s(CC6_2, "actions by people who are no longer active users"),
                    s(
                        A5_18,
                        "access rights used after a user left or was deactivated",
                    ),
                ]
            }
        }
        "FT-AUDIT-004" => {
            const {
                &[
                    s(CC6_1, "API secrets generated in the window"),
                    s(A5_17, "authentication information issued in the window"),
                ]
            }
        }
        "FT-KEYS-001" => {
            const {
                &[
                    s(
                        CC6_1,
                        "system keys never used, unused for long, or without expiry",
                    ),
                    s(A5_17, "authentication information to rotate or remove"),
                ]
            }
        }
        "FT-HOOK-001" => {
            const {
                &[
                    s(CC6_7, "webhooks that send events over plain HTTP"),
                    s(
                        A5_14,
                        "information transferred without protection in transit",
                    ),
                ]
            }
        }
        _ => &[],
    }
}
