//! A payment that a reorg removes moves its invoice back to `new` and says so by
//! webhook; it is never settled before finality.

use serde_json::{Value, json};
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::GatewayOptions;

use crate::common::*;

async fn reorg(backend: Backend) {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(backend).await;
    let gw = start_gateway(
        &config_text(&platform, &db, 6, FAST_WEBHOOKS),
        GatewayOptions::default(),
    )
    .await;
    let (_, key) = merchant(&gw, "Shop", platform.address(role::MERCHANT)).await;
    let c = Client::new(&gw, &key);
    let rx = Receiver::start(Mode::Ok).await;
    let (_, secret) = c.endpoint(&rx.url()).await;
    rx.add_secret(&secret);
    let inv = c.invoice("25", 600).await;
    let id = inv["id"].as_str().unwrap().to_owned();
    // Mint in a block of its own, then the payment in the head block.
    let amount: stablerail_sdk::Amount = "25".parse().unwrap();
    platform
        .mint(platform.address(role::TRADER), amount)
        .await
        .unwrap();
    pay_only(&platform, inv["address"].as_str().unwrap(), amount).await;
    wait_for(30, "processing", || async {
        status(&c, &id).await.0 == "processing"
    })
    .await;
    // Replace the payment's block (and nothing else of ours) by an empty one.
    use alloy::providers::Provider;
    let p = platform.provider(role::DEPLOYER).unwrap();
    let _: Value = p
        .raw_request("anvil_reorg".into(), json!([1, []]))
        .await
        .unwrap();
    wait_for(30, "back to new", || async {
        status(&c, &id).await.0 == "new"
    })
    .await;
    wait_for(10, "payment_removed delivered", || async {
        rx.kinds(&id).iter().any(|k| k == "invoice.payment_removed")
    })
    .await;
    // Far past finality: still new, never settled.
    mine(&platform, 10).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(status(&c, &id).await, ("new".into(), "none".into()));
    let (_, v) = c.get(&format!("/v1/invoices/{id}")).await;
    assert_eq!(v["paid"], "0");
    assert!(!rx.kinds(&id).iter().any(|k| k == "invoice.settled"));
    // Paid again on the new branch: settles once final.
    pay_only(&platform, inv["address"].as_str().unwrap(), amount).await;
    mine(&platform, 7).await;
    wait_for(30, "settled", || async {
        status(&c, &id).await.0 == "settled"
    })
    .await;
    gw.stop().await;
}

async fn pay_only(platform: &LocalPlatform, to: &str, amount: stablerail_sdk::Amount) {
    let token = stablerail_demo::MockUSDTEthereum::new(
        platform.deployment.token,
        platform.provider(role::TRADER).unwrap(),
    );
    token
        .transfer(
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
async fn reorg_sqlite() {
    reorg(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reorg_postgres() {
    reorg(Backend::Postgres).await;
}
