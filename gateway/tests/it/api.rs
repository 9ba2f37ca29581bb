//! The merchant API: idempotency keys, tenant isolation (404), bad input (4xx naming
//! the field, nothing changed), unique amounts, keyset pagination, cancel.

use serde_json::{Value, json};
use sqlx::Row;
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::GatewayOptions;

use crate::common::*;

async fn count(gw: &stablerail_gateway::Gateway, table: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn api(backend: Backend) {
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

    // Idempotency: the replay is the first answer byte for byte, though the record
    // leaves the QR code out and the replay draws it again (metadata of every JSON
    // kind goes through the round trip).
    let body = json!({ "chain": CHAIN, "amount": "12.5", "metadata": {
        "order": "A-1", "weight": 1.5e3, "tiny": -2.5e-7, "big": 12_345_678_901_234_567_890u64,
        "note": "ü \"q\" </script>\n\u{1}", "list": [null, true, -0.0, {}] } })
    .to_string();
    let (s1, t1) = a.post_raw("/v1/invoices", &body, Some("order-A-1")).await;
    assert_eq!(s1, 201, "{t1}");
    let first: Value = serde_json::from_str(&t1).unwrap();
    assert!(first["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let record: String = sqlx::query("SELECT body FROM gw_idempotency WHERE key = 'order-A-1'")
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap()
        .get(0);
    assert!(
        !record.contains("qr_svg") && record.len() < t1.len() / 2,
        "{record}"
    );
    let (s2, t2) = a.post_raw("/v1/invoices", &body, Some("order-A-1")).await;
    assert_eq!((s2, &t2), (201, &t1));
    let other = json!({ "chain": CHAIN, "amount": "13" }).to_string();
    let (s3, t3) = a.post_raw("/v1/invoices", &other, Some("order-A-1")).await;
    assert_eq!(s3, 422, "{t3}");
    assert!(t3.contains("Idempotency-Key"));
    // Keys are per merchant: B's same key is B's own request.
    let (s4, t4) = b.post_raw("/v1/invoices", &body, Some("order-A-1")).await;
    assert_eq!(s4, 201, "{t4}");
    assert_ne!(t4, t1);
    assert_eq!(count(&gw, "gw_invoices").await, 2);
    // Eight concurrent requests with one key: one invoice, eight identical answers.
    let body8 = json!({ "chain": CHAIN, "amount": "77" }).to_string();
    let answers = futures::future::join_all(
        (0..8).map(|_| a.post_raw("/v1/invoices", &body8, Some("same-key-8"))),
    )
    .await;
    assert!(answers.iter().all(|x| x == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 201);
    assert_eq!(count(&gw, "gw_invoices").await, 3);
    // A refused request is stored too: the replay is the same 400.
    let bad = json!({ "chain": CHAIN, "amount": "1.1234567" }).to_string();
    let r1 = a.post_raw("/v1/invoices", &bad, Some("bad-1")).await;
    let r2 = a.post_raw("/v1/invoices", &bad, Some("bad-1")).await;
    assert_eq!((r1.0, &r1), (400, &r2));
    // A key that holds an answer stays with it, even for a body the handler refuses.
    let (s5, t5) = a.post_raw("/v1/invoices", &bad, Some("order-A-1")).await;
    assert_eq!(s5, 422, "{t5}");
    let (s6, t6) = a.post_raw("/v1/invoices", &body, Some("order-A-1")).await;
    assert_eq!((s6, &t6), (201, &t1));
    assert_eq!(count(&gw, "gw_invoices").await, 3);

    // Unique amounts among open invoices of one address.
    let x: serde_json::Value = serde_json::from_str(&t1).unwrap();
    let y = a.invoice("12.5", 600).await;
    // (77 is taken by the concurrent test above; 12.5 by the first invoice.)
    let z = a.invoice("12.5", 600).await;
    assert_eq!(x["unique_amount"], "12.5");
    assert_eq!(y["unique_amount"], "12.500001");
    assert_eq!(z["unique_amount"], "12.500002");
    // B's address is another: its 12.5 is not offset.
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&t4).unwrap()["unique_amount"],
        "12.5"
    );

    // Tenant isolation: another merchant's ids are 404, like unknown ones.
    let xid = x["id"].as_str().unwrap();
    assert_eq!(b.get(&format!("/v1/invoices/{xid}")).await.0, 404);
    assert_eq!(
        b.post(&format!("/v1/invoices/{xid}/cancel"), json!({}))
            .await
            .0,
        404
    );
    assert_eq!(b.get("/v1/invoices/inv_doesnotexist").await.0, 404);
    let (_, list_b) = b.get("/v1/invoices").await;
    assert_eq!(list_b["data"].as_array().unwrap().len(), 1);
    let rx = Receiver::start(Mode::Ok).await;
    let (ep_a, _) = a.endpoint(&rx.url()).await;
    assert_eq!(b.get(&format!("/v1/webhooks/{ep_a}")).await.0, 404);
    assert_eq!(
        b.get(&format!("/v1/webhooks/{ep_a}/deliveries")).await.0,
        404
    );
    assert_eq!(
        b.post(&format!("/v1/webhooks/{ep_a}/rotate-secret"), json!({}))
            .await
            .0,
        404
    );
    let (_, dl) = a.get(&format!("/v1/webhooks/{ep_a}/deliveries")).await;
    let _ = dl;
    // Every data route needs a key: none or a wrong one is a 401, before anything else.
    let anon = a.clone();
    for (method, path) in [
        ("GET", "/v1/merchant"),
        ("GET", "/v1/invoices"),
        ("POST", "/v1/invoices"),
        ("GET", "/v1/invoices/x"),
        ("POST", "/v1/invoices/x/cancel"),
        ("GET", "/v1/collections"),
        ("POST", "/v1/collections"),
        ("GET", "/v1/collections/x"),
        ("POST", "/v1/collections/x/cancel"),
        ("GET", "/v1/payouts"),
        ("POST", "/v1/payouts"),
        ("GET", "/v1/payouts/x"),
        ("POST", "/v1/payouts/x/cancel"),
        ("GET", "/v1/webhooks"),
        ("POST", "/v1/webhooks"),
        ("GET", "/v1/webhooks/x"),
        ("DELETE", "/v1/webhooks/x"),
        ("POST", "/v1/webhooks/x/rotate-secret"),
        ("GET", "/v1/webhooks/x/deliveries"),
        ("POST", "/v1/webhooks/x/test"),
        ("GET", "/v1/deliveries/x"),
        ("POST", "/v1/deliveries/x/redeliver"),
        ("POST", "/admin/merchants"),
        ("POST", "/admin/merchants/x/api-keys"),
        ("GET", "/v1/collections/x/decisions"),
        ("GET", "/v1/payouts/x/decisions"),
        ("GET", "/admin/orders/x/decisions"),
        ("POST", "/admin/acceptors"),
        ("POST", "/admin/acceptors/x/api-keys"),
        ("GET", "/v1/acceptor"),
        ("POST", "/v1/acceptor/online"),
        ("POST", "/v1/acceptor/offline"),
        ("POST", "/v1/acceptor/heartbeat"),
        ("GET", "/v1/acceptor/orders"),
        ("POST", "/v1/acceptor/orders/x/accept"),
        ("POST", "/v1/acceptor/orders/x/decline"),
    ] {
        for key in [None, Some("sk_nope")] {
            let mut r = anon
                .http
                .request(method.parse().unwrap(), format!("{}{path}", a.base));
            if let Some(k) = key {
                r = r.bearer_auth(k);
            }
            let s = r.body("{}").send().await.unwrap().status().as_u16();
            assert_eq!(s, 401, "{method} {path} with {key:?}");
        }
    }

    // Bad input: a 4xx naming the field, and nothing changed.
    let before = (
        count(&gw, "gw_invoices").await,
        count(&gw, "gw_events").await,
    );
    for (body, field) in [
        (json!({ "chain": CHAIN, "amount": "1.1234567" }), "amount"),
        (json!({ "chain": CHAIN, "amount": "-1" }), "amount"),
        (json!({ "chain": CHAIN, "amount": 5 }), "amount"),
        (json!({ "chain": CHAIN, "amount": "0" }), "amount"),
        (json!({ "chain": CHAIN }), "amount"),
        (json!({ "chain": "solana", "amount": "1" }), "chain"),
        (json!({ "amount": "1" }), "chain"),
        (
            json!({ "chain": CHAIN, "amount": "1", "colour": "red" }),
            "colour",
        ),
        (
            json!({ "chain": CHAIN, "amount": "1", "expiry_secs": 0 }),
            "expiry_secs",
        ),
        (
            json!({ "chain": CHAIN, "amount": "1", "redirect_url": "javascript:x" }),
            "redirect_url",
        ),
    ] {
        let (s, v) = a.post("/v1/invoices", body.clone()).await;
        assert_eq!(s, 400, "{body} -> {v}");
        assert_eq!(v["error"]["field"], field, "{body} -> {v}");
    }
    let (s, v) = a.post_raw("/v1/invoices", "{not json", None).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = a.get("/v1/invoices?limit=0").await;
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("limit")));
    let (s, v) = a.get("/v1/invoices?status=paid").await;
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("status")));
    let (s, v) = a.post("/v1/webhooks", json!({ "url": "ftp://x" })).await;
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("url")));
    let (s, v) = a
        .post(
            "/v1/webhooks",
            json!({ "url": rx.url(), "events": ["invoice.paid"] }),
        )
        .await;
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("events[0]")));
    assert_eq!(
        before,
        (
            count(&gw, "gw_invoices").await,
            count(&gw, "gw_events").await
        )
    );

    // Keyset pagination, newest first.
    let (_, p1) = a.get("/v1/invoices?limit=3").await;
    let next = p1["next"].as_str().unwrap().to_owned();
    let (_, p2) = a.get(&format!("/v1/invoices?limit=3&after={next}")).await;
    let ids: Vec<String> = [&p1, &p2]
        .iter()
        .flat_map(|p| {
            p["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[3], xid);
    assert!(p2["next"].is_null());

    // Cancel: new → invalid (cancelled); twice → 409.
    let zid = z["id"].as_str().unwrap();
    let (s, v) = a
        .post(&format!("/v1/invoices/{zid}/cancel"), json!({}))
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["additional_status"].as_str()),
        (200, Some("invalid"), Some("cancelled"))
    );
    assert_eq!(
        a.post(&format!("/v1/invoices/{zid}/cancel"), json!({}))
            .await
            .0,
        409
    );
    // Its amount is free again.
    assert_eq!(a.invoice("12.5", 600).await["unique_amount"], "12.500002");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn api_sqlite() {
    api(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn api_postgres() {
    api(Backend::Postgres).await;
}
