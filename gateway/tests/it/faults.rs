//! Receiver faults (500s, timeouts, slow bodies, connection refused) are retried per
//! schedule and never block another merchant's deliveries; two gateways on one
//! PostgreSQL deliver each event once.

use std::time::{Duration, Instant};

use serde_json::json;
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::GatewayOptions;

use crate::common::*;

async fn deliveries(c: &Client, ep: &str) -> Vec<serde_json::Value> {
    let (s, v) = c.get(&format!("/v1/webhooks/{ep}/deliveries")).await;
    assert_eq!(s, 200, "{v}");
    v["data"].as_array().unwrap().clone()
}

async fn faults(backend: Backend) {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(backend).await;
    let gw = start_gateway(
        &config_text(&platform, &db, 2, FAST_WEBHOOKS),
        GatewayOptions::default(),
    )
    .await;
    let (_, key_a) = merchant(&gw, "A", platform.address(role::MERCHANT)).await;
    let (_, key_b) = merchant(&gw, "B", platform.address(role::MERCHANT_2)).await;
    let a = Client::new(&gw, &key_a);
    let b = Client::new(&gw, &key_b);

    let flaky = Receiver::start(Mode::Fail(2)).await;
    let slow = Receiver::start(Mode::Slow(3_000)).await;
    let dribble = Receiver::start(Mode::SlowBody).await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        format!("http://{addr}/hook")
    };
    let mut eps = Vec::new();
    for r in [&flaky, &slow, &dribble] {
        let (id, secret) = a.endpoint(&r.url()).await;
        r.add_secret(&secret);
        eps.push(id);
    }
    let (ep_refused, _) = a.endpoint(&refused).await;
    let good = Receiver::start(Mode::Ok).await;
    let (ep_b, secret_b) = b.endpoint(&good.url()).await;
    good.add_secret(&secret_b);

    let (s, ev_a) = a
        .post(&format!("/v1/webhooks/{}/test", eps[0]), json!({}))
        .await;
    assert_eq!(s, 202);
    let ev_a = ev_a["event_id"].as_str().unwrap().to_owned();
    // While A's endpoints hang or fail, B's delivery goes straight through.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    let (_, ev_b) = b
        .post(&format!("/v1/webhooks/{ep_b}/test"), json!({}))
        .await;
    let ev_b = ev_b["event_id"].as_str().unwrap().to_owned();
    wait_for(5, "B's delivery", || async {
        good.seen().iter().any(|s| s.id == ev_b)
    })
    .await;
    assert!(
        t.elapsed() < Duration::from_millis(2_000),
        "B waited {:?}",
        t.elapsed()
    );

    // 500, 500, then 200: delivered on the third attempt, same webhook-id.
    wait_for(20, "flaky delivered", || async {
        flaky.seen().iter().any(|s| s.id == ev_a)
    })
    .await;
    assert_eq!(flaky.state.lock().unwrap().attempts[&ev_a], 3);
    // Timeouts, slow bodies, refused connections: retried per schedule, then failed.
    for ep in [&eps[1], &eps[2], &ep_refused] {
        wait_for(30, "failed after the schedule", || async {
            deliveries(&a, ep).await[0]["status"] == "failed"
        })
        .await;
        let d = &deliveries(&a, ep).await[0];
        assert_eq!(d["attempts"], 6, "{d}");
        let (_, full) = a
            .get(&format!("/v1/deliveries/{}", d["id"].as_str().unwrap()))
            .await;
        let log = full["log"].as_array().unwrap();
        assert_eq!(log.len(), 6);
        assert!(log.iter().all(|l| l["error"].is_string()), "{full}");
        assert!(log.iter().all(|l| l["latency_ms"].is_i64()), "{full}");
    }
    assert_eq!(slow.seen().len(), 0);
    // The flaky one's log: two 500s then a 200.
    let d = &deliveries(&a, &eps[0]).await[0];
    let (_, full) = a
        .get(&format!("/v1/deliveries/{}", d["id"].as_str().unwrap()))
        .await;
    let codes: Vec<_> = full["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["http_status"].clone())
        .collect();
    assert_eq!(codes, [json!(500), json!(500), json!(200)]);
    assert_eq!(full["log"][0]["response_excerpt"], "down");

    // Redelivery on request: the same webhook-id again.
    let (s, _) = a
        .post(
            &format!("/v1/deliveries/{}/redeliver", d["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(s, 202);
    wait_for(10, "redelivered", || async {
        flaky.seen().iter().filter(|s| s.id == ev_a).count() == 2
    })
    .await;
    // Another merchant cannot redeliver it.
    assert_eq!(
        b.post(
            &format!("/v1/deliveries/{}/redeliver", d["id"].as_str().unwrap()),
            json!({})
        )
        .await
        .0,
        404
    );

    // Rotation: both secrets sign during the overlap.
    let (s, rot) = a
        .post(&format!("/v1/webhooks/{}/rotate-secret", eps[0]), json!({}))
        .await;
    assert_eq!(s, 200);
    let new_secret = rot["secret"].as_str().unwrap().to_owned();
    let only_new = Receiver::start(Mode::Ok).await;
    only_new.add_secret(&new_secret);
    let (_, ev) = a
        .post(&format!("/v1/webhooks/{}/test", eps[0]), json!({}))
        .await;
    let ev = ev["event_id"].as_str().unwrap().to_owned();
    wait_for(10, "delivered after rotation", || async {
        flaky.seen().iter().any(|s| s.id == ev)
    })
    .await;
    assert_eq!(flaky.bad(), 0, "the old secret still verifies");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receiver_faults_sqlite() {
    faults(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receiver_faults_postgres() {
    faults(Backend::Postgres).await;
}

/// Two gateway processes' worth of watchers and senders on one PostgreSQL: every
/// event delivered once, every transition recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_gateways_one_postgres() {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(Backend::Postgres).await;
    let text = config_text(&platform, &db, 2, FAST_WEBHOOKS);
    let gw1 = start_gateway(&text, GatewayOptions::default()).await;
    // The second runs on the smallest pool: two connections shared by its API,
    // watcher, dispatcher and sender must still let every part make progress.
    let gw2 = start_gateway(
        &format!("database_max_connections = 2\n{text}"),
        GatewayOptions {
            indexer: false,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(gw2.app().db.pool.options().get_max_connections(), 2);
    assert_eq!(
        gw1.app().db.pool.options().get_max_connections(),
        stablerail_gateway::store::default_max_connections()
    );
    let (merchant_id, key) = merchant(&gw1, "Shop", platform.address(role::MERCHANT)).await;
    let c1 = Client::new(&gw1, &key);
    let c2 = Client::new(&gw2, &key);
    let rx = Receiver::start(Mode::Ok).await;
    let (ep, secret) = c1.endpoint(&rx.url()).await;
    rx.add_secret(&secret);
    let mut invoices = Vec::new();
    for i in 0..6 {
        let c = if i % 2 == 0 { &c1 } else { &c2 };
        invoices.push(c.invoice(&format!("{}", 5 + i), 600).await);
    }
    for i in 0..150 {
        let c = if i % 2 == 0 { &c1 } else { &c2 };
        assert_eq!(
            c.post(&format!("/v1/webhooks/{ep}/test"), json!({}))
                .await
                .0,
            202
        );
    }
    let addr = invoices[0]["address"].as_str().unwrap().to_owned();
    for inv in &invoices {
        pay(
            &platform,
            role::TRADER,
            &addr,
            inv["unique_amount"].as_str().unwrap(),
        )
        .await;
    }
    mine(&platform, 3).await;
    for inv in &invoices {
        let id = inv["id"].as_str().unwrap();
        wait_for(60, "settled", || async {
            status(&c1, id).await.0 == "settled"
        })
        .await;
    }
    let ids = event_ids(&gw1, Some(&merchant_id)).await;
    wait_for(60, "every event delivered", || async {
        let seen: std::collections::BTreeSet<String> =
            rx.seen().into_iter().map(|s| s.id).collect();
        seen == ids
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let twice: Vec<(String, u32)> = rx
        .state
        .lock()
        .unwrap()
        .attempts
        .iter()
        .filter(|(_, n)| **n != 1)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    for inv in &invoices {
        let kinds = rx.kinds(inv["id"].as_str().unwrap());
        assert_eq!(
            kinds.iter().filter(|k| *k == "invoice.settled").count(),
            1,
            "{kinds:?}"
        );
        assert_eq!(
            kinds.iter().filter(|k| *k == "invoice.processing").count(),
            1,
            "{kinds:?}"
        );
    }
    gw2.stop().await;
    gw1.stop().await;
}
