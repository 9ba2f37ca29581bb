//! Query API: every route, auth, bad parameters, and keyset pagination while the
//! indexer keeps inserting rows.

use std::{collections::BTreeMap, sync::Arc};

use alloy::primitives::U512;
use serde_json::Value;
use stablerail_indexer::{
    ChainIndexer, ChainKind,
    api::{ApiState, generate_api_key, hash_api_key, router},
    metrics::Metrics,
};
use tokio::sync::watch;

use crate::common::{BACKENDS, Backend, CHAIN, Chain, Row, TestDb, evm_config, stored, wait_for};

struct Api {
    base: String,
    client: reqwest::Client,
    key: String,
}

impl Api {
    async fn get(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.header("x-api-key", k);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
    async fn data(&self, path: &str) -> Value {
        let (status, body) = self.get(path, Some(&self.key)).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }
}

fn row_of(v: &Value) -> Row {
    (
        v["block_number"].as_u64().unwrap(),
        v["log_index"].as_u64().unwrap(),
        v["block_hash"].as_str().unwrap().to_owned(),
        v["tx_hash"].as_str().unwrap().to_owned(),
        v["from"].as_str().unwrap().to_owned(),
        v["to"].as_str().unwrap().to_owned(),
        v["amount"].as_str().unwrap().to_owned(),
    )
}

async fn api_routes(backend: Backend) {
    let chain = Chain::start().await;
    for s in 0..20 {
        chain.emit(20, 50 + s).await;
    }
    let db = TestDb::new(backend).await;
    let config = evm_config(
        &chain,
        &db,
        "finality_depth = 5\nhead_lag = 0\npoll_interval_ms = 20",
    );
    let store = db.store().await;
    let metrics = Arc::new(Metrics::default());
    let indexer = Arc::new(
        ChainIndexer::new(
            CHAIN,
            config.chain(CHAIN).unwrap(),
            store.clone(),
            metrics.clone(),
        )
        .unwrap(),
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let task = {
        let indexer = indexer.clone();
        tokio::spawn(async move { indexer.run(stop_rx).await })
    };
    let head = chain.head().await;
    wait_for(30, "initial indexing", || {
        let store = store.clone();
        async move {
            store
                .cursor(CHAIN)
                .await
                .unwrap()
                .is_some_and(|c| c.block_number >= head)
        }
    })
    .await;

    let key = generate_api_key();
    let id = store
        .create_api_key("tests", &hash_api_key(&key))
        .await
        .unwrap();
    let state = ApiState {
        store: store.clone(),
        metrics: metrics.clone(),
        chains: Arc::new(BTreeMap::from([(CHAIN.to_owned(), ChainKind::Evm)])),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    let api = Api {
        base,
        client: reqwest::Client::new(),
        key: key.clone(),
    };

    // Auth.
    let path = format!("/v1/transfers?chain={CHAIN}");
    assert_eq!(api.get(&path, None).await.0, 401);
    assert_eq!(api.get(&path, Some("sr_wrong")).await.0, 401);
    let (status, body) = api.get(&path, Some(&key)).await;
    assert_eq!(status, 200, "{body}");
    let other = generate_api_key();
    let other_id = store
        .create_api_key("revoked", &hash_api_key(&other))
        .await
        .unwrap();
    assert_eq!(api.get(&path, Some(&other)).await.0, 200);
    assert!(store.revoke_api_key(other_id).await.unwrap());
    assert!(
        !store.revoke_api_key(other_id).await.unwrap(),
        "second revoke is refused"
    );
    assert_eq!(api.get(&path, Some(&other)).await.0, 401);
    assert_ne!(id, other_id);

    // Open routes.
    let (status, health) = api.get("/health", None).await;
    assert_eq!(status, 200);
    assert_eq!(health["chains"][0]["chain"], CHAIN);
    assert!(health["chains"][0]["cursor"].as_u64().unwrap() >= head);
    let (status, metrics_text) = api.get("/metrics", None).await;
    assert_eq!(status, 200);
    let metrics_text = metrics_text.as_str().unwrap().to_owned();
    assert!(
        metrics_text.contains(&format!(
            "stablerail_indexer_cursor_block{{chain=\"{CHAIN}\"}}"
        )),
        "{metrics_text}"
    );
    assert!(metrics_text.contains(
        "stablerail_indexer_http_requests_total{route=\"/v1/transfers\",status=\"401\"}"
    ));
    let (status, doc) = api.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    for p in [
        "/v1/transfers",
        "/v1/addresses/{address}/summary",
        "/v1/volume/daily",
        "/health",
        "/metrics",
    ] {
        assert!(doc["paths"].get(p).is_some(), "openapi lists {p}");
    }
    assert_eq!(api.get("/nope", None).await.0, 404);

    // Bad parameters: 400 with a message naming the problem.
    let cases = [
        ("/v1/transfers".to_owned(), "chain"),
        ("/v1/transfers?chain=mars".to_owned(), "unknown chain"),
        (
            format!("/v1/transfers?chain={CHAIN}&address=0x123"),
            "address",
        ),
        (format!("/v1/transfers?chain={CHAIN}&limit=0"), "limit"),
        (format!("/v1/transfers?chain={CHAIN}&limit=5000"), "limit"),
        (format!("/v1/transfers?chain={CHAIN}&limit=-1"), "limit"),
        (format!("/v1/transfers?chain={CHAIN}&after=12"), "after"),
        (
            format!("/v1/transfers?chain={CHAIN}&from_block=abc"),
            "from_block",
        ),
        (
            format!("/v1/transfers?chain={CHAIN}&to_block=9223372036854775808"),
            "to_block",
        ),
        (
            format!("/v1/transfers?chain={CHAIN}&from_time=-5"),
            "from_time",
        ),
        (format!("/v1/transfers?chain={CHAIN}&tx=0xzz"), "tx"),
        (
            format!(
                "/v1/transfers?chain={CHAIN}&adress=0x0000000000000000000000000000000000001000"
            ),
            "unknown parameter",
        ),
        (
            format!("/v1/addresses/TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t/summary?chain={CHAIN}"),
            "address",
        ),
        (
            "/v1/addresses/0x0000000000000000000000000000000000001000/summary".to_owned(),
            "chain",
        ),
        (
            format!("/v1/volume/daily?chain={CHAIN}&to_time=soon"),
            "to_time",
        ),
    ];
    // An inverted range is valid (the OpenAPI document allows it) and selects nothing.
    let (status, body) = api
        .get(
            &format!("/v1/transfers?chain={CHAIN}&from_block=9&to_block=3"),
            Some(&key),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"], serde_json::json!([]));
    for (path, needle) in cases {
        let (status, body) = api.get(&path, Some(&key)).await;
        assert_eq!(status, 400, "{path}: {body}");
        let msg = body["error"].as_str().unwrap_or_default();
        assert!(
            msg.contains(needle),
            "{path}: message `{msg}` mentions `{needle}`"
        );
    }

    // Pagination of one address's history while new blocks keep arriving.
    let addr = "0x0000000000000000000000000000000000001003";
    let mut pages: Vec<Row> = Vec::new();
    let mut after: Option<String> = None;
    let mut page_no = 0u64;
    loop {
        let mut path = format!(
            "/v1/transfers?chain={CHAIN}&address={}&limit=7",
            addr.to_uppercase().replace("0X", "0x")
        );
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let body = api.data(&path).await;
        let items = body["items"].as_array().unwrap();
        pages.extend(items.iter().map(row_of));
        page_no += 1;
        if page_no.is_multiple_of(3) && page_no < 30 {
            chain.emit(20, 900 + page_no).await; // concurrent inserts
        }
        match body["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    assert!(page_no > 3, "several pages");
    for w in pages.windows(2) {
        assert!(
            (w[0].0, w[0].1) < (w[1].0, w[1].1),
            "strictly increasing keys, no duplicate"
        );
    }
    let head = chain.head().await;
    wait_for(30, "indexing of the concurrent blocks", || {
        let store = store.clone();
        async move {
            store
                .cursor(CHAIN)
                .await
                .unwrap()
                .is_some_and(|c| c.block_number >= head)
        }
    })
    .await;
    let canonical = chain.canonical(head).await;
    assert_eq!(stored(&store).await, canonical);
    let last_key = pages.last().map(|r| (r.0, r.1)).unwrap();
    let expected: Vec<Row> = canonical
        .iter()
        .filter(|r| (r.4 == addr || r.5 == addr) && (r.0, r.1) <= last_key)
        .cloned()
        .collect();
    assert_eq!(
        pages, expected,
        "pages = the address's rows up to the last key, none skipped"
    );

    // Filters: tx, block range, time range.
    let tx = canonical[5].3.clone();
    let body = api
        .data(&format!(
            "/v1/transfers?chain={CHAIN}&tx={}&limit=1000",
            tx.to_uppercase().replace("0X", "0x")
        ))
        .await;
    let got: Vec<Row> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(row_of)
        .collect();
    assert_eq!(
        got,
        canonical
            .iter()
            .filter(|r| r.3 == tx)
            .cloned()
            .collect::<Vec<_>>()
    );
    let (lo, hi) = (canonical[30].0, canonical[90].0);
    let body = api
        .data(&format!(
            "/v1/transfers?chain={CHAIN}&from_block={lo}&to_block={hi}&limit=1000"
        ))
        .await;
    let got: Vec<Row> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(row_of)
        .collect();
    assert_eq!(
        got,
        canonical
            .iter()
            .filter(|r| r.0 >= lo && r.0 <= hi)
            .cloned()
            .collect::<Vec<_>>()
    );
    let all = store.all_transfers(CHAIN).await.unwrap();
    let (t0, t1) = (all[40].block_time, all[200].block_time);
    let body = api
        .data(&format!(
            "/v1/transfers?chain={CHAIN}&from_time={t0}&to_time={t1}&limit=1000"
        ))
        .await;
    let got: Vec<u64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["block_number"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = all
        .iter()
        .filter(|t| t.block_time >= t0 && t.block_time <= t1)
        .map(|t| t.block_number)
        .collect();
    assert_eq!(got, want);

    // CSV export: same rows as JSON, next page key in a header.
    let resp = api
        .client
        .get(format!(
            "{}/v1/transfers?chain={CHAIN}&address={addr}&limit=7&format=csv",
            api.base
        ))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let next = resp
        .headers()
        .get("x-next-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "chain,block_number,log_index,block_hash,block_time,tx_hash,token,from,to,amount,confirmed"
    );
    assert_eq!(lines.len(), 8);
    for (line, want) in lines[1..].iter().zip(&pages) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(
            (
                f[1].parse::<u64>().unwrap(),
                f[2].parse::<u64>().unwrap(),
                f[3],
                f[5],
                f[7],
                f[8],
                f[9]
            ),
            (
                want.0,
                want.1,
                want.2.as_str(),
                want.3.as_str(),
                want.4.as_str(),
                want.5.as_str(),
                want.6.as_str()
            )
        );
    }
    assert_eq!(next, Some(format!("{}:{}", pages[6].0, pages[6].1)));
    let (status, body) = api
        .get(
            &format!("/v1/volume/daily?chain={CHAIN}&format=xml"),
            Some(&key),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // Summary, computed independently from the chain's logs.
    let summary = api
        .data(&format!("/v1/addresses/{addr}/summary?chain={CHAIN}"))
        .await;
    let (mut in_sum, mut out_sum, mut in_n, mut out_n) = (U512::ZERO, U512::ZERO, 0u64, 0u64);
    let mut parties = std::collections::BTreeSet::new();
    for r in canonical.iter().filter(|r| r.4 == addr || r.5 == addr) {
        let v = U512::from_str_radix(&r.6, 10).unwrap();
        if r.5 == addr {
            in_sum += v;
            in_n += 1;
        }
        if r.4 == addr {
            out_sum += v;
            out_n += 1;
        }
        parties.insert(if r.4 == addr {
            r.5.clone()
        } else {
            r.4.clone()
        });
    }
    assert_eq!(summary["in_count"].as_u64().unwrap(), in_n);
    assert_eq!(summary["out_count"].as_u64().unwrap(), out_n);
    assert_eq!(summary["in_amount"].as_str().unwrap(), in_sum.to_string());
    assert_eq!(summary["out_amount"].as_str().unwrap(), out_sum.to_string());
    assert_eq!(
        summary["counterparties"].as_u64().unwrap(),
        parties.len() as u64
    );
    assert!(summary["first_seen"].as_i64().unwrap() <= summary["last_seen"].as_i64().unwrap());

    // Daily volume sums to the whole table.
    let days = api.data(&format!("/v1/volume/daily?chain={CHAIN}")).await;
    let mut total = U512::ZERO;
    let mut count = 0u64;
    for d in days.as_array().unwrap() {
        total += U512::from_str_radix(d["amount"].as_str().unwrap(), 10).unwrap();
        count += d["count"].as_u64().unwrap();
    }
    let want_total = canonical.iter().fold(U512::ZERO, |acc, r| {
        acc + U512::from_str_radix(&r.6, 10).unwrap()
    });
    assert_eq!((count, total), (canonical.len() as u64, want_total));
    let days_addr = api
        .data(&format!("/v1/volume/daily?chain={CHAIN}&address={addr}"))
        .await;
    let addr_count: u64 = days_addr
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["count"].as_u64().unwrap())
        .sum();
    assert_eq!(
        addr_count,
        canonical
            .iter()
            .filter(|r| r.4 == addr || r.5 == addr)
            .count() as u64
    );

    let _ = stop_tx.send(true);
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_sqlite() {
    api_routes(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_postgres() {
    api_routes(BACKENDS[1]).await;
}
