//! Unit tests of `controls`.

use super::*;

#[test]
fn every_artifact_supports_a_control_of_each_framework() {
    for artifact in Artifact::ALL {
        let supports = of_artifact(artifact);
        for framework in [Framework::Soc2, Framework::Iso27001] {
            assert!(
                supports.iter().any(|s| s.control.framework == framework),
                "{} maps to no {framework:?} control",
                artifact.name()
            );
        }
        assert!(supports.iter().all(|s| !s.how.is_empty()));
    }
}

#[test]
fn the_map_groups_the_evidence_per_control_in_control_order() {
    let map = map(
        &[Artifact::Users, Artifact::Access, Artifact::Findings],
        &["FT-ACCESS-001", "FT-NOT-A-CHECK"],
    );
    let ids: Vec<(Framework, &str)> = map.iter().map(|e| (e.framework, e.control)).collect();
    assert_eq!(
        ids,
        [
            (Framework::Soc2, "CC6.2"),
            (Framework::Soc2, "CC6.3"),
            (Framework::Iso27001, "5.16"),
            (Framework::Iso27001, "5.18"),
            (Framework::Iso27001, "8.2"),
        ]
    );
    let cc63: Vec<&str> = map[1].evidence.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(
        cc63,
        [
            "access.json",
            "findings.json",
            "findings.json#FT-ACCESS-001",
            "users.json"
        ]
    );
    assert!(of_finding("FT-NOT-A-CHECK").is_empty());
    // Findings count only when findings.json is in the bundle.
    assert!(
        super::map(&[Artifact::Users], &["FT-ACCESS-001"])
            .iter()
            .all(|e| e.evidence.iter().all(|v| !v.source.contains('#')))
    );
}

#[test]
fn control_ids_sort_by_their_numbers() {
    let mut ids = vec!["8.15", "8.2", "5.18", "CC6.10", "CC6.2"];
    ids.sort_by_key(|id| numeric(id));
    assert_eq!(ids, ["5.18", "CC6.2", "CC6.10", "8.2", "8.15"]);
}
