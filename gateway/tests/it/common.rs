//! Shared plumbing: a fresh database per test, a local platform on anvil, a gateway
//! in-process, and a webhook receiver that verifies every signature.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy::primitives::{Address, U256};
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use serde_json::{Value, json};
use stablerail_demo::{LocalPlatform, MockUSDTEthereum, role};
use stablerail_gateway::{Config, Gateway, GatewayOptions, auth, merchants};
use stablerail_sdk::Amount;

pub const CHAIN: &str = "anvil";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh database; PostgreSQL ones are dropped with this value.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite:{}", dir.path().join("gw.db").display());
                Self {
                    url,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let name = format!(
                    "sr_gw_test_{}_{}",
                    std::process::id(),
                    rand::random::<u64>()
                );
                let admin = sqlx::PgPool::connect(PG_ADMIN)
                    .await
                    .expect("postgres on 127.0.0.1:5432");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
                Self {
                    url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(admin) = sqlx::PgPool::connect(PG_ADMIN).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&admin)
                    .await;
                }
            });
        })
        .join();
    }
}

/// The gateway config for `platform` on `db`; `extra` is appended at top level
/// before the tables (e.g. `watch_interval_ms = 50`).
pub fn config_text(platform: &LocalPlatform, db: &TestDb, finality: u64, webhooks: &str) -> String {
    let d = &platform.deployment;
    format!(
        r#"
database_url = "{db}"
listen = "127.0.0.1:0"
watch_interval_ms = 50

[invoices]
monitoring_secs = 600

[webhooks]
allow_private_targets = true
{webhooks}

[chains.{CHAIN}]
chain_id = 31337

[indexer.chains.{CHAIN}]
kind = "evm"
rpc_urls = ["{rpc}"]
finality_depth = {finality}
head_lag = 0
poll_interval_ms = 50
usdt = "{usdt:#x}"
escrow = "{escrow:#x}"
"#,
        db = db.url,
        rpc = platform.devnet.rpc_url(),
        usdt = d.token,
        escrow = d.escrow,
    )
}

/// Fast retries for tests: 5 retries 200 ms apart, 1 s timeout.
pub const FAST_WEBHOOKS: &str = r#"schedule_secs = [0.2, 0.2, 0.2, 0.2, 0.2]
jitter_percent = 10
timeout_ms = 1000
lease_secs = 5
poll_ms = 50"#;

pub async fn start_gateway(text: &str, options: GatewayOptions) -> Gateway {
    Gateway::start(Config::parse(text).unwrap(), options)
        .await
        .unwrap()
}

/// Admin routes in tests read their token from a variable cargo sets in every test
/// process (tests cannot set variables: `unsafe_code` is forbidden).
pub const ADMIN_ENV: &str = "CARGO_MANIFEST_DIR";

/// The admin token the gateways of these tests accept (`admin_token_env = ADMIN_ENV`).
pub fn admin_token() -> String {
    std::env::var(ADMIN_ENV).unwrap()
}

/// Registers a merchant receiving at `receiving`; returns (merchant id, API key).
pub async fn merchant(gw: &Gateway, name: &str, receiving: Address) -> (String, String) {
    let input = json!({
        "name": name,
        "chains": [{ "chain": CHAIN, "receiving": format!("{receiving:#x}") }],
        "bank_accounts": [
            { "label": "Main", "holder": name, "account": "DE89370400440532013000", "currency": "EUR", "payout": true },
            { "label": "Spare", "holder": name, "account": "DE02120300000000202051", "currency": "EUR" }
        ],
    });
    let m = merchants::NewMerchant::from_json(&gw.app().config, &input).unwrap();
    let created = merchants::create(&gw.app().db, &m).await.unwrap();
    let (_, key) = auth::create_key(&gw.app().db, &created.id, "test")
        .await
        .unwrap();
    (created.id, key)
}

/// A tiny API client.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub key: String,
    pub http: reqwest::Client,
}

impl Client {
    /// A client without a gateway handle (for a gateway in another process).
    pub fn new_detached() -> Self {
        Self {
            base: String::new(),
            key: String::new(),
            http: reqwest::Client::new(),
        }
    }

    pub fn new(gw: &Gateway, key: &str) -> Self {
        Self {
            base: format!("http://{}", gw.addr()),
            key: key.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn post_raw(&self, path: &str, body: &str, idem: Option<&str>) -> (u16, String) {
        let mut r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(k) = idem {
            r = r.header("idempotency-key", k);
        }
        let resp = r.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, t) = self.post_raw(path, &body.to_string(), None).await;
        (s, serde_json::from_str(&t).unwrap_or(Value::Null))
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        let s = resp.status().as_u16();
        (s, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        let s = resp.status().as_u16();
        (s, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn invoice(&self, amount: &str, expiry_secs: u64) -> Value {
        let (s, v) = self
            .post(
                "/v1/invoices",
                json!({ "chain": CHAIN, "amount": amount, "expiry_secs": expiry_secs }),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v
    }

    /// Adds an endpoint; returns (id, secret).
    pub async fn endpoint(&self, url: &str) -> (String, String) {
        let (s, v) = self.post("/v1/webhooks", json!({ "url": url })).await;
        assert_eq!(s, 201, "{v}");
        (
            v["id"].as_str().unwrap().to_owned(),
            v["secret"].as_str().unwrap().to_owned(),
        )
    }
}

/// One delivery the receiver accepted.
#[derive(Debug, Clone)]
pub struct Seen {
    pub id: String,
    pub kind: String,
    pub subject: Option<String>,
}

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Ok,
    /// 500 for the first n deliveries of each id.
    Fail(u32),
    /// Sleep this long before answering.
    Slow(u64),
    /// Answer 200 headers, then dribble the body slowly.
    SlowBody,
}

#[derive(Default)]
pub struct ReceiverState {
    pub secrets: Vec<String>,
    pub seen: Vec<Seen>,
    pub bad_signatures: u32,
    pub attempts: BTreeMap<String, u32>,
    pub mode: Option<Mode>,
}

/// An axum server on 127.0.0.1 that verifies every delivery with the SDK.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    pub async fn start(mode: Mode) -> Self {
        let state = Arc::new(Mutex::new(ReceiverState {
            mode: Some(mode),
            ..Default::default()
        }));
        let router = Router::new()
            .route("/hook", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn add_secret(&self, s: &str) {
        self.state.lock().unwrap().secrets.push(s.to_owned());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn bad(&self) -> u32 {
        self.state.lock().unwrap().bad_signatures
    }

    /// Kinds seen for `subject`, in arrival order, without duplicates.
    pub fn kinds(&self, subject: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut ids = std::collections::BTreeSet::new();
        for s in self.seen() {
            if s.subject.as_deref() == Some(subject) && ids.insert(s.id.clone()) {
                out.push(s.kind.clone());
            }
        }
        out
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (mode, ok, id) = {
        let mut st = state.lock().unwrap();
        let ok = st
            .secrets
            .iter()
            .any(|s| stablerail_sdk::webhooks::verify(&headers, &body, s, now).is_ok());
        let id = headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if !ok {
            st.bad_signatures += 1;
        }
        let n = st.attempts.entry(id.clone()).or_default();
        *n += 1;
        let n = *n;
        let mode = match st.mode.unwrap_or(Mode::Ok) {
            Mode::Fail(k) if n <= k => Some(Mode::Fail(k)),
            Mode::Fail(_) => None,
            m => Some(m),
        };
        (mode, ok, id)
    };
    if !ok {
        return (StatusCode::BAD_REQUEST, "bad signature").into_response();
    }
    match mode {
        Some(Mode::Fail(_)) => return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response(),
        Some(Mode::Slow(ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(Mode::SlowBody) => {
            let stream = futures_slow();
            return axum::response::Response::new(axum::body::Body::from_stream(stream));
        }
        _ => {}
    }
    let v: Value = serde_json::from_slice(&body).unwrap();
    state.lock().unwrap().seen.push(Seen {
        id,
        kind: v["type"].as_str().unwrap_or("").to_owned(),
        subject: v["data"]["id"].as_str().map(str::to_owned),
    });
    (StatusCode::OK, "ok").into_response()
}

fn futures_slow() -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    async_stream(10)
}

fn async_stream(n: u32) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        for _ in 0..n {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if tx.send(Ok(Bytes::from_static(b"."))).await.is_err() {
                return;
            }
        }
    });
    tokio_stream_from(rx)
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Polls `f` every 50 ms until it is true, failing after `secs`.
pub async fn wait_for<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if f().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Customer `who` pays `amount` USDT to `to` (minted first).
pub async fn pay(platform: &LocalPlatform, who: usize, to: &str, amount: &str) {
    let amount: Amount = amount.parse().unwrap();
    platform.mint(platform.address(who), amount).await.unwrap();
    let token = MockUSDTEthereum::new(platform.deployment.token, platform.provider(who).unwrap());
    token
        .transfer(to.parse().unwrap(), U256::from(amount.units()))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
}

/// Mines `n` empty blocks.
pub async fn mine(platform: &LocalPlatform, n: u64) {
    use alloy::providers::Provider;
    let p = platform.provider(role::DEPLOYER).unwrap();
    let _: Value = p
        .raw_request("anvil_mine".into(), (format!("0x{n:x}"),))
        .await
        .unwrap();
}

/// The status of an invoice through the API.
pub async fn status(c: &Client, id: &str) -> (String, String) {
    let (_, v) = c.get(&format!("/v1/invoices/{id}")).await;
    (
        v["status"].as_str().unwrap_or("").to_owned(),
        v["additional_status"].as_str().unwrap_or("").to_owned(),
    )
}

/// Every event id of the outbox (optionally of one merchant).
pub async fn event_ids(gw: &Gateway, merchant: Option<&str>) -> std::collections::BTreeSet<String> {
    use sqlx::Row;
    sqlx::query("SELECT id, merchant_id FROM gw_events")
        .fetch_all(&gw.app().db.pool)
        .await
        .unwrap()
        .iter()
        .filter(|r| merchant.is_none_or(|m| r.get::<String, _>(1) == m))
        .map(|r| r.get::<String, _>(0))
        .collect()
}

/// Registers `address` as an acceptor with the gateway (lib call, like the admin
/// route); returns (acceptor id, its API key).
pub async fn register_acceptor(gw: &Gateway, address: Address, priority: u32) -> (String, String) {
    use stablerail_gateway::orders::acceptors;
    let input = json!({
        "chain": CHAIN,
        "address": format!("{address:#x}"),
        "name": format!("acceptor {priority}"),
        "priority": priority,
    });
    let a = acceptors::NewAcceptor::from_json(&gw.app().config, &input).unwrap();
    let created = acceptors::create(&gw.app().db, &a).await.unwrap();
    let (_, key) = acceptors::create_key(&gw.app().db, &created.id, "test")
        .await
        .unwrap();
    (created.id, key)
}

/// Says online, then sends a heartbeat every 500 ms until aborted.
pub async fn keep_alive(c: &Client) -> tokio::task::JoinHandle<()> {
    let (s, v) = c.post("/v1/acceptor/online", json!({})).await;
    assert_eq!(s, 200, "{v}");
    let c = c.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let _ = c.post("/v1/acceptor/heartbeat", json!({})).await;
        }
    })
}
