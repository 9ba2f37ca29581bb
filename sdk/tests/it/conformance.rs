//! Every scenario of tests/vectors/settlement.json through the reference fee math.

use std::path::PathBuf;

use stablerail_sdk::conformance::{Expected, ScenarioFile};

fn vectors() -> ScenarioFile {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/settlement.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_settlement_scenario_matches_expected() {
    let file = vectors();
    assert!(
        !file.scenarios.is_empty(),
        "no scenarios in settlement.json"
    );
    let mut failures = Vec::new();
    for s in &file.scenarios {
        match s.run() {
            Ok(actual) if s.expected.matches(&actual) => {}
            Ok(actual) => failures.push(format!(
                "{}: expected {:?}\n  actual {:?}",
                s.name, s.expected, actual
            )),
            Err(e) => failures.push(format!("{}: {e}", s.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        file.scenarios.len(),
        failures.join("\n")
    );
}

#[test]
fn a_changed_expectation_is_detected() {
    let file = vectors();
    for s in &file.scenarios {
        let actual = s.run().unwrap();
        // Move one unit from the treasury to the first party: totals stay, balances differ.
        let mut tampered: Expected = s.expected.clone();
        let first = s.parties[0].clone();
        if let Some(t) = tampered.balances.get_mut("treasury")
            && *t > 0
        {
            *t -= 1;
            *tampered.balances.entry(first).or_default() += 1;
            assert!(
                !tampered.matches(&actual),
                "{}: tampering not detected",
                s.name
            );
        }
        let mut vol = s.expected.clone();
        *vol.merchant_volume.entry("nobody".into()).or_default() += 1;
        assert!(
            !vol.matches(&actual),
            "{}: extra volume not detected",
            s.name
        );
    }
}
