//! Escrow replay benchmark (`cargo run --release -p stablerail-indexer --example replay_bench`).
//!
//! The chains of `bench` carry USDT transfers only, so the derived escrow tables are
//! measured here, on a synthetic but valid escrow history: deposits, then deals opened,
//! marked paid and released (one in ten cancelled instead), half of them with an agent,
//! with a withdrawal and a new deposit every twentieth deal. The events are built from
//! their stored JSON form (the `fields` column), before any clock starts. It prints:
//! (a) apply-only: events/s of `Derived::apply` over the whole history in one working
//!     set (no store), best and median of five runs;
//! (b) sink: events/s the store commits batches of these events (event rows plus the
//!     derived tables loaded, replayed and written back, one transaction per block range
//!     with the cursor), into SQLite (in memory) and PostgreSQL;
//! (c) full replay: events/s of a rollback that keeps every event, so the derived tables
//!     are rebuilt from all stored events (read back, parsed, replayed, written).
//!
//! Environment: `REPLAY_EVENTS` (default 200000), `BENCH_PG` (admin URL, default
//! postgres://postgres@127.0.0.1:5432/postgres).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use stablerail_indexer::{
    Store,
    events::{EscrowEvent, EscrowEventRow, EventRow},
    store::{Batch, BlockRow, derived::Derived},
};

const CHAIN: &str = "replay";
/// Escrow events per block.
const PER_BLOCK: u64 = 20;
/// Blocks per committed batch.
const BLOCKS_PER_BATCH: u64 = 100;
/// Sellers, buyers and merchants are drawn from this many wallets.
const WALLETS: u64 = 500;
/// Agents.
const AGENTS: u64 = 50;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn wallet(i: u64) -> String {
    format!("0x{:040x}", 0x1000 + i)
}

fn hash(i: u64) -> String {
    format!("0x{i:064x}")
}

/// The history's events in order, as JSON (`escrow_events.fields`).
fn history(n: u64) -> Vec<Value> {
    let treasury = wallet(10_000);
    let mut out = vec![json!({"event": "TreasurySet", "previous": wallet(0), "current": treasury})];
    for w in 0..WALLETS {
        out.push(json!({"event": "Deposited", "account": wallet(w), "amount": "1000000000000000"}));
    }
    let mut deal = 0u64;
    while (out.len() as u64) < n {
        deal += 1;
        let seller = wallet(deal % WALLETS);
        let buyer = wallet((deal * 7 + 3) % WALLETS);
        let merchant = wallet((deal * 13 + 5) % WALLETS);
        let agent = deal
            .is_multiple_of(2)
            .then(|| wallet(WALLETS + deal % AGENTS));
        let amount = 1_000_000 + deal * 7_919 % 100_000_000;
        out.push(json!({
            "event": "DealOpened", "deal_id": deal, "deal_kind": "payout", "seller": seller,
            "buyer": buyer, "merchant": merchant, "amount": amount.to_string(),
            "payment_window": 900, "deadline": 1_700_000_900u64, "order_ref": hash(deal),
            "fee_bps": 100, "rate_agent": agent, "agent_share_bps": 2_000, "reward_bps": 0
        }));
        out.push(json!({"event": "DealMarkedPaid", "deal_id": deal, "by": buyer}));
        if deal.is_multiple_of(10) {
            out.push(json!({
                "event": "DealCancelled", "deal_id": deal, "by": seller, "seller": seller,
                "amount": amount.to_string()
            }));
        } else {
            let fee = amount / 100;
            let cut = if agent.is_some() { fee / 5 } else { 0 };
            out.push(json!({
                "event": "DealReleased", "deal_id": deal, "seller": seller, "buyer": buyer,
                "settlement": {
                    "deal_kind": "payout", "merchant": merchant, "agent": agent,
                    "amount": amount.to_string(), "buyer_net": (amount - fee).to_string(),
                    "fee": fee.to_string(), "agent_cut": cut.to_string(), "reward": "0",
                    "platform": (fee - cut).to_string()
                }
            }));
        }
        if deal.is_multiple_of(20) {
            out.push(
                json!({"event": "Withdrawn", "account": seller, "to": seller, "amount": "5000000"}),
            );
            out.push(json!({"event": "Deposited", "account": seller, "amount": "5000000"}));
        }
    }
    out.truncate(n as usize);
    out
}

fn rows(history: Vec<Value>) -> Result<Vec<EscrowEventRow>> {
    history
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let i = i as u64;
            let block = i / PER_BLOCK;
            let event: EscrowEvent =
                serde_json::from_value(v.clone()).with_context(|| v.to_string())?;
            Ok(EventRow {
                block_number: block,
                log_index: i % PER_BLOCK,
                block_hash: hash(block),
                block_time: 1_700_000_000 + block as i64 * 12,
                tx_hash: hash(1 << 40 | i),
                contract: wallet(20_000),
                event,
            })
        })
        .collect()
}

fn block(n: u64) -> BlockRow {
    BlockRow {
        number: n,
        hash: hash(n),
        parent_hash: hash(n.saturating_sub(1)),
        time: 1_700_000_000 + n as i64 * 12,
    }
}

fn batches(events: &[EscrowEventRow]) -> Vec<Batch> {
    let head = events.last().map_or(0, |e| e.block_number);
    let per_batch = (PER_BLOCK * BLOCKS_PER_BATCH) as usize;
    let mut cursor = None;
    events
        .chunks(per_batch)
        .map(|chunk| {
            let first = chunk[0].block_number;
            let last = chunk[chunk.len() - 1].block_number;
            let b = Batch {
                chain: CHAIN.into(),
                expected_cursor: cursor,
                blocks: (first..=last).map(block).collect(),
                transfers: Vec::new(),
                escrow_events: chunk.to_vec(),
                multisig_events: Vec::new(),
                blacklist: Vec::new(),
                last: block(last),
                head,
                finalized: head.saturating_sub(64),
            };
            cursor = Some(last);
            b
        })
        .collect()
}

fn rate(events: usize, d: Duration) -> f64 {
    events as f64 / d.as_secs_f64()
}

async fn store_figures(label: &str, url: &str, events: &[EscrowEventRow]) -> Result<()> {
    let store = Store::open(url).await?;
    let batches = batches(events);
    let t = Instant::now();
    for b in &batches {
        store.commit_batch(b).await?;
    }
    let sink = t.elapsed();
    let last = batches.last().context("no batch")?.last.clone();
    let t = Instant::now();
    store.rollback(CHAIN, &last).await?;
    let replay = t.elapsed();
    println!(
        "(b) sink {label}: {:.0} events/s ({} events in {} batches, {:.2} s)",
        rate(events.len(), sink),
        events.len(),
        batches.len(),
        sink.as_secs_f64()
    );
    println!(
        "(c) full replay {label}: {:.0} events/s ({:.2} s)",
        rate(events.len(), replay),
        replay.as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let n = env_u64("REPLAY_EVENTS", 200_000);
    let pg_admin = std::env::var("BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let events = rows(history(n))?;
    println!("What each figure means:");
    println!("  (a) apply-only: events/s Derived::apply replays into one working set, no store");
    println!(
        "  (b) sink: events/s the store commits (event rows and derived tables, one transaction per {BLOCKS_PER_BATCH} blocks of {PER_BLOCK} events)"
    );
    println!(
        "  (c) full replay: events/s of rebuilding the derived tables from every stored event"
    );

    let mut runs = Vec::new();
    for _ in 0..5 {
        let mut d = Derived::new(CHAIN);
        let t = Instant::now();
        d.apply(&events)?;
        runs.push(t.elapsed());
        std::hint::black_box(&d);
    }
    runs.sort();
    println!(
        "(a) apply-only: best {:.0} events/s, median {:.0} events/s ({} events, {} deals)",
        rate(events.len(), runs[0]),
        rate(events.len(), runs[2]),
        events.len(),
        events
            .iter()
            .filter(|e| e.event.name() == "DealOpened")
            .count()
    );

    store_figures("SQLite", "sqlite::memory:", &events).await?;

    let name = format!("sr_idx_replay_{}", std::process::id());
    let pool = sqlx::PgPool::connect(&pg_admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&pool)
        .await?;
    let base = pg_admin
        .rsplit_once('/')
        .map_or(pg_admin.as_str(), |(b, _)| b);
    let result = store_figures("PostgreSQL", &format!("{base}/{name}"), &events).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&pool)
    .await?;
    result
}
