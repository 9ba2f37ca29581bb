//! Indexer benchmark (`cargo run --release -p stablerail-indexer --example bench`).
//!
//! Generates a chain on the pinned anvil with at least 200,000 USDT `Transfer` events
//! (the test emitter: 1,000 events per transaction) and prints:
//! (a) fetch-only events/s (eth_getLogs + headers + decode, no store);
//! (b) sink-only events/s (pre-decoded rows committed batch by batch) per store;
//! (c) full backfill events/s into SQLite and PostgreSQL; (d) c / min(a, b);
//! then the API's p50/p99 latency for an address-history query on a 1,000,000-row table
//! under concurrent load from a second process (this binary in `load` mode).
//!
//! Environment: `STABLERAIL_ANVIL` (else node_modules), `BENCH_EVENTS` (default 200000),
//! `BENCH_API_ROWS` (default 1000000), `BENCH_PG` (admin URL, default
//! postgres://postgres@127.0.0.1:5432/postgres).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::{
    node_bindings::Anvil,
    primitives::{Address, U256},
    providers::{Provider, RootProvider},
    sol,
    sol_types::SolCall,
};
use anyhow::{Context, Result};
use serde_json::{Value, json};
use stablerail_indexer::{
    ChainIndexer, ChainKind, Config, Store,
    api::{ApiState, generate_api_key, hash_api_key, router},
    decode::Transfer,
    metrics::Metrics,
    source::{Fetched, Source},
    store::{Batch, BlockRow},
};

sol! {
    function emitMany(uint256 n, uint256 seed, uint256 parties) external;
}

const CHAIN: &str = "bench";
const PER_TX: u64 = 1000;
const API_ADDRESSES: u64 = 1000;

fn anvil_path() -> PathBuf {
    std::env::var_os("STABLERAIL_ANVIL").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
        },
        PathBuf::from,
    )
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn rpc(p: &RootProvider, method: &str, params: Value) -> Result<Value> {
    p.raw_request::<_, Value>(method.to_owned().into(), params)
        .await
        .with_context(|| method.to_owned())
}

struct PgDb {
    admin: String,
    name: String,
}

impl PgDb {
    async fn create(admin: &str, tag: &str) -> Result<(Self, String)> {
        let name = format!("sr_idx_bench_{tag}_{}", std::process::id());
        let pool = sqlx::PgPool::connect(admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\""
        )))
        .execute(&pool)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&pool)
            .await?;
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        Ok((
            Self {
                admin: admin.to_owned(),
                name: name.clone(),
            },
            format!("{base}/{name}"),
        ))
    }
    async fn drop_db(self) {
        if let Ok(pool) = sqlx::PgPool::connect(&self.admin).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            )))
            .execute(&pool)
            .await;
        }
    }
}

fn config(rpc_url: &str, emitter: Address, db: &str) -> Result<Config> {
    Ok(Config::parse(&format!(
        r#"
        database_url = "{db}"
        [chains.{CHAIN}]
        kind = "evm"
        rpc_urls = ["{rpc_url}"]
        usdt = "{emitter:#x}"
        head_lag = 0
        initial_range = 10
        max_range = 20
        concurrency = 4
        "#
    ))?)
}

async fn fetch_all(source: &Source, head: u64) -> Result<Vec<Fetched>> {
    let mut out = Vec::new();
    let mut next = 1;
    let finalized = head.saturating_sub(64);
    while next <= head {
        let f = source.fetch(next, head, finalized).await?;
        next = f.to + 1;
        out.push(f);
    }
    Ok(out)
}

async fn sink(store: &Store, batches: &[Fetched], head: u64) -> Result<()> {
    let mut cursor = None;
    for f in batches {
        let last = f.blocks.last().cloned().context("batch without headers")?;
        store
            .commit_batch(&Batch {
                chain: CHAIN.into(),
                expected_cursor: cursor,
                blocks: f.blocks.clone(),
                transfers: f.rows.transfers.clone(),
                escrow_events: f.rows.escrow_events.clone(),
                multisig_events: f.rows.multisig_events.clone(),
                blacklist: f.rows.blacklist.clone(),
                last,
                head,
                finalized: head.saturating_sub(64),
            })
            .await?;
        cursor = Some(f.to);
    }
    Ok(())
}

fn rate(events: u64, d: Duration) -> f64 {
    events as f64 / d.as_secs_f64()
}

/// 1,000,000 synthetic rows for the API test: 1,000 addresses, 100 rows per block.
async fn fill_api_table(store: &Store, rows: u64) -> Result<()> {
    let addr = |i: u64| format!("{:#x}", Address::from_word(U256::from(0x9000 + i).into()));
    let per_batch = 20_000u64;
    let mut cursor = None;
    let mut n = 0u64;
    while n < rows {
        let mut transfers = Vec::with_capacity(per_batch as usize);
        let mut blocks = Vec::new();
        for k in 0..per_batch.min(rows - n) {
            let i = n + k;
            let block = i / 100;
            transfers.push(Transfer {
                block_number: block,
                log_index: i % 100,
                block_hash: format!("0x{:064x}", block),
                block_time: 1_700_000_000 + block as i64 * 12,
                tx_hash: format!("0x{:064x}", i / 10),
                token: addr(9999),
                from: addr((i * 7919) % API_ADDRESSES),
                to: addr((i * 104_729 + 1) % API_ADDRESSES),
                amount: (i * 1_000_003 % 10_000_000_000).to_string(),
            });
        }
        n += transfers.len() as u64;
        let last_block = (n - 1) / 100;
        blocks.push(BlockRow {
            number: last_block,
            hash: format!("0x{:064x}", last_block),
            parent_hash: format!("0x{:064x}", last_block.saturating_sub(1)),
            time: 0,
        });
        store
            .commit_batch(&Batch {
                chain: CHAIN.into(),
                expected_cursor: cursor,
                blocks: blocks.clone(),
                transfers,
                escrow_events: Vec::new(),
                multisig_events: Vec::new(),
                blacklist: Vec::new(),
                last: blocks[0].clone(),
                head: last_block,
                finalized: last_block,
            })
            .await?;
        cursor = Some(last_block);
    }
    Ok(())
}

async fn api_latency(store: Store, label: &str) -> Result<()> {
    let key = generate_api_key();
    store.create_api_key("bench", &hash_api_key(&key)).await?;
    let state = ApiState {
        store,
        metrics: Arc::new(Metrics::default()),
        chains: Arc::new(BTreeMap::from([(CHAIN.to_owned(), ChainKind::Evm)])),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, router(state)).await });
    let exe = std::env::current_exe()?;
    let out = tokio::process::Command::new(exe)
        .args(["load", &url, &key, "10", "4"])
        .output()
        .await?;
    server.abort();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("API {label}: {}", text.trim());
    Ok(())
}

/// `bench load URL KEY SECONDS CONCURRENCY`: the load generator (second process).
async fn load(url: String, key: String, secs: u64, conc: usize) -> Result<()> {
    let client = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..conc {
        let client = client.clone();
        let url = url.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = w as u64;
            while Instant::now() < until {
                i = i
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let a = format!(
                    "{:#x}",
                    Address::from_word(U256::from(0x9000 + (i >> 33) % API_ADDRESSES).into())
                );
                let t = Instant::now();
                let r = client
                    .get(format!(
                        "{url}/v1/transfers?chain={CHAIN}&address={a}&limit=50"
                    ))
                    .header("x-api-key", &key)
                    .send()
                    .await;
                let ok = match r {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    lat.push(t.elapsed());
                }
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{} requests in {secs}s ({:.0}/s, {conc} concurrent) p50 {:.2} ms p99 {:.2} ms",
        all.len(),
        all.len() as f64 / secs as f64,
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("load") {
        return load(
            args[2].clone(),
            args[3].clone(),
            args[4].parse()?,
            args[5].parse()?,
        )
        .await;
    }
    let events = env_u64("BENCH_EVENTS", 200_000);
    let api_rows = env_u64("BENCH_API_ROWS", 1_000_000);
    let pg_admin = std::env::var("BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());

    let anvil = Anvil::at(anvil_path()).port(0u16).try_spawn()?;
    let provider = RootProvider::new_http(anvil.endpoint().parse()?);
    let dev = anvil.addresses()[0];
    let code = include_str!("../tests/fixtures/TransferEmitter.bin").trim();
    let tx = rpc(
        &provider,
        "eth_sendTransaction",
        json!([{ "from": dev, "data": format!("0x{code}"), "gas": "0x200000" }]),
    )
    .await?;
    let mut emitter = None;
    for _ in 0..400 {
        let r = rpc(&provider, "eth_getTransactionReceipt", json!([tx])).await?;
        if let Some(a) = r["contractAddress"].as_str() {
            emitter = Some(a.parse::<Address>()?);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let emitter = emitter.context("emitter not deployed")?;
    let started = Instant::now();
    let txs = events.div_ceil(PER_TX);
    let mut last_tx = Value::Null;
    for s in 0..txs {
        let data = emitManyCall {
            n: U256::from(PER_TX),
            seed: U256::from(s),
            parties: U256::from(500u64),
        }
        .abi_encode();
        last_tx = rpc(
            &provider,
            "eth_sendTransaction",
            json!([{ "from": dev, "to": emitter, "data": format!("0x{}", hex::encode(data)), "gas": "0x1c9c380" }]),
        )
        .await?;
    }
    // anvil's automine can leave a transaction that arrived mid-block pending.
    while rpc(&provider, "eth_getTransactionReceipt", json!([last_tx]))
        .await?
        .is_null()
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let pending = rpc(&provider, "txpool_status", json!([])).await?;
        if pending["pending"] != "0x0" {
            rpc(&provider, "evm_mine", json!([])).await?;
        }
    }
    let head = provider.get_block_number().await?;
    let total = txs * PER_TX;
    println!(
        "chain: {total} Transfer events in {head} blocks, generated in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // (a) fetch-only.
    let cfg = config(&anvil.endpoint(), emitter, "sqlite::memory:")?;
    let source = Source::new(cfg.chain(CHAIN)?)?;
    let t = Instant::now();
    let batches = fetch_all(&source, head).await?;
    let fetch_rate = rate(total, t.elapsed());
    let fetched: u64 = batches.iter().map(|b| b.rows.transfers.len() as u64).sum();
    anyhow::ensure!(fetched == total, "fetched {fetched} of {total}");
    println!(
        "(a) fetch-only: {fetch_rate:.0} events/s ({} batches)",
        batches.len()
    );

    let mut results = Vec::new();
    for backend in ["sqlite", "postgres"] {
        let dir = tempfile::tempdir()?;
        let mut pg = Vec::new();
        let url = |tag: &str| -> String {
            format!("sqlite:{}", dir.path().join(format!("{tag}.db")).display())
        };
        let (sink_url, full_url) = if backend == "sqlite" {
            (url("sink"), url("full"))
        } else {
            let (a, ua) = PgDb::create(&pg_admin, "sink").await?;
            let (b, ub) = PgDb::create(&pg_admin, "full").await?;
            pg.push(a);
            pg.push(b);
            (ua, ub)
        };
        // (b) sink-only.
        let store = Store::open(&sink_url).await?;
        let t = Instant::now();
        sink(&store, &batches, head).await?;
        let sink_rate = rate(total, t.elapsed());
        // (c) full backfill.
        let store_full = Store::open(&full_url).await?;
        let cfg = config(&anvil.endpoint(), emitter, &full_url)?;
        let indexer =
            ChainIndexer::new(CHAIN, cfg.chain(CHAIN)?, store_full.clone(), Arc::default())?;
        let t = Instant::now();
        indexer.backfill(1, head, |_| {}).await?;
        let full_rate = rate(total, t.elapsed());
        let n = store_full.all_transfers(CHAIN).await?.len() as u64;
        anyhow::ensure!(n == total, "{backend}: stored {n} of {total}");
        let ratio = full_rate / fetch_rate.min(sink_rate);
        println!("(b) sink-only {backend}: {sink_rate:.0} events/s");
        println!("(c) full backfill {backend}: {full_rate:.0} events/s");
        println!("(d) ratio {backend}: {ratio:.2} (c / min(a, b))");
        results.push((backend, sink_rate, full_rate, ratio));

        // API latency on a 1,000,000-row table.
        let api_url = if backend == "sqlite" {
            url("api")
        } else {
            let (c, uc) = PgDb::create(&pg_admin, "api").await?;
            pg.push(c);
            uc
        };
        let api_store = Store::open(&api_url).await?;
        let t = Instant::now();
        fill_api_table(&api_store, api_rows).await?;
        println!(
            "API table {backend}: {api_rows} rows written in {:.1}s",
            t.elapsed().as_secs_f64()
        );
        api_latency(api_store, backend).await?;
        for db in pg {
            db.drop_db().await;
        }
    }
    Ok(())
}
