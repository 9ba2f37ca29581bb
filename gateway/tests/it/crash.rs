//! Crash safety: the `stablerail-gateway` binary is SIGKILLed at 20 points while
//! invoices are created and paid and webhooks are delivered; after the restarts every
//! invoice ends in the right state and the receiver has seen exactly the outbox's
//! event ids (each at least once). Also covers the admin route and `merchant create`.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::json;
use sqlx::Row;
use stablerail_demo::{LocalPlatform, role};

use crate::common::*;

const KILLS: usize = 20;
const ADMIN_TOKEN: &str = "test-admin-token-not-secret";

fn spawn(bin: &str, config: &std::path::Path, log: &std::path::Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(bin)
        .arg("--config")
        .arg(config)
        .arg("run")
        .env("SR_GW_TEST_ADMIN", ADMIN_TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

async fn healthy(base: &str) -> bool {
    reqwest::get(format!("{base}/health"))
        .await
        .is_ok_and(|r| r.status().is_success())
}

async fn crash(backend: Backend) {
    let bin = env!("CARGO_BIN_EXE_stablerail-gateway");
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let text = config_text(&platform, &db, 2, FAST_WEBHOOKS)
        .replace(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"127.0.0.1:{port}\""),
        )
        .replace(
            "watch_interval_ms = 50",
            "watch_interval_ms = 50\nadmin_token_env = \"SR_GW_TEST_ADMIN\"",
        );
    let config = dir.path().join("gateway.toml");
    std::fs::write(&config, text).unwrap();
    let log = dir.path().join("gateway.log");
    let base = format!("http://127.0.0.1:{port}");

    // Merchant 1 through the CLI, merchant 2 through the admin route.
    let out = Command::new(bin)
        .arg("--config")
        .arg(&config)
        .args(["merchant", "create", "--name", "Shop"])
        .arg("--chain")
        .arg(format!("{CHAIN}:{:#x}", platform.address(role::MERCHANT)))
        .args(["--bank", "Main:Shop Ltd:DE89370400440532013000:EUR:payout"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout
        .split_whitespace()
        .find(|w| w.starts_with("sk_"))
        .unwrap()
        .to_owned();

    let mut child = spawn(bin, &config, &log);
    wait_for(60, "gateway up", || healthy(&base)).await;
    let http = reqwest::Client::new();
    let admin = |body: serde_json::Value, token: &str| {
        http.post(format!("{base}/admin/merchants"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let m2 = json!({ "name": "Shop 2", "chains": [{ "chain": CHAIN, "receiving": format!("{:#x}", platform.address(role::MERCHANT_2)) }] });
    assert_eq!(
        admin(m2.clone(), "wrong").await.unwrap().status().as_u16(),
        401
    );
    let r = admin(m2, ADMIN_TOKEN).await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["api_key"]["key"].as_str().unwrap().starts_with("sk_"));
    // An acceptor through the admin route: its own key (`ak_`), which the acceptor
    // routes take and the merchant routes refuse; a bad address names the field.
    let acceptor_admin = |body: serde_json::Value, token: &str| {
        http.post(format!("{base}/admin/acceptors"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let a = json!({ "chain": CHAIN, "address": format!("{:#x}", platform.address(role::ACCEPTOR)), "currencies": ["EUR"] });
    assert_eq!(
        acceptor_admin(a.clone(), "wrong")
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let r = acceptor_admin(json!({ "chain": CHAIN, "address": "0x12" }), ADMIN_TOKEN)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let bad: serde_json::Value = r.json().await.unwrap();
    assert_eq!(bad["error"]["field"], "address");
    let r = acceptor_admin(a.clone(), ADMIN_TOKEN).await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    let acceptor_key = v["api_key"]["key"].as_str().unwrap().to_owned();
    assert!(acceptor_key.starts_with("ak_"));
    assert_eq!(
        acceptor_admin(a, ADMIN_TOKEN)
            .await
            .unwrap()
            .status()
            .as_u16(),
        409
    );
    let ac = Client {
        base: base.clone(),
        key: acceptor_key,
        ..Client::new_detached()
    };
    let (s, me) = ac.post("/v1/acceptor/online", json!({})).await;
    assert_eq!((s, me["online"].as_bool()), (200, Some(true)), "{me}");
    assert_eq!(ac.get("/v1/invoices").await.0, 401);

    let c = Client {
        base: base.clone(),
        key,
        ..Client::new_detached()
    };
    let rx = Receiver::start(Mode::Ok).await;
    let (_, secret) = c.endpoint(&rx.url()).await;
    rx.add_secret(&secret);

    platform
        .mint(platform.address(role::TRADER), "100000".parse().unwrap())
        .await
        .unwrap();
    let mut paid = Vec::new();
    let mut unpaid = Vec::new();
    for round in 0..KILLS {
        if round > 0 {
            child = spawn(bin, &config, &log);
            wait_for(60, "gateway up", || healthy(&base)).await;
        }
        let p = c.invoice(&format!("{}.5", 10 + round), 600).await;
        let u = c.invoice(&format!("{}.25", 100 + round), 2).await;
        let addr = p["address"].as_str().unwrap().to_owned();
        let amount = p["unique_amount"].as_str().unwrap().to_owned();
        paid.push(p["id"].as_str().unwrap().to_owned());
        unpaid.push(u["id"].as_str().unwrap().to_owned());
        // The payment lands while the gateway runs (or dies).
        let pay_task = {
            let (url, token, who) = (
                platform.devnet.rpc_url(),
                platform.deployment.token,
                platform.signer(role::TRADER),
            );
            tokio::spawn(async move { pay_with(&url, token, who, &addr, &amount).await })
        };
        let ms = 50 + (rand::random::<u64>() % 700);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        pay_task.await.unwrap();
    }
    mine(&platform, 3).await;
    child = spawn(bin, &config, &log);
    wait_for(60, "gateway up", || healthy(&base)).await;
    for id in &paid {
        wait_for(60, "settled", || async {
            status(&c, id).await.0 == "settled"
        })
        .await;
    }
    for id in &unpaid {
        wait_for(60, "expired", || async {
            status(&c, id).await == ("expired".into(), "none".into())
        })
        .await;
    }
    // Exactly the outbox's ids (the merchant's; risk alerts go to the operator's
    // scope, which has no endpoint here), each at least once.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let ids: std::collections::BTreeSet<String> =
        sqlx::query("SELECT id FROM gw_events WHERE merchant_id <> 'operator'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
    wait_for(60, "every event delivered", || async {
        let seen: std::collections::BTreeSet<String> =
            rx.seen().into_iter().map(|s| s.id).collect();
        seen == ids
    })
    .await;
    assert_eq!(rx.bad(), 0);
    // One event per transition: created, processing, settled per paid invoice.
    for id in &paid {
        let mut k = rx.kinds(id);
        k.sort();
        assert_eq!(
            k,
            ["invoice.created", "invoice.processing", "invoice.settled"],
            "{id}"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

async fn pay_with(
    url: &str,
    token: alloy::primitives::Address,
    who: alloy::signers::local::PrivateKeySigner,
    to: &str,
    amount: &str,
) {
    use alloy::providers::ProviderBuilder;
    let amount: stablerail_sdk::Amount = amount.parse().unwrap();
    let provider = ProviderBuilder::new()
        .wallet(alloy::network::EthereumWallet::from(who))
        .connect_http(url.parse().unwrap());
    let t = stablerail_demo::MockUSDTEthereum::new(token, provider);
    t.transfer(
        to.parse().unwrap(),
        alloy::primitives::U256::from(amount.units()),
    )
    .send()
    .await
    .unwrap()
    .get_receipt()
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_sqlite() {
    crash(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_postgres() {
    crash(Backend::Postgres).await;
}
