//! Admin key management: a merchant's and an acceptor's API keys are listed (never
//! the keys themselves) and revoked; a revoked key is refused at once, the other
//! keys keep working; another owner's key ids and unknown ids are 404 and change
//! nothing; only the admin token reaches these routes.

use serde_json::json;
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::GatewayOptions;

use crate::common::*;

async fn keys(backend: Backend) {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(backend).await;
    let text = config_text(&platform, &db, 1, FAST_WEBHOOKS).replace(
        "watch_interval_ms = 50",
        &format!("watch_interval_ms = 50\nadmin_token_env = \"{ADMIN_ENV}\""),
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;
    let admin = Client::new(&gw, &admin_token());

    // Two merchants; A gets a second key through the admin route.
    let (a_id, a_key) = merchant(&gw, "A", platform.address(role::MERCHANT)).await;
    let (b_id, b_key) = merchant(&gw, "B", platform.address(role::MERCHANT_2)).await;
    let (s, v) = admin
        .post(
            &format!("/admin/merchants/{a_id}/api-keys"),
            json!({ "name": "till" }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let till_id = v["id"].as_str().unwrap().to_owned();
    let till = Client::new(&gw, v["key"].as_str().unwrap());
    let a = Client::new(&gw, &a_key);
    let b = Client::new(&gw, &b_key);
    assert_eq!(till.get("/v1/merchant").await.0, 200);

    // Listed newest first, without the key or its hash.
    let (s, v) = admin
        .get(&format!("/admin/merchants/{a_id}/api-keys"))
        .await;
    assert_eq!(s, 200, "{v}");
    let list = v["data"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{v}");
    assert!(list.iter().any(|k| k["id"] == till_id.as_str()));
    assert!(list.iter().all(|k| k["revoked_at"].is_null()));
    let text_of_list = v.to_string();
    assert!(!text_of_list.contains("sk_") && !text_of_list.contains("key_hash"));

    // Wrong owner and unknown ids: 404, nothing revoked; not the admin: 401.
    let (s, _) = admin
        .delete(&format!("/admin/merchants/{b_id}/api-keys/{till_id}"))
        .await;
    assert_eq!(s, 404);
    let (s, _) = admin
        .delete(&format!("/admin/merchants/mer_nope/api-keys/{till_id}"))
        .await;
    assert_eq!(s, 404);
    let (s, _) = admin
        .delete(&format!("/admin/merchants/{a_id}/api-keys/key_nope"))
        .await;
    assert_eq!(s, 404);
    assert_eq!(admin.get("/admin/merchants/mer_nope/api-keys").await.0, 404);
    let (s, _) = a
        .delete(&format!("/admin/merchants/{a_id}/api-keys/{till_id}"))
        .await;
    assert_eq!(s, 401);
    assert_eq!(
        a.get(&format!("/admin/merchants/{a_id}/api-keys")).await.0,
        401
    );
    assert_eq!(till.get("/v1/merchant").await.0, 200, "nothing was revoked");

    // Revoked: refused from the next request on; the other keys still work; again
    // is the same answer with the first revocation time.
    let (s, first) = admin
        .delete(&format!("/admin/merchants/{a_id}/api-keys/{till_id}"))
        .await;
    assert_eq!(s, 200, "{first}");
    assert!(first["revoked_at"].as_i64().unwrap() > 0);
    let (s, v) = till.get("/v1/merchant").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(
        till.post("/v1/invoices", json!({ "chain": CHAIN, "amount": "5" }))
            .await
            .0,
        401
    );
    assert_eq!(a.get("/v1/merchant").await.0, 200);
    assert_eq!(b.get("/v1/merchant").await.0, 200);
    let (s, again) = admin
        .delete(&format!("/admin/merchants/{a_id}/api-keys/{till_id}"))
        .await;
    assert_eq!((s, &again), (200, &first));
    let (_, v) = admin
        .get(&format!("/admin/merchants/{a_id}/api-keys"))
        .await;
    let revoked: Vec<_> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| !k["revoked_at"].is_null())
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["id"], till_id.as_str());

    // Acceptors: the same for `ak_` keys.
    let (s, v) = admin
        .post(
            "/admin/acceptors",
            json!({ "chain": CHAIN, "address": format!("{:#x}", platform.address(role::ACCEPTOR)), "name": "First" }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let acc_id = v["acceptor"]["id"].as_str().unwrap().to_owned();
    let acc_key_id = v["api_key"]["id"].as_str().unwrap().to_owned();
    let acc = Client::new(&gw, v["api_key"]["key"].as_str().unwrap());
    let (s, v) = admin
        .post(
            &format!("/admin/acceptors/{acc_id}/api-keys"),
            json!({ "name": "spare" }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let spare = Client::new(&gw, v["key"].as_str().unwrap());
    assert_eq!(acc.post("/v1/acceptor/heartbeat", json!({})).await.0, 200);
    let (s, v) = admin
        .get(&format!("/admin/acceptors/{acc_id}/api-keys"))
        .await;
    assert_eq!(
        (s, v["data"].as_array().map(Vec::len)),
        (200, Some(2)),
        "{v}"
    );
    assert!(!v.to_string().contains("ak_"));
    // A merchant's key id is not the acceptor's; the acceptor's key is not A's.
    let (s, _) = admin
        .delete(&format!("/admin/acceptors/{acc_id}/api-keys/{till_id}"))
        .await;
    assert_eq!(s, 404);
    let (s, _) = admin
        .delete(&format!("/admin/merchants/{a_id}/api-keys/{acc_key_id}"))
        .await;
    assert_eq!(s, 404);
    let (s, _) = acc
        .delete(&format!("/admin/acceptors/{acc_id}/api-keys/{acc_key_id}"))
        .await;
    assert_eq!(s, 401, "an acceptor key is not the admin");
    assert_eq!(acc.post("/v1/acceptor/heartbeat", json!({})).await.0, 200);
    let (s, v) = admin
        .delete(&format!("/admin/acceptors/{acc_id}/api-keys/{acc_key_id}"))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = acc.post("/v1/acceptor/heartbeat", json!({})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(acc.get("/v1/acceptor/orders").await.0, 401);
    assert_eq!(spare.post("/v1/acceptor/heartbeat", json!({})).await.0, 200);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_sqlite() {
    keys(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_postgres() {
    keys(Backend::Postgres).await;
}
