//! Cross-chain conformance: every scenario of `tests/vectors/settlement.json`
//! run through the SDK's reference math, the Solidity escrow on anvil and the
//! Anchor escrow in a Solana bank (driven by the SDK's Solana builders) must end
//! with identical balances and volumes for every party.

use crate::common::evm_vectors::run_on_evm;
use crate::common::settlement_vectors as scenarios;
use crate::common::solana::run_scenario as run_on_solana;

#[tokio::test]
async fn every_scenario_ends_identically_on_every_chain() -> anyhow::Result<()> {
    let file = scenarios()?;
    assert!(file.scenarios.len() >= 10, "the vectors lost scenarios");
    for s in &file.scenarios {
        let reference = s.run()?;
        assert!(
            s.expected.matches(&reference),
            "{}: the SDK's reference math disagrees with the vector",
            s.name
        );
        let evm = run_on_evm(s).await?;
        assert_eq!(evm, reference, "{}: Solidity on anvil vs reference", s.name);
        let solana = run_on_solana(s).await?;
        assert_eq!(
            solana, reference,
            "{}: Anchor on Solana vs reference",
            s.name
        );
    }
    Ok(())
}

/// The Solana leg alone (no anvil needed): every scenario, protocol v2 fields
/// included, run on the Anchor escrow through the SDK's builders ends exactly
/// as the SDK's reference ledger says.
#[tokio::test]
async fn every_scenario_ends_on_solana_as_the_reference_says() -> anyhow::Result<()> {
    let file = scenarios()?;
    for s in &file.scenarios {
        let reference = s.run()?;
        let solana = run_on_solana(s).await?;
        assert_eq!(
            solana, reference,
            "{}: Anchor on Solana vs reference",
            s.name
        );
    }
    Ok(())
}
