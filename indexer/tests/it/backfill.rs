//! Backfill through a faulty RPC proxy (dropped connections, 429, 5xx, timeouts,
//! truncated JSON, a lagging node, a provider block-range limit with a hint), and the
//! watched-address filter.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use stablerail_indexer::{ChainIndexer, metrics::Metrics};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::common::{BACKENDS, Backend, CHAIN, Chain, TestDb, evm_config, stored};

/// Largest eth_getLogs range the proxy lets through.
const RANGE_LIMIT: u64 = 6;
/// The client's per-request timeout: room for an honest answer from anvil behind the
/// proxy on a loaded 2-core machine, so only the injected timeouts time out.
const REQUEST_TIMEOUT_MS: u64 = 3000;

#[derive(Default)]
struct Faults {
    counts: BTreeMap<&'static str, u64>,
}

struct Proxy {
    upstream: String,
    client: reqwest::Client,
    rng: Mutex<StdRng>,
    faults: Mutex<Faults>,
}

impl Proxy {
    fn count(&self, kind: &'static str) {
        *self.faults.lock().unwrap().counts.entry(kind).or_default() += 1;
    }
}

async fn read_request(sock: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = sock.read(&mut tmp).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&tmp[..n]);
            }
            return Some(buf[end + 4..end + 4 + len].to_vec());
        }
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
}

async fn respond(sock: &mut TcpStream, status: &str, body: &[u8], declared_len: usize) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {declared_len}\r\nconnection: close\r\n\r\n"
    );
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body).await;
    let _ = sock.shutdown().await;
}

fn hex_u64(v: &Value) -> Option<u64> {
    u64::from_str_radix(v.as_str()?.strip_prefix("0x")?, 16).ok()
}

async fn handle(proxy: Arc<Proxy>, mut sock: TcpStream) {
    let Some(body) = read_request(&mut sock).await else {
        return;
    };
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let method = req["method"].as_str().unwrap_or_default().to_owned();
    // Provider range limit with a hint, like hosted providers.
    if method == "eth_getLogs" {
        let f = &req["params"][0];
        if let (Some(a), Some(b)) = (hex_u64(&f["fromBlock"]), hex_u64(&f["toBlock"]))
            && b - a + 1 > RANGE_LIMIT
        {
            proxy.count("range_limit");
            let msg = format!(
                "query returned more than 10000 results. Try with this block range [{:#x}, {:#x}].",
                a,
                a + RANGE_LIMIT - 1
            );
            let resp = json!({"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32005, "message": msg}});
            let bytes = serde_json::to_vec(&resp).unwrap();
            respond(&mut sock, "200 OK", &bytes, bytes.len()).await;
            return;
        }
    }
    let roll: u32 = proxy.rng.lock().unwrap().random_range(0..100);
    match roll {
        0..=2 => {
            proxy.count("dropped");
            drop(sock);
        }
        3..=5 => {
            proxy.count("429");
            respond(&mut sock, "429 Too Many Requests", b"rate limited", 12).await;
        }
        6..=8 => {
            proxy.count("5xx");
            respond(&mut sock, "503 Service Unavailable", b"busy", 4).await;
        }
        9..=10 => {
            proxy.count("timeout");
            // Longer than the client's timeout, so the client gives up first.
            tokio::time::sleep(Duration::from_millis(REQUEST_TIMEOUT_MS + 2000)).await;
            drop(sock);
        }
        11..=13 => {
            proxy.count("truncated");
            let upstream = forward(&proxy, &body).await;
            let cut = &upstream[..upstream.len() / 2];
            respond(&mut sock, "200 OK", cut, cut.len()).await;
        }
        14..=20 if method == "eth_blockNumber" || method == "eth_getBlockByNumber" => {
            // A lagging node behind a load balancer: an old head, or no such block yet.
            proxy.count("lagging");
            let upstream: Value = serde_json::from_slice(&forward(&proxy, &body).await).unwrap();
            let resp = if method == "eth_blockNumber" {
                let head = hex_u64(&upstream["result"]).unwrap_or(0);
                json!({"jsonrpc": "2.0", "id": req["id"], "result": format!("{:#x}", head.saturating_sub(5))})
            } else {
                json!({"jsonrpc": "2.0", "id": req["id"], "result": null})
            };
            let bytes = serde_json::to_vec(&resp).unwrap();
            respond(&mut sock, "200 OK", &bytes, bytes.len()).await;
        }
        _ => {
            let upstream = forward(&proxy, &body).await;
            respond(&mut sock, "200 OK", &upstream, upstream.len()).await;
        }
    }
}

async fn forward(proxy: &Proxy, body: &[u8]) -> Vec<u8> {
    proxy
        .client
        .post(&proxy.upstream)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

async fn start_proxy(upstream: &str, seed: u64) -> (String, Arc<Proxy>) {
    let proxy = Arc::new(Proxy {
        upstream: upstream.to_owned(),
        client: reqwest::Client::new(),
        rng: Mutex::new(StdRng::seed_from_u64(seed)),
        faults: Mutex::default(),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let p = proxy.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(handle(p.clone(), sock));
        }
    });
    (url, proxy)
}

async fn backfill_through_faults(backend: Backend) {
    let chain = Chain::start().await;
    for s in 0..60 {
        chain.emit(10, 300 + s).await;
        if s % 10 == 0 {
            chain.mine(25).await; // stretches of empty blocks
        }
    }
    let head = chain.head().await;
    let (proxy_url, proxy) = start_proxy(&chain.url, 42).await;
    let db = TestDb::new(backend).await;
    let mut config = evm_config(
        &chain,
        &db,
        &format!(
            "finality_depth = 10\nhead_lag = 0\npoll_interval_ms = 20\ninitial_range = 40\nmax_range = 200\nconcurrency = 3\nrequest_timeout_ms = {REQUEST_TIMEOUT_MS}\nmax_attempts = 3"
        ),
    );
    config.chains.get_mut(CHAIN).unwrap().rpc_urls = vec![proxy_url];
    let store = db.store().await;
    let metrics = Arc::new(Metrics::default());
    let indexer =
        ChainIndexer::new(CHAIN, config.chain(CHAIN).unwrap(), store.clone(), metrics).unwrap();
    let mut last = 0;
    tokio::time::timeout(
        Duration::from_secs(240),
        indexer.backfill(0, head, |at| {
            assert!(at >= last, "cursor never moves backwards without a reorg");
            last = at;
        }),
    )
    .await
    .expect("backfill through faults finishes (never stalls)")
    .unwrap();
    assert_eq!(
        stored(&store).await,
        chain.canonical(head).await,
        "{backend:?}: no block skipped, nothing duplicated"
    );
    let counts = proxy.faults.lock().unwrap().counts.clone();
    for kind in [
        "range_limit",
        "dropped",
        "429",
        "5xx",
        "timeout",
        "truncated",
        "lagging",
    ] {
        assert!(
            counts.get(kind).copied().unwrap_or(0) > 0,
            "fault `{kind}` was exercised: {counts:?}"
        );
    }
    let stablerail_indexer::source::Source::Evm(evm) = indexer.source() else {
        unreachable!()
    };
    assert!(
        evm.range_size() <= RANGE_LIMIT,
        "range adapted to the provider's limit: {}",
        evm.range_size()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_faults_sqlite() {
    backfill_through_faults(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_faults_postgres() {
    backfill_through_faults(BACKENDS[1]).await;
}

async fn watched_only(backend: Backend) {
    let chain = Chain::start().await;
    for s in 0..15 {
        chain.emit(20, 700 + s).await;
    }
    let head = chain.head().await;
    let db = TestDb::new(backend).await;
    let watched = "0x0000000000000000000000000000000000001005";
    let config = evm_config(
        &chain,
        &db,
        &format!(
            "head_lag = 0\nwatched = [\"{}\"]",
            watched.to_uppercase().replace("0X", "0x")
        ),
    );
    let mut config = config;
    // A dead primary endpoint: every request must fall back to the second one.
    let c = config.chains.get_mut(CHAIN).unwrap();
    c.rpc_urls.insert(0, "http://127.0.0.1:1".into());
    let store = db.store().await;
    let indexer = ChainIndexer::new(
        CHAIN,
        config.chain(CHAIN).unwrap(),
        store.clone(),
        Arc::default(),
    )
    .unwrap();
    indexer.backfill(0, head, |_| {}).await.unwrap();
    let want: Vec<_> = chain
        .canonical(head)
        .await
        .into_iter()
        .filter(|r| r.4 == watched || r.5 == watched)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(stored(&store).await, want);
    // A second backfill over the same range is a no-op; one leaving a gap is refused.
    indexer.backfill(0, head, |_| {}).await.unwrap();
    assert_eq!(stored(&store).await.len(), want.len());
    let err = indexer
        .backfill(head + 5, head + 6, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, stablerail_indexer::Error::BackfillGap { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watched_filter_sqlite() {
    watched_only(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watched_filter_postgres() {
    watched_only(BACKENDS[1]).await;
}
