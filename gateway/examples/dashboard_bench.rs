//! `make bench` figures of the dashboards, with 100,000 invoices of one merchant in
//! the store (SQLite, and PostgreSQL when a server answers on 127.0.0.1:5432):
//! - server time per page, p50/p99 over 200 requests after 10 warm-up ones, for each
//!   role's main page (merchant, acceptor, agent, operator) and the merchant's
//!   invoice list, filtered list, orders and settlements (target p99 <= 50 ms). Timed
//!   from the client on loopback: request sent to answer read, one at a time.
//! - the first load's total bytes of each role's main page: the HTML, the stylesheet
//!   and the script it links (charts are inline SVG; target < 300 KB).
//!
//! `DASHBOARD_BENCH_KEEP=1` keeps the PostgreSQL database afterwards (its name is
//! printed) to look at the pages' query plans on the same rows.
//!
//! One wallet holds every role (a merchant, an acceptor and an agent on `anvil`,
//! and the operator); it signs in through the sign-in pages with its key, as the
//! demo's wallets do.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use alloy::signers::local::PrivateKeySigner;
use serde_json::json;
use stablerail_gateway::{Config, Gateway, GatewayOptions, merchants};

const INVOICES: u32 = 100_000;
const SAMPLES: usize = 200;
const WARMUP: usize = 10;
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn gateway(url: &str, operator: &str) -> Gateway {
    let text = format!(
        r#"
database_url = "{url}"
listen = "127.0.0.1:0"

[dashboard]
operators = ["{operator}"]

[chains.anvil]
chain_id = 31337

[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
escrow = "0x00000000000000000000000000000000000000e5"
multisig = "0x00000000000000000000000000000000000000f5"
"#
    );
    Gateway::start(
        Config::parse(&text).unwrap(),
        GatewayOptions {
            indexer: false,
            watcher: false,
            sender: false,
        },
    )
    .await
    .unwrap()
}

async fn exec(gw: &Gateway, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&gw.app().db.pool)
        .await
        .unwrap();
}

/// The store of a busy merchant: 100k invoices over ~70 days, plus the indexer's
/// rows the other roles' pages read (escrow account with acceptor and agent bits,
/// a fee schedule, deals, a day of volume, commissions, a pending proposal).
async fn fill(gw: &Gateway, addr: &str) {
    let input = json!({
        "name": "Big Shop",
        "chains": [{ "chain": "anvil", "receiving": addr, "escrow_account": addr }],
        "bank_accounts": [{ "label": "Main", "holder": "Big Shop", "account": "DE89370400440532013000", "currency": "EUR", "payout": true }],
    });
    let m = merchants::NewMerchant::from_json(&gw.app().config, &input).unwrap();
    let m = merchants::create(&gw.app().db, &m).await.unwrap();
    let now = stablerail_gateway::store::now_ms();
    exec(gw, format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {INVOICES})
         INSERT INTO gw_invoices (id, merchant_id, chain, address, amount, unique_amount, status, additional, paid, confirmed_paid, cancelled, active, created_block, created_at, expires_at, monitoring_until, updated_at, description, metadata, redirect_url)
         SELECT 'inv_bulk_' || i, '{id}', 'anvil', '{addr}', 1000000 + i, 1000000 + i,
                CASE i % 4 WHEN 0 THEN 'settled' WHEN 1 THEN 'new' WHEN 2 THEN 'expired' ELSE 'processing' END,
                'none', CASE i % 4 WHEN 0 THEN 1000000 + i ELSE 0 END, 0, 0, 0, 0,
                {now} - CAST(i AS BIGINT) * 60000, {now} - CAST(i AS BIGINT) * 60000, {now} - CAST(i AS BIGINT) * 60000, {now} - CAST(i AS BIGINT) * 60000, 'bulk', '{{}}', NULL
         FROM n",
        id = m.id,
    )).await;
    // Fresh planner statistics, as a store that grew over time has.
    exec(gw, "ANALYZE".into()).await;
    let secs = now / 1000;
    let midnight = secs / 86_400 * 86_400;
    exec(gw, format!(
        "INSERT INTO escrow_accounts (chain, address, available, locked, roles, agent, merchant_volume, agent_volume, kyc_level, region, deposited, withdrawn) VALUES ('anvil', '{addr}', '250000000', '40000000', 7, '{addr}', '5000000', '1234000000', 1, 1, '290000000', '0')"
    )).await;
    exec(gw, r#"INSERT INTO escrow_settings (chain, liabilities, treasury, fee_schedule) VALUES ('anvil', '290000000', '0x00000000000000000000000000000000000000f5', '{"event":"FeeScheduleSet","merchant_tiers":[{"threshold":0,"bps":100}],"agent_tiers":[{"threshold":0,"bps":2000},{"threshold":50000000000,"bps":3000}],"trader_reward_bps":1000}')"#.into()).await;
    for i in 0..50 {
        exec(gw, format!(
            "INSERT INTO deals (chain, deal_id, kind, seller, buyer, merchant, amount, state, payment_window, deadline, order_ref, order_id, opened_block, opened_time, closed_block, closed_time, settled_amount, fee, agent_cut, reward, platform) VALUES ('anvil', {i}, 'collection', '{addr}', '{addr}', '{addr}', '4000000', '{state}', 1800, {d}, '0x0b', NULL, 1, 1, 2, {secs}, '4000000', '40000', '4000', '0', '36000')",
            state = if i % 5 == 0 { "open" } else { "released" },
            d = secs + 3600,
        )).await;
    }
    exec(gw, format!(
        "INSERT INTO daily_volume (chain, address, day, amount, count, fees) VALUES ('anvil', '{addr}', {midnight}, '160000000', 40, '1600000')"
    )).await;
    exec(gw, format!(
        "INSERT INTO agent_commissions (chain, block_number, log_index, block_time, deal_id, agent, merchant, gross, amount) VALUES ('anvil', 1, 0, {secs}, 3, '{addr}', '{addr}', '5000000', '25000')"
    )).await;
    exec(gw, format!(
        r#"INSERT INTO multisig_events (chain, block_number, log_index, block_hash, block_time, tx_hash, contract, kind, fields) VALUES ('anvil', 5, 0, '0x05', {secs}, '0x06', '0x00000000000000000000000000000000000000f5', 'ProposalScheduled', '{{"event":"ProposalScheduled","proposal_hash":"0xab","nonce":"4","to":"0x00000000000000000000000000000000000000e5","value":"0","data":"0x12345678","deadline":"{dl}","eta":{secs},"config_version":0}}')"#,
        dl = secs + 86_400,
    )).await;
}

struct Web {
    base: String,
    http: reqwest::Client,
    cookie: String,
}

impl Web {
    async fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    }

    async fn role(&self, role: &str) {
        let (_, page) = self.get("/dashboard/security").await;
        let page = String::from_utf8(page).unwrap();
        let i = page.find(r#"name="csrf" value=""#).unwrap() + 19;
        let csrf = &page[i..i + 64];
        let r = self
            .http
            .post(format!("{}/dashboard/role", self.base))
            .header("cookie", &self.cookie)
            .form(&[("csrf", csrf), ("role", role)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "switch to {role}");
    }
}

fn pct(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

async fn time_page(web: &Web, label: &str, path: &str) {
    for _ in 0..WARMUP {
        assert_eq!(web.get(path).await.0, 200, "{path}");
    }
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        let (status, _) = web.get(path).await;
        times.push(t.elapsed());
        assert_eq!(status, 200, "{path}");
    }
    times.sort();
    let p99 = pct(&times, 99);
    println!(
        "  {label:<34} p50 {:>6.2} ms  p99 {:>6.2} ms  {}",
        pct(&times, 50).as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        if p99 <= Duration::from_millis(50) {
            "(target p99 <= 50 ms: met)"
        } else {
            "(target p99 <= 50 ms: MISSED)"
        }
    );
}

async fn first_load(web: &Web, label: &str) {
    let (_, html) = web.get("/dashboard").await;
    let text = String::from_utf8_lossy(&html);
    let mut total = html.len();
    let mut parts = vec![format!("html {}", html.len())];
    for asset in ["/assets/dashboard.css", "/assets/dashboard.js"] {
        if text.contains(asset) {
            let (s, body) = web.get(asset).await;
            assert_eq!(s, 200);
            total += body.len();
            parts.push(format!("{} {}", &asset[8..], body.len()));
        }
    }
    println!(
        "  {label:<34} {:>7.1} KB first load ({}) {}",
        total as f64 / 1024.0,
        parts.join(", "),
        if total < 300 * 1024 {
            "(target < 300 KB: met)"
        } else {
            "(target < 300 KB: MISSED)"
        }
    );
}

async fn run(backend: &str, url: &str) {
    let key = PrivateKeySigner::random();
    let addr = format!("{:#x}", key.address());
    let gw = gateway(url, &addr).await;
    let t = Instant::now();
    fill(&gw, &addr).await;
    println!(
        "{backend}: {INVOICES} invoices written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let base = format!("http://{}", gw.addr());
    let cookie = stablerail_demo::dashboard::session(&base, &hex::encode(key.to_bytes()))
        .await
        .unwrap();
    let web = Web {
        base,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        cookie,
    };
    println!("{backend}: server time per page ({SAMPLES} requests each, loopback)");
    let merchant = sqlx::query_scalar::<_, String>("SELECT id FROM gw_merchants")
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap();
    web.role(&format!("merchant:{merchant}")).await;
    for (label, path) in [
        ("merchant overview /dashboard", "/dashboard"),
        ("invoices (newest page)", "/dashboard/invoices"),
        (
            "invoices ?status=settled",
            "/dashboard/invoices?status=settled",
        ),
        (
            "invoices ?status=new&from=2000-01-01",
            "/dashboard/invoices?status=new&from=2000-01-01",
        ),
        ("orders", "/dashboard/orders"),
        ("settlements", "/dashboard/settlements"),
    ] {
        time_page(&web, label, path).await;
    }
    let mut loads = Vec::new();
    for role in ["acceptor:anvil", "agent:anvil", "operator"] {
        web.role(role).await;
        time_page(&web, &format!("{role} /dashboard"), "/dashboard").await;
        loads.push(role);
    }
    println!("{backend}: first page load, uncompressed");
    web.role(&format!("merchant:{merchant}")).await;
    first_load(&web, "merchant").await;
    for role in loads {
        web.role(role).await;
        first_load(&web, role).await;
    }
    gw.stop().await;
}

#[tokio::main]
async fn main() {
    println!(
        "(figures from a shared 2-core machine under other builds' load: read them as upper bounds)"
    );
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("dash.db").display());
    run("SQLite", &url).await;
    match sqlx::PgPool::connect(PG_ADMIN).await {
        Ok(admin) => {
            let name = format!("sr_dash_bench_{}", std::process::id());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&admin)
                .await
                .unwrap();
            run(
                "PostgreSQL",
                &format!("postgres://postgres@127.0.0.1:5432/{name}"),
            )
            .await;
            if std::env::var_os("DASHBOARD_BENCH_KEEP").is_some() {
                // For EXPLAIN ANALYZE of the pages' queries on the same rows.
                println!("PostgreSQL: database {name} kept (DASHBOARD_BENCH_KEEP)");
            } else {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE \"{name}\" WITH (FORCE)"
                )))
                .execute(&admin)
                .await
                .unwrap();
            }
        }
        Err(e) => println!("PostgreSQL: skipped ({e})"),
    }
}
