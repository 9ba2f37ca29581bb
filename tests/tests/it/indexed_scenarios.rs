//! Cross-chain indexing: every scenario of `tests/vectors/settlement.json` played on
//! anvil (Solidity) and in the native Solana runtime (Anchor), each chain indexed by
//! the indexer from what its node serves (anvil's JSON-RPC; the recorded Solana
//! transactions served as Solana JSON-RPC), on SQLite and on PostgreSQL. The derived
//! tables of both chains must give the same balances and volumes per party as the
//! SDK's reference math, and on Solana every derived account must equal the program's
//! own account.

use anyhow::Context;
use solana_sdk::pubkey::Pubkey;
use stablerail_indexer::Amount as Units;
use stablerail_sdk::conformance::TREASURY;

use crate::common::{
    evm_vectors::run_on_evm_kept,
    indexing::{BACKENDS, TestDb, backfill, deals_and_commissions_by_name, expected_from_store},
    settlement_vectors,
    solana::run_scenario_recorded,
    solana_rpc::SolanaRpc,
};

/// Each scenario on both chains, each chain indexed on both stores: the same balances
/// and volumes (the reference's), the same deals with the same settlement parts and
/// the same agent commissions, party by party; on Solana every derived account also
/// equals the program's account and the liabilities the vault's holding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_indexed_on_anvil_and_solana_agrees() -> anyhow::Result<()> {
    let file = settlement_vectors()?;
    assert!(file.scenarios.len() >= 10, "the vectors lost scenarios");
    for s in &file.scenarios {
        let reference = s.run()?;

        // Solidity on anvil, indexed from anvil's JSON-RPC.
        let run = run_on_evm_kept(s).await?;
        let head = run.platform.block_number().await?;
        let d = &run.platform.deployment;
        let evm_section = format!(
            "kind = \"evm\"\nrpc_urls = [\"{}\"]\nusdt = \"{:#x}\"\nescrow = \"{:#x}\"\nmultisig = \"{:#x}\"\nhead_lag = 0\nfinality_depth = 1\n",
            run.platform.devnet.rpc_url(),
            d.token,
            d.escrow,
            d.multisig
        );
        let evm_parties: Vec<(String, String)> = run
            .parties
            .iter()
            .map(|(n, a)| (n.clone(), format!("{a:#x}")))
            .collect();
        let mut evm_tables = None;
        for backend in BACKENDS {
            let db = TestDb::new(backend).await?;
            let store = backfill(&db, "anvil", &evm_section, 0, head).await?;
            let indexed = expected_from_store(&store, "anvil", &evm_parties).await?;
            assert_eq!(
                indexed, reference,
                "{} on {backend:?}: anvil's derived tables vs reference",
                s.name
            );
            evm_tables = Some(deals_and_commissions_by_name(&store, "anvil", &evm_parties).await?);
        }
        let evm_tables = evm_tables.context("no store")?;
        assert_eq!(
            evm_tables.0.len(),
            s.deals.len(),
            "{}: one derived deal per scenario deal",
            s.name
        );

        // Anchor in the native runtime, recorded and served as Solana JSON-RPC.
        let (expected, ledger, mut p) = run_scenario_recorded(s).await?;
        assert_eq!(expected, reference, "{}: Anchor vs reference", s.name);
        let (first, head) = (
            ledger.first_slot().context("empty ledger")?,
            ledger.head().context("empty ledger")?,
        );
        let (url, _rpc) = SolanaRpc::start(ledger).await?;
        let section = format!(
            "kind = \"solana\"\nrpc_urls = [\"{url}\"]\nusdt = \"{}\"\nescrow = \"{}\"\nmultisig = \"{}\"\nhead_lag = 0\n",
            p.mint, p.escrow.config, p.multisig.multisig
        );
        // Parties are opened in the scenario's order after the treasury (the vault).
        let mut parties: Vec<(String, String)> = s
            .parties
            .iter()
            .cloned()
            .zip(p.wallets.iter().skip(1).map(ToString::to_string))
            .collect();
        if s.treasury_is.is_none() {
            parties.push((TREASURY.to_owned(), p.treasury().to_string()));
        }
        for backend in BACKENDS {
            let db = TestDb::new(backend).await?;
            let store = backfill(&db, "solana", &section, first, head).await?;
            let indexed = expected_from_store(&store, "solana", &parties).await?;
            assert_eq!(
                indexed, reference,
                "{} on {backend:?}: Solana's derived tables vs reference",
                s.name
            );
            assert_eq!(
                deals_and_commissions_by_name(&store, "solana", &parties).await?,
                evm_tables,
                "{} on {backend:?}: deals and commissions, Solana vs anvil",
                s.name
            );
            let derived = store.escrow_accounts("solana").await?;
            assert_eq!(
                derived.len(),
                p.wallets.len(),
                "{}: one derived account per opened account",
                s.name
            );
            for d in &derived {
                let wallet: Pubkey = d.address.parse()?;
                let a = p.account(&wallet).await?;
                let program = (
                    Units::from(a.available),
                    Units::from(a.locked),
                    a.roles.bits(),
                    a.agent.map(|k| k.to_string()),
                    Units::from(a.merchant_volume),
                    Units::from(a.agent_volume),
                    (a.kyc_level, a.region),
                    a.co_signer.map(|k| k.to_string()),
                    Units::from(a.daily_allowance),
                    Units::from(a.outflow_today),
                    (
                        a.online,
                        Units::from(a.max_per_deal),
                        Units::from(a.max_locked),
                    ),
                );
                let indexed = (
                    d.available,
                    d.locked,
                    d.roles,
                    d.agent.clone(),
                    d.merchant_volume,
                    d.agent_volume,
                    (d.kyc_level, d.region),
                    d.co_signer.clone(),
                    d.daily_allowance,
                    d.outflow_today,
                    (d.online, d.max_per_deal, d.max_locked),
                );
                assert_eq!(
                    indexed, program,
                    "{} on {backend:?}: derived account of {wallet} vs the program's",
                    s.name
                );
            }
            // Conservation (docs/rules.md): the vault holds the liabilities plus what
            // was sent to it directly and not swept.
            let settings = store.escrow_settings("solana").await?;
            let vault = p.bank.token_balance(&p.escrow.vault()).await?;
            let surplus = if s.sweep { 0 } else { s.direct_transfer };
            assert_eq!(
                u64::try_from(settings.liabilities)? + surplus,
                vault,
                "{} on {backend:?}: liabilities + unswept surplus vs the vault",
                s.name
            );
        }
    }
    Ok(())
}
