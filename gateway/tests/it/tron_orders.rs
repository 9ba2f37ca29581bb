//! Collections and a payout on TRON, end to end through the gateway's API: the
//! platform's contracts on anvil behind the TRON node's HTTP API (`tron_node`), a
//! merchant and an acceptor with base58 addresses, the gateway assigning with the
//! dispatcher key as TRON transactions (built, signed, broadcast, the deal id read
//! from the `DealOpened` log), every deal action of the parties a signed TRON
//! transaction too. Also: a process that died after sending an assignment leaves a
//! deal the next one adopts by its `orderRef` (never sent twice); refusals change
//! nothing; balances are conserved to the unit (docs/rules.md, "Liabilities").

use std::time::Duration;

use alloy::primitives::{B256, U256};
use serde_json::{Value, json};
use sqlx::Row;
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::{Gateway, GatewayOptions};
use stablerail_sdk::{
    Amount, Error as SdkError, Roles,
    evm::{DealAction, Escrow, EscrowError},
    tron::{
        Address as TronAddress, FeeLimitPolicy, PrivateKey, Receipt, TriggerSmartContract,
        TronBroadcastCode, TronClient, TronClientError, TronEscrow,
    },
};

use crate::{
    common::*,
    tron_node::{TronNode, tron_of},
};

const TRON: &str = "tron";

/// One party on TRON: its key and the escrow as it.
struct Party {
    key: PrivateKey,
    escrow: TronEscrow,
}

impl Party {
    fn new(platform: &LocalPlatform, node: &TronNode, who: usize) -> Self {
        let key = PrivateKey::from_bytes(&platform.signer(who).to_bytes()[..]).unwrap();
        let escrow = TronEscrow::new(
            TronClient::new(&node.url).unwrap(),
            tron_of(platform.deployment.escrow).parse().unwrap(),
            key.address(),
        );
        Self { key, escrow }
    }

    fn b58(&self) -> String {
        self.key.address().to_base58()
    }

    /// Signs and broadcasts `call` as this party; the receipt must show success.
    async fn send(&self, call: TriggerSmartContract) -> Receipt {
        self.escrow
            .client()
            .send(
                call,
                &self.key,
                &FeeLimitPolicy::default(),
                Duration::from_secs(30),
            )
            .await
            .unwrap()
    }

    async fn act(&self, action: DealAction, deal: u64) {
        let call = self
            .escrow
            .deal_action(action, U256::from(deal))
            .await
            .unwrap();
        self.send(call).await;
    }
}

/// available + locked of each account, read through the TRON node.
async fn holdings(escrow: &TronEscrow, accounts: &[TronAddress]) -> Vec<i128> {
    let mut out = Vec::new();
    for a in accounts {
        let v = escrow.account(*a).await.unwrap();
        out.push(i128::from(v.available.units()) + i128::from(v.locked.units()));
    }
    out
}

/// Conservation: the escrow's liabilities are exactly the sum over `accounts` (every
/// funded account) and its token balance equals them (nothing was sent around it).
async fn conserved(escrow: &TronEscrow, accounts: &[TronAddress]) {
    let sum: i128 = holdings(escrow, accounts).await.iter().sum();
    let liabilities = escrow.liabilities().await.unwrap();
    let (held, _) = escrow
        .token_balance_and_allowance(escrow.address())
        .await
        .unwrap();
    assert_eq!(liabilities, U256::from(sum as u128), "liabilities");
    assert_eq!(held, liabilities, "token balance vs liabilities");
}

async fn order_status(c: &Client, kind: &str, id: &str) -> Value {
    c.get(&format!("/v1/{kind}/{id}")).await.1
}

async fn wait_status(c: &Client, kind: &str, id: &str, want: &str) -> Value {
    wait_for(60, &format!("{kind} {id} {want}"), || async {
        let v = order_status(c, kind, id).await;
        assert_ne!(v["status"], "failed", "{v}");
        v["status"] == want
    })
    .await;
    order_status(c, kind, id).await
}

async fn count(gw: &Gateway, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

/// floor(amount × fee_bps / 10000) (docs/rules.md, "Fee rates").
fn fee(amount: u64, fee_bps: u16) -> i128 {
    i128::from(amount) * i128::from(fee_bps) / 10_000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tron_orders_collection_and_payout_end_to_end() {
    let platform = LocalPlatform::start().await.unwrap();
    let node = TronNode::over(&platform, 1).await;
    let (merchant_evm, acceptor_evm) = (
        platform.address(role::MERCHANT),
        platform.address(role::ACCEPTOR),
    );
    platform
        .set_roles(merchant_evm, Roles::MERCHANT)
        .await
        .unwrap();
    platform
        .set_roles(acceptor_evm, Roles::ACCEPTOR)
        .await
        .unwrap();
    platform.kyc(&[merchant_evm, acceptor_evm]).await.unwrap();
    for (who, addr, amount) in [
        (role::ACCEPTOR, acceptor_evm, "5000"),
        (role::MERCHANT, merchant_evm, "1000"),
    ] {
        let amount = amount.parse().unwrap();
        platform.mint(addr, amount).await.unwrap();
        platform
            .escrow(who)
            .unwrap()
            .deposit(addr, amount)
            .await
            .unwrap();
    }
    let merchant = Party::new(&platform, &node, role::MERCHANT);
    let acceptor = Party::new(&platform, &node, role::ACCEPTOR);
    let dispatcher = Party::new(&platform, &node, role::DISPATCHER);
    // Protocol v2: online, within its own limits — set by the acceptor on TRON.
    acceptor
        .send(acceptor.escrow.set_acceptor_limits(
            true,
            "5000".parse().unwrap(),
            "5000".parse().unwrap(),
        ))
        .await;
    let treasury: alloy::primitives::Address = merchant
        .escrow
        .client()
        .read(
            merchant.key.address(),
            merchant.escrow.address(),
            &Escrow::treasuryCall {},
        )
        .await
        .unwrap();
    let treasury = TronAddress::from_evm_bytes(treasury.into_array());
    let accounts = [merchant.key.address(), acceptor.key.address(), treasury];
    conserved(&merchant.escrow, &accounts).await;
    let start = holdings(&merchant.escrow, &accounts).await;

    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("dispatcher.key");
    std::fs::write(
        &key_file,
        hex::encode(platform.signer(role::DISPATCHER).to_bytes()),
    )
    .unwrap();
    let text = format!(
        "admin_token_env = \"{ADMIN_ENV}\"\n{}{}",
        config_text(&platform, &db, 1, FAST_WEBHOOKS).replace(
            "[invoices]",
            &format!(
                "[dispatcher]\nkey_file = \"{}\"\n\n[invoices]",
                key_file.display()
            ),
        ),
        node.chain_section(&platform, true),
    );

    // A gateway that indexes and serves the API but does not dispatch: the process
    // that will "die after sending".
    let gw = start_gateway(
        &text,
        GatewayOptions {
            watcher: false,
            ..Default::default()
        },
    )
    .await;
    let admin = Client::new(&gw, &admin_token());
    let shop = |name: &str, addr: &str| {
        json!({
            "name": name,
            "chains": [{ "chain": TRON, "receiving": addr, "escrow_account": addr }],
            "bank_accounts": [{ "label": "Main", "holder": name,
                "account": "DE89370400440532013000", "currency": "EUR", "payout": true }],
        })
    };
    let (s, v) = admin
        .post("/admin/merchants", shop("Tron shop", &merchant.b58()))
        .await;
    assert_eq!(s, 201, "{v}");
    let bank = v["merchant"]["bank_accounts"][0]["id"].clone();
    let c = Client::new(&gw, v["api_key"]["key"].as_str().unwrap());
    let other_b58 = tron_of(platform.address(role::MERCHANT_2));
    let (s, v) = admin
        .post("/admin/merchants", shop("Other", &other_b58))
        .await;
    assert_eq!(s, 201, "{v}");
    let other_key = v["api_key"]["key"].as_str().unwrap().to_owned();
    let (s, v) = admin
        .post(
            "/admin/acceptors",
            json!({ "chain": TRON, "address": acceptor.b58(), "name": "Tron acceptor" }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let acceptor_key = v["api_key"]["key"].as_str().unwrap().to_owned();
    let rx = Receiver::start(Mode::Ok).await;
    let (_, secret) = c.endpoint(&rx.url()).await;
    rx.add_secret(&secret);

    // Refused: a TRON address with a broken checksum, an EVM address on TRON.
    let tables =
        "SELECT (SELECT COUNT(*) FROM gw_merchants) * 1000 + (SELECT COUNT(*) FROM gw_acceptors)";
    let before = count(&gw, tables).await;
    let mut broken = acceptor.b58();
    let last = broken.pop().unwrap();
    broken.push(if last == 'a' { 'b' } else { 'a' });
    for bad in [broken.clone(), format!("{acceptor_evm:#x}")] {
        let (s, v) = admin
            .post("/admin/acceptors", json!({ "chain": TRON, "address": bad }))
            .await;
        assert_eq!(
            (s, v["error"]["field"].as_str()),
            (400, Some("address")),
            "{v}"
        );
        let (s, v) = admin.post("/admin/merchants", shop("Bad", &bad)).await;
        assert_eq!(s, 400, "{v}");
    }
    assert_eq!(count(&gw, tables).await, before, "refusals changed nothing");

    // A collection whose assignment is sent by a process that then dies: the deal
    // is on chain with the order's `orderRef`, the order still pending.
    let (s, col1) = c
        .post(
            "/v1/collections",
            json!({ "chain": TRON, "amount": "300", "payment_window_secs": 900 }),
        )
        .await;
    assert_eq!(s, 201, "{col1}");
    let col1_id = col1["id"].as_str().unwrap().to_owned();
    let reference: B256 = col1["order_ref"].as_str().unwrap().parse().unwrap();
    let call = dispatcher
        .escrow
        .assign_collection(
            acceptor.key.address(),
            merchant.key.address(),
            "300".parse().unwrap(),
            900,
            reference,
        )
        .await
        .unwrap();
    // Signed by another key the node refuses it (SIGERROR), and the SDK does not
    // even sign it; nothing happens on chain.
    let mut forged = dispatcher
        .escrow
        .client()
        .prepare(call.clone(), None, &FeeLimitPolicy::default(), 60_000)
        .await
        .unwrap();
    forged.sign(&acceptor.key).unwrap();
    let refused = dispatcher.escrow.client().broadcast(&forged).await;
    assert!(
        matches!(
            refused,
            Err(TronClientError::Broadcast {
                code: TronBroadcastCode::SigError,
                ..
            })
        ),
        "{refused:?}"
    );
    let refused = dispatcher
        .escrow
        .client()
        .send(
            call.clone(),
            &acceptor.key,
            &FeeLimitPolicy::default(),
            Duration::from_secs(5),
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(SdkError::TronClient(TronClientError::NotOwner { .. }))
        ),
        "{refused:?}"
    );
    assert_eq!(holdings(&merchant.escrow, &accounts).await, start);
    let sent = dispatcher.send(call).await;
    let deal1 = u64::try_from(dispatcher.escrow.opened_deal(&sent).unwrap()).unwrap();
    let rates1 = merchant.escrow.deal(U256::from(deal1)).await.unwrap().rates;
    let indexed = format!(
        "SELECT COUNT(*) FROM deals WHERE chain = '{TRON}' AND order_ref = '{}'",
        col1["order_ref"].as_str().unwrap()
    );
    wait_for(30, "the sent deal indexed", || async {
        count(&gw, &indexed).await == 1
    })
    .await;
    assert_eq!(
        order_status(&c, "collections", &col1_id).await["status"],
        "pending"
    );
    gw.stop().await;

    // The next process adopts the deal by its orderRef instead of sending again.
    let gw = start_gateway(&text, GatewayOptions::default()).await;
    let c = Client::new(&gw, &c.key);
    let other = Client::new(&gw, &other_key);
    let v = wait_status(&c, "collections", &col1_id, "assigned").await;
    assert_eq!(v["deal_id"], json!(deal1), "{v}");
    assert_eq!(v["acceptor"], acceptor.b58().as_str(), "{v}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count(&gw, &indexed).await, 1, "never sent twice");

    // A collection the gateway dispatches itself on TRON: the acceptor is online.
    let alive = keep_alive(&Client::new(&gw, &acceptor_key)).await;
    let (s, col2) = c
        .post("/v1/collections", json!({ "chain": TRON, "amount": "200" }))
        .await;
    assert_eq!(s, 201, "{col2}");
    let col2_id = col2["id"].as_str().unwrap().to_owned();
    let v = wait_status(&c, "collections", &col2_id, "assigned").await;
    assert_eq!(v["acceptor"], acceptor.b58().as_str(), "{v}");
    let deal2 = v["deal_id"].as_u64().unwrap();
    let d2 = merchant.escrow.deal(U256::from(deal2)).await.unwrap();
    assert_eq!(
        d2.order_ref,
        col2["order_ref"].as_str().unwrap().parse::<B256>().unwrap()
    );
    assert_eq!(d2.amount, "200".parse::<Amount>().unwrap());
    assert_eq!(
        TronAddress::from_evm_bytes(d2.seller.into_array()),
        acceptor.key.address()
    );
    let rates2 = d2.rates;
    // Both collections: the merchant (buyer) marks paid, the acceptor releases.
    for (id, deal) in [(&col1_id, deal1), (&col2_id, deal2)] {
        merchant.act(DealAction::MarkPaid, deal).await;
        wait_status(&c, "collections", id, "paid").await;
        acceptor.act(DealAction::Release, deal).await;
        wait_status(&c, "collections", id, "settled").await;
    }

    // A payout above the merchant's balance is refused before anything is signed.
    let available = merchant
        .escrow
        .account(merchant.key.address())
        .await
        .unwrap()
        .available;
    let too_much = Amount::from_units(available.units() + 1);
    let refused = merchant
        .escrow
        .open_payout(too_much, 1800, B256::repeat_byte(7))
        .await;
    assert!(
        matches!(
            refused,
            Err(SdkError::Escrow(EscrowError::InsufficientAvailable { .. }))
        ),
        "{refused:?}"
    );
    // The merchant's payout of 150, opened on TRON, then given to the gateway.
    let opened = merchant
        .send(
            merchant
                .escrow
                .open_payout("150".parse().unwrap(), 1800, B256::repeat_byte(9))
                .await
                .unwrap(),
        )
        .await;
    let payout_deal = u64::try_from(merchant.escrow.opened_deal(&opened).unwrap()).unwrap();
    let orders_before = count(&gw, "SELECT COUNT(*) FROM gw_orders").await;
    // Refused: a deal that does not exist, another merchant's deal.
    let (s, v) = c
        .post("/v1/payouts", json!({ "chain": TRON, "deal_id": 999_999 }))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("deal_id")),
        "{v}"
    );
    let mut pay_id = String::new();
    for _ in 0..600 {
        let (s, v) = other
            .post(
                "/v1/payouts",
                json!({ "chain": TRON, "deal_id": payout_deal }),
            )
            .await;
        assert_eq!(s, 400, "{v}");
        let (s, v) = c
            .post(
                "/v1/payouts",
                json!({ "chain": TRON, "deal_id": payout_deal }),
            )
            .await;
        if s == 201 {
            pay_id = v["id"].as_str().unwrap().to_owned();
            break;
        }
        assert_eq!(s, 400, "{v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!pay_id.is_empty(), "the payout deal was never indexed");
    assert_eq!(
        count(&gw, "SELECT COUNT(*) FROM gw_orders").await,
        orders_before + 1,
        "only the merchant's own payout became an order"
    );
    let v = wait_status(&c, "payouts", &pay_id, "assigned").await;
    assert_eq!(v["acceptor"], acceptor.b58().as_str(), "{v}");
    assert_eq!(v["deal_id"], json!(payout_deal));
    assert_eq!(v["bank_account_id"], bank);
    let pd = merchant.escrow.deal(U256::from(payout_deal)).await.unwrap();
    assert_eq!(
        TronAddress::from_evm_bytes(pd.buyer.into_array()),
        acceptor.key.address()
    );
    let rates_p = pd.rates;
    // The acceptor (buyer) marks the fiat sent, the merchant releases.
    acceptor.act(DealAction::MarkPaid, payout_deal).await;
    wait_status(&c, "payouts", &pay_id, "paid").await;
    merchant.act(DealAction::Release, payout_deal).await;
    wait_status(&c, "payouts", &pay_id, "settled").await;

    // Another merchant sees none of these orders.
    for path in [
        format!("/v1/collections/{col1_id}"),
        format!("/v1/collections/{col2_id}/decisions"),
        format!("/v1/payouts/{pay_id}"),
    ] {
        assert_eq!(other.get(&path).await.0, 404, "{path}");
    }
    let (s, _) = other
        .post(&format!("/v1/collections/{col2_id}/cancel"), json!({}))
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        order_status(&c, "collections", &col2_id).await["status"],
        "settled"
    );

    // Balances: exactly the fee rule's moves, summing to zero, and conservation.
    let end = holdings(&merchant.escrow, &accounts).await;
    let (f1, f2, fp) = (
        fee(300_000_000, rates1.fee_bps),
        fee(200_000_000, rates2.fee_bps),
        fee(150_000_000, rates_p.fee_bps),
    );
    assert!(f1 > 0 && fp > 0, "the platform charges a fee");
    let want = [
        300_000_000 - f1 + 200_000_000 - f2 - 150_000_000,
        -300_000_000 - 200_000_000 + 150_000_000 - fp,
        f1 + f2 + fp,
    ];
    let moved: Vec<i128> = end.iter().zip(&start).map(|(e, s)| e - s).collect();
    assert_eq!(moved, want);
    assert_eq!(moved.iter().sum::<i128>(), 0);
    conserved(&merchant.escrow, &accounts).await;

    // Webhooks: every state of every order, verified.
    wait_for(20, "order webhooks", || async {
        let has = |id: &str, kinds: &[&str]| {
            let seen = rx.kinds(id);
            kinds.iter().all(|k| seen.iter().any(|s| s == k))
        };
        let col = [
            "collection.created",
            "collection.assigned",
            "collection.paid",
            "collection.settled",
        ];
        has(&col1_id, &col)
            && has(&col2_id, &col)
            && has(
                &pay_id,
                &[
                    "payout.created",
                    "payout.assigned",
                    "payout.paid",
                    "payout.settled",
                ],
            )
    })
    .await;
    assert_eq!(rx.bad(), 0);
    alive.abort();
    gw.stop().await;
}

/// A transaction whose simulation passed but that reverts when it runs (the state
/// moved between `prepare` and the broadcast) lands in a block as a failed
/// transaction, as java-tron runs it: the SDK waits for its receipt, finds `REVERT`
/// with the escrow's custom error, and nothing moved.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tron_a_call_that_reverts_in_its_block_is_a_failed_receipt() {
    let platform = LocalPlatform::start().await.unwrap();
    let node = TronNode::over(&platform, 0).await;
    let who = role::MERCHANT;
    let party = Party::new(&platform, &node, who);
    let owner = platform.signer(who).address();
    let evm = platform.escrow(who).unwrap();
    platform
        .mint(owner, Amount::parse("50").unwrap())
        .await
        .unwrap();
    evm.deposit(owner, Amount::parse("50").unwrap())
        .await
        .unwrap();
    let wallet = platform.token_balance(owner).await.unwrap();

    // All 50 out, prepared and signed while 50 is available…
    let client = party.escrow.client();
    let escrow: TronAddress = tron_of(platform.deployment.escrow).parse().unwrap();
    let call = TriggerSmartContract::call(
        party.key.address(),
        escrow,
        &Escrow::withdrawCall {
            amount: U256::from(50_000_000u64),
        },
    );
    let mut tx = client
        .prepare(call, None, &FeeLimitPolicy::default(), 60_000)
        .await
        .unwrap();
    tx.sign(&party.key).unwrap();
    // …then 30 of it withdrawn first.
    evm.withdraw(Amount::parse("30").unwrap()).await.unwrap();
    let txid = client.broadcast(&tx).await.unwrap();
    let receipt = client
        .wait_for_receipt(&txid, Duration::from_secs(30), Duration::from_millis(200))
        .await
        .unwrap();
    assert!(!receipt.succeeded());
    assert_eq!(receipt.id, txid);
    let error = receipt.ensure_succeeded().unwrap_err().to_string();
    assert!(error.contains("failed (REVERT)"), "{error}");
    assert!(
        error.contains(&format!(
            "InsufficientAvailable(InsufficientAvailable {{ account: {owner:#x}, available: 20000000, needed: 50000000 }})"
        )),
        "{error}"
    );
    // Its block holds it by its txID; it moved nothing.
    let block: Value = reqwest::Client::new()
        .post(format!("{}/wallet/getblockbynum", node.url))
        .json(&json!({ "num": receipt.block_number }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(block["transactions"][0]["txID"], txid, "{block}");
    let after = evm.account(owner).await.unwrap();
    assert_eq!(after.available.units(), 20_000_000);
    assert_eq!(
        platform.token_balance(owner).await.unwrap(),
        wallet + U256::from(30_000_000u64)
    );
    conserved(&party.escrow, &[party.key.address()]).await;
}
