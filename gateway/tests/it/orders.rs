//! Collections and payouts on anvil: dispatched with the dispatcher key to an eligible
//! acceptor, followed through the indexer's deals to the final state, with
//! `collection.*` / `payout.*` webhooks.

use alloy::primitives::B256;
use serde_json::json;
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::{GatewayOptions, auth, merchants};
use stablerail_sdk::Roles;

use crate::common::*;

async fn orders(backend: Backend) {
    let platform = LocalPlatform::start().await.unwrap();
    let (merchant_addr, acceptor) = (
        platform.address(role::MERCHANT),
        platform.address(role::ACCEPTOR),
    );
    platform
        .set_roles(merchant_addr, Roles::MERCHANT)
        .await
        .unwrap();
    platform.set_roles(acceptor, Roles::ACCEPTOR).await.unwrap();
    platform.kyc(&[merchant_addr, acceptor]).await.unwrap();
    for (who, addr, amount) in [
        (role::ACCEPTOR, acceptor, "5000"),
        (role::MERCHANT, merchant_addr, "1000"),
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
    // Protocol v2: an acceptor is assigned only once it is online, within its own limits.
    platform
        .escrow(role::ACCEPTOR)
        .unwrap()
        .set_acceptor_limits(true, "5000".parse().unwrap(), "5000".parse().unwrap())
        .await
        .unwrap();
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("dispatcher.key");
    std::fs::write(
        &key_file,
        hex::encode(platform.signer(role::DISPATCHER).to_bytes()),
    )
    .unwrap();
    let text = config_text(&platform, &db, 1, FAST_WEBHOOKS).replace(
        "[invoices]",
        &format!(
            "[dispatcher]\nkey_file = \"{}\"\n\n[invoices]",
            key_file.display()
        ),
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;
    // The acceptor is registered with the gateway, online, and sends heartbeats.
    let (_, acceptor_key) = register_acceptor(&gw, acceptor, 0).await;
    let alive = keep_alive(&Client::new(&gw, &acceptor_key)).await;
    let input = json!({
        "name": "Shop",
        "chains": [{ "chain": CHAIN, "receiving": format!("{merchant_addr:#x}"), "escrow_account": format!("{merchant_addr:#x}") }],
        "bank_accounts": [{ "label": "Main", "holder": "Shop", "account": "DE89370400440532013000", "currency": "EUR", "payout": true }],
    });
    let m = merchants::create(
        &gw.app().db,
        &merchants::NewMerchant::from_json(&gw.app().config, &input).unwrap(),
    )
    .await
    .unwrap();
    let (_, key) = auth::create_key(&gw.app().db, &m.id, "t").await.unwrap();
    let c = Client::new(&gw, &key);
    let (_, other_key) = merchant(&gw, "Other", platform.address(role::MERCHANT_2)).await;
    let other = Client::new(&gw, &other_key);
    let rx = Receiver::start(Mode::Ok).await;
    let (_, secret) = c.endpoint(&rx.url()).await;
    rx.add_secret(&secret);

    // Bad input names the field.
    let (s, v) = c
        .post(
            "/v1/collections",
            json!({ "chain": CHAIN, "amount": "1.0000001" }),
        )
        .await;
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("amount")));
    let (s, v) = other
        .post("/v1/collections", json!({ "chain": CHAIN, "amount": "1" }))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("chain")),
        "{v}"
    );

    // A collection: assigned to the acceptor, paid, released → settled.
    let (s, col) = c
        .post(
            "/v1/collections",
            json!({ "chain": CHAIN, "amount": "300", "payment_window_secs": 900 }),
        )
        .await;
    assert_eq!(s, 201, "{col}");
    let col_id = col["id"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let c = c.clone();
        async move { c.get(&path).await.1 }
    };
    wait_for(30, "collection assigned", || async {
        get(format!("/v1/collections/{col_id}")).await["status"] == "assigned"
    })
    .await;
    let v = get(format!("/v1/collections/{col_id}")).await;
    assert_eq!(v["acceptor"], format!("{acceptor:#x}"));
    let deal = v["deal_id"].as_u64().unwrap();
    assert_eq!(other.get(&format!("/v1/collections/{col_id}")).await.0, 404);
    platform
        .escrow(role::DISPATCHER)
        .unwrap()
        .mark_paid(alloy::primitives::U256::from(deal))
        .await
        .unwrap();
    wait_for(30, "collection paid", || async {
        get(format!("/v1/collections/{col_id}")).await["status"] == "paid"
    })
    .await;
    platform
        .escrow(role::ACCEPTOR)
        .unwrap()
        .release(alloy::primitives::U256::from(deal))
        .await
        .unwrap();
    wait_for(30, "collection settled", || async {
        get(format!("/v1/collections/{col_id}")).await["status"] == "settled"
    })
    .await;

    // Two gateways on one database: each order dispatched once (one deal per order);
    // on PostgreSQL both run the order loop and only the advisory-lock holder sends.
    let gw2 = start_gateway(
        &text,
        GatewayOptions {
            indexer: false,
            // SQLite is one process per file: there the second one only serves the API.
            watcher: backend == Backend::Postgres,
            ..Default::default()
        },
    )
    .await;
    let c2 = Client::new(&gw2, &key);
    let mut more = Vec::new();
    for (i, amount) in ["10", "20", "30", "40"].iter().enumerate() {
        let client = if i % 2 == 0 { &c } else { &c2 };
        let (s, v) = client
            .post(
                "/v1/collections",
                json!({ "chain": CHAIN, "amount": amount }),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        more.push(v["id"].as_str().unwrap().to_owned());
    }
    for id in &more {
        wait_for(60, "collection assigned", || async {
            let v = get(format!("/v1/collections/{id}")).await;
            assert_ne!(v["status"], "failed", "{v}");
            v["status"] == "assigned"
        })
        .await;
    }
    // Indexed (the order is `assigned` once the transaction is mined) and counted.
    let deals = || async {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) FROM deals WHERE kind = 'collection'")
            .fetch_one(&gw.app().db.pool)
            .await
            .unwrap()
            .get::<i64, _>(0)
    };
    wait_for(30, "five collection deals", || async { deals().await == 5 }).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(deals().await, 5, "one deal per collection order");
    gw2.stop().await;

    // A payout the merchant opened: assigned, paid by the acceptor, released.
    let payout_deal = platform
        .escrow(role::MERCHANT)
        .unwrap()
        .open_payout("200".parse().unwrap(), 1800, B256::repeat_byte(9))
        .await
        .unwrap();
    let payout_deal = u64::try_from(payout_deal).unwrap();
    // The indexer must have seen the deal first.
    let mut pay_id = String::new();
    for _ in 0..600 {
        let (s, v) = c
            .post(
                "/v1/payouts",
                json!({ "chain": CHAIN, "deal_id": payout_deal }),
            )
            .await;
        if s == 201 {
            pay_id = v["id"].as_str().unwrap().to_owned();
            break;
        }
        assert_eq!(s, 400, "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!pay_id.is_empty());
    let (s, v) = c
        .post(
            "/v1/payouts",
            json!({ "chain": CHAIN, "deal_id": payout_deal }),
        )
        .await;
    assert!(s == 400 || s == 409, "{s} {v}");
    wait_for(30, "payout assigned", || async {
        get(format!("/v1/payouts/{pay_id}")).await["status"] == "assigned"
    })
    .await;
    let v = get(format!("/v1/payouts/{pay_id}")).await;
    assert_eq!(v["bank_account_id"], json!(m.bank_accounts[0].id));
    wait_for(60, "payout deal open", || async {
        let v = get(format!("/v1/payouts/{pay_id}")).await;
        assert_ne!(v["status"], "failed", "{v}");
        v["status"] == "assigned"
    })
    .await;
    platform
        .escrow(role::ACCEPTOR)
        .unwrap()
        .mark_paid(alloy::primitives::U256::from(payout_deal))
        .await
        .unwrap();
    platform
        .escrow(role::MERCHANT)
        .unwrap()
        .release(alloy::primitives::U256::from(payout_deal))
        .await
        .unwrap();
    wait_for(60, "payout settled", || async {
        get(format!("/v1/payouts/{pay_id}")).await["status"] == "settled"
    })
    .await;

    wait_for(20, "order webhooks", || async {
        let k = rx.kinds(&col_id);
        let p = rx.kinds(&pay_id);
        [
            "collection.created",
            "collection.assigned",
            "collection.paid",
            "collection.settled",
        ]
        .iter()
        .all(|x| k.iter().any(|y| y == x))
            && ["payout.created", "payout.assigned", "payout.settled"]
                .iter()
                .all(|x| p.iter().any(|y| y == x))
    })
    .await;
    assert_eq!(rx.bad(), 0);
    let (_, list) = c.get("/v1/collections").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 5);
    alive.abort();
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_sqlite() {
    orders(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_postgres() {
    orders(Backend::Postgres).await;
}
