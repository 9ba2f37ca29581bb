//! The indexer's Solana source against real transactions: a trade played in the native
//! runtime with slots skipped between its steps, recorded and served as Solana
//! JSON-RPC (`common/solana_rpc.rs`), then indexed through a lagging node, HTTP 503s
//! and `Node is behind` answers, and a fork above the finalized slot — on SQLite and
//! PostgreSQL. After each, the derived tables equal the program's accounts or a fresh
//! backfill of the chain the node now serves.

use anyhow::{Context, ensure};
use stablerail_indexer::{
    Amount as Units, ChainIndexer, Step, Store,
    store::{DealQuery, TransferQuery},
};
use stablerail_sdk::{Amount, solana as sol};

use crate::common::{
    indexing::{BACKENDS, Backend, TestDb, open_indexer},
    settlement_vectors,
    solana::{Platform, default_limits, one_tier_fees, run_scenario_recorded},
    solana_ledger::Ledger,
    solana_rpc::{RpcHandle, SolanaRpc},
};

const CHAIN: &str = "solana";

/// A trade from deposit to withdrawal, each step in its own block and a skipped slot
/// after three of them.
async fn play_trade() -> anyhow::Result<(Platform, Ledger)> {
    let mut p = Platform::start_recording(one_tier_fees(), default_limits()).await?;
    let merchant = p.user().await?;
    let trader = p.user().await?;
    let vault = p.multisig.vault();
    let roles =
        p.escrow
            .account_set_roles(&vault, &merchant.key(), stablerail_sdk::Roles::MERCHANT)?;
    p.admin(&[roles]).await?;
    p.mint_to(&trader.token, 50_000_000).await?;
    p.bank.skip_next_slot()?;
    p.deposit(&trader, 50_000_000).await?;
    let order = p.post_order(&merchant, 20_000_000).await?;
    p.bank.skip_next_slot()?;
    let deal = p.fill(&trader, order, 20_000_000, [7; 32]).await?;
    p.mark_paid(&merchant.kp, deal).await?;
    p.bank.skip_next_slot()?;
    p.release(&trader.kp, deal).await??;
    let withdraw = p.escrow.withdraw(
        &trader.key(),
        &trader.token,
        &p.mint,
        &sol::pda::TOKEN_PROGRAM_ID,
        Amount::from_units(1_000_000),
    )?;
    p.bank.send(vec![withdraw], &[&trader.kp]).await?;
    p.check_conservation().await?;
    let ledger = p.bank.take_ledger().context("not recording")?;
    ensure!(
        ledger.skipped_slots().len() >= 3,
        "the recording skipped {:?}",
        ledger.skipped_slots()
    );
    Ok((p, ledger))
}

fn section(url: &str, p: &Platform) -> String {
    format!(
        "kind = \"solana\"\nrpc_urls = [\"{url}\"]\nusdt = \"{}\"\nescrow = \"{}\"\nmultisig = \"{}\"\nhead_lag = 0\ninitial_range = 7\nfinality_depth = 10000\nmax_attempts = 6\n",
        p.mint, p.escrow.config, p.multisig.multisig
    )
}

/// Steps until the indexer is idle; the steps taken.
async fn run_to_idle(indexer: &ChainIndexer, start: u64) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    for _ in 0..1_000 {
        let step = indexer.step(start, None).await?;
        if step == Step::Idle {
            return Ok(steps);
        }
        steps.push(step);
    }
    anyhow::bail!("the indexer never went idle")
}

/// Everything the store holds about the chain, in comparable form.
async fn snapshot(store: &Store) -> anyhow::Result<String> {
    let transfers = store
        .transfers(&TransferQuery {
            chain: CHAIN.into(),
            limit: 1_000,
            ..TransferQuery::default()
        })
        .await?;
    let deals = store
        .deals(&DealQuery {
            chain: CHAIN.into(),
            limit: 1_000,
            ..DealQuery::default()
        })
        .await?;
    Ok(format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        transfers,
        store.event_counts(CHAIN).await?,
        store.escrow_accounts(CHAIN).await?,
        deals,
        store.buy_orders(CHAIN).await?,
        store.escrow_settings(CHAIN).await?,
    ))
}

/// Every derived account equals the program's.
async fn assert_accounts_match(store: &Store, p: &mut Platform, ctx: &str) -> anyhow::Result<()> {
    let derived = store.escrow_accounts(CHAIN).await?;
    ensure!(derived.len() == p.wallets.len(), "{ctx}: accounts");
    for d in &derived {
        let a = p.account(&d.address.parse()?).await?;
        assert_eq!(
            (d.available, d.locked, d.roles, d.merchant_volume),
            (
                Units::from(a.available),
                Units::from(a.locked),
                a.roles.bits(),
                Units::from(a.merchant_volume)
            ),
            "{ctx}: {}",
            d.address
        );
    }
    Ok(())
}

async fn lagging_faulty_node(backend: Backend) -> anyhow::Result<()> {
    let (mut p, ledger) = play_trade().await?;
    let (first, head) = (
        ledger.first_slot().context("empty")?,
        ledger.head().context("empty")?,
    );
    let (url, rpc): (String, RpcHandle) = SolanaRpc::start(ledger.clone()).await?;
    let db = TestDb::new(backend).await?;
    let (indexer, store) = open_indexer(&db, CHAIN, &section(&url, &p)).await?;

    // A node lagging in the middle of the trade: the indexer stops at its head and
    // takes nothing above it for a reorg.
    let mid = ledger.blocks[ledger.blocks.len() / 2].slot;
    rpc.knobs().head = Some(mid);
    run_to_idle(&indexer, first).await?;
    let cursor = store.cursor(CHAIN).await?.context("no cursor")?;
    assert_eq!(
        cursor.block_number, mid,
        "{backend:?}: cursor at the lagging head"
    );

    // The node catches up while failing: 503s and `Node is behind`, each retried.
    {
        let mut k = rpc.knobs();
        k.head = None;
        k.fail_http = 3;
        k.fail_behind = 2;
    }
    let steps = run_to_idle(&indexer, first).await?;
    ensure!(
        steps.iter().all(|s| matches!(s, Step::Advanced { .. })),
        "{backend:?}: {steps:?}"
    );
    {
        let k = rpc.knobs();
        assert_eq!(
            (k.fail_http, k.fail_behind),
            (0, 0),
            "every failure was served"
        );
    }
    let cursor = store.cursor(CHAIN).await?.context("no cursor")?;
    assert_eq!(cursor.block_number, head);
    assert_accounts_match(&store, &mut p, &format!("{backend:?} after catching up")).await?;

    // Skipped slots: deposit, withdrawal and the release's three payouts are the
    // USDT transfers touching the vault; each is stored once.
    // The vault token account is owned by the config.
    let vault = p.escrow.config.to_string();
    let transfers = store
        .transfers(&TransferQuery {
            chain: CHAIN.into(),
            address: Some(vault.clone()),
            limit: 100,
            ..TransferQuery::default()
        })
        .await?;
    let amounts: Vec<&str> = transfers.iter().map(|t| t.amount.as_str()).collect();
    assert_eq!(
        amounts,
        ["50000000", "1000000"],
        "{backend:?}: vault transfers"
    );
    for s in ledger.skipped_slots() {
        ensure!(
            transfers.iter().all(|t| t.block_number != s),
            "{backend:?}: a row at skipped slot {s}"
        );
    }
    // The same database as one uninterrupted backfill on a healthy node.
    let fresh_db = TestDb::new(backend).await?;
    let (fresh, fresh_store) = open_indexer(&fresh_db, CHAIN, &section(&url, &p)).await?;
    run_to_idle(&fresh, first).await?;
    assert_eq!(snapshot(&store).await?, snapshot(&fresh_store).await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solana_lagging_and_faulty_node_sqlite() -> anyhow::Result<()> {
    lagging_faulty_node(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solana_lagging_and_faulty_node_postgres() -> anyhow::Result<()> {
    lagging_faulty_node(Backend::Postgres).await
}

/// A fork above the finalized slot: the node switches to blocks another bank played
/// from the middle of the indexed chain on. The indexer rolls back to the fork slot
/// and re-ingests, ending with the same tables as a fresh backfill of the new chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solana_fork_above_finalized_rolls_back() -> anyhow::Result<()> {
    let file = settlement_vectors()?;
    let (_, ledger_a, p) = run_scenario_recorded(file.scenarios.first().context("none")?).await?;
    // The new fork reaches past the old head, as a cluster's confirmed slot moves on.
    let mut ledger_b = None;
    for s in file.scenarios.iter().skip(1) {
        let (_, l, _) = run_scenario_recorded(s).await?;
        if l.head() > ledger_a.head() {
            ledger_b = Some(l);
            break;
        }
    }
    let ledger_b = ledger_b.context("no scenario longer than the first")?;
    let first = ledger_a.first_slot().context("empty")?;
    let target = ledger_a.blocks[ledger_a.blocks.len() / 2]
        .slot
        .min(ledger_b.blocks[ledger_b.blocks.len() / 2].slot);
    let fork_at = ledger_a
        .blocks
        .iter()
        .map(|b| b.slot)
        .filter(|s| *s <= target)
        .max()
        .context("no fork slot")?;
    for backend in BACKENDS {
        let (url, rpc) = SolanaRpc::start(ledger_a.clone()).await?;
        // Nothing final yet: the fork may replace any block above `fork_at`.
        rpc.knobs().finality_depth = u64::MAX;
        let db = TestDb::new(backend).await?;
        let (indexer, store) = open_indexer(&db, CHAIN, &section(&url, &p)).await?;
        run_to_idle(&indexer, first).await?;
        let before = snapshot(&store).await?;
        let (events_before, _) = store.event_counts(CHAIN).await?;
        ensure!(events_before > 0, "{backend:?}: nothing indexed");

        // The cluster abandons every block above `fork_at` for the other bank's.
        rpc.knobs().fork(fork_at, &ledger_b)?;
        // The ancestor is `fork_at`, or a slot above it that was skipped on both forks.
        let steps = run_to_idle(&indexer, first).await?;
        ensure!(
            matches!(steps.first(), Some(Step::RolledBack { to }) if *to >= fork_at),
            "{backend:?}: {steps:?}"
        );
        let fresh_db = TestDb::new(backend).await?;
        let (fresh, fresh_store) = open_indexer(&fresh_db, CHAIN, &section(&url, &p)).await?;
        run_to_idle(&fresh, first).await?;
        let after = snapshot(&store).await?;
        assert_eq!(
            after,
            snapshot(&fresh_store).await?,
            "{backend:?}: fork vs fresh"
        );
        ensure!(after != before, "{backend:?}: the fork changed nothing");
        let (events_after, _) = store.event_counts(CHAIN).await?;
        ensure!(
            events_after < events_before,
            "{backend:?}: events above the fork were not rolled back"
        );
    }
    Ok(())
}
