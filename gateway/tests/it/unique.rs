//! Unique amounts under concurrency: many creates of one amount at once, through two
//! gateways on one database (each with its own pool and its own group commit), some
//! sharing an Idempotency-Key: every invoice gets an amount no other open invoice of
//! the address has, a replayed key gets the first answer, and every invoice has
//! exactly one `invoice.created` event.

use std::collections::BTreeSet;

use serde_json::json;
use sqlx::Row;
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::GatewayOptions;

use crate::common::*;

async fn scalar(gw: &stablerail_gateway::Gateway, q: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(q.to_owned()))
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn unique_amounts(backend: Backend) {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(backend).await;
    let text = config_text(&platform, &db, 2, FAST_WEBHOOKS);
    let gw = start_gateway(&text, GatewayOptions::default()).await;
    let gw2 = start_gateway(
        &text,
        GatewayOptions {
            indexer: false,
            watcher: false,
            sender: false,
        },
    )
    .await;
    let (_, key) = merchant(&gw, "Shop", platform.address(role::MERCHANT)).await;
    let c1 = Client::new(&gw, &key);
    let c2 = Client::new(&gw2, &key);
    let rx = Receiver::start(Mode::Ok).await;
    let (_, secret) = c1.endpoint(&rx.url()).await;
    rx.add_secret(&secret);

    // 48 creates of 7 USDT at once: 40 with their own key or none, 8 with one key.
    let body = json!({ "chain": CHAIN, "amount": "7" }).to_string();
    let requests = (0..48).map(|i| {
        let c = if i % 2 == 0 { c1.clone() } else { c2.clone() };
        let body = body.clone();
        async move {
            let key = match i {
                0..20 => Some(format!("k{i}")),
                20..40 => None,
                _ => Some("shared".to_owned()),
            };
            c.post_raw("/v1/invoices", &body, key.as_deref()).await
        }
    });
    let answers = futures::future::join_all(requests).await;
    let mut ids = BTreeSet::new();
    let mut amounts = BTreeSet::new();
    for (status, text) in &answers {
        assert_eq!(*status, 201, "{text}");
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        if ids.insert(v["id"].as_str().unwrap().to_owned()) {
            assert!(
                amounts.insert(v["unique_amount"].as_str().unwrap().to_owned()),
                "amount {} handed out twice",
                v["unique_amount"]
            );
        }
    }
    // The shared key: one invoice, eight identical answers.
    assert!(answers[40..].iter().all(|a| a == &answers[40]));
    assert_eq!(ids.len(), 41);
    assert_eq!(scalar(&gw, "SELECT COUNT(*) FROM gw_invoices").await, 41);
    assert_eq!(
        scalar(
            &gw,
            "SELECT COUNT(DISTINCT unique_amount) FROM gw_invoices WHERE active = 1"
        )
        .await,
        41
    );
    // 7 plus at most a few smallest units, the smallest ones free.
    for a in &amounts {
        let units = a.parse::<stablerail_sdk::Amount>().unwrap().units();
        assert!((7_000_000..=7_000_100).contains(&units), "{a}");
    }
    assert_eq!(
        scalar(
            &gw,
            "SELECT COUNT(*) FROM gw_events WHERE type = 'invoice.created'"
        )
        .await,
        41
    );
    assert_eq!(
        scalar(&gw, "SELECT COUNT(DISTINCT subject) FROM gw_events").await,
        41
    );
    // Every created event reaches the receiver.
    wait_for(30, "41 invoice.created deliveries", || async {
        rx.seen()
            .iter()
            .filter(|s| s.kind == "invoice.created")
            .map(|s| s.id.clone())
            .collect::<BTreeSet<_>>()
            .len()
            == 41
    })
    .await;
    assert_eq!(rx.bad(), 0);
    gw2.stop().await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unique_amounts_sqlite() {
    unique_amounts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unique_amounts_postgres() {
    unique_amounts(Backend::Postgres).await;
}
