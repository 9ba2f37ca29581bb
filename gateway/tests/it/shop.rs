//! A shop's day on anvil: invoices paid exactly, underpaid, overpaid, late, twice and
//! never; the receiver verifies every signature and sees every event.

use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::GatewayOptions;

use crate::common::*;

async fn shop_day(backend: Backend) {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(backend).await;
    let gw = start_gateway(
        &config_text(&platform, &db, 2, FAST_WEBHOOKS),
        GatewayOptions::default(),
    )
    .await;
    let shop = platform.address(role::MERCHANT);
    let (merchant_id, key) = merchant(&gw, "Shop", shop).await;
    let c = Client::new(&gw, &key);
    let rx = Receiver::start(Mode::Ok).await;
    let (_, secret) = c.endpoint(&rx.url()).await;
    rx.add_secret(&secret);

    let exact = c.invoice("10", 600).await;
    let under = c.invoice("20", 8).await;
    let over = c.invoice("30", 600).await;
    let late = c.invoice("40", 2).await;
    let never = c.invoice("50", 2).await;
    let twice = c.invoice("60", 600).await;
    let addr = exact["address"].as_str().unwrap().to_owned();
    assert_eq!(addr, format!("{shop:#x}"));
    assert!(
        exact["payment_uri"]
            .as_str()
            .unwrap()
            .starts_with("ethereum:")
    );
    assert!(exact["qr_svg"].as_str().unwrap().contains("<svg"));
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_owned();
    let ua = |v: &serde_json::Value| v["unique_amount"].as_str().unwrap().to_owned();

    pay(&platform, role::TRADER, &addr, &ua(&exact)).await;
    pay(&platform, role::TRADER, &addr, "15").await;
    pay(&platform, role::TRADER, &addr, "33").await;
    pay(&platform, role::TRADER, &addr, &ua(&twice)).await;
    pay(&platform, role::TRADER_2, &addr, &ua(&twice)).await;
    wait_for(30, "exact seen", || async {
        status(&c, &id(&exact)).await.0 != "new"
    })
    .await;
    // Late: only once the invoice expired (and a second later on the chain's clock).
    wait_for(30, "late expired", || async {
        status(&c, &id(&late)).await.0 == "expired"
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    pay(&platform, role::TRADER_2, &addr, &ua(&late)).await;
    mine(&platform, 3).await;

    let expect = [
        (id(&exact), "settled", "none"),
        (id(&under), "expired", "paid_partial"),
        (id(&over), "settled", "paid_over"),
        (id(&late), "expired", "paid_late"),
        (id(&never), "expired", "none"),
        (id(&twice), "settled", "paid_over"),
    ];
    for (inv, st, add) in &expect {
        wait_for(60, &format!("{inv} {st}/{add}"), || async {
            let (s, a) = status(&c, inv).await;
            s == *st && a == *add
        })
        .await;
    }
    let (_, v) = c.get(&format!("/v1/invoices/{}", id(&under))).await;
    assert_eq!(v["paid"], "15");
    let (_, v) = c.get(&format!("/v1/invoices/{}", id(&over))).await;
    assert_eq!(v["paid"], "33");
    assert_eq!(v["payments"].as_array().unwrap().len(), 1);
    let (_, v) = c.get(&format!("/v1/invoices/{}", id(&twice))).await;
    assert_eq!(v["payments"].as_array().unwrap().len(), 2);
    let (_, v) = c.get(&format!("/v1/invoices/{}", id(&late))).await;
    assert_eq!(v["payments"][0]["late"], true);

    // Every event reaches the receiver, signed.
    let ids = event_ids(&gw, Some(&merchant_id)).await;
    wait_for(30, "every event delivered", || async {
        let seen: std::collections::BTreeSet<String> =
            rx.seen().into_iter().map(|s| s.id).collect();
        seen == ids
    })
    .await;
    assert_eq!(rx.bad(), 0);
    let has = |inv: &str, kinds: &[&str]| {
        let got = rx.kinds(inv);
        for k in kinds {
            assert!(
                got.iter().any(|g| g == k),
                "{inv}: {k} missing from {got:?}"
            );
        }
    };
    has(
        &id(&exact),
        &["invoice.created", "invoice.processing", "invoice.settled"],
    );
    has(
        &id(&under),
        &["invoice.created", "invoice.underpaid", "invoice.expired"],
    );
    has(
        &id(&over),
        &["invoice.processing", "invoice.overpaid", "invoice.settled"],
    );
    has(&id(&late), &["invoice.expired", "invoice.payment_late"]);
    has(&id(&never), &["invoice.created", "invoice.expired"]);
    has(&id(&twice), &["invoice.settled", "invoice.overpaid"]);
    assert!(!rx.kinds(&id(&never)).iter().any(|k| k == "invoice.settled"));
    // Never settled before final: every settled event came after a processing one.
    for inv in [id(&exact), id(&over), id(&twice)] {
        let k = rx.kinds(&inv);
        let p = k.iter().position(|x| x == "invoice.processing");
        let s = k.iter().position(|x| x == "invoice.settled");
        assert!(p.is_some() && s.is_some(), "{inv}: {k:?}");
    }

    // The checkout page and its status route.
    let page = reqwest::get(format!("http://{}/pay/{}", gw.addr(), id(&exact)))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&ua(&exact)) && page.contains(&addr) && page.contains("/assets/checkout.js")
    );
    let st: serde_json::Value =
        reqwest::get(format!("http://{}/pay/{}/status", gw.addr(), id(&exact)))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(st["status"], "settled");
    // The embedded indexer's API on the same base URL.
    let h = reqwest::get(format!("http://{}/indexer/health", gw.addr()))
        .await
        .unwrap();
    assert!(h.status().is_success());
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shop_day_sqlite() {
    shop_day(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shop_day_postgres() {
    shop_day(Backend::Postgres).await;
}
