//! A TRON invoice end to end: the platform's USDT on anvil behind a TRON node's HTTP
//! API (`tron_node`), a merchant receiving at a base58 address, a `tron:` payment
//! URI, and a payer whose TRC20 transfer is built, signed and broadcast with the SDK
//! exactly as a TRON wallet would. The TRON indexer sees it → `processing`; once the
//! node's solid block passes it → `settled`, with the payment named by its txID.
//! Balances move by exactly the paid amount (conservation).

use serde_json::json;
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::{GatewayOptions, auth, merchants};
use stablerail_sdk::{
    Amount,
    tron::{Address as TronAddress, FeeLimitPolicy, PrivateKey, TriggerSmartContract, TronClient},
};

use crate::{
    common::*,
    tron_node::{TronNode, tron_of},
};

/// How far the node's solid block trails its head.
const SOLID_LAG: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tron_invoice_paid_by_a_signed_trc20_transfer() {
    let platform = LocalPlatform::start().await.unwrap();
    let node = TronNode::over(&platform, SOLID_LAG).await;
    let token = platform.deployment.token;
    let db = TestDb::new(Backend::Sqlite).await;
    let text = format!(
        "{}{}",
        config_text(&platform, &db, 1, FAST_WEBHOOKS),
        node.chain_section(&platform, false),
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;

    // A merchant receiving on TRON; an EVM address there is refused.
    let shop = tron_of(platform.address(role::MERCHANT));
    let register = |receiving: String| {
        json!({
            "name": "Tron shop",
            "chains": [{ "chain": "tron", "receiving": receiving }],
            "bank_accounts": [{ "label": "Main", "holder": "Tron shop",
                "account": "DE89370400440532013000", "currency": "EUR", "payout": true }],
        })
    };
    let evm_form = format!("{:#x}", platform.address(role::MERCHANT));
    assert!(merchants::NewMerchant::from_json(&gw.app().config, &register(evm_form)).is_err());
    let m = merchants::NewMerchant::from_json(&gw.app().config, &register(shop.clone())).unwrap();
    let created = merchants::create(&gw.app().db, &m).await.unwrap();
    let (_, key) = auth::create_key(&gw.app().db, &created.id, "test")
        .await
        .unwrap();
    let c = Client::new(&gw, &key);

    let (s, inv) = c
        .post(
            "/v1/invoices",
            json!({ "chain": "tron", "amount": "12.5", "expiry_secs": 600 }),
        )
        .await;
    assert_eq!(s, 201, "{inv}");
    assert_eq!(inv["address"], shop.as_str());
    let unique = inv["unique_amount"].as_str().unwrap().to_owned();
    let uri = inv["payment_uri"].as_str().unwrap();
    assert_eq!(
        uri,
        format!("tron:{shop}?amount={unique}&token={}", tron_of(token))
    );
    let id = inv["id"].as_str().unwrap().to_owned();

    // The payer's wallet: a TRC20 transfer of the unique amount, signed locally.
    let payer_key = platform.signer(role::TRADER);
    let payer = tron_of(payer_key.address());
    platform
        .mint(payer_key.address(), Amount::parse("100").unwrap())
        .await
        .unwrap();
    let before = (
        platform.token_balance(payer_key.address()).await.unwrap(),
        platform
            .token_balance(platform.address(role::MERCHANT))
            .await
            .unwrap(),
    );
    let client = TronClient::new(&node.url).unwrap();
    let call = TriggerSmartContract::trc20_transfer(
        payer.parse::<TronAddress>().unwrap(),
        tron_of(token).parse().unwrap(),
        shop.parse().unwrap(),
        Amount::parse(&unique).unwrap(),
    )
    .unwrap();
    let mut tx = client
        .prepare(call, None, &FeeLimitPolicy::default(), 60_000)
        .await
        .unwrap();
    tx.sign(&PrivateKey::from_bytes(&payer_key.to_bytes()[..]).unwrap())
        .unwrap();
    let txid = client.broadcast(&tx).await.unwrap();

    wait_for(30, "the TRON payment seen", || async {
        status(&c, &id).await.0 == "processing"
    })
    .await;
    let (_, v) = c.get(&format!("/v1/invoices/{id}")).await;
    assert_eq!(v["payments"][0]["tx_hash"], txid.as_str(), "{v}");
    assert_eq!(v["payments"][0]["confirmed"], false, "{v}");
    assert_eq!(v["paid"], unique.as_str());
    // The solid block passes the payment's block: settled.
    mine(&platform, SOLID_LAG + 1).await;
    wait_for(30, "the TRON invoice settled", || async {
        status(&c, &id).await.0 == "settled"
    })
    .await;
    let (_, v) = c.get(&format!("/v1/invoices/{id}")).await;
    assert_eq!(v["confirmed_paid"], unique.as_str(), "{v}");
    assert_eq!(v["payments"].as_array().unwrap().len(), 1);

    // Conservation: the payer lost exactly what the merchant gained.
    let after = (
        platform.token_balance(payer_key.address()).await.unwrap(),
        platform
            .token_balance(platform.address(role::MERCHANT))
            .await
            .unwrap(),
    );
    let paid = alloy::primitives::U256::from(Amount::parse(&unique).unwrap().units());
    assert_eq!(before.0 - after.0, paid);
    assert_eq!(after.1 - before.1, paid);
    gw.stop().await;
}
