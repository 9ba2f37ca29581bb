//! A Solana invoice end to end: the gateway (embedded indexer on a Solana chain) issues
//! an invoice with a unique amount and a Solana Pay URI; a customer pays it with an SPL
//! `TransferChecked` in the native runtime; the recorded blocks reach the gateway
//! through the Solana JSON-RPC test server; the invoice goes to `processing` when the
//! payment is seen and to `settled` once its slot is finalized — on SQLite and
//! PostgreSQL.

use std::time::Duration;

use anchor_spl::token::spl_token;
use anyhow::{Context, ensure};
use serde_json::{Value, json};
use stablerail_gateway::{Config, Gateway, GatewayOptions, auth, merchants};
use stablerail_sdk::Amount;

use crate::common::{
    indexing::{BACKENDS, Backend, TestDb},
    solana::{Platform, default_limits, one_tier_fees},
    solana_rpc::{RpcHandle, SolanaRpc},
};

const CHAIN: &str = "solana";
/// Slots between the head and the finalized slot the test node reports.
const FINALITY: u64 = 2;

/// Serves the blocks recorded since the last call after those already served.
fn publish(p: &mut Platform, rpc: &RpcHandle) -> anyhow::Result<()> {
    let new = p.bank.take_ledger().context("not recording")?;
    let mut k = rpc.knobs();
    let head = k.ledger().head().context("empty ledger")?;
    k.fork(head, &new)
}

async fn invoice(gw: &Gateway, key: &str, id: &str) -> anyhow::Result<Value> {
    Ok(reqwest::Client::new()
        .get(format!("http://{}/v1/invoices/{id}", gw.addr()))
        .bearer_auth(key)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

async fn wait_status(gw: &Gateway, key: &str, id: &str, status: &str) -> anyhow::Result<Value> {
    for _ in 0..200 {
        let v = invoice(gw, key, id).await?;
        if v["status"] == status {
            return Ok(v);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!(
        "invoice {id} never became {status}: {}",
        invoice(gw, key, id).await?
    )
}

async fn paid_invoice(backend: Backend) -> anyhow::Result<()> {
    let mut p = Platform::start_recording(one_tier_fees(), default_limits()).await?;
    let shop = p.user().await?;
    let customer = p.user().await?;
    p.mint_to(&customer.token, 100_000_000).await?;
    let ledger = p.bank.take_ledger().context("not recording")?;
    let first = ledger.first_slot().context("empty ledger")?;
    let (url, rpc) = SolanaRpc::start(ledger).await?;
    rpc.knobs().finality_depth = FINALITY;

    let db = TestDb::new(backend).await?;
    let text = format!(
        r#"
database_url = "{db}"
listen = "127.0.0.1:0"
watch_interval_ms = 50

[chains.{CHAIN}]

[indexer.chains.{CHAIN}]
kind = "solana"
rpc_urls = ["{url}"]
start_block = {first}
head_lag = 0
poll_interval_ms = 50
usdt = "{mint}"
"#,
        db = db.url,
        mint = p.mint,
    );
    let gw = Gateway::start(Config::parse(&text)?, GatewayOptions::default()).await?;
    let input = json!({
        "name": "Shop",
        "chains": [{ "chain": CHAIN, "receiving": shop.key().to_string() }],
        "bank_accounts": [
            { "label": "Main", "holder": "Shop", "account": "DE89370400440532013000", "currency": "EUR", "payout": true }
        ],
    });
    let m = merchants::NewMerchant::from_json(&gw.app().config, &input)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let created = merchants::create(&gw.app().db, &m)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (_, key) = auth::create_key(&gw.app().db, &created.id, "test").await?;

    // A malformed Solana address is refused when the merchant is registered.
    let bad = json!({
        "name": "Bad",
        "chains": [{ "chain": CHAIN, "receiving": "0xdAC17F958D2ee523a2206206994597C13D831ec7" }],
        "bank_accounts": [],
    });
    ensure!(
        merchants::NewMerchant::from_json(&gw.app().config, &bad).is_err(),
        "an EVM address was accepted as a Solana wallet"
    );

    let created: Value = reqwest::Client::new()
        .post(format!("http://{}/v1/invoices", gw.addr()))
        .bearer_auth(&key)
        .json(&json!({ "chain": CHAIN, "amount": "12.5" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = created["id"].as_str().context("id")?.to_owned();
    let unique = Amount::parse(created["unique_amount"].as_str().context("unique")?)?;
    assert_eq!(created["address"], json!(shop.key().to_string()));
    let uri = created["payment_uri"].as_str().context("uri")?;
    ensure!(
        uri.starts_with(&format!("solana:{}?amount={unique}", shop.key()))
            && uri.contains(&format!("spl-token={}", p.mint)),
        "{backend:?}: {uri}"
    );

    // The customer pays the unique amount with TransferChecked.
    let pay = spl_token::instruction::transfer_checked(
        &spl_token::ID,
        &customer.token,
        &p.mint,
        &shop.token,
        &customer.key(),
        &[],
        unique.units(),
        6,
    )?;
    p.bank.send(vec![pay], &[&customer.kp]).await?;
    let paid_slot = p
        .bank
        .ledger()
        .and_then(|l| l.head())
        .context("payment not recorded")?;
    publish(&mut p, &rpc)?;
    let seen = wait_status(&gw, &key, &id, "processing").await?;
    assert_eq!(seen["paid"], json!(unique.to_string()), "{backend:?}");
    assert_eq!(seen["payments"][0]["block_number"], json!(paid_slot));
    assert_eq!(seen["payments"][0]["confirmed"], json!(false));

    // More blocks: the payment's slot falls below the finalized slot.
    for _ in 0..=FINALITY {
        p.mint_to(&customer.token, 1).await?;
    }
    publish(&mut p, &rpc)?;
    let settled = wait_status(&gw, &key, &id, "settled").await?;
    assert_eq!(
        (
            settled["additional_status"].as_str(),
            settled["confirmed_paid"].as_str()
        ),
        (Some("none"), Some(unique.to_string().as_str())),
        "{backend:?}"
    );
    assert_eq!(
        p.bank.token_balance(&shop.token).await?,
        unique.units(),
        "{backend:?}: the shop's token account holds exactly the payment"
    );
    gw.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solana_invoice_settles_at_finality() -> anyhow::Result<()> {
    for backend in BACKENDS {
        paid_invoice(backend).await?;
    }
    Ok(())
}
