//! `make bench` figure of the dispatcher service: collections assigned per second end
//! to end on a local anvil with the platform deployed — orders created through the
//! merchant API (8 concurrent clients), decided by the engine over three acceptors
//! (online, heartbeats, `least_load`), assigned on chain with the dispatcher key and
//! seen `assigned` in the gateway. SQLite, then PostgreSQL (skipped without a server
//! on 127.0.0.1:5432 with trust auth). No offer step (`accept_timeout_secs = 0`), so
//! the figure is the service's own pace, not an acceptor's.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use serde_json::json;
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::{Config, Gateway, GatewayOptions, auth, merchants, orders::acceptors};
use stablerail_sdk::{Amount, Roles};

const ORDERS: usize = 300;
const CLIENTS: usize = 8;
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const ACCEPTORS: [usize; 3] = [role::ACCEPTOR, role::TRADER, role::TRADER_2];

async fn prepare(platform: &LocalPlatform) {
    let merchant = platform.address(role::MERCHANT);
    platform.set_roles(merchant, Roles::MERCHANT).await.unwrap();
    let mut kyc = vec![merchant];
    for r in ACCEPTORS {
        let a = platform.address(r);
        platform.set_roles(a, Roles::ACCEPTOR).await.unwrap();
        kyc.push(a);
    }
    platform.kyc(&kyc).await.unwrap();
    let big: Amount = "1000000".parse().unwrap();
    for r in ACCEPTORS {
        let a = platform.address(r);
        platform.mint(a, big).await.unwrap();
        let e = platform.escrow(r).unwrap();
        e.deposit(a, big).await.unwrap();
        e.set_acceptor_limits(true, big, big).await.unwrap();
    }
}

fn config(platform: &LocalPlatform, db: &str, key_file: &std::path::Path) -> Config {
    let d = &platform.deployment;
    Config::parse(&format!(
        r#"
database_url = "{db}"
listen = "127.0.0.1:0"
watch_interval_ms = 20
[dispatcher]
key_file = "{key}"
[dispatch]
strategy = {{ kind = "least_load" }}
accept_timeout_secs = 0
heartbeat_timeout_secs = 600
[chains.anvil]
chain_id = 31337
[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["{rpc}"]
finality_depth = 1
head_lag = 0
poll_interval_ms = 20
usdt = "{usdt:#x}"
escrow = "{escrow:#x}"
"#,
        key = key_file.display(),
        rpc = platform.devnet.rpc_url(),
        usdt = d.token,
        escrow = d.escrow,
    ))
    .unwrap()
}

async fn run(platform: &LocalPlatform, url: &str, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("dispatcher.key");
    std::fs::write(
        &key_file,
        hex::encode(platform.signer(role::DISPATCHER).to_bytes()),
    )
    .unwrap();
    let gw = Gateway::start(config(platform, url, &key_file), GatewayOptions::default())
        .await
        .unwrap();
    let merchant = platform.address(role::MERCHANT);
    let input = json!({
        "name": "Bench",
        "chains": [{ "chain": "anvil", "receiving": format!("{merchant:#x}"), "escrow_account": format!("{merchant:#x}") }],
        "bank_accounts": [{ "label": "Main", "holder": "Bench", "account": "DE89370400440532013000", "currency": "EUR", "payout": true }],
    });
    let m = merchants::create(
        &gw.app().db,
        &merchants::NewMerchant::from_json(&gw.app().config, &input).unwrap(),
    )
    .await
    .unwrap();
    let (_, key) = auth::create_key(&gw.app().db, &m.id, "bench")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://{}", gw.addr());
    for r in ACCEPTORS {
        let a = acceptors::NewAcceptor::from_json(
            &gw.app().config,
            &json!({ "chain": "anvil", "address": format!("{:#x}", platform.address(r)) }),
        )
        .unwrap();
        let a = acceptors::create(&gw.app().db, &a).await.unwrap();
        let (_, k) = acceptors::create_key(&gw.app().db, &a.id, "bench")
            .await
            .unwrap();
        let s = http
            .post(format!("{base}/v1/acceptor/online"))
            .bearer_auth(&k)
            .send()
            .await
            .unwrap()
            .status();
        assert!(s.is_success());
    }
    // The indexer must have seen the acceptors online on chain.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM escrow_accounts WHERE chain = 'anvil' AND online",
        )
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap_or(0);
        if n >= 3 {
            break;
        }
        assert!(Instant::now() < deadline, "acceptors not indexed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (http, base, key) = (http.clone(), base.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            for i in (c..ORDERS).step_by(CLIENTS) {
                let r = http
                    .post(format!("{base}/v1/collections"))
                    .bearer_auth(&key)
                    .json(&json!({ "chain": "anvil", "amount": format!("1.{:06}", i + 1) }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let created = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (assigned, failed): (i64, i64) = {
            use sqlx::Row;
            let r = sqlx::query(
                "SELECT SUM(CASE WHEN status = 'assigned' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) FROM gw_orders",
            )
            .fetch_one(&gw.app().db.pool)
            .await
            .unwrap();
            (
                r.try_get::<Option<i64>, _>(0).unwrap().unwrap_or(0),
                r.try_get::<Option<i64>, _>(1).unwrap().unwrap_or(0),
            )
        };
        assert_eq!(failed, 0, "an order failed");
        if assigned as usize == ORDERS {
            break;
        }
        assert!(Instant::now() < deadline, "only {assigned} assigned");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let all = started.elapsed();
    let spread: Vec<(String, i64)> = {
        use sqlx::Row;
        sqlx::query("SELECT acceptor, COUNT(*) FROM gw_orders GROUP BY acceptor ORDER BY acceptor")
            .fetch_all(&gw.app().db.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
            .collect()
    };
    println!(
        "{label:<10} {ORDERS} collections: created in {:.2} s, all assigned on chain after {:.2} s -> {:.1} orders assigned/s end to end (spread {:?})",
        created.as_secs_f64(),
        all.as_secs_f64(),
        ORDERS as f64 / all.as_secs_f64(),
        spread.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
    );
    gw.stop().await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .init();
    {
        let platform = LocalPlatform::start().await.unwrap();
        prepare(&platform).await;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("gw.db").display());
        run(&platform, &url, "SQLite").await;
    }
    let name = format!("sr_gw_dispatch_bench_{}", std::process::id());
    match sqlx::PgPool::connect(PG_ADMIN).await {
        Ok(admin) => {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&admin)
                .await
                .unwrap();
            let platform = LocalPlatform::start().await.unwrap();
            prepare(&platform).await;
            run(
                &platform,
                &format!("postgres://postgres@127.0.0.1:5432/{name}"),
                "PostgreSQL",
            )
            .await;
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&admin)
            .await;
        }
        Err(_) => println!("PostgreSQL  skipped (no server on 127.0.0.1:5432)"),
    }
}
