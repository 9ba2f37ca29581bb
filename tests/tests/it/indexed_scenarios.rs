//! Cross-chain indexing: every scenario of `tests/vectors/settlement.json` played on
//! anvil (Solidity) and in the native Solana runtime (Anchor), each chain indexed by
//! the indexer from what its node serves (anvil's JSON-RPC; the recorded Solana
//! transactions served as Solana JSON-RPC), on SQLite and on PostgreSQL. The derived
//! tables of both chains must give the same balances and volumes per party as the
//! SDK's reference math, and on Solana every derived account must equal the program's
//! own account.

use stablerail_sdk::conformance::ScenarioFile;

use crate::common::{
    evm_vectors::run_on_evm_kept,
    indexing::{BACKENDS, TestDb, backfill, expected_from_store},
};

fn scenarios() -> anyhow::Result<ScenarioFile> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/settlement.json");
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_indexed_on_anvil_gives_the_reference() -> anyhow::Result<()> {
    let file = scenarios()?;
    for s in &file.scenarios {
        let reference = s.run()?;
        let run = run_on_evm_kept(s).await?;
        let head = run.platform.block_number().await?;
        let d = &run.platform.deployment;
        let section = format!(
            "kind = \"evm\"\nrpc_urls = [\"{}\"]\nusdt = \"{:#x}\"\nescrow = \"{:#x}\"\nmultisig = \"{:#x}\"\nhead_lag = 0\nfinality_depth = 1\n",
            run.platform.devnet.rpc_url(),
            d.token,
            d.escrow,
            d.multisig
        );
        let parties: Vec<(String, String)> = run
            .parties
            .iter()
            .map(|(n, a)| (n.clone(), format!("{a:#x}")))
            .collect();
        for backend in BACKENDS {
            let db = TestDb::new(backend).await?;
            let store = backfill(&db, "anvil", &section, 0, head).await?;
            let indexed = expected_from_store(&store, "anvil", &parties).await?;
            assert_eq!(
                indexed, reference,
                "{} on {backend:?}: anvil's derived tables vs reference",
                s.name
            );
        }
    }
    Ok(())
}
