//! Escrow and multisig events of a real platform on anvil (the demo's deployment and
//! day: trades from buy orders, collections, a payout disputed and resolved by the
//! multisig, a cancel after the deadline, a withdrawal, a fee-tier change, agent
//! commissions) plus deals left open, indexed on both stores. The derived tables must
//! equal the contract's own views, and survive reorgs.

use std::{collections::BTreeMap, sync::Arc};

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
};
use serde_json::{Value, json};
use stablerail_demo::{LocalPlatform, play_day, role::*};
use stablerail_indexer::{
    Amount as Units, ChainIndexer, Config, Store, decode::TRANSFER_TOPIC, metrics::Metrics,
};
use stablerail_sdk::{Amount, evm::Escrow};

use crate::common::{
    BACKENDS, Backend, CHAIN, DERIVED_TABLES, Live, TestDb, assert_same_rows, clear_chain,
    log_keys, stored_keys, wait_for,
};

pub fn usdt(units: u64) -> Amount {
    Amount::from_units(units * 1_000_000)
}

/// A contract's uint96 (or wider) amount as the indexer's.
fn units<const BITS: usize, const LIMBS: usize>(v: alloy::primitives::Uint<BITS, LIMBS>) -> Units {
    Units(U256::from(v))
}

/// The config text indexing the platform's token, escrow and multisig from block 0.
pub fn platform_toml(p: &LocalPlatform, db: &TestDb, extra: &str) -> String {
    let d = &p.deployment;
    format!(
        r#"
        database_url = "{}"
        [chains.{CHAIN}]
        kind = "evm"
        rpc_urls = ["{}"]
        usdt = "{}"
        escrow = "{}"
        multisig = "{}"
        {extra}
        "#,
        db.url,
        p.devnet.rpc_url(),
        d.token,
        d.escrow,
        d.multisig
    )
}

/// [`platform_toml`] parsed.
pub fn platform_config(p: &LocalPlatform, db: &TestDb, extra: &str) -> Config {
    Config::parse(&platform_toml(p, db, extra)).unwrap()
}

fn state_name(state: u8) -> &'static str {
    match state {
        1 => "unassigned",
        2 => "open",
        3 => "paid",
        4 => "disputed",
        _ => "none",
    }
}

/// Every derived account equals `Escrow.account(addr)`, every funded wallet has a
/// derived account, the derived balances sum to the escrow's token balance, every
/// deal's state and every buy order equal the contract's.
pub async fn assert_derived_matches_chain(p: &LocalPlatform, store: &Store, ctx: &str) {
    let escrow = Escrow::new(p.deployment.escrow, p.provider(DEPLOYER).unwrap());
    let accounts = store.escrow_accounts(CHAIN).await.unwrap();
    assert!(!accounts.is_empty(), "{ctx}: no derived accounts");
    let mut sum = U256::ZERO;
    let mut derived = BTreeMap::new();
    for a in &accounts {
        let addr: Address = a.address.parse().unwrap();
        let on = escrow.account(addr).call().await.unwrap();
        let who = format!("{ctx}: account {addr}");
        assert_eq!(a.available, units(on.available), "{who} available");
        assert_eq!(a.locked, units(on.locked), "{who} locked");
        assert_eq!(a.merchant_volume, on.merchantVolume, "{who} settled volume");
        assert_eq!(a.agent_volume, on.agentVolume, "{who} referred volume");
        assert_eq!(a.roles, on.roles, "{who} roles");
        assert_eq!(
            a.agent.as_deref().map(|g| g.parse::<Address>().unwrap()),
            (on.agent != Address::ZERO).then_some(on.agent),
            "{who} agent"
        );
        assert_eq!(
            (a.kyc_level, a.region),
            (on.kycLevel, on.region),
            "{who} kyc"
        );
        // Protocol v2 (docs/rules.md): co-signer, allowance use and acceptor limits.
        assert_eq!(
            a.co_signer
                .as_deref()
                .map(|c| c.parse::<Address>().unwrap()),
            (on.coSigner != Address::ZERO).then_some(on.coSigner),
            "{who} co-signer"
        );
        assert_eq!(a.daily_allowance, on.dailyAllowance, "{who} allowance");
        assert_eq!(
            (a.outflow_day, a.outflow_today),
            (on.outflowDay, Units::from(on.outflowToday)),
            "{who} outflow"
        );
        assert_eq!(
            (a.online, a.max_per_deal, a.max_locked),
            (
                on.online,
                Units::from(on.maxPerDeal),
                Units::from(on.maxLocked)
            ),
            "{who} acceptor limits"
        );
        sum += U256::from(on.available) + U256::from(on.locked);
        derived.insert(addr, a.clone());
    }
    let mut everyone: Vec<Address> = (0..ACCOUNTS).map(|i| p.address(i)).collect();
    everyone.push(p.deployment.multisig);
    for addr in everyone {
        if !derived.contains_key(&addr) {
            let on = escrow.account(addr).call().await.unwrap();
            assert_eq!(
                (U256::from(on.available), U256::from(on.locked)),
                (U256::ZERO, U256::ZERO),
                "{ctx}: {addr} has escrow funds but no derived account"
            );
        }
    }
    let held = p.token_balance(p.deployment.escrow).await.unwrap();
    assert_eq!(
        sum, held,
        "{ctx}: conservation (derived balances vs escrow holding)"
    );
    let liabilities = escrow.liabilities().call().await.unwrap();
    assert_eq!(liabilities, sum, "{ctx}: liabilities == sum of balances");
    let settings = store.escrow_settings(CHAIN).await.unwrap();
    assert_eq!(
        settings.liabilities,
        Units(liabilities),
        "{ctx}: derived liabilities"
    );

    let deals = store.all_deals(CHAIN).await.unwrap();
    let next: U256 = escrow.nextDealId().call().await.unwrap();
    assert_eq!(
        U256::from(deals.len() + 1),
        next,
        "{ctx}: one deal row per opened deal"
    );
    for (i, d) in deals.iter().enumerate() {
        assert_eq!(d.deal_id, i as u64 + 1);
        let on = escrow.deal(U256::from(d.deal_id)).call().await.unwrap();
        let ctx = format!("{ctx}: deal {}", d.deal_id);
        if ["released", "cancelled", "resolved"].contains(&d.state.as_str()) {
            assert_eq!(on.state, 0, "{ctx}: final deals are deleted on-chain");
            assert!(d.closed_block.is_some(), "{ctx}");
            continue;
        }
        assert_eq!(d.state, state_name(on.state), "{ctx} state");
        assert_eq!(d.seller.parse::<Address>().unwrap(), on.seller, "{ctx}");
        assert_eq!(
            d.buyer.as_deref().map(|b| b.parse::<Address>().unwrap()),
            (on.buyer != Address::ZERO).then_some(on.buyer),
            "{ctx}"
        );
        assert_eq!(d.amount, units(on.amount), "{ctx}");
        if d.state != "unassigned" {
            assert_eq!(d.deadline, on.deadline, "{ctx}");
        }
        assert_eq!(d.order_ref, format!("{:#x}", on.orderRef), "{ctx}");
        assert_eq!(
            (d.fee_bps, d.agent_share_bps, d.reward_bps),
            (on.feeBps, on.agentShareBps, on.rewardBps),
            "{ctx} rates fixed at open"
        );
        assert_eq!(
            d.agent.as_deref().map(|g| g.parse::<Address>().unwrap()),
            (on.agent != Address::ZERO).then_some(on.agent),
            "{ctx} agent fixed at open"
        );
        assert_eq!(
            d.disputed_at.unwrap_or(0),
            on.disputedAt,
            "{ctx} disputed at"
        );
    }
    for o in store.buy_orders(CHAIN).await.unwrap() {
        let on = escrow
            .buyOrder(U256::from(o.order_id))
            .call()
            .await
            .unwrap();
        if o.open {
            assert_eq!(
                o.remaining,
                units(on.remaining),
                "{ctx}: order {}",
                o.order_id
            );
        } else {
            assert_eq!(
                on.merchant,
                Address::ZERO,
                "{ctx}: closed order {}",
                o.order_id
            );
        }
    }
}

/// Every log of the platform's token (`Transfer`), escrow and multisig up to the
/// cursor is stored exactly once, with its block hash.
pub async fn assert_events_match_chain(p: &LocalPlatform, store: &Store, ctx: &str) {
    let to = store.cursor(CHAIN).await.unwrap().unwrap().block_number;
    let provider = p.provider(DEPLOYER).unwrap();
    let d = &p.deployment;
    for (table, address, topic) in [
        ("transfers", d.token, Some(TRANSFER_TOPIC)),
        ("escrow_events", d.escrow, None),
        ("multisig_events", d.multisig, None),
    ] {
        let want = log_keys(&provider, address, topic, to).await;
        assert!(!want.is_empty(), "{ctx}: {table} has logs on chain");
        assert_eq!(
            stored_keys(store, table).await,
            want,
            "{ctx}: {table} equals the chain's logs of {address}"
        );
    }
}

/// Deals left in every live state after the day: a paid trade, an unassigned payout, a
/// cancelled unassigned payout, a cancelled buy order, an open collection.
pub async fn leave_deals_open(p: &LocalPlatform) {
    let as_merchant_2 = p.escrow(MERCHANT_2).unwrap();
    let as_trader_2 = p.escrow(TRADER_2).unwrap();
    let as_merchant = p.escrow(MERCHANT).unwrap();
    let as_dispatcher = p.escrow(DISPATCHER).unwrap();
    let expiry = p.now().await.unwrap() + 86_400;
    let order = as_merchant_2
        .post_buy_order(
            3_600,
            "THB",
            usdt(1_000),
            usdt(10),
            usdt(1_000),
            expiry,
            900,
        )
        .await
        .unwrap();
    let trade = as_trader_2
        .fill_buy_order(order, usdt(300), B256::repeat_byte(7))
        .await
        .unwrap();
    as_merchant_2.mark_paid(trade).await.unwrap();
    as_merchant_2.cancel_buy_order(order).await.unwrap();
    let _unassigned = as_merchant
        .open_payout(usdt(100), 1_800, B256::repeat_byte(8))
        .await
        .unwrap();
    let dropped = as_merchant
        .open_payout(usdt(50), 1_800, B256::repeat_byte(9))
        .await
        .unwrap();
    as_merchant.cancel(dropped).await.unwrap();
    as_dispatcher
        .assign_collection(
            p.address(ACCEPTOR),
            p.address(MERCHANT_2),
            usdt(150),
            1_800,
            B256::repeat_byte(10),
        )
        .await
        .unwrap();
}

async fn backfill(p: &LocalPlatform, store: &Store, config: &Config) -> Arc<Metrics> {
    let metrics = Arc::new(Metrics::default());
    let indexer = ChainIndexer::new(
        CHAIN,
        config.chain(CHAIN).unwrap(),
        store.clone(),
        metrics.clone(),
    )
    .unwrap();
    let head = p.block_number().await.unwrap();
    indexer.backfill(0, head, |_| {}).await.unwrap();
    metrics
}

async fn lifecycles(backend: Backend) {
    let p = LocalPlatform::start().await.unwrap();
    let report = play_day(&p, |_| {}).await.unwrap();
    leave_deals_open(&p).await;
    let db = TestDb::new(backend).await;
    // Small ranges: the day spans many batches, so the derived rows are loaded and
    // written back across transactions.
    let config = platform_config(
        &p,
        &db,
        "head_lag = 0\nfinality_depth = 20\ninitial_range = 4\nmax_range = 4",
    );
    let store = db.store().await;
    let metrics = backfill(&p, &store, &config).await;
    let ctx = format!("{backend:?}");
    assert_derived_matches_chain(&p, &store, &ctx).await;

    // Deal outcomes of the day (6 opened: 4 released, 1 resolved, 1 cancelled) plus the
    // deals left behind.
    let deals = store.all_deals(CHAIN).await.unwrap();
    let count = |s: &str| deals.iter().filter(|d| d.state == s).count();
    assert_eq!(
        [
            count("released"),
            count("resolved"),
            count("cancelled"),
            count("paid"),
            count("unassigned"),
            count("open")
        ],
        [4, 1, 2, 1, 1, 1],
        "{ctx}: {deals:#?}"
    );
    // Event rows are confirmed exactly up to the finality line (depth 20).
    let finalized = store.cursor(CHAIN).await.unwrap().unwrap().finalized_number;
    let mut confirmed = 0;
    for d in &deals {
        for e in store.deal_events(CHAIN, d.deal_id).await.unwrap() {
            assert_eq!(e.confirmed, e.block_number <= finalized, "{ctx}: {e:?}");
            confirmed += usize::from(e.confirmed);
        }
    }
    assert!(
        confirmed > 0,
        "{ctx}: some deal events are behind the finality line"
    );
    let resolved = deals.iter().find(|d| d.state == "resolved").unwrap();
    assert_eq!(resolved.kind, "payout");
    assert_eq!(resolved.buyer_share_bps, Some(5_000));
    assert_eq!(resolved.settled_amount, Some(usdt(400).units().into()));
    assert_eq!(resolved.seller_refund, Some(usdt(400).units().into()));
    let trades = deals.iter().filter(|d| d.kind == "trade").count();
    assert_eq!(trades, 3);
    assert!(
        deals
            .iter()
            .filter(|d| d.kind == "trade")
            .all(|d| d.order_id.is_some())
    );

    // Treasury and commissions equal the day's report (read from the escrow's events
    // and balances by the demo itself).
    let treasury = format!("{:#x}", p.deployment.multisig);
    let t = store
        .escrow_account(CHAIN, &treasury)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.available, report.treasury_balance.units());
    for (name, agent, earned, _) in &report.commissions {
        let agent = format!("{agent:#x}");
        let (n, total) = store.agent_commission_total(CHAIN, &agent).await.unwrap();
        assert_eq!(total, earned.units(), "{ctx}: {name}");
        assert!(n >= 2, "{ctx}: {name} earned on several deals");
        let rows = store
            .agent_commissions(CHAIN, &agent, None, 100)
            .await
            .unwrap();
        assert_eq!(rows.len() as u64, n);
        let settled: Vec<_> = rows.iter().map(|c| c.deal_id).collect();
        for c in &rows {
            let d = &deals[c.deal_id as usize - 1];
            assert_eq!(d.agent_cut, Some(c.amount), "{settled:?}");
            assert_eq!(d.merchant, c.merchant);
        }
    }
    // The fee-tier change by multisig proposal shows in the stored fee parts: the second
    // collection (after the change) paid a lower rate than the first.
    let rate = |d: &stablerail_indexer::store::Deal| {
        let fee = d.fee.unwrap().0;
        let gross = d.settled_amount.unwrap().0;
        (fee, gross)
    };
    let collections: Vec<_> = deals
        .iter()
        .filter(|d| d.kind == "collection" && d.state == "released")
        .collect();
    let ((f1, g1), (f2, g2)) = (rate(collections[0]), rate(collections[1]));
    assert!(
        f2 * g1 < f1 * g2,
        "{ctx}: lower fee rate after the tier change"
    );
    // Settled volume per merchant per day adds up to the account's settled volume, and
    // every settlement's parts add up.
    for a in store.escrow_accounts(CHAIN).await.unwrap() {
        let days = store
            .merchant_volume(CHAIN, &a.address, None, None)
            .await
            .unwrap();
        let total: U256 = days.iter().map(|d| d.amount.0).sum();
        assert_eq!(Units(total), a.merchant_volume, "{ctx}: {}", a.address);
    }
    for d in deals.iter().filter(|d| d.settled_amount.is_some()) {
        let part = |v: &Option<Units>| v.unwrap().0;
        assert_eq!(
            part(&d.buyer_net) + part(&d.fee),
            part(&d.settled_amount),
            "deal {}",
            d.deal_id
        );
        assert_eq!(
            part(&d.agent_cut) + part(&d.reward) + part(&d.platform),
            part(&d.fee),
            "deal {}",
            d.deal_id
        );
    }
    let settings = store.escrow_settings(CHAIN).await.unwrap();
    assert_eq!(settings.treasury.as_deref(), Some(treasury.as_str()));
    assert!(
        settings.fee_schedule.is_some(),
        "the fee schedule change was indexed"
    );
    // Multisig events: the constructor's owners and setup, and every proposal executed.
    let (escrow_events, multisig_events) = store.event_counts(CHAIN).await.unwrap();
    assert_eq!(
        metrics.events(CHAIN),
        (escrow_events, multisig_events),
        "{ctx}: counted in /metrics"
    );
    assert!(escrow_events > 40, "{escrow_events}");
    assert!(multisig_events >= 4 + 10, "{multisig_events}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escrow_lifecycles_derive_the_contract_state_sqlite() {
    lifecycles(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escrow_lifecycles_derive_the_contract_state_postgres() {
    lifecycles(BACKENDS[1]).await;
}

async fn rpc(p: &LocalPlatform, method: &str, params: Value) -> Value {
    p.provider(DEPLOYER)
        .unwrap()
        .raw_request::<_, Value>(method.to_owned().into(), params)
        .await
        .unwrap()
}

pub async fn caught_up(p: &LocalPlatform, store: &Store) -> bool {
    let head = p.block_number().await.unwrap();
    let hash = rpc(
        p,
        "eth_getBlockByNumber",
        json!([format!("0x{head:x}"), false]),
    )
    .await["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    store
        .cursor(CHAIN)
        .await
        .unwrap()
        .is_some_and(|c| c.block_number == head && c.block_hash == hash)
}

/// Escrow actions on a branch that `evm_revert` then drops for a longer one with other
/// actions: the derived tables follow the canonical chain.
async fn reorg(backend: Backend) {
    let p = LocalPlatform::start().await.unwrap();
    play_day(&p, |_| {}).await.unwrap();
    let db = TestDb::new(backend).await;
    let config = platform_config(
        &p,
        &db,
        "finality_depth = 500\nhead_lag = 0\npoll_interval_ms = 20",
    );
    let store = db.store().await;
    let live = Live::start(&config, &store);
    wait_for(120, "catch-up", || caught_up(&p, &store)).await;
    let ctx = format!("{backend:?}");
    assert_derived_matches_chain(&p, &store, &format!("{ctx} before")).await;

    let snapshot = rpc(&p, "evm_snapshot", json!([])).await;
    // Branch A: a payout assigned and paid, a withdrawal, a settled collection.
    let as_merchant = p.escrow(MERCHANT).unwrap();
    let as_dispatcher = p.escrow(DISPATCHER).unwrap();
    let as_acceptor = p.escrow(ACCEPTOR).unwrap();
    let payout = as_merchant
        .open_payout(usdt(300), 1_800, B256::repeat_byte(20))
        .await
        .unwrap();
    as_dispatcher
        .assign_payout(payout, p.address(ACCEPTOR))
        .await
        .unwrap();
    as_acceptor.mark_paid(payout).await.unwrap();
    p.escrow(MERCHANT_2)
        .unwrap()
        .withdraw(usdt(50))
        .await
        .unwrap();
    let c = as_dispatcher
        .assign_collection(
            p.address(ACCEPTOR),
            p.address(MERCHANT),
            usdt(120),
            1_800,
            B256::repeat_byte(21),
        )
        .await
        .unwrap();
    as_acceptor.release(c).await.unwrap();
    let head_a = p.block_number().await.unwrap();
    wait_for(60, "catch-up on branch A", || caught_up(&p, &store)).await;
    assert_derived_matches_chain(&p, &store, &format!("{ctx} branch A")).await;
    let deals_a = store.all_deals(CHAIN).await.unwrap().len();

    // Branch B from the snapshot: other actions, and longer than A.
    assert_eq!(rpc(&p, "evm_revert", json!([snapshot])).await, json!(true));
    // Fresh clients: a provider's block watcher would wait for heights it has seen.
    let as_merchant = p.escrow(MERCHANT).unwrap();
    let as_dispatcher = p.escrow(DISPATCHER).unwrap();
    let as_acceptor = p.escrow(ACCEPTOR).unwrap();
    let mid = as_dispatcher
        .assign_collection(
            p.address(ACCEPTOR),
            p.address(MERCHANT_2),
            usdt(700),
            1_800,
            B256::repeat_byte(22),
        )
        .await
        .unwrap();
    as_dispatcher.mark_paid(mid).await.unwrap();
    as_acceptor.release(mid).await.unwrap();
    as_merchant.withdraw(usdt(10)).await.unwrap();
    while p.block_number().await.unwrap() <= head_a + 2 {
        rpc(&p, "evm_mine", json!([])).await;
    }
    wait_for(60, "catch-up on branch B", || caught_up(&p, &store)).await;
    assert_derived_matches_chain(&p, &store, &format!("{ctx} branch B")).await;
    assert!(live.metrics.reorgs(CHAIN) >= 1, "the reorg was noticed");
    let deals_b = store.all_deals(CHAIN).await.unwrap();
    assert_eq!(
        deals_b.len(),
        deals_a - 1,
        "branch A's two deals are gone, B's one is in"
    );
    assert_eq!(deals_b.last().unwrap().amount, usdt(700).units());
    assert_eq!(deals_b.last().unwrap().state, "released");
    live.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escrow_reorg_replays_the_derived_tables_sqlite() {
    reorg(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escrow_reorg_replays_the_derived_tables_postgres() {
    reorg(BACKENDS[1]).await;
}

/// `blocks` new blocks with escrow events. Branch `a`: a payout opened; then KYC of an
/// address no event touched before (a derived account that exists only on this
/// branch); then a withdrawal in the last block. Otherwise: a collection assigned and,
/// in the last block, released (a settlement touching the merchant's volume, the
/// agent's commissions, the day's volume and the treasury). Fresh clients every time:
/// a provider's block watcher would wait for heights it saw before an `evm_revert`.
async fn escrow_branch(p: &LocalPlatform, a: bool, blocks: u64, n: u64) {
    let start = p.block_number().await.unwrap();
    let reference = B256::from(U256::from(n));
    let (deal, actions) = if a {
        let id = p
            .escrow(MERCHANT)
            .unwrap()
            .open_payout(usdt(1 + n), 1_800, reference)
            .await
            .unwrap();
        if blocks >= 2 {
            let fresh = Address::from_word(B256::from(U256::from(0xdead_0000 + n)));
            p.kyc(&[fresh]).await.unwrap();
        }
        (id, 3)
    } else {
        let id = p
            .escrow(DISPATCHER)
            .unwrap()
            .assign_collection(
                p.address(ACCEPTOR),
                p.address(MERCHANT_2),
                usdt(1 + n),
                1_800,
                reference,
            )
            .await
            .unwrap();
        (id, 2)
    };
    if blocks > actions {
        rpc(
            p,
            "anvil_mine",
            json!([format!("0x{:x}", blocks - actions)]),
        )
        .await;
    }
    if blocks >= actions {
        if a {
            p.escrow(MERCHANT_2)
                .unwrap()
                .withdraw(usdt(1))
                .await
                .unwrap();
        } else {
            p.escrow(ACCEPTOR).unwrap().release(deal).await.unwrap();
        }
    }
    assert_eq!(p.block_number().await.unwrap(), start + blocks);
}

/// Reorgs of every depth 1..=20 across escrow events while the pipeline follows the
/// chain: branch A (`depth` blocks) is indexed, `evm_revert` drops it for branch B with
/// other escrow events, as long as A (even depths: a same-height reorg) or one block
/// longer. After each, exactly one rollback of exactly `depth` blocks, and the event
/// and derived tables equal the chain.
async fn reorgs_of_every_depth(backend: Backend) {
    let p = LocalPlatform::start().await.unwrap();
    play_day(&p, |_| {}).await.unwrap();
    let db = TestDb::new(backend).await;
    let config = platform_config(
        &p,
        &db,
        "finality_depth = 30\nhead_lag = 0\npoll_interval_ms = 20\ninitial_range = 3\nmax_range = 8",
    );
    let store = db.store().await;
    let live = Live::start(&config, &store);
    let fresh_db = TestDb::new(backend).await;
    let fresh = fresh_db.store().await;
    let fresh_config = platform_config(
        &p,
        &fresh_db,
        "head_lag = 0\ninitial_range = 1000\nmax_range = 1000",
    );
    for depth in 1..=20u64 {
        let ctx = format!("{backend:?} depth {depth}");
        wait_for(60, "catch-up", || caught_up(&p, &store)).await;
        let snapshot = rpc(&p, "evm_snapshot", json!([])).await;
        escrow_branch(&p, true, depth, depth).await;
        wait_for(60, "catch-up on branch A", || caught_up(&p, &store)).await;
        let reorgs = live.metrics.reorgs(CHAIN);
        let rolled_back = live.metrics.reorg_blocks(CHAIN);
        assert_eq!(rpc(&p, "evm_revert", json!([snapshot])).await, json!(true));
        escrow_branch(&p, false, depth + depth % 2, 100 + depth).await;
        wait_for(60, "catch-up on branch B", || caught_up(&p, &store)).await;
        assert_eq!(
            (
                live.metrics.reorgs(CHAIN) - reorgs,
                live.metrics.reorg_blocks(CHAIN) - rolled_back
            ),
            (1, depth),
            "{ctx}: one rollback of the whole branch A"
        );
        assert_derived_matches_chain(&p, &store, &ctx).await;
        assert_events_match_chain(&p, &store, &ctx).await;
        // Tables the contract has no view of (commissions, daily volume, settings)
        // too: every derived row equals a fresh backfill's of the final chain.
        clear_chain(&fresh).await;
        backfill(&p, &fresh, &fresh_config).await;
        assert_same_rows(&store, &fresh, &DERIVED_TABLES, &ctx).await;
        // Branch A's payout had the same deal id as branch B's collection.
        let last = store.all_deals(CHAIN).await.unwrap().pop().unwrap();
        assert_eq!(
            (last.kind.as_str(), last.state.as_str(), last.amount),
            (
                "collection",
                "released",
                Units::from(usdt(101 + depth).units())
            ),
            "{ctx}"
        );
    }
    live.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escrow_reorgs_depth_1_to_20_sqlite() {
    reorgs_of_every_depth(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escrow_reorgs_depth_1_to_20_postgres() {
    reorgs_of_every_depth(BACKENDS[1]).await;
}
