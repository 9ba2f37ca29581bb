//! Indexer benchmark (`cargo run --release -p stablerail-indexer --example bench`).
//!
//! Generates two chains on the pinned anvil from the test emitter: a dense one (at least
//! 200,000 USDT `Transfer` events, 1,000 per block) and a mainnet-like one (aimed at 25
//! per block, the density of a busy USDT block on Ethereum; anvil spreads the
//! transactions over more blocks, so the density reached is printed). For each it prints:
//! (a) fetch-only events/s (eth_getLogs + headers + decode, no store);
//! (b) sink-only events/s (decoded batches, built before the clock starts, committed
//!     one transaction per block range with the cursor) per store;
//! (c) full backfill events/s into SQLite and PostgreSQL; (d) c / min(a, b);
//! then the API's latency for an address-history query on a 1,000,000-row table under
//! concurrent load from a second process (this binary in `load` mode): a cold run
//! (every address queried for the first time, at a random point deep in its history)
//! and a warm run (random addresses, first page), each with its failed and timed-out
//! requests counted beside p50/p99. Each figure is printed with one line saying what
//! it means.
//!
//! Environment: `STABLERAIL_ANVIL` (else node_modules), `BENCH_EVENTS` (default 200000),
//! `BENCH_SPARSE_EVENTS` (default 50000), `BENCH_API_ROWS` (default 1000000),
//! `BENCH_PG` (admin URL, default postgres://postgres@127.0.0.1:5432/postgres).
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
/// Transfers per block of the dense chain.
const DENSE_PER_BLOCK: u64 = 1000;
/// Transfers per block of the mainnet-like chain.
const SPARSE_PER_BLOCK: u64 = 25;
const API_ADDRESSES: u64 = 1000;
/// Blocks of the API table (100 rows per block).
const API_ROWS_PER_BLOCK: u64 = 100;
/// A request slower than this counts as timed out.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

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

async fn fetch_all(source: &Source, from: u64, head: u64) -> Result<Vec<Fetched>> {
    let mut out = Vec::new();
    let mut next = from;
    let finalized = head.saturating_sub(64);
    while next <= head {
        let f = source.fetch(next, head, finalized).await?;
        next = f.to + 1;
        out.push(f);
    }
    Ok(out)
}

/// The batches the pipeline would commit for `fetched`, built before any clock starts.
fn batches(fetched: &[Fetched], head: u64) -> Result<Vec<Batch>> {
    let mut cursor = None;
    let mut out = Vec::with_capacity(fetched.len());
    for f in fetched {
        let last = f.blocks.last().cloned().context("batch without headers")?;
        out.push(Batch {
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
        });
        cursor = Some(f.to);
    }
    Ok(out)
}

async fn sink(store: &Store, batches: &[Batch]) -> Result<()> {
    for b in batches {
        store.commit_batch(b).await?;
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
            let block = i / API_ROWS_PER_BLOCK;
            transfers.push(Transfer {
                block_number: block,
                log_index: i % API_ROWS_PER_BLOCK,
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
        let last_block = (n - 1) / API_ROWS_PER_BLOCK;
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

async fn api_latency(store: Store, label: &str, rows: u64) -> Result<()> {
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
    let blocks = (rows / API_ROWS_PER_BLOCK).max(1).to_string();
    // Cold first: no address has been queried yet.
    for mode in ["cold", "warm"] {
        let out = tokio::process::Command::new(&exe)
            .args(["load", &url, &key, "10", "4", mode, &blocks])
            .output()
            .await?;
        let text = String::from_utf8_lossy(&out.stdout);
        println!("API {label} {mode}: {}", text.trim());
    }
    server.abort();
    Ok(())
}

/// One request's outcome.
enum Outcome {
    Ok(Duration),
    Failed,
    TimedOut,
}

/// `bench load URL KEY SECONDS CONCURRENCY MODE BLOCKS`: the load generator (second
/// process). `warm`: random addresses of the pool, first page of 50. `cold`: each
/// address of the pool once (never queried before), a page of 50 after a random block
/// of the table's `BLOCKS` (deep in its history); stops when every address was asked.
async fn load(
    url: String,
    key: String,
    secs: u64,
    conc: usize,
    cold: bool,
    blocks: u64,
) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..conc {
        let client = client.clone();
        let url = url.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut i = w as u64;
            let mut next_cold = w as u64;
            while Instant::now() < until {
                i = i
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let (index, after) = if cold {
                    if next_cold >= API_ADDRESSES {
                        break;
                    }
                    let a = next_cold;
                    next_cold += conc as u64;
                    (a, format!("&after={}:0", (i >> 33) % blocks))
                } else {
                    ((i >> 33) % API_ADDRESSES, String::new())
                };
                let a = format!(
                    "{:#x}",
                    Address::from_word(U256::from(0x9000 + index).into())
                );
                let t = Instant::now();
                let r = client
                    .get(format!(
                        "{url}/v1/transfers?chain={CHAIN}&address={a}&limit=50{after}"
                    ))
                    .header("x-api-key", &key)
                    .send()
                    .await;
                let outcome = match r {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(_) => Outcome::Ok(t.elapsed()),
                        Err(e) if e.is_timeout() => Outcome::TimedOut,
                        Err(_) => Outcome::Failed,
                    },
                    Ok(_) => Outcome::Failed,
                    Err(e) if e.is_timeout() => Outcome::TimedOut,
                    Err(_) => Outcome::Failed,
                };
                out.push(outcome);
            }
            out
        }));
    }
    let (mut lat, mut failed, mut timed_out) = (Vec::new(), 0usize, 0usize);
    for t in tasks {
        for o in t.await? {
            match o {
                Outcome::Ok(d) => lat.push(d),
                Outcome::Failed => failed += 1,
                Outcome::TimedOut => timed_out += 1,
            }
        }
    }
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let took = started.elapsed().as_secs_f64();
    println!(
        "{} ok in {took:.1}s ({:.0}/s, {conc} concurrent) p50 {:.2} ms p99 {:.2} ms, {failed} failed, {timed_out} timed out (> {}s)",
        lat.len(),
        lat.len() as f64 / took,
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        REQUEST_TIMEOUT.as_secs()
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
            args[6] == "cold",
            args[7].parse()?,
        )
        .await;
    }
    let events = env_u64("BENCH_EVENTS", 200_000);
    let sparse_events = env_u64("BENCH_SPARSE_EVENTS", 50_000);
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
    println!("What each figure means:");
    println!(
        "  (a) fetch-only: events/s the EVM source alone delivers (eth_getLogs, headers, decoding), nothing stored"
    );
    println!(
        "  (b) sink-only: events/s the store alone commits from decoded batches (one transaction per block range, with the cursor)"
    );
    println!(
        "  (c) full backfill: events/s of the whole pipeline (fetch overlapping with the store), what an operator sees"
    );
    println!(
        "  (d) ratio: (c) / min((a), (b)); 1.0 means the pipeline runs as fast as its slower stage"
    );
    println!(
        "  API cold: address-history page of 50 for addresses never queried before, from a random point deep in their history"
    );
    println!(
        "  API warm: address-history first page of 50 for random addresses of a 1,000-address pool queried over and over"
    );
    println!(
        "  failed / timed out: requests without a 2xx answer / without an answer within the timeout; p50/p99 count only answered ones"
    );

    let dense = generate(&provider, dev, emitter, 1, events, DENSE_PER_BLOCK).await?;
    let sparse = generate(
        &provider,
        dev,
        emitter,
        dense.1 + 1,
        sparse_events,
        SPARSE_PER_BLOCK,
    )
    .await?;
    let runs = [
        ("dense", 1, dense.1, dense.0),
        ("mainnet-like", dense.1 + 1, sparse.1, sparse.0),
    ];
    for (label, from, head, total) in runs {
        println!(
            "chain {label}: {total} Transfer events in blocks {from}..={head} ({:.0} per block)",
            total as f64 / (head - from + 1) as f64
        );
        measure(
            &anvil.endpoint(),
            emitter,
            &pg_admin,
            label,
            from,
            head,
            total,
        )
        .await?;
    }

    for backend in ["sqlite", "postgres"] {
        // API latency on a 1,000,000-row table.
        let dir = tempfile::tempdir()?;
        let mut pg = None;
        let api_url = if backend == "sqlite" {
            format!("sqlite:{}", dir.path().join("api.db").display())
        } else {
            let (c, uc) = PgDb::create(&pg_admin, "api").await?;
            pg = Some(c);
            uc
        };
        let api_store = Store::open(&api_url).await?;
        let t = Instant::now();
        fill_api_table(&api_store, api_rows).await?;
        println!(
            "API table {backend}: {api_rows} rows written in {:.1}s",
            t.elapsed().as_secs_f64()
        );
        api_latency(api_store, backend, api_rows).await?;
        if let Some(db) = pg {
            db.drop_db().await;
        }
    }
    Ok(())
}

/// Sends `emitMany` transactions of `per_block` transfers from block `from` on until
/// `events` are emitted (automine: one transaction per block). Returns (events, head).
async fn generate(
    provider: &RootProvider,
    dev: Address,
    emitter: Address,
    from: u64,
    events: u64,
    per_block: u64,
) -> Result<(u64, u64)> {
    let started = Instant::now();
    let txs = events.div_ceil(per_block);
    let mut last_tx = Value::Null;
    for s in 0..txs {
        let data = emitManyCall {
            n: U256::from(per_block),
            seed: U256::from(from + s),
            parties: U256::from(500u64),
        }
        .abi_encode();
        last_tx = rpc(
            provider,
            "eth_sendTransaction",
            json!([{ "from": dev, "to": emitter, "data": format!("0x{}", hex::encode(data)), "gas": "0x1c9c380" }]),
        )
        .await?;
    }
    // anvil's automine can leave a transaction that arrived mid-block pending.
    while rpc(provider, "eth_getTransactionReceipt", json!([last_tx]))
        .await?
        .is_null()
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let pending = rpc(provider, "txpool_status", json!([])).await?;
        if pending["pending"] != "0x0" {
            rpc(provider, "evm_mine", json!([])).await?;
        }
    }
    let head = provider.get_block_number().await?;
    println!(
        "generated {} events in {:.1}s",
        txs * per_block,
        started.elapsed().as_secs_f64()
    );
    Ok((txs * per_block, head))
}

/// Prints (a)..(d) for blocks `from..=head` holding `total` transfers.
async fn measure(
    endpoint: &str,
    emitter: Address,
    pg_admin: &str,
    label: &str,
    from: u64,
    head: u64,
    total: u64,
) -> Result<()> {
    // (a) fetch-only.
    let cfg = config(endpoint, emitter, "sqlite::memory:")?;
    let source = Source::new(cfg.chain(CHAIN)?)?;
    let t = Instant::now();
    let fetched = fetch_all(&source, from, head).await?;
    let fetch_rate = rate(total, t.elapsed());
    let n: u64 = fetched.iter().map(|b| b.rows.transfers.len() as u64).sum();
    anyhow::ensure!(n == total, "fetched {n} of {total}");
    println!(
        "{label} (a) fetch-only: {fetch_rate:.0} events/s ({} batches)",
        fetched.len()
    );
    let prepared = batches(&fetched, head)?;
    drop(fetched);
    for backend in ["sqlite", "postgres"] {
        let dir = tempfile::tempdir()?;
        let mut pg = Vec::new();
        let url = |tag: &str| -> String {
            format!("sqlite:{}", dir.path().join(format!("{tag}.db")).display())
        };
        let (sink_url, full_url) = if backend == "sqlite" {
            (url("sink"), url("full"))
        } else {
            let (a, ua) = PgDb::create(pg_admin, "sink").await?;
            let (b, ub) = PgDb::create(pg_admin, "full").await?;
            pg.push(a);
            pg.push(b);
            (ua, ub)
        };
        // (b) sink-only: the batches exist already; only the commits are timed.
        let store = Store::open(&sink_url).await?;
        let t = Instant::now();
        sink(&store, &prepared).await?;
        let sink_rate = rate(total, t.elapsed());
        // (c) full backfill.
        let store_full = Store::open(&full_url).await?;
        let cfg = config(endpoint, emitter, &full_url)?;
        let indexer =
            ChainIndexer::new(CHAIN, cfg.chain(CHAIN)?, store_full.clone(), Arc::default())?;
        let t = Instant::now();
        indexer.backfill(from, head, |_| {}).await?;
        let full_rate = rate(total, t.elapsed());
        let n = store_full.all_transfers(CHAIN).await?.len() as u64;
        anyhow::ensure!(n == total, "{backend}: stored {n} of {total}");
        let ratio = full_rate / fetch_rate.min(sink_rate);
        println!("{label} (b) sink-only {backend}: {sink_rate:.0} events/s");
        println!("{label} (c) full backfill {backend}: {full_rate:.0} events/s");
        println!("{label} (d) ratio {backend}: {ratio:.2} (c / min(a, b))");
        for db in pg {
            db.drop_db().await;
        }
    }
    Ok(())
}
