//! Reorgs of depth 1..=20 made with `anvil_reorg` while the indexer follows the chain.

use serde_json::{Value, json};

use crate::common::{BACKENDS, Backend, CHAIN, Chain, Live, TestDb, evm_config, stored, wait_for};

const FINALITY: u64 = 25;

async fn caught_up(chain: &Chain, store: &stablerail_indexer::Store) -> bool {
    let head = chain.head().await;
    match store.cursor(CHAIN).await.unwrap() {
        Some(c) => c.block_number == head && c.block_hash == chain.hash_at(head).await,
        None => false,
    }
}

async fn assert_matches_chain(chain: &Chain, store: &stablerail_indexer::Store, ctx: &str) {
    let head = chain.head().await;
    let canonical = chain.canonical(head).await;
    let got = stored(store).await;
    assert_eq!(got.len(), canonical.len(), "{ctx}: row count");
    assert_eq!(
        got, canonical,
        "{ctx}: rows differ from eth_getLogs of the final chain"
    );
    for t in store.all_transfers(CHAIN).await.unwrap() {
        assert_eq!(
            t.confirmed,
            t.block_number + FINALITY <= head,
            "{ctx}: confirmed flag of block {}",
            t.block_number
        );
    }
}

async fn reorgs_during_live_indexing(backend: Backend) {
    let chain = Chain::start().await;
    let db = TestDb::new(backend).await;
    let config = evm_config(
        &chain,
        &db,
        &format!(
            "finality_depth = {FINALITY}\nhead_lag = 0\npoll_interval_ms = 20\ninitial_range = 3\nmax_range = 8"
        ),
    );
    let store = db.store().await;
    let live = Live::start(&config, &store);

    let mut seed = 1000u64;
    // Enough history below the deepest reorg.
    for _ in 0..24 {
        seed += 1;
        chain.emit(3, seed).await;
    }
    for depth in 1..=20u64 {
        for _ in 0..2 {
            seed += 1;
            chain.emit(4, seed).await;
        }
        wait_for(60, "catch-up before reorg", || caught_up(&chain, &store)).await;
        let head_before = chain.head().await;
        let old_hash = chain.hash_at(head_before - depth + 1).await;
        // Replace the last `depth` blocks; put different transfers in some of them.
        let pairs: Vec<Value> = (0..depth)
            .filter(|i| i % 2 == 0)
            .map(|i| {
                seed += 1;
                json!([chain.emit_tx(2 + i % 3, seed), i])
            })
            .collect();
        let _: Value = chain.rpc("anvil_reorg", json!([depth, pairs])).await;
        assert_ne!(
            chain.hash_at(head_before - depth + 1).await,
            old_hash,
            "anvil_reorg replaced the block"
        );
        if depth % 3 == 0 {
            seed += 1;
            chain.emit(2, seed).await; // sometimes the new branch is also longer
        }
        wait_for(60, "catch-up after reorg", || caught_up(&chain, &store)).await;
        assert_matches_chain(&chain, &store, &format!("{backend:?} depth {depth}")).await;
    }
    assert!(
        live.metrics.reorgs(CHAIN) >= 20,
        "every reorg was noticed and rolled back: {}",
        live.metrics.reorgs(CHAIN)
    );
    live.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorgs_depth_1_to_20_sqlite() {
    reorgs_during_live_indexing(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorgs_depth_1_to_20_postgres() {
    reorgs_during_live_indexing(BACKENDS[1]).await;
}
