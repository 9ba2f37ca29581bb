//! `make bench` figures of the gateway, on a local anvil with the platform deployed:
//! - detection latency: from the block that makes a payment final to `invoice.settled`
//!   arriving at a local receiver, p50/p99 over 1,000 invoices (SQLite);
//! - webhook throughput to a local receiver (SQLite and PostgreSQL);
//! - invoice create latency with 16 concurrent clients (SQLite and PostgreSQL).
//!
//! PostgreSQL figures need a server on 127.0.0.1:5432 with trust auth (skipped if none).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::primitives::U256;
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use serde_json::json;
use stablerail_demo::{LocalPlatform, MockUSDTEthereum, role};
use stablerail_gateway::{Config, Gateway, GatewayOptions, auth, merchants, webhooks::outbox};

const INVOICES: usize = 1_000;
const EVENTS: usize = 5_000;
const CREATES: usize = 16_000;
const WARMUP: usize = 20;
const CLIENTS: usize = 16;
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

struct Rx {
    secret: Mutex<String>,
    arrived: Mutex<HashMap<String, Instant>>,
    count: std::sync::atomic::AtomicUsize,
}

async fn receiver() -> (String, Arc<Rx>) {
    let rx = Arc::new(Rx {
        secret: Mutex::new(String::new()),
        arrived: Mutex::new(HashMap::new()),
        count: Default::default(),
    });
    async fn hook(State(rx): State<Arc<Rx>>, headers: HeaderMap, body: Bytes) -> &'static str {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let secret = rx.secret.lock().unwrap().clone();
        stablerail_sdk::webhooks::verify(&headers, &body, &secret, now).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if v["type"] == "invoice.settled" {
            rx.arrived
                .lock()
                .unwrap()
                .insert(v["data"]["id"].as_str().unwrap().to_owned(), Instant::now());
        }
        rx.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

fn config(platform: &LocalPlatform, db: &str, finality: u64) -> Config {
    let d = &platform.deployment;
    Config::parse(&format!(
        r#"
database_url = "{db}"
listen = "127.0.0.1:0"
watch_interval_ms = 20
[webhooks]
allow_private_targets = true
poll_ms = 20
concurrency = 128
[chains.anvil]
chain_id = 31337
[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["{rpc}"]
finality_depth = {finality}
head_lag = 0
poll_interval_ms = 20
usdt = "{usdt:#x}"
"#,
        rpc = platform.devnet.rpc_url(),
        usdt = d.token,
    ))
    .unwrap()
}

struct Db {
    url: String,
    pg: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    Db {
        url: format!("sqlite:{}", dir.path().join("gw.db").display()),
        pg: None,
        _dir: Some(dir),
    }
}

async fn postgres() -> Option<Db> {
    let admin = sqlx::PgPool::connect(PG_ADMIN).await.ok()?;
    let name = format!("sr_gw_bench_{}", std::process::id());
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&admin)
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&admin)
        .await
        .ok()?;
    Some(Db {
        url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
        pg: Some(name),
        _dir: None,
    })
}

async fn drop_db(db: Db) {
    if let Some(name) = db.pg
        && let Ok(admin) = sqlx::PgPool::connect(PG_ADMIN).await
    {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&admin)
        .await;
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

async fn setup(gw: &Gateway, platform: &LocalPlatform, url: &str, rx: &Rx) -> (String, String) {
    let input = json!({ "name": "Bench", "chains": [{ "chain": "anvil", "receiving": format!("{:#x}", platform.address(role::MERCHANT)) }] });
    let m = merchants::NewMerchant::from_json(&gw.app().config, &input).unwrap();
    let m = merchants::create(&gw.app().db, &m).await.unwrap();
    let (_, key) = auth::create_key(&gw.app().db, &m.id, "bench")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let v: serde_json::Value = http
        .post(format!("http://{}/v1/webhooks", gw.addr()))
        .bearer_auth(&key)
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    *rx.secret.lock().unwrap() = v["secret"].as_str().unwrap().to_owned();
    (m.id, key)
}

async fn detection(platform: &LocalPlatform) {
    let db = sqlite().await;
    let gw = Gateway::start(config(platform, &db.url, 1), GatewayOptions::default())
        .await
        .unwrap();
    let (url, rx) = receiver().await;
    let (_, key) = setup(&gw, platform, &url, &rx).await;
    let http = reqwest::Client::new();
    let mut invoices = Vec::new();
    for i in 0..INVOICES {
        let v: serde_json::Value = http
            .post(format!("http://{}/v1/invoices", gw.addr()))
            .bearer_auth(&key)
            .json(&json!({ "chain": "anvil", "amount": format!("{}.{:02}", 1 + i / 100, i % 100), "expiry_secs": 3600 }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        invoices.push((
            v["id"].as_str().unwrap().to_owned(),
            v["unique_amount"]
                .as_str()
                .unwrap()
                .parse::<stablerail_sdk::Amount>()
                .unwrap(),
        ));
    }
    let customer = platform.address(role::TRADER);
    platform
        .mint(customer, "1000000".parse().unwrap())
        .await
        .unwrap();
    let token = MockUSDTEthereum::new(
        platform.deployment.token,
        platform.provider(role::TRADER).unwrap(),
    );
    let to = platform.address(role::MERCHANT);
    // Finality depth 1: payment i's block is final when the next block is mined, i.e.
    // when payment i+1's receipt returns (the last one: one extra block).
    let mut final_at = Vec::with_capacity(INVOICES);
    for (_, amount) in &invoices {
        token
            .transfer(to, U256::from(amount.units()))
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        final_at.push(Instant::now());
    }
    use alloy::providers::Provider;
    let _: serde_json::Value = platform
        .provider(role::DEPLOYER)
        .unwrap()
        .raw_request("anvil_mine".into(), ("0x1",))
        .await
        .unwrap();
    final_at.push(Instant::now());
    let deadline = Instant::now() + Duration::from_secs(120);
    while rx.arrived.lock().unwrap().len() < INVOICES && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let arrived = rx.arrived.lock().unwrap().clone();
    let mut lat: Vec<f64> = invoices
        .iter()
        .enumerate()
        .filter_map(|(i, (id, _))| {
            arrived
                .get(id)
                .map(|t| t.saturating_duration_since(final_at[i + 1]).as_secs_f64() * 1000.0)
        })
        .collect();
    println!(
        "detection latency, final block -> invoice.settled at the receiver (SQLite, {} of {INVOICES} invoices): p50 {:.0} ms, p99 {:.0} ms",
        lat.len(),
        pct(&mut lat, 0.5),
        pct(&mut lat, 0.99)
    );
    gw.stop().await;
}

async fn throughput(platform: &LocalPlatform, db: Db, backend: &str) {
    let gw = Gateway::start(
        config(platform, &db.url, 1),
        GatewayOptions {
            sender: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (url, rx) = receiver().await;
    let (merchant, _) = setup(&gw, platform, &url, &rx).await;
    let app = gw.app().clone();
    let mut tx = app.db.begin().await.unwrap();
    for i in 0..EVENTS {
        outbox::enqueue(
            &mut tx,
            &merchant,
            "webhook.test",
            &format!("bench{i}"),
            &json!({ "n": i }),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let sender = tokio::spawn(stablerail_gateway::webhooks::sender::run(app, stop_rx));
    while rx.count.load(std::sync::atomic::Ordering::Relaxed) < EVENTS
        && t.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let n = rx.count.load(std::sync::atomic::Ordering::Relaxed);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "webhook throughput to a local receiver ({backend}, {n} signed deliveries, verified): {:.0} deliveries/s",
        n as f64 / secs
    );
    let _ = stop.send(true);
    let _ = sender.await;
    gw.stop().await;
    drop_db(db).await;
}

async fn creates(platform: &LocalPlatform, db: Db, backend: &str) {
    let gw = Gateway::start(
        config(platform, &db.url, 1),
        GatewayOptions {
            sender: false,
            watcher: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (url, rx) = receiver().await;
    let (_, key) = setup(&gw, platform, &url, &rx).await;
    let base = format!("http://{}/v1/invoices", gw.addr());
    let per = CREATES / CLIENTS;
    // Each client's first WARMUP creates open its connection and the gateway's
    // database connections and fill the caches a running gateway has filled; they
    // are reported apart (warm-up), the rest is the sustained figure. All clients
    // start the measured run together.
    let ready = Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (base, key, ready) = (base.clone(), key.clone(), ready.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut lat = Vec::with_capacity(WARMUP + per);
            let mut start = Instant::now();
            for i in 0..WARMUP + per {
                if i == WARMUP {
                    ready.wait().await;
                    start = Instant::now();
                }
                // Distinct amounts 0.001 apart, each client in a range of its own.
                let units = (10 + 2 * c as u64) * 1_000_000 + i as u64 * 1_000;
                let amount = format!("{}.{:06}", units / 1_000_000, units % 1_000_000);
                let s = Instant::now();
                let r = http
                    .post(&base)
                    .bearer_auth(&key)
                    .header("idempotency-key", format!("c{c}-{i}"))
                    .json(&json!({ "chain": "anvil", "amount": amount }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201);
                let _ = r.bytes().await.unwrap();
                lat.push(s.elapsed().as_secs_f64() * 1000.0);
            }
            let measured = lat.split_off(WARMUP);
            (lat, measured, start, Instant::now())
        }));
    }
    let mut cold = Vec::new();
    let mut lat = Vec::new();
    let mut span: Option<(Instant, Instant)> = None;
    for t in tasks {
        let (c, m, start, end) = t.await.unwrap();
        cold.extend(c);
        lat.extend(m);
        span = Some(span.map_or((start, end), |(s, e)| (s.min(start), e.max(end))));
    }
    let (t0, t1) = span.unwrap();
    let secs = (t1 - t0).as_secs_f64();
    println!(
        "invoice create, {CLIENTS} concurrent clients ({backend}, {} requests with Idempotency-Key after {} to warm up): p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, {:.0} creates/s; warm-up p50 {:.1} ms, max {:.1} ms",
        lat.len(),
        cold.len(),
        pct(&mut lat, 0.5),
        pct(&mut lat, 0.99),
        pct(&mut lat, 0.999),
        lat.len() as f64 / secs,
        pct(&mut cold, 0.5),
        pct(&mut cold, 1.0),
    );
    gw.stop().await;
    drop_db(db).await;
}

/// `bench [create|throughput|detection]...`: the figures named (all without arguments).
#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let run = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let platform = LocalPlatform::start().await.unwrap();
    if run("create") {
        creates(&platform, sqlite().await, "SQLite").await;
        match postgres().await {
            Some(db) => creates(&platform, db, "PostgreSQL").await,
            None => println!("invoice create (PostgreSQL): skipped, no server on 127.0.0.1:5432"),
        }
    }
    if run("throughput") {
        throughput(&platform, sqlite().await, "SQLite").await;
        if let Some(db) = postgres().await {
            throughput(&platform, db, "PostgreSQL").await;
        }
    }
    if run("detection") {
        detection(&platform).await;
    }
}
