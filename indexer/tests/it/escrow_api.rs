//! Escrow routes of the query API, served by the embeddable `Service` while it indexes
//! the demo's day: every route against the store and the contract, auth, 400s, 404s,
//! keyset pagination and CSV.

use alloy::primitives::{Address, U256};
use serde_json::Value;
use stablerail_demo::{LocalPlatform, play_day, role::*};
use stablerail_indexer::{Service, ServiceOptions, create_api_key};
use stablerail_sdk::evm::Escrow;

use crate::{
    common::{BACKENDS, Backend, CHAIN, TestDb, wait_for},
    escrow::{caught_up, leave_deals_open, platform_config},
};

struct Api {
    base: String,
    client: reqwest::Client,
    key: String,
}

impl Api {
    async fn get(&self, path: &str, key: Option<&str>) -> (u16, String) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.header("x-api-key", k);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
    async fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path, Some(&self.key)).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }
    async fn status(&self, path: &str) -> u16 {
        self.get(path, Some(&self.key)).await.0
    }
}

fn ids(v: &Value) -> Vec<u64> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["deal_id"].as_u64().unwrap())
        .collect()
}

fn sum(items: &[Value], field: &str) -> u128 {
    items
        .iter()
        .map(|v| v[field].as_str().unwrap().parse::<u128>().unwrap())
        .sum()
}

async fn escrow_routes(backend: Backend) {
    let p = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(backend).await;
    let config = platform_config(&p, &db, "head_lag = 0\npoll_interval_ms = 50");
    let service = Service::start(
        &config,
        ServiceOptions {
            api_listen: Some("127.0.0.1:0".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let store = service.store().clone();
    let (_, key) = create_api_key(&store, "escrow-api-test").await.unwrap();
    assert!(create_api_key(&store, " ").await.is_err());
    let report = play_day(&p, |_| {}).await.unwrap();
    leave_deals_open(&p).await;
    wait_for(120, "catch-up", || caught_up(&p, &store)).await;
    let api = Api {
        base: format!("http://{}", service.api_addr().expect("the API runs")),
        client: reqwest::Client::new(),
        key,
    };
    let c = format!("chain={CHAIN}");
    let m1 = format!("{:#x}", p.address(MERCHANT));
    let a1 = format!("{:#x}", p.address(AGENT));
    let treasury = format!("{:#x}", p.deployment.multisig);

    // Auth on every new route.
    let routes = [
        format!("/v1/deals?{c}"),
        format!("/v1/deals/1?{c}"),
        format!("/v1/merchants/{m1}/settlements?{c}"),
        format!("/v1/merchants/{m1}/volume?{c}"),
        format!("/v1/agents/{a1}/commissions?{c}"),
        format!("/v1/escrow/accounts/{m1}?{c}"),
        format!("/v1/volume?{c}"),
    ];
    for r in &routes {
        assert_eq!(api.get(r, None).await.0, 401, "{r} without a key");
        assert_eq!(api.get(r, Some("sr_wrong")).await.0, 401, "{r} bad key");
        assert_eq!(api.status(r).await, 200, "{r}");
    }

    // Deals: all, paged, by party, by state.
    let all = store.all_deals(CHAIN).await.unwrap();
    let listed = api.json(&format!("/v1/deals?{c}")).await;
    assert_eq!(
        ids(&listed),
        all.iter().map(|d| d.deal_id).collect::<Vec<_>>()
    );
    assert!(listed["next"].is_null());
    let mut paged = Vec::new();
    let mut after = String::new();
    loop {
        let page = api.json(&format!("/v1/deals?{c}&limit=3{after}")).await;
        paged.extend(ids(&page));
        match page["next"].as_str() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    assert_eq!(paged, ids(&listed), "keyset pages join up");
    let of_m1: Vec<u64> = all
        .iter()
        .filter(|d| [Some(&d.seller), d.buyer.as_ref(), Some(&d.merchant)].contains(&Some(&m1)))
        .map(|d| d.deal_id)
        .collect();
    assert!(of_m1.len() >= 4);
    let upper = p.address(MERCHANT).to_checksum(None);
    assert_eq!(
        ids(&api.json(&format!("/v1/deals?{c}&party={upper}")).await),
        of_m1
    );
    let released = api.json(&format!("/v1/deals?{c}&state=released")).await;
    assert_eq!(ids(&released).len(), 4);
    let csv = api
        .get(&format!("/v1/deals?{c}&format=csv"), Some(&api.key))
        .await
        .1;
    assert_eq!(csv.lines().count(), all.len() + 1);
    assert!(csv.starts_with("chain,deal_id,kind,"));

    // One deal with its events.
    let resolved = all.iter().find(|d| d.state == "resolved").unwrap();
    let detail = api
        .json(&format!("/v1/deals/{}?{c}", resolved.deal_id))
        .await;
    assert_eq!(detail["deal"]["state"], "resolved");
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "DealOpened",
            "DealAssigned",
            "DealMarkedPaid",
            "DealDisputed",
            "DealResolved"
        ]
    );
    assert_eq!(detail["events"][4]["fields"]["buyer_share_bps"], 5000);

    // Settlements of merchant 1: its released and resolved deals.
    let settled: Vec<u64> = all
        .iter()
        .filter(|d| d.merchant == m1 && (d.state == "released" || d.state == "resolved"))
        .map(|d| d.deal_id)
        .collect();
    let s = api
        .json(&format!("/v1/merchants/{m1}/settlements?{c}"))
        .await;
    assert_eq!(ids(&s), settled);
    assert!(
        s["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["fee"].is_string() && d["platform"].is_string())
    );

    // Commissions of agent 1: rows, totals, pages.
    let earned = report
        .commissions
        .iter()
        .find(|(_, a, _, _)| *a == p.address(AGENT))
        .unwrap()
        .2;
    let com = api.json(&format!("/v1/agents/{a1}/commissions?{c}")).await;
    assert_eq!(com["total"], earned.units().to_string());
    let items = com["items"].as_array().unwrap().clone();
    assert_eq!(com["count"].as_u64().unwrap(), items.len() as u64);
    assert_eq!(
        sum(&items, "amount").to_string(),
        earned.units().to_string()
    );
    let first = api
        .json(&format!("/v1/agents/{a1}/commissions?{c}&limit=1"))
        .await;
    let next = first["next"].as_str().unwrap().to_owned();
    let second = api
        .json(&format!(
            "/v1/agents/{a1}/commissions?{c}&limit=1&after={next}"
        ))
        .await;
    assert_eq!(second["items"][0], items[1]);

    // Escrow accounts: equal to the contract; untouched wallets are all zero.
    let escrow = Escrow::new(p.deployment.escrow, p.provider(DEPLOYER).unwrap());
    for who in [treasury.clone(), m1.clone(), a1.clone()] {
        let acct = api.json(&format!("/v1/escrow/accounts/{who}?{c}")).await;
        let on = escrow
            .account(who.parse::<Address>().unwrap())
            .call()
            .await
            .unwrap();
        assert_eq!(acct["available"], on.available.to_string(), "{who}");
        assert_eq!(acct["locked"], on.locked.to_string(), "{who}");
    }
    let nobody = format!("{:#x}", Address::repeat_byte(0x77));
    let zero = api.json(&format!("/v1/escrow/accounts/{nobody}?{c}")).await;
    assert_eq!(
        (zero["available"].as_str(), zero["roles"].as_u64()),
        (Some("0"), Some(0))
    );

    // Volume: hourly and daily buckets both add up to every settled gross.
    let settled_total: u128 = all
        .iter()
        .filter_map(|d| d.settled_amount)
        .map(|v| u128::try_from(v).unwrap())
        .sum();
    for bucket in ["hour", "day"] {
        let v = api.json(&format!("/v1/volume?{c}&bucket={bucket}")).await;
        assert_eq!(
            sum(v.as_array().unwrap(), "amount"),
            settled_total,
            "{bucket}"
        );
    }
    let mv = api.json(&format!("/v1/merchants/{m1}/volume?{c}")).await;
    let on = escrow.account(p.address(MERCHANT)).call().await.unwrap();
    assert_eq!(
        U256::from(sum(mv.as_array().unwrap(), "amount")),
        U256::from(on.merchantVolume)
    );

    // Bad input: 400 with the parameter named; unknown deal: 404.
    for bad in [
        "/v1/deals".to_owned(),
        "/v1/deals?chain=nope".to_owned(),
        format!("/v1/deals?{c}&state=done"),
        format!("/v1/deals?{c}&party=0x12"),
        format!("/v1/deals?{c}&limit=0"),
        format!("/v1/deals?{c}&after=x"),
        format!("/v1/deals?{c}&colour=red"),
        format!("/v1/deals/abc?{c}"),
        format!("/v1/merchants/T123/settlements?{c}"),
        format!("/v1/agents/{a1}/commissions?{c}&after=5"),
        format!("/v1/escrow/accounts/0xzz?{c}"),
        format!("/v1/volume?{c}&bucket=week"),
        format!("/v1/deals?{c}&after=9223372036854775808"),
        format!("/v1/deals/18446744073709551615?{c}"),
        format!("/v1/merchants/{m1}/volume?{c}&format=xml"),
    ] {
        let (status, body) = api.get(&bad, Some(&api.key)).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("error"), "{bad}: {body}");
    }
    assert_eq!(api.status(&format!("/v1/deals/999?{c}")).await, 404);
    // An inverted range is a valid request that selects nothing.
    let (status, body) = api
        .get(
            &format!("/v1/volume?{c}&from_time=10&to_time=5"),
            Some(&api.key),
        )
        .await;
    assert_eq!((status, body.as_str()), (200, "[]"));

    // The OpenAPI document lists the routes.
    let doc: Value = serde_json::from_str(&api.get("/openapi.json", None).await.1).unwrap();
    for path in [
        "/v1/deals",
        "/v1/deals/{id}",
        "/v1/merchants/{address}/settlements",
        "/v1/merchants/{address}/volume",
        "/v1/agents/{address}/commissions",
        "/v1/escrow/accounts/{address}",
        "/v1/volume",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} in the OpenAPI document"
        );
    }
    // Every route, fuzzed from that document against this data.
    crate::fuzz::fuzz_api(&api.base, &api.key).await;
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escrow_api_routes_sqlite() {
    escrow_routes(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escrow_api_routes_postgres() {
    escrow_routes(BACKENDS[1]).await;
}
