//! `make bench` figures of the risk monitor:
//! - rule evaluation throughput (events/s): the pure transfer rules alone, and the
//!   whole monitor pass (read from the database, evaluate, commit) over 200,000
//!   ordinary transfers written through the indexer's own `commit_batch`, next to the
//!   rate at which that write path ingested them (SQLite and PostgreSQL);
//! - latency from a planted pattern's block being indexed (the indexer's cursor
//!   reaching it) to its `risk.alert.opened` webhook arriving at a local receiver,
//!   p50/p99 over 100 large transfers on anvil with the embedded indexer (target p99
//!   ≤ 1 s).
//!
//! PostgreSQL figures need a server on 127.0.0.1:5432 with trust auth (skipped if none).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, U256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use serde_json::json;
use sqlx::Row;
use stablerail_demo::{LocalPlatform, MockUSDTEthereum, role};
use stablerail_gateway::{
    Config, Gateway, GatewayOptions,
    risk::{Flow, OPERATOR, RiskConfig, monitor::Monitor, rules::flows::FlowWindow},
    webhooks::endpoints,
};
use stablerail_indexer::{
    Store,
    decode::Transfer,
    store::{Batch, BlockRow},
};

const TRANSFERS: u64 = 200_000;
const SAMPLES: usize = 100;
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const U: u128 = 1_000_000;

fn addr(kind: u64, i: u64) -> String {
    format!("0x{kind:08x}{i:032x}")
}

/// Ordinary traffic: 20,000 customers paying 50 merchants or each other, 3 per
/// block, 12 s blocks.
fn ordinary(n: u64) -> Vec<(u64, String, String, u128)> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|k| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let from = addr(1, (k * 7_919) % 20_000);
            let to = if x % 10 < 7 {
                addr(2, x % 50)
            } else {
                addr(1, (x >> 8) % 20_000)
            };
            (k / 3 + 1, from, to, U + u128::from(x % 2_000) * U)
        })
        .collect()
}

fn pure_throughput() {
    let config = RiskConfig::default();
    let exempt: BTreeSet<String> = (0..50).map(|i| addr(2, i)).collect();
    let flows: Vec<Flow> = ordinary(TRANSFERS)
        .into_iter()
        .enumerate()
        .map(|(i, (b, from, to, amount))| Flow {
            block_number: b,
            log_index: i as u64 % 3,
            block_hash: String::new(),
            block_time: 1_700_000_000 + b as i64 * 12,
            tx_hash: String::new(),
            from,
            to,
            amount,
        })
        .collect();
    let mut w = FlowWindow::new(config.flow_span_secs());
    let t = Instant::now();
    let mut findings = 0;
    for chunk in flows.chunks(1_000) {
        findings += w
            .evaluate(&config, "bench", &exempt, None, chunk.to_vec())
            .0
            .len();
    }
    let rate = TRANSFERS as f64 / t.elapsed().as_secs_f64();
    println!(
        "(a) pure transfer rules: {rate:.0} events/s over {TRANSFERS} transfers ({findings} findings)"
    );
}

fn config_text(url: &str) -> String {
    format!(
        r#"
database_url = "{url}"
listen = "127.0.0.1:0"
[risk]
batch_blocks = 5000
[chains.bench]
chain_id = 31337
[indexer.chains.bench]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
"#
    )
}

async fn monitor_throughput(label: &str, url: &str) {
    let gw = Gateway::start(
        Config::parse(&config_text(url)).unwrap(),
        GatewayOptions {
            indexer: false,
            watcher: false,
            sender: false,
        },
    )
    .await
    .unwrap();
    for j in 0..50 {
        let input = json!({ "name": format!("m{j}"), "chains": [{ "chain": "bench", "receiving": addr(2, j) }] });
        let m = stablerail_gateway::merchants::NewMerchant::from_json(&gw.app().config, &input)
            .unwrap();
        stablerail_gateway::merchants::create(&gw.app().db, &m)
            .await
            .unwrap();
    }
    let store = Store::open(url).await.unwrap();
    let rows = ordinary(TRANSFERS);
    let last_block = rows.last().unwrap().0;
    let t = Instant::now();
    let mut cursor = None;
    for chunk in rows.chunks(30_000) {
        let first = chunk[0].0;
        let last = chunk.last().unwrap().0;
        let block = |n: u64| BlockRow {
            number: n,
            hash: format!("0x{n:064x}"),
            parent_hash: format!("0x{:064x}", n.saturating_sub(1)),
            time: 1_700_000_000 + n as i64 * 12,
        };
        let transfers = chunk
            .iter()
            .enumerate()
            .map(|(i, (b, from, to, amount))| Transfer {
                block_number: *b,
                log_index: i as u64 % 3,
                block_hash: format!("0x{b:064x}"),
                block_time: 1_700_000_000 + *b as i64 * 12,
                tx_hash: format!("0x{:064x}", b * 3 + i as u64 % 3),
                token: "0xdac17f958d2ee523a2206206994597c13d831ec7".into(),
                from: from.clone(),
                to: to.clone(),
                amount: amount.to_string(),
            })
            .collect();
        store
            .commit_batch(&Batch {
                chain: "bench".into(),
                expected_cursor: cursor,
                blocks: (first.max(last.saturating_sub(64))..=last)
                    .map(block)
                    .collect(),
                transfers,
                escrow_events: Vec::new(),
                multisig_events: Vec::new(),
                blacklist: Vec::new(),
                last: block(last),
                head: last,
                finalized: last.saturating_sub(64),
            })
            .await
            .unwrap();
        cursor = Some(last);
    }
    let ingest = TRANSFERS as f64 / t.elapsed().as_secs_f64();
    let mut monitor = Monitor::new(gw.app().clone());
    let t = Instant::now();
    let stats = monitor.catch_up("bench", last_block).await.unwrap();
    let rate = stats.transfers as f64 / t.elapsed().as_secs_f64();
    println!(
        "(a) monitor pass {label}: {rate:.0} events/s (read, evaluate, commit; {} alerts) vs the indexer's write path ingesting the same rows at {ingest:.0} events/s",
        stats.opened
    );
    gw.stop().await;
}

struct Rx {
    secret: Mutex<String>,
    arrived: Mutex<HashMap<String, Instant>>,
}

async fn receiver() -> (String, Arc<Rx>) {
    let rx = Arc::new(Rx {
        secret: Mutex::new(String::new()),
        arrived: Mutex::new(HashMap::new()),
    });
    async fn hook(State(rx): State<Arc<Rx>>, headers: HeaderMap, body: Bytes) -> &'static str {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let secret = rx.secret.lock().unwrap().clone();
        stablerail_sdk::webhooks::verify(&headers, &body, &secret, now).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if v["type"] == "risk.alert.opened" {
            rx.arrived.lock().unwrap().insert(
                v["data"]["subject"].as_str().unwrap().to_owned(),
                Instant::now(),
            );
        }
        "ok"
    }
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(rx.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, rx)
}

async fn alert_latency() {
    let platform = LocalPlatform::start().await.unwrap();
    let dir = tempfile_dir();
    let d = &platform.deployment;
    let text = format!(
        r#"
database_url = "sqlite:{db}?mode=rwc"
listen = "127.0.0.1:0"
[webhooks]
allow_private_targets = true
poll_ms = 50
[chains.anvil]
chain_id = 31337
[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["{rpc}"]
finality_depth = 2
head_lag = 0
poll_interval_ms = 20
usdt = "{usdt:#x}"
escrow = "{escrow:#x}"
"#,
        db = dir.join("gw.db").display(),
        rpc = platform.devnet.rpc_url(),
        usdt = d.token,
        escrow = d.escrow,
    );
    let gw = Gateway::start(Config::parse(&text).unwrap(), GatewayOptions::default())
        .await
        .unwrap();
    let (url, rx) = receiver().await;
    let ep = endpoints::create(
        gw.app(),
        OPERATOR,
        &json!({ "url": url, "events": ["risk.alert.opened"] }),
    )
    .await
    .unwrap();
    *rx.secret.lock().unwrap() = ep["secret"].as_str().unwrap().to_owned();
    // Fresh senders, funded beforehand (their mints are large transfers from the
    // zero address: one alert, then absorbed).
    let deployer = platform.provider(role::DEPLOYER).unwrap();
    let mut wallets = Vec::new();
    for _ in 0..SAMPLES {
        let s = PrivateKeySigner::random();
        let _: serde_json::Value = deployer
            .raw_request(
                "anvil_setBalance".into(),
                (s.address(), "0x3635C9ADC5DEA00000"),
            )
            .await
            .unwrap();
        platform
            .mint(s.address(), "20000".parse().unwrap())
            .await
            .unwrap();
        wallets.push(s);
    }
    let sink: Address = Address::repeat_byte(0x5a);
    let mut latencies = Vec::new();
    for s in wallets {
        let p = ProviderBuilder::new()
            .wallet(EthereumWallet::from(s.clone()))
            .connect_http(platform.devnet.rpc_url().parse().unwrap());
        let token = MockUSDTEthereum::new(d.token, p);
        let receipt = token
            .transfer(sink, U256::from(15_000_000_000u64))
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        let block = receipt.block_number.unwrap() as i64;
        let indexed = loop {
            let at: i64 = sqlx::query("SELECT block_number FROM cursors WHERE chain = 'anvil'")
                .fetch_optional(&gw.app().db.pool)
                .await
                .unwrap()
                .map_or(0, |r| r.get(0));
            if at >= block {
                break Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let subject = format!("{:#x}", s.address());
        let deadline = Instant::now() + Duration::from_secs(10);
        let arrived = loop {
            if let Some(t) = rx.arrived.lock().unwrap().get(&subject) {
                break *t;
            }
            assert!(Instant::now() < deadline, "no alert for {subject}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        latencies.push(arrived.saturating_duration_since(indexed));
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    println!(
        "(b) planted large transfer, block indexed -> risk.alert.opened received: p50 {:.0} ms, p99 {:.0} ms over {SAMPLES} (target p99 <= 1000 ms)",
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0
    );
    gw.stop().await;
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sr-risk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::main]
async fn main() {
    pure_throughput();
    let dir = tempfile_dir();
    let db = dir.join("throughput.db");
    monitor_throughput("SQLite", &format!("sqlite:{}?mode=rwc", db.display())).await;
    sqlx::any::install_default_drivers();
    match sqlx::PgPool::connect(PG_ADMIN).await {
        Ok(admin) => {
            let name = format!("sr_risk_bench_{}", std::process::id());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&admin)
                .await
                .unwrap();
            monitor_throughput(
                "PostgreSQL",
                &format!("postgres://postgres@127.0.0.1:5432/{name}"),
            )
            .await;
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&admin)
            .await;
        }
        Err(_) => println!("(a) monitor pass PostgreSQL: skipped (no server on 127.0.0.1:5432)"),
    }
    alert_latency().await;
    let _ = std::fs::remove_dir_all(dir);
}
