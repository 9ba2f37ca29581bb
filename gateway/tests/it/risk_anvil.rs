//! The risk monitor on anvil with the platform deployed and the embedded indexer:
//! a normal platform day (the demo's) raises nothing; then the escrow's token balance
//! drops below its liabilities (as a token that seizes funds from the escrow would do
//! — USDT's `destroyBlackFunds` — simulated by a transfer anvil sends as the escrow) and
//! the guardian pauses the escrow in the very next block, with the alert, its
//! evidence and its webhook.

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
};
use serde_json::{Value, json};
use sha2::Digest;
use sqlx::Row;
use stablerail_demo::{LocalPlatform, play_day, role};
use stablerail_gateway::GatewayOptions;

use crate::common::*;

/// Moves `units` of USDT out of the escrow in a mined transaction (anvil sends it as
/// the escrow), as a token that seizes funds would: unlike a write to the balance
/// slot, which changes the head block's state in place, the balance drops in the
/// block that carries the transfer, so a measurement of an earlier block cannot see
/// it. Returns that block.
async fn take_from_escrow(platform: &LocalPlatform, units: u64) -> u64 {
    use alloy::sol_types::SolCall;
    alloy::sol! { function transfer(address to, uint256 amount) external returns (bool); }
    let escrow = format!("{:#x}", platform.deployment.escrow);
    let p = platform.provider(role::DEPLOYER).unwrap();
    let call = |method: &'static str, params: Value| {
        let p = p.clone();
        async move {
            let v: Value = p.raw_request(method.into(), params).await.unwrap();
            v
        }
    };
    call("anvil_setBalance", json!([escrow, "0xde0b6b3a7640000"])).await;
    call("anvil_impersonateAccount", json!([escrow])).await;
    let data = transferCall {
        to: platform.address(role::DEPLOYER),
        amount: U256::from(units),
    }
    .abi_encode();
    let tx = call(
        "eth_sendTransaction",
        json!([{
            "from": escrow,
            "to": format!("{:#x}", platform.deployment.token),
            "data": format!("0x{}", hex::encode(data)),
        }]),
    )
    .await;
    call("anvil_stopImpersonatingAccount", json!([escrow])).await;
    // anvil may answer with the hash before the block is sealed.
    let hash: B256 = tx.as_str().unwrap().parse().unwrap();
    let mut receipt = None;
    for _ in 0..1_500 {
        receipt = p.get_transaction_receipt(hash).await.unwrap();
        if receipt.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let receipt = receipt.expect("the transfer out of the escrow mined within 30 s");
    assert!(receipt.status(), "the transfer out of the escrow reverted");
    receipt.block_number.unwrap()
}

async fn report_text(admin: &Client, path: &str) -> String {
    let resp = admin
        .http
        .get(format!("{}{path}", admin.base))
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.text().await.unwrap()
}

async fn monitor_block(gw: &stablerail_gateway::Gateway) -> i64 {
    sqlx::query("SELECT block_number FROM gw_risk_cursors WHERE chain = $1")
        .bind(CHAIN)
        .fetch_optional(&gw.app().db.pool)
        .await
        .unwrap()
        .map_or(0, |r| r.get(0))
}

/// The config of a gateway over `platform` (`finality` confirmations) with `chains`
/// (more chain sections), the monitor every 20 ms with `risk` (more `[risk.…]`
/// sections, before the breaker's) and the guardian's key written to a file in `dir`.
fn guarded_config(
    platform: &LocalPlatform,
    db: &TestDb,
    finality: u64,
    dir: &std::path::Path,
    chains: &str,
    risk: &str,
) -> String {
    let key_file = dir.join("guardian.key");
    std::fs::write(
        &key_file,
        hex::encode(platform.signer(role::GUARDIAN).to_bytes()),
    )
    .unwrap();
    format!(
        "admin_token_env = \"CARGO_MANIFEST_DIR\"\n{}{chains}\n[risk]\ninterval_ms = 20\n\n{risk}[risk.breaker]\nguardian_key_file = \"{}\"\n",
        config_text(platform, db, finality, FAST_WEBHOOKS),
        key_file.display()
    )
}

/// The gateway of `text`, and its admin client.
async fn start_with_admin(text: &str) -> (stablerail_gateway::Gateway, Client) {
    let gw = start_gateway(text, GatewayOptions::default()).await;
    let admin = Client {
        base: format!("http://{}", gw.addr()),
        key: std::env::var("CARGO_MANIFEST_DIR").unwrap(),
        http: reqwest::Client::new(),
    };
    (gw, admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_platform_day_quiet_then_breaker_pauses() {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let text = guarded_config(&platform, &db, 2, dir.path(), "", "");
    let (gw, admin) = start_with_admin(&text).await;
    let rx = Receiver::start(Mode::Ok).await;
    let (s, v) = admin
        .post("/admin/webhooks", json!({ "url": rx.url() }))
        .await;
    assert_eq!(s, 201, "{v}");
    rx.add_secret(v["secret"].as_str().unwrap());

    // The day's reports are per UTC day of chain time: the chain is set 5 minutes
    // before a midnight, so that the day below spans two report days whatever the
    // hour the test runs at.
    let start = platform.now().await.unwrap();
    platform.warp(86_400 - start % 86_400 - 300).await.unwrap();
    let start = platform.now().await.unwrap() as i64;

    // A normal platform day: trades, collections, a payout, a dispute resolved, a
    // cancellation, withdrawals. Nothing fires.
    play_day(&platform, |_| {}).await.unwrap();
    let head = platform.block_number().await.unwrap() as i64;
    wait_for(60, "monitor caught up with the day", || async {
        monitor_block(&gw).await >= head
    })
    .await;
    let (_, quiet) = admin.get("/admin/risk/alerts").await;
    assert_eq!(quiet["data"], json!([]), "alerts on a normal day");
    let escrow = platform.escrow(role::DEPLOYER).unwrap();
    assert!(!escrow.contract().paused().call().await.unwrap());

    // Escrow behaviour: a collection marked paid and not released 200 s before its
    // deadline (chain time) raises `paid_not_released` about that deal.
    let dispatcher = platform.escrow(role::DISPATCHER).unwrap();
    let deal = dispatcher
        .assign_collection(
            platform.address(role::ACCEPTOR),
            platform.address(role::MERCHANT),
            "100".parse().unwrap(),
            600,
            B256::repeat_byte(9),
        )
        .await
        .unwrap();
    dispatcher.mark_paid(deal).await.unwrap();
    platform.warp(400).await.unwrap();
    wait_for(30, "paid_not_released alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=paid_not_released").await;
        v["data"][0]["subject"] == deal.to_string().as_str()
    })
    .await;
    let (_, v) = admin.get("/admin/risk/alerts?state=open").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1, "{v}");

    // Reports: an invoice paid and settled, then the merchant's period and the
    // platform's day, twice each: the same bytes, checksums that hold.
    let (merchant_id, key) = merchant(&gw, "Shop", platform.address(role::MERCHANT)).await;
    let shop = Client::new(&gw, &key);
    // Chain time runs up to a day ahead of the wall clock: a long expiry.
    let invoice = shop.invoice("25", 2 * 86_400).await;
    let invoice_id = invoice["id"].as_str().unwrap().to_owned();
    pay(
        &platform,
        role::TRADER_2,
        invoice["address"].as_str().unwrap(),
        invoice["unique_amount"].as_str().unwrap(),
    )
    .await;
    mine(&platform, 3).await;
    wait_for(30, "invoice settled", || async {
        status(&shop, &invoice_id).await.0 == "settled"
    })
    .await;
    let path = format!("/admin/reports/merchants/{merchant_id}?from=0&to=4102444800&format=csv");
    let csv = report_text(&admin, &path).await;
    assert_eq!(csv, report_text(&admin, &path).await);
    let (body, last) = csv.trim_end().rsplit_once('\n').unwrap();
    let digest = sha2::Sha256::digest(format!("{body}\n").as_bytes());
    assert_eq!(last, format!("# sha256:{}", hex::encode(digest)));
    let payer = format!("{:#x}", platform.address(role::TRADER_2));
    assert!(
        csv.lines()
            .any(|l| l.starts_with("settlement,") && l.contains(&invoice_id) && l.contains(&payer)),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with(&format!("counterparty,{CHAIN},,,")))
    );
    // The platform's report of each day the test's chain time spans (the day above
    // crossed midnight): each reproducible with a checksum that holds; together they
    // hold the day's settled deals and the invoice.
    let now = platform.now().await.unwrap() as i64;
    let day_of = |t: i64| time::OffsetDateTime::from_unix_timestamp(t).unwrap().date();
    let mut day = day_of(start);
    let (mut deals_settled, mut invoices_settled, mut days) = (0u64, 0u64, 0);
    while day <= day_of(now) {
        let path = format!("/admin/reports/platform?day={day}");
        let json_text = report_text(&admin, &path).await;
        assert_eq!(json_text, report_text(&admin, &path).await);
        let mut doc: Value = serde_json::from_str(&json_text).unwrap();
        let checksum = doc.as_object_mut().unwrap().remove("checksum").unwrap();
        let digest = sha2::Sha256::digest(doc.to_string().as_bytes());
        assert_eq!(checksum, format!("sha256:{}", hex::encode(digest)));
        if let Some(chain) = doc["chains"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["chain"] == CHAIN)
        {
            let count = |k: &str| chain[k].as_str().map_or(0, |v| v.parse::<u64>().unwrap());
            deals_settled += count("deals_settled");
            invoices_settled += count("invoices_settled");
        }
        day = day.next_day().unwrap();
        days += 1;
    }
    assert_eq!(days, 2, "the day was set to cross midnight");
    assert!(deals_settled >= 3, "{deals_settled}");
    assert_eq!(invoices_settled, 1);
    let (s, _) = shop
        .get(&format!(
            "/admin/reports/merchants/{merchant_id}?from=0&to=1"
        ))
        .await;
    assert_eq!(s, 403);

    // The escrow loses 1,000 USDT it owes.
    let held = platform
        .token_balance(platform.deployment.escrow)
        .await
        .unwrap();
    let burnt = U256::from(1_000_000_000u64);
    assert!(held > burnt);
    let broken_at = take_from_escrow(&platform, 1_000_000_000).await;
    // The pause is sent before the alert commits (the alert records its outcome).
    wait_for(30, "conservation alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=conservation").await;
        !v["data"].as_array().unwrap().is_empty()
    })
    .await;
    assert!(escrow.contract().paused().call().await.unwrap());
    // Paused in the block right after the one whose indexing showed the breach.
    let (_, list) = admin.get("/admin/risk/alerts?rule=conservation").await;
    let alert = &list["data"][0];
    assert_eq!(alert["severity"], "critical", "{list}");
    assert_eq!(alert["details"]["missing"], "1000000000");
    assert_eq!(alert["block_number"], broken_at);
    let breaker = &alert["details"]["breaker"];
    assert_eq!(breaker["paused"], true, "{alert}");
    assert_eq!(breaker["block_number"], broken_at + 1);
    let id = alert["id"].as_str().unwrap();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    let evidence = &full["evidence"][0];
    assert_eq!(evidence["kind"], "metric");
    assert_eq!(evidence["block_number"], broken_at);
    assert_eq!(
        evidence["data"]["balance"],
        (held - burnt).to_string().as_str()
    );
    // Why it paused is recorded with the transaction.
    let action = sqlx::query("SELECT alert_id, tx_hash, reason FROM gw_risk_actions")
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap();
    assert_eq!(action.get::<String, _>(0), id);
    assert_eq!(
        Some(action.get::<String, _>(1)),
        breaker["tx_hash"].as_str().map(str::to_owned)
    );
    assert!(action.get::<String, _>(2).contains("owes"));
    // The operator heard about it.
    wait_for(15, "conservation alert webhook", || async {
        rx.kinds(id) == vec!["risk.alert.opened".to_owned()]
    })
    .await;
    assert_eq!(rx.bad(), 0);
    // The guardian cannot unpause: that stays the multisig's.
    let guardian = platform.escrow(role::GUARDIAN).unwrap();
    assert!(guardian.contract().unpause().call().await.is_err());
    gw.stop().await;
}

/// A wallet of its own on anvil: gas money set, the USDT mock as that wallet.
struct Wallet {
    address: Address,
    token:
        stablerail_demo::MockUSDTEthereum::MockUSDTEthereumInstance<alloy::providers::DynProvider>,
}

impl Wallet {
    async fn new(platform: &LocalPlatform) -> Self {
        use alloy::{
            network::EthereumWallet, providers::ProviderBuilder, signers::local::PrivateKeySigner,
        };
        let signer = PrivateKeySigner::random();
        let address = signer.address();
        let _: Value = platform
            .provider(role::DEPLOYER)
            .unwrap()
            .raw_request(
                "anvil_setBalance".into(),
                (address, U256::from(10u64).pow(U256::from(20u64))),
            )
            .await
            .unwrap();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(platform.devnet.rpc_url().parse().unwrap())
            .erased();
        Self {
            address,
            token: stablerail_demo::MockUSDTEthereum::new(platform.deployment.token, provider),
        }
    }

    /// Mints `whole` USDT to this wallet in one transfer from the zero address.
    async fn minted(self, platform: &LocalPlatform, whole: u64) -> Self {
        platform
            .mint(
                self.address,
                stablerail_sdk::Amount::from_units(whole * 1_000_000),
            )
            .await
            .unwrap();
        self
    }

    /// Sends `units` of USDT to `to`.
    async fn send(&self, to: Address, units: u64) {
        self.token
            .transfer(to, U256::from(units))
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
    }
}

/// Every transfer rule fired by real ERC-20 transfers on anvil, read back by the
/// embedded indexer: each planted pattern raises its rule on its subject and nothing
/// else fires (the wallets are funded by mints below every threshold, then the
/// clock moves past the pass-through window, so the funding is no pattern itself).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_transfer_rules_on_anvil() {
    const U: u64 = 1_000_000;
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let listed = Address::repeat_byte(0x5c);
    let list = dir.path().join("screening.csv");
    std::fs::write(&list, format!("{CHAIN},{listed:#x},OFAC,test entry\n")).unwrap();
    let risk = format!(
        "[risk.screening]\nfile = \"{}\"\n\n[risk.new_address]\nmin_volume = \"60000\"\n\n",
        list.display()
    );
    let text = guarded_config(&platform, &db, 1, dir.path(), "", &risk);
    let (gw, admin) = start_with_admin(&text).await;

    // Funding, by mints of less than 10,000 each.
    let large = Wallet::new(&platform)
        .await
        .minted(&platform, 6_000)
        .await
        .minted(&platform, 6_000)
        .await;
    let velocity = Wallet::new(&platform).await.minted(&platform, 60).await;
    let mut structurer = Wallet::new(&platform).await;
    for _ in 0..3 {
        structurer = structurer.minted(&platform, 9_001).await;
    }
    let source = Wallet::new(&platform).await.minted(&platform, 5_000).await;
    let mule = Wallet::new(&platform).await;
    let mut payers = Vec::new();
    for _ in 0..7 {
        payers.push(Wallet::new(&platform).await.minted(&platform, 9_000).await);
    }
    let fresh = Wallet::new(&platform).await;
    let customer = Wallet::new(&platform).await.minted(&platform, 100).await;
    platform.warp(700).await.unwrap();

    // The patterns.
    large.send(Address::repeat_byte(0x01), 10_000 * U).await;
    for i in 0..51u8 {
        velocity.send(Address::repeat_byte(0x80 ^ i), U).await;
    }
    for i in 0..3u8 {
        structurer
            .send(Address::repeat_byte(0x20 + i), 9_001 * U)
            .await;
    }
    source.send(mule.address, 5_000 * U).await;
    mule.send(Address::repeat_byte(0x30), 4_900 * U).await;
    for p in &payers {
        p.send(fresh.address, 9_000 * U).await;
    }
    customer.send(listed, 100 * U).await;

    let head = platform.block_number().await.unwrap() as i64;
    wait_for(60, "the monitor at the head", || async {
        monitor_block(&gw).await >= head
    })
    .await;
    let (_, list) = admin.get("/admin/risk/alerts?limit=100").await;
    let got: std::collections::BTreeSet<(String, String)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_owned(),
                a["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: std::collections::BTreeSet<(String, String)> = [
        ("large_transfer", large.address),
        ("velocity", velocity.address),
        ("structuring", structurer.address),
        ("pass_through", mule.address),
        ("new_address", fresh.address),
        ("screening", listed),
    ]
    .into_iter()
    .map(|(r, a)| (r.to_owned(), format!("{a:#x}")))
    .collect();
    assert_eq!(got, want, "{list}");
    // Each names the transfers behind it, by the hashes anvil gave them.
    for a in list["data"].as_array().unwrap() {
        let id = a["id"].as_str().unwrap();
        let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
        let evidence = full["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty(), "{full}");
        for e in evidence {
            assert_eq!(e["kind"], "transfer", "{full}");
            let hash: B256 = e["tx_hash"].as_str().unwrap().parse().unwrap();
            let receipt = platform
                .provider(role::DEPLOYER)
                .unwrap()
                .get_transaction_receipt(hash)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                receipt.block_number.map(|n| n as i64),
                e["block_number"].as_i64(),
                "{e}"
            );
        }
    }
    gw.stop().await;
}

/// The platform-health rules on anvil. `indexer_lag`: an indexer held 60 blocks
/// behind the head it sees (`head_lag`, as a slow one would be), 100 blocks mined:
/// more than the 50 allowed, seen whenever during the mining the pass runs. `webhook_failures` on the production retry schedule
/// (10 s, 1 min, then 10 min apart, over an hour in all): one merchant's endpoint
/// answers every delivery with a 500, another's with a 200, 25 invoices each. The
/// failing deliveries are still awaiting their retries when the rate (evaluated every
/// 30 s) finds ≥ 20 % of ≥ 20 attempted deliveries failing, and the alert names the
/// failing endpoint and not the healthy one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_health_rules_on_anvil() {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let health = "[risk.health]\nmax_lag_blocks = 50\nmin_deliveries = 20\n\n";
    let text = guarded_config(&platform, &db, 1, dir.path(), "", health)
        .replace("head_lag = 0\n", "head_lag = 60\n")
        .replace(
            "schedule_secs = [0.2, 0.2, 0.2, 0.2, 0.2]",
            "schedule_secs = [10, 60, 600, 600, 600, 600, 600, 600]",
        );
    let (gw, admin) = start_with_admin(&text).await;
    let rules = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["rule"].as_str().unwrap().to_owned())
            .collect()
    };

    // A healthy shop, and one whose endpoint always fails.
    let ok_rx = Receiver::start(Mode::Ok).await;
    let (_, ok_key) = merchant(&gw, "Healthy shop", platform.address(role::TRADER)).await;
    let healthy = Client::new(&gw, &ok_key);
    let (ok_endpoint, ok_secret) = healthy.endpoint(&ok_rx.url()).await;
    ok_rx.add_secret(&ok_secret);
    let rx = Receiver::start(Mode::Fail(u32::MAX)).await;
    let (failing_merchant, key) =
        merchant(&gw, "Failing shop", platform.address(role::MERCHANT)).await;
    let shop = Client::new(&gw, &key);
    let (endpoint, secret) = shop.endpoint(&rx.url()).await;
    rx.add_secret(&secret);
    for i in 0..25 {
        healthy.invoice(&format!("{}.25", 10 + i), 600).await;
        shop.invoice(&format!("{}.5", 10 + i), 600).await;
    }

    mine(&platform, 100).await;
    let head = platform.block_number().await.unwrap();
    wait_for(60, "indexer_lag alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=indexer_lag").await;
        !rules(&v).is_empty()
    })
    .await;
    let (_, v) = admin.get("/admin/risk/alerts?rule=indexer_lag").await;
    let lag = &v["data"][0];
    assert_eq!(lag["subject"], CHAIN, "{lag}");
    let d = &lag["details"];
    let (seen, indexed) = (d["head"].as_u64().unwrap(), d["indexed"].as_u64().unwrap());
    // The pass may have run while anvil was still mining (a head of 52 with nothing
    // indexed yet is already 52 behind): above the limit, and never past the
    // indexer's own 60 blocks behind the head it saw.
    assert!(seen <= head && seen - indexed > 50, "{lag}");
    assert!(indexed <= seen.saturating_sub(60), "{lag}");
    assert_eq!(d["lag"], seen - indexed, "{lag}");

    wait_for(90, "webhook_failures alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=webhook_failures").await;
        !rules(&v).is_empty()
    })
    .await;
    let (_, v) = admin.get("/admin/risk/alerts?rule=webhook_failures").await;
    let failures = &v["data"][0];
    let d = &failures["details"];
    let (failed, total) = (d["failed"].as_u64().unwrap(), d["total"].as_u64().unwrap());
    // What the rule promises, whenever in the invoices' creation its pass ran.
    assert!((20..=50).contains(&total), "{failures}");
    assert!(
        failed <= 25 && failed * 10_000 >= total * 2_000,
        "{failures}"
    );
    assert_eq!(d["rate_bps"], failed * 10_000 / total, "{failures}");
    let named = d["endpoints"].as_array().unwrap();
    assert_eq!(named.len(), 1, "only the failing endpoint: {failures}");
    assert_eq!(named[0]["endpoint_id"], endpoint, "{failures}");
    assert_eq!(named[0]["merchant_id"], failing_merchant, "{failures}");
    assert_eq!(named[0]["failed"], failed, "{failures}");
    assert!(named.iter().all(|e| e["endpoint_id"] != ok_endpoint));
    // No failing delivery has used up its retries: the alert did not wait an hour.
    let (s, log) = shop
        .get(&format!("/v1/webhooks/{endpoint}/deliveries?limit=100"))
        .await;
    assert_eq!(s, 200, "{log}");
    let log = log["data"].as_array().unwrap();
    assert_eq!(log.len(), 25, "{log:?}");
    assert!(
        log.iter()
            .all(|l| l["status"] == "pending" && l["attempts"].as_u64().unwrap() >= 1),
        "{log:?}"
    );
    assert_eq!(rx.bad(), 0, "the failing endpoint answered 500, not 400");
    assert_eq!(ok_rx.bad(), 0);
    assert_eq!(ok_rx.seen().len(), 25, "the healthy shop got every event");
    // Nothing else fired.
    let (_, all) = admin.get("/admin/risk/alerts").await;
    let mut all = rules(&all);
    all.sort();
    assert_eq!(all, vec!["indexer_lag", "webhook_failures"]);
    gw.stop().await;
}

/// The configured drain pattern on anvil: 300 USDT deposited, then, after the rule's
/// 10-minute window, 80 and 70 withdrawn: the escrow lost 150 within the window
/// (limit 100), so the second withdrawal raises `escrow_drain` with both transfers as
/// evidence, and the breaker (whose default rules list it) pauses the escrow with the
/// guardian's key; a further withdrawal is refused by the paused escrow.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_escrow_drain_pauses_on_anvil() {
    use stablerail_sdk::Amount;

    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let drain = "[risk.escrow_drain]\nenabled = true\nwindow_secs = 600\nmax_outflow = \"100\"\n\n";
    let text = guarded_config(&platform, &db, 1, dir.path(), "", drain);
    let (gw, admin) = start_with_admin(&text).await;
    let who = role::MERCHANT;
    let owner = platform.signer(who).address();
    let escrow = platform.escrow(who).unwrap();
    let usdt = |s: &str| Amount::parse(s).unwrap();
    platform.mint(owner, usdt("300")).await.unwrap();
    escrow.deposit(owner, usdt("300")).await.unwrap();
    platform.warp(700).await.unwrap();
    escrow.withdraw(usdt("80")).await.unwrap();
    let first = platform.block_number().await.unwrap() as i64;
    wait_for(30, "the monitor past the first withdrawal", || async {
        monitor_block(&gw).await >= first
    })
    .await;
    let (_, none) = admin.get("/admin/risk/alerts?rule=escrow_drain").await;
    assert_eq!(none["data"], json!([]), "80 lost is within the limit");
    escrow.withdraw(usdt("70")).await.unwrap();
    let drained_at = platform.block_number().await.unwrap();
    wait_for(30, "escrow_drain alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=escrow_drain").await;
        !v["data"].as_array().unwrap().is_empty()
    })
    .await;
    let (_, list) = admin.get("/admin/risk/alerts?rule=escrow_drain").await;
    let alert = &list["data"][0];
    assert_eq!(alert["severity"], "critical", "{list}");
    assert_eq!(
        alert["subject"],
        format!("{:#x}", platform.deployment.escrow),
        "{alert}"
    );
    assert_eq!(alert["block_number"], drained_at);
    let d = &alert["details"];
    assert_eq!(d["lost"], "150000000", "{alert}");
    assert_eq!(d["out"], "150000000");
    assert_eq!(d["in"], "0");
    assert_eq!(d["count"], 2);
    let id = alert["id"].as_str().unwrap();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    let evidence = full["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2, "{full}");
    assert!(evidence.iter().all(|e| e["kind"] == "transfer"));
    // Paused by the guardian in the next block; the money left stays.
    let breaker = &d["breaker"];
    assert_eq!(breaker["paused"], true, "{alert}");
    assert_eq!(breaker["block_number"], drained_at + 1);
    let contract = platform.escrow(role::GUARDIAN).unwrap();
    assert!(contract.contract().paused().call().await.unwrap());
    assert!(escrow.withdraw(usdt("10")).await.is_err());
    let account = escrow.account(owner).await.unwrap();
    assert_eq!(account.available.units(), 150_000_000);
    let held = platform
        .token_balance(platform.deployment.escrow)
        .await
        .unwrap();
    let liabilities = escrow.liabilities().await.unwrap();
    assert_eq!(held, liabilities);
    assert_eq!(held, alloy::primitives::U256::from(150_000_000u64));
    gw.stop().await;
}

/// Tether's own blacklist on anvil: a payment to an address before the USDT mock's
/// `addBlackList` raises nothing; funds reaching it afterwards (the mock's `mint`
/// bypasses its blacklist check, as any transfer to a listed address does on
/// Ethereum's USDT, which only checks the sender) raise `usdt_blacklist` with the
/// transfer and the `AddedBlackList` event as evidence and a webhook; an anvil reorg
/// that drops the transfer's block withdraws it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_usdt_blacklist_on_anvil() {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let text = format!(
        "admin_token_env = \"CARGO_MANIFEST_DIR\"\n{}\n[risk]\ninterval_ms = 20\n",
        config_text(&platform, &db, 3, FAST_WEBHOOKS),
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;
    let admin = Client {
        base: format!("http://{}", gw.addr()),
        key: std::env::var("CARGO_MANIFEST_DIR").unwrap(),
        http: reqwest::Client::new(),
    };
    let rx = Receiver::start(Mode::Ok).await;
    let (s, v) = admin
        .post("/admin/webhooks", json!({ "url": rx.url() }))
        .await;
    assert_eq!(s, 201, "{v}");
    rx.add_secret(v["secret"].as_str().unwrap());

    let frozen = Address::repeat_byte(0x7f);
    let frozen_text = format!("{frozen:#x}");
    // Paid while still clean.
    pay(&platform, role::TRADER, &frozen_text, "40").await;
    let token = stablerail_demo::MockUSDTEthereum::new(
        platform.deployment.token,
        platform.provider(role::DEPLOYER).unwrap(),
    );
    let listing = token
        .addBlackList(frozen)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    // Funds reach the listed address.
    let credit = token
        .mint(frozen, U256::from(30_000_000u64))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let credit_block = credit.block_number.unwrap();
    wait_for(30, "usdt_blacklist alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=usdt_blacklist").await;
        !v["data"].as_array().unwrap().is_empty()
    })
    .await;
    // Only the transfer after the listing raised anything.
    let (_, all) = admin.get("/admin/risk/alerts").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1, "{all}");
    let alert = &all["data"][0];
    assert_eq!(alert["rule"], "usdt_blacklist");
    assert_eq!(alert["subject"], frozen_text.as_str());
    assert_eq!(alert["subject_kind"], "address");
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["block_number"], credit_block);
    assert_eq!(alert["details"]["role"], "recipient");
    assert_eq!(
        alert["details"]["listed_block"],
        listing.block_number.unwrap()
    );
    let id = alert["id"].as_str().unwrap().to_owned();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    let evidence = full["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2, "{full}");
    assert_eq!(evidence[0]["kind"], "transfer");
    assert_eq!(
        evidence[0]["tx_hash"],
        format!("{:#x}", credit.transaction_hash).as_str()
    );
    assert_eq!(evidence[0]["data"]["amount"], "30000000");
    assert_eq!(evidence[1]["kind"], "blacklist");
    assert_eq!(
        evidence[1]["tx_hash"],
        format!("{:#x}", listing.transaction_hash).as_str()
    );
    assert_eq!(evidence[1]["data"]["event"], "added");
    assert_eq!(evidence[1]["data"]["address"], frozen_text.as_str());
    wait_for(15, "usdt_blacklist webhook", || async {
        rx.kinds(&id) == vec!["risk.alert.opened".to_owned()]
    })
    .await;

    // The credit's block is replaced by an empty one: the alert is withdrawn.
    let p = platform.provider(role::DEPLOYER).unwrap();
    let _: Value = p
        .raw_request("anvil_reorg".into(), json!([1, []]))
        .await
        .unwrap();
    wait_for(30, "usdt_blacklist withdrawn", || async {
        let (_, v) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
        v["state"] == "withdrawn"
    })
    .await;
    wait_for(15, "withdrawal webhook", || async {
        rx.kinds(&id)
            == vec![
                "risk.alert.opened".to_owned(),
                "risk.alert.withdrawn".to_owned(),
            ]
    })
    .await;
    assert_eq!(rx.bad(), 0);
    gw.stop().await;
}

fn usdt_amount(whole: u64) -> stablerail_sdk::Amount {
    stablerail_sdk::Amount::from_units(whole * 1_000_000)
}

/// The (rule, subject) of every alert.
async fn rule_subjects(admin: &Client) -> std::collections::BTreeSet<(String, String)> {
    let (_, v) = admin.get("/admin/risk/alerts?limit=100").await;
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_owned(),
                a["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The deal ids among an alert's evidence rows.
async fn evidence_deals(admin: &Client, rule: &str, subject: &str) -> Vec<u64> {
    let (_, v) = admin
        .get(&format!("/admin/risk/alerts?rule={rule}&subject={subject}"))
        .await;
    let id = v["data"][0]["id"].as_str().unwrap().to_owned();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    let mut ids: Vec<u64> = full["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["kind"], "deal", "{full}");
            e["data"]["deal_id"].as_u64().unwrap()
        })
        .collect();
    ids.sort_unstable();
    ids
}

/// Escrow behaviour on anvil, with real deals driven through the SDK after a normal
/// platform day (which raises nothing): an acceptor whose collections are disputed
/// (2 of 5) raises `dispute_rate`; a trader whose trades the merchant cancels (2 of
/// its 6, one from the day) raises `cancel_rate`; the two disputes, left unresolved past the
/// arbitration window in chain time, raise `arbitration_overdue` each. Every alert
/// carries exactly the deals it counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_escrow_behaviour_on_anvil() {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let text = format!(
        "admin_token_env = \"CARGO_MANIFEST_DIR\"\n{}\n[risk]\ninterval_ms = 20\n\n[risk.escrow]\nmin_deals = 5\n",
        config_text(&platform, &db, 2, FAST_WEBHOOKS),
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;
    let admin = Client {
        base: format!("http://{}", gw.addr()),
        key: std::env::var("CARGO_MANIFEST_DIR").unwrap(),
        http: reqwest::Client::new(),
    };
    play_day(&platform, |_| {}).await.unwrap();
    let head = platform.block_number().await.unwrap() as i64;
    wait_for(60, "monitor caught up with the day", || async {
        monitor_block(&gw).await >= head
    })
    .await;
    assert!(
        rule_subjects(&admin).await.is_empty(),
        "alerts on a normal day"
    );

    // A second acceptor: five collections of merchant 1; two are marked paid and
    // disputed by the acceptor, three released.
    let acceptor = platform.address(role::ACCEPTOR_2);
    let merchant_addr = platform.address(role::MERCHANT);
    platform
        .set_roles(acceptor, stablerail_sdk::Roles::ACCEPTOR)
        .await
        .unwrap();
    platform.kyc(&[acceptor]).await.unwrap();
    platform.go_online(role::ACCEPTOR_2).await.unwrap();
    platform.mint(acceptor, usdt_amount(1_000)).await.unwrap();
    let as_acceptor = platform.escrow(role::ACCEPTOR_2).unwrap();
    as_acceptor
        .deposit(acceptor, usdt_amount(1_000))
        .await
        .unwrap();
    let dispatcher = platform.escrow(role::DISPATCHER).unwrap();
    let mut disputed = Vec::new();
    for i in 0..5u8 {
        let deal = dispatcher
            .assign_collection(
                acceptor,
                merchant_addr,
                usdt_amount(100),
                3_600,
                B256::repeat_byte(0x40 + i),
            )
            .await
            .unwrap();
        if i % 2 == 1 {
            dispatcher.mark_paid(deal).await.unwrap();
            as_acceptor.dispute(deal).await.unwrap();
            disputed.push(deal.to::<u64>());
        } else {
            as_acceptor.release(deal).await.unwrap();
        }
    }

    // Trader 2 (one released trade in the day) fills five more of merchant 2's
    // order; merchant 2 cancels two, the rest are paid and released.
    let trader = platform.address(role::TRADER_2);
    platform.mint(trader, usdt_amount(1_000)).await.unwrap();
    let as_trader = platform.escrow(role::TRADER_2).unwrap();
    as_trader.deposit(trader, usdt_amount(1_000)).await.unwrap();
    let as_merchant = platform.escrow(role::MERCHANT_2).unwrap();
    let expiry = platform.now().await.unwrap() + 86_400;
    let order = as_merchant
        .post_buy_order(
            3_640,
            "THB",
            usdt_amount(1_000),
            usdt_amount(10),
            usdt_amount(1_000),
            expiry,
            900,
        )
        .await
        .unwrap();
    let mut cancelled = Vec::new();
    for i in 0..5u8 {
        let trade = as_trader
            .fill_buy_order(order, usdt_amount(100), B256::repeat_byte(0x50 + i))
            .await
            .unwrap();
        if i < 2 {
            as_merchant.cancel(trade).await.unwrap();
            cancelled.push(trade.to::<u64>());
        } else {
            as_merchant.mark_paid(trade).await.unwrap();
            as_trader.release(trade).await.unwrap();
        }
    }
    let acceptor_text = format!("{acceptor:#x}");
    let trader_text = format!("{trader:#x}");
    wait_for(30, "rate alerts", || async {
        rule_subjects(&admin).await.len() >= 2
    })
    .await;
    let want: std::collections::BTreeSet<(String, String)> = [
        ("dispute_rate".to_owned(), acceptor_text.clone()),
        ("cancel_rate".to_owned(), trader_text.clone()),
    ]
    .into();
    assert_eq!(rule_subjects(&admin).await, want);
    assert_eq!(
        evidence_deals(&admin, "dispute_rate", &acceptor_text).await,
        disputed
    );
    assert_eq!(
        evidence_deals(&admin, "cancel_rate", &trader_text).await,
        cancelled
    );
    let (_, v) = admin
        .get(&format!(
            "/admin/risk/alerts?rule=dispute_rate&subject={acceptor_text}"
        ))
        .await;
    let d = &v["data"][0]["details"];
    assert_eq!(
        (d["count"].as_u64(), d["deals"].as_u64()),
        (Some(2), Some(5)),
        "{d}"
    );
    assert_eq!(d["rate_bps"], 4_000);
    let (_, v) = admin
        .get(&format!(
            "/admin/risk/alerts?rule=cancel_rate&subject={trader_text}"
        ))
        .await;
    // It fires as soon as 5 deals are counted (2 cancelled of 5), or at 6 if the
    // monitor first sees the range after the last fill.
    let d = &v["data"][0]["details"];
    assert_eq!(d["count"], 2, "{d}");
    assert!(matches!(d["deals"].as_u64(), Some(5 | 6)), "{d}");

    // Nobody arbitrates: three days and a minute of chain time later (the rate
    // window is a week), each dispute is overdue.
    platform.warp(3 * 86_400 + 60).await.unwrap();
    wait_for(30, "arbitration_overdue alerts", || async {
        let (_, v) = admin
            .get("/admin/risk/alerts?rule=arbitration_overdue")
            .await;
        v["data"].as_array().unwrap().len() == 2
    })
    .await;
    let mut want = want;
    for deal in &disputed {
        want.insert(("arbitration_overdue".to_owned(), deal.to_string()));
        assert_eq!(
            evidence_deals(&admin, "arbitration_overdue", &deal.to_string()).await,
            vec![*deal]
        );
    }
    assert_eq!(rule_subjects(&admin).await, want);
    gw.stop().await;
}

/// A self-dealing ring on anvil: one sponsor funds both merchant 2 and trader 1,
/// who then trade 12,000 USDT in three deals (wash volume towards merchant 2's fee
/// tier) — `self_dealing` about merchant 2 with the two funding transfers and the
/// three deals. Trader 2 doing the same volume with merchant 1, each funded on its
/// own, raises no `self_dealing`; the normal day before raises nothing at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_self_dealing_ring_on_anvil() {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let text = format!(
        "admin_token_env = \"CARGO_MANIFEST_DIR\"\n{}\n[risk]\ninterval_ms = 20\n",
        config_text(&platform, &db, 2, FAST_WEBHOOKS),
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;
    let admin = Client {
        base: format!("http://{}", gw.addr()),
        key: std::env::var("CARGO_MANIFEST_DIR").unwrap(),
        http: reqwest::Client::new(),
    };
    play_day(&platform, |_| {}).await.unwrap();
    let head = platform.block_number().await.unwrap() as i64;
    wait_for(60, "monitor caught up with the day", || async {
        monitor_block(&gw).await >= head
    })
    .await;
    assert!(
        rule_subjects(&admin).await.is_empty(),
        "alerts on a normal day"
    );

    let sponsor = platform.address(role::ACCEPTOR_3);
    let (ring_merchant, ring_trader) = (
        platform.address(role::MERCHANT_2),
        platform.address(role::TRADER),
    );
    // The sponsor's money reaches both sides of the ring.
    let mut funding_txs = Vec::new();
    platform.mint(sponsor, usdt_amount(30_000)).await.unwrap();
    let as_sponsor = stablerail_demo::MockUSDTEthereum::new(
        platform.deployment.token,
        platform.provider(role::ACCEPTOR_3).unwrap(),
    );
    for to in [ring_merchant, ring_trader] {
        let r = as_sponsor
            .transfer(to, U256::from(15_000_000_000u64))
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        funding_txs.push(format!("{:#x}", r.transaction_hash));
    }
    // An independent pair: trader 2 minted its own money.
    platform
        .mint(platform.address(role::TRADER_2), usdt_amount(15_000))
        .await
        .unwrap();
    let expiry = platform.now().await.unwrap() + 86_400;
    let mut ring_deals = Vec::new();
    for (merchant_role, trader_role, ring) in [
        (role::MERCHANT_2, role::TRADER, true),
        (role::MERCHANT, role::TRADER_2, false),
    ] {
        let trader = platform.address(trader_role);
        let as_trader = platform.escrow(trader_role).unwrap();
        as_trader
            .deposit(trader, usdt_amount(12_000))
            .await
            .unwrap();
        let as_merchant = platform.escrow(merchant_role).unwrap();
        let order = as_merchant
            .post_buy_order(
                725,
                "CNY",
                usdt_amount(12_000),
                usdt_amount(10),
                usdt_amount(4_000),
                expiry,
                900,
            )
            .await
            .unwrap();
        for i in 0..3u8 {
            let trade = as_trader
                .fill_buy_order(
                    order,
                    usdt_amount(4_000),
                    B256::repeat_byte(0x60 + i + u8::from(ring) * 8),
                )
                .await
                .unwrap();
            as_merchant.mark_paid(trade).await.unwrap();
            as_trader.release(trade).await.unwrap();
            if ring {
                ring_deals.push(trade.to::<u64>());
            }
        }
    }
    let head = platform.block_number().await.unwrap() as i64;
    wait_for(60, "monitor caught up", || async {
        monitor_block(&gw).await >= head
    })
    .await;
    let merchant_text = format!("{ring_merchant:#x}");
    wait_for(30, "self_dealing alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=self_dealing").await;
        !v["data"].as_array().unwrap().is_empty()
    })
    .await;
    // Only the ring's merchant (the 12,000 USDT deposits and the sponsor's
    // 15,000 transfers also raise `large_transfer`, as they should).
    let rings: Vec<(String, String)> = rule_subjects(&admin)
        .await
        .into_iter()
        .filter(|(rule, _)| rule == "self_dealing")
        .collect();
    assert_eq!(rings, [("self_dealing".to_owned(), merchant_text.clone())]);
    let (_, v) = admin.get("/admin/risk/alerts?rule=self_dealing").await;
    let alert = &v["data"][0];
    let d = &alert["details"];
    assert_eq!(
        d["counterparty"],
        format!("{ring_trader:#x}").as_str(),
        "{d}"
    );
    assert_eq!(d["shared_sources"], json!([format!("{sponsor:#x}")]));
    assert_eq!(d["funded"], "30000000000");
    assert_eq!(d["deals"], 3);
    assert_eq!(d["volume"], "12000000000");
    let id = alert["id"].as_str().unwrap();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    let evidence = full["evidence"].as_array().unwrap();
    let mut txs: Vec<String> = evidence
        .iter()
        .filter(|e| e["kind"] == "transfer")
        .map(|e| e["tx_hash"].as_str().unwrap().to_owned())
        .collect();
    txs.sort();
    funding_txs.sort();
    assert_eq!(txs, funding_txs);
    let mut deals: Vec<u64> = evidence
        .iter()
        .filter(|e| e["kind"] == "deal")
        .map(|e| e["data"]["deal_id"].as_u64().unwrap())
        .collect();
    deals.sort_unstable();
    assert_eq!(deals, ring_deals);
    gw.stop().await;
}

/// Conservation on TRON: the escrow behind a TRON node's HTTP API (`tron_node`),
/// whose balance can only be read at the node's head. While the indexer is at the
/// head the balance is compared with the liabilities indexed there; a drop below
/// them raises the critical alert for the TRON chain, naming the escrow in base58,
/// and the breaker pauses the escrow with a TRON transaction signed by the guardian's
/// key (the node runs it as the guardian; the contract checks the role).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_conservation_on_tron() {
    use stablerail_sdk::Amount;

    use crate::tron_node::{TronNode, tron_of};

    let platform = LocalPlatform::start().await.unwrap();
    let node = TronNode::over(&platform, 0).await;
    let d = &platform.deployment;
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let text = guarded_config(
        &platform,
        &db,
        1,
        dir.path(),
        &node.chain_section(&platform, true),
        "",
    );
    // The escrow is watched through the TRON chain only: through the EVM chain the
    // monitor would see the same breach and pause the (shared) escrow.
    let text = text.replace(&format!("escrow = \"{:#x}\"\n", d.escrow), "");
    let (gw, admin) = start_with_admin(&text).await;

    // 50 USDT deposited: liabilities 50, balance 50, nothing raised.
    let who = role::MERCHANT;
    let owner = platform.signer(who);
    let escrow = platform.escrow(who).unwrap();
    platform
        .mint(owner.address(), Amount::parse("50").unwrap())
        .await
        .unwrap();
    escrow
        .deposit(owner.address(), Amount::parse("50").unwrap())
        .await
        .unwrap();
    let deposited_at = platform.block_number().await.unwrap();
    wait_for(30, "the monitor past the deposit on TRON", || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(MAX(block_number), 0) FROM gw_risk_cursors WHERE chain = 'tron'",
        )
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap()
            >= deposited_at as i64
    })
    .await;
    let (_, none) = admin.get("/admin/risk/alerts?rule=conservation").await;
    assert!(none["data"].as_array().unwrap().is_empty(), "{none}");

    // The escrow loses 10 USDT it owes.
    let broken_at = take_from_escrow(&platform, 10_000_000).await;
    wait_for(30, "conservation alert on TRON", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=conservation").await;
        !v["data"].as_array().unwrap().is_empty()
    })
    .await;
    let (_, list) = admin.get("/admin/risk/alerts?rule=conservation").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let alert = &list["data"][0];
    assert_eq!(alert["chain"], "tron", "{alert}");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["details"]["missing"], "10000000", "{alert}");
    assert_eq!(alert["details"]["liabilities"], "50000000");
    assert_eq!(alert["details"]["escrow"], tron_of(d.escrow).as_str());
    assert!(
        alert["block_number"].as_u64().unwrap() >= broken_at,
        "{alert}"
    );
    // Paused by the guardian's TRON transaction, in the block after the breach.
    let breaker = &alert["details"]["breaker"];
    assert_eq!(breaker["paused"], true, "{alert}");
    let txid = breaker["tx_hash"].as_str().unwrap();
    assert_eq!(txid.len(), 64, "a TRON txID: {alert}");
    assert!(!txid.starts_with("0x"));
    assert_eq!(
        breaker["block_number"].as_u64().unwrap(),
        alert["block_number"].as_u64().unwrap() + 1,
        "{alert}"
    );
    assert!(escrow.contract().paused().call().await.unwrap());
    // The indexer's TRON chain names the pause's block transaction by that txID.
    wait_for(30, "the pause indexed on TRON", || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM escrow_events WHERE chain = 'tron' AND tx_hash = $1",
        )
        .bind(txid)
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap()
            == 1
    })
    .await;
    gw.stop().await;
}
