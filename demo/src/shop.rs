//! The shop of `make demo`: the gateway (with the indexer inside, one SQLite file)
//! on the demo's chain, two merchants whose webhook endpoints point at a local
//! receiver that checks every signature with `stablerail_sdk::webhooks::verify`,
//! invoices paid from customer wallets (exact, under, over, late, never), and a
//! collection and a payout dispatched through the gateway's orders API.
//!
//! Everything here talks to the gateway over HTTP with the merchants' API keys, as a
//! shop's backend would; only registering a merchant uses the library, as the
//! `stablerail-gateway merchant create` command does.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use axum::{
    Router,
    body::Bytes,
    extract::{Path as UrlPath, State},
    http::{HeaderMap, StatusCode},
    routing::post,
};
use serde_json::{Value, json};
use stablerail_gateway::{Config, Gateway, GatewayOptions, auth, merchants};
use stablerail_sdk::Amount;

use crate::{
    DEMO_CHAIN, LocalPlatform, MockUSDTEthereum,
    error::{Error, Result},
    indexing::{io, remove_database},
    local::rpc,
    role::{
        ACCEPTOR, ACCEPTOR_2, ACCEPTOR_3, AGENT, AGENT_2, DEPLOYER, DISPATCHER, MERCHANT,
        MERCHANT_2, TRADER, TRADER_2,
    },
};

/// How many collections the corner shop takes (spread over the three acceptors).
pub const COLLECTIONS: usize = 6;

/// How long the shop waits for any one state (a block to be indexed, a webhook).
const PATIENCE: Duration = Duration::from_secs(90);

/// The gateway of the demo, with its embedded indexer, on `<dir>/gateway.sqlite`.
#[derive(Debug)]
pub struct ShopGateway {
    /// The running gateway (API, watcher, order loop, webhook sender, indexer).
    pub gateway: Gateway,
    /// `http://<addr>`: the API, `/pay/{invoice}`, `/indexer/...`.
    pub base: String,
    /// The embedded indexer's tables (same file), for reading them back.
    pub indexer: stablerail_indexer::Store,
    /// The SQLite file (replaced on every run).
    pub database: PathBuf,
    /// Where the merchants' API keys and the dispatcher key are written.
    pub dir: PathBuf,
}

impl ShopGateway {
    /// Starts the gateway on `platform`'s chain, storing everything under `dir`
    /// (the database is replaced; the dispatcher key of the local chain is written
    /// to `dir/dispatcher.key`, readable by the owner only).
    pub async fn start(platform: &LocalPlatform, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(io("creating the demo's folder"))?;
        let database = dir.join("gateway.sqlite");
        remove_database(&database)?;
        let key_file = dir.join("dispatcher.key");
        write_private(
            &key_file,
            &alloy::hex::encode(platform.signer(DISPATCHER).to_bytes()),
        )?;
        let chain_id = platform
            .provider(DEPLOYER)?
            .get_chain_id()
            .await
            .map_err(rpc("eth_chainId"))?;
        let d = &platform.deployment;
        // The receiver is on 127.0.0.1, so private targets are allowed here (never in
        // production); retries come after 1, 2, 5 and 10 s instead of BTCPay's minutes.
        let text = format!(
            r#"
database_url = "sqlite:{db}"
listen = "127.0.0.1:0"
watch_interval_ms = 200

[invoices]
monitoring_secs = 3600

[webhooks]
allow_private_targets = true
schedule_secs = [1, 2, 5, 10]
poll_ms = 100

[dispatcher]
key_file = "{key_file}"

[dispatch]
strategy = {{ kind = "volume_split" }}

[chains.{DEMO_CHAIN}]
chain_id = {chain_id}

[indexer.chains.{DEMO_CHAIN}]
kind = "evm"
rpc_urls = ["{rpc}"]
finality_depth = 2
head_lag = 0
poll_interval_ms = 200
usdt = "{usdt:#x}"
escrow = "{escrow:#x}"
multisig = "{multisig:#x}"

[dashboard]
operators = ["{operator:#x}"]
"#,
            db = database.display(),
            key_file = key_file.display(),
            rpc = platform.devnet.rpc_url(),
            usdt = d.token,
            escrow = d.escrow,
            multisig = d.multisig,
            operator = platform.address(crate::role::OPERATOR),
        );
        let config = Config::parse(&text)?;
        let gateway = Gateway::start(config, GatewayOptions::default()).await?;
        let url = format!("sqlite:{}", database.display());
        let indexer = stablerail_indexer::Store::open(&url).await?;
        Ok(Self {
            base: format!("http://{}", gateway.addr()),
            gateway,
            indexer,
            database,
            dir: dir.to_owned(),
        })
    }

    /// Waits until the embedded indexer stored every block up to `block`.
    pub async fn wait_for_block(&self, block: u64) -> Result<()> {
        until(
            &format!("the indexer to reach block {block}"),
            || async move {
                Ok(self
                    .indexer
                    .cursor(DEMO_CHAIN)
                    .await?
                    .is_some_and(|c| c.block_number >= block)
                    .then_some(()))
            },
        )
        .await
    }

    /// The risk monitor's showcase: a fresh "mule" wallet receives 5,000 USDT from a
    /// customer whose funds rested beyond the pass-through window, and forwards
    /// 4,900 USDT a block later. Waits for the monitor's `pass_through` alert about
    /// the mule and returns it with its evidence (the operator's view, as
    /// `GET /admin/risk/alerts/{id}` shows it).
    pub async fn plant_pass_through(&self, platform: &LocalPlatform) -> Result<Value> {
        let source = Customer::new(platform, usdt("5000")?).await?;
        // The source's own funds arrived more than the 10-minute window ago.
        platform.warp(660).await?;
        let mule = Customer::new(platform, usdt("1")?).await?;
        source.pay(mule.address, usdt("5000")?).await?;
        let block = mule.pay(Address::repeat_byte(0x77), usdt("4900")?).await?;
        self.wait_for_block(block).await?;
        let filter = stablerail_gateway::risk::alerts::Filter {
            rule: Some("pass_through".into()),
            subject: Some(format!("{:#x}", mule.address)),
            ..Default::default()
        };
        let db = &self.gateway.app().db;
        let id = until("the pass-through alert", || {
            let filter = filter.clone();
            async move {
                let found = stablerail_gateway::risk::alerts::list(db, &filter, 1, None).await?;
                Ok(found
                    .first()
                    .and_then(|a| a["id"].as_str())
                    .map(str::to_owned))
            }
        })
        .await?;
        stablerail_gateway::risk::alerts::get(db, &id)
            .await?
            .ok_or_else(|| Error::Shop(format!("alert {id} vanished")))
    }

    /// Creates an API key of the embedded indexer's query API (`/indexer/v1/...`) and
    /// writes it to `dir/indexer-api.key` (owner only); returns that path.
    pub async fn indexer_api_key(&self) -> Result<PathBuf> {
        let (_, key) = stablerail_indexer::create_api_key(&self.indexer, "demo").await?;
        let path = self.dir.join("indexer-api.key");
        write_private(&path, &key)?;
        Ok(path)
    }

    /// Stops the gateway and its indexer.
    pub async fn stop(self) {
        self.gateway.stop().await;
    }
}

/// Writes `text` to `path`, readable by the owner only.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io("writing a key file"))?;
    f.write_all(text.as_bytes())
        .map_err(io("writing a key file"))?;
    Ok(())
}

/// Polls `check` every 100 ms until it answers something, at most [`PATIENCE`].
async fn until<T, F, Fut>(what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(Error::Shop(format!("timed out waiting for {what}")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One delivery the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Since the receiver started.
    pub at: Duration,
    /// The merchant whose endpoint it was (the URL's last segment).
    pub merchant: String,
    /// `webhook-id` (the event id, the same on every retry).
    pub webhook_id: String,
    /// The event type.
    pub kind: String,
    /// The invoice or order it is about (`data.id`).
    pub subject: String,
    /// `data.status` of the object.
    pub status: String,
    /// Whether `stablerail_sdk::webhooks::verify` accepted it with the merchant's secret.
    pub verified: bool,
}

#[derive(Debug, Default)]
struct Inbox {
    secrets: BTreeMap<String, String>,
    log: Vec<Delivery>,
}

/// A local HTTP server that receives every merchant's webhooks at
/// `/hooks/{merchant}` and verifies each one with the SDK before accepting it
/// (an unverified delivery is answered 400 and logged as such).
#[derive(Debug, Clone)]
pub struct WebhookReceiver {
    /// Where it listens.
    pub addr: SocketAddr,
    inbox: Arc<Mutex<Inbox>>,
    started: Instant,
}

impl WebhookReceiver {
    /// Starts the receiver on a free port of 127.0.0.1.
    pub async fn start() -> Result<Self> {
        let started = Instant::now();
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(io("binding the webhook receiver"))?;
        let addr = listener
            .local_addr()
            .map_err(io("binding the webhook receiver"))?;
        let router = Router::new()
            .route("/hooks/{merchant}", post(receive))
            .with_state((inbox.clone(), started));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "webhook receiver stopped");
            }
        });
        Ok(Self {
            addr,
            inbox,
            started,
        })
    }

    /// The endpoint URL for `merchant` (a label without `/`).
    pub fn url(&self, merchant: &str) -> String {
        format!("http://{}/hooks/{merchant}", self.addr)
    }

    fn set_secret(&self, merchant: &str, secret: String) {
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.secrets.insert(merchant.to_owned(), secret);
        }
    }

    /// Every delivery so far, in arrival order.
    pub fn log(&self) -> Vec<Delivery> {
        self.inbox.lock().map(|i| i.log.clone()).unwrap_or_default()
    }

    /// Since the receiver started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

type ReceiverState = (Arc<Mutex<Inbox>>, Instant);

async fn receive(
    State((inbox, started)): State<ReceiverState>,
    UrlPath(merchant): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let Ok(mut inbox) = inbox.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    // Over the raw body, before parsing it (gateway/README.md, "Webhooks").
    let verified = inbox
        .secrets
        .get(&merchant)
        .is_some_and(|s| stablerail_sdk::webhooks::verify(&headers, &body, s, now).is_ok());
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    inbox.log.push(Delivery {
        at: started.elapsed(),
        merchant,
        webhook_id: headers
            .get("webhook-id")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        kind: text(&v["type"]),
        subject: text(&v["data"]["id"]),
        status: text(&v["data"]["status"]),
        verified,
    });
    if verified {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// A merchant of the shop, as its backend sees the gateway.
#[derive(Debug, Clone)]
pub struct ShopMerchant {
    /// A short label (also its webhook path).
    pub label: String,
    /// Gateway id.
    pub id: String,
    /// Its receiving address (and escrow account).
    pub address: Address,
    /// Where its API key is stored (the key itself is never printed).
    pub key_file: PathBuf,
    /// Its webhook endpoint's id.
    pub endpoint: String,
    key: String,
    base: String,
    http: reqwest::Client,
}

impl ShopMerchant {
    /// Registers a merchant receiving (and holding its escrow account) at the wallet
    /// of `role`, with a payout bank account and a spare one; writes its API key to
    /// `dir/<label>.key` and subscribes `receiver` to all its events.
    pub async fn register(
        gw: &ShopGateway,
        receiver: &WebhookReceiver,
        label: &str,
        name: &str,
        address: Address,
    ) -> Result<Self> {
        let input = json!({
            "name": name,
            "chains": [{
                "chain": DEMO_CHAIN,
                "receiving": format!("{address:#x}"),
                "escrow_account": format!("{address:#x}"),
            }],
            "bank_accounts": [
                { "label": "Main", "holder": name, "account": "DE89370400440532013000", "currency": "EUR", "payout": true },
                { "label": "Spare", "holder": name, "account": "DE02120300000000202051", "currency": "EUR" },
            ],
        });
        let app = gw.gateway.app();
        let new = merchants::NewMerchant::from_json(&app.config, &input)
            .map_err(|p| Error::Shop(format!("merchant {label}: {}", p.message)))?;
        let m = merchants::create(&app.db, &new)
            .await
            .map_err(|p| Error::Shop(format!("merchant {label}: {}", p.message)))?;
        let (_, key) = auth::create_key(&app.db, &m.id, "demo").await?;
        let key_file = gw.dir.join(format!("{label}.key"));
        write_private(&key_file, &key)?;
        let mut merchant = Self {
            label: label.to_owned(),
            id: m.id,
            address,
            key_file,
            endpoint: String::new(),
            key,
            base: gw.base.clone(),
            http: reqwest::Client::new(),
        };
        let v = merchant
            .post(
                "/v1/webhooks",
                json!({ "url": receiver.url(label) }),
                Some(&format!("{label}-webhook")),
                201,
            )
            .await?;
        receiver.set_secret(label, text(&v, "secret")?);
        merchant.endpoint = text(&v, "id")?;
        Ok(merchant)
    }

    /// `POST path` with this merchant's key; any status but `want` is an error.
    pub async fn post(
        &self,
        path: &str,
        body: Value,
        idempotency_key: Option<&str>,
        want: u16,
    ) -> Result<Value> {
        let (status, v) = self.try_post(path, body, idempotency_key).await?;
        if status != want {
            return Err(Error::Api {
                call: format!("POST {path}"),
                status,
                body: v.to_string(),
            });
        }
        Ok(v)
    }

    async fn try_post(
        &self,
        path: &str,
        body: Value,
        idempotency_key: Option<&str>,
    ) -> Result<(u16, Value)> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .json(&body);
        if let Some(k) = idempotency_key {
            req = req.header("idempotency-key", k);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    /// `GET path` with this merchant's key (must answer 200).
    pub async fn get(&self, path: &str) -> Result<Value> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if status != 200 {
            return Err(Error::Api {
                call: format!("GET {path}"),
                status,
                body: v.to_string(),
            });
        }
        Ok(v)
    }

    /// Waits until the object at `path` has `status`; `failed` ends the wait early.
    async fn wait_status(&self, path: &str, status: &str) -> Result<Value> {
        until(&format!("{path} to be {status}"), || async move {
            let v = self.get(path).await?;
            if v["status"] == "failed" && status != "failed" {
                return Err(Error::Shop(format!("{path} failed: {v}")));
            }
            Ok((v["status"] == status).then_some(v))
        })
        .await
    }
}

fn text(v: &Value, field: &str) -> Result<String> {
    v[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::Shop(format!("answer without {field}: {v}")))
}

fn usdt(s: &str) -> Result<Amount> {
    s.parse()
        .map_err(|_| Error::Shop(format!("not an amount: {s}")))
}

/// A customer's wallet on the local chain: a fresh key, funded with ETH for gas
/// (`anvil_setBalance`) and with USDT minted by the token's deployer.
#[derive(Debug, Clone)]
pub struct Customer {
    /// Its address.
    pub address: Address,
    token: MockUSDTEthereum::MockUSDTEthereumInstance<DynProvider>,
}

impl Customer {
    /// A new funded wallet holding `usdt` USDT.
    pub async fn new(platform: &LocalPlatform, usdt: Amount) -> Result<Self> {
        let signer = PrivateKeySigner::random();
        let address = signer.address();
        let url = platform
            .devnet
            .rpc_url()
            .parse()
            .map_err(|_| Error::RpcUrl {
                url: platform.devnet.rpc_url(),
            })?;
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url)
            .erased();
        let _: Value = platform
            .provider(DEPLOYER)?
            .raw_request(
                "anvil_setBalance".into(),
                (address, "0x56BC75E2D63100000"), // 100 ETH
            )
            .await
            .map_err(rpc("anvil_setBalance"))?;
        platform.mint(address, usdt).await?;
        Ok(Self {
            address,
            token: MockUSDTEthereum::new(platform.deployment.token, provider),
        })
    }

    /// Sends `amount` USDT to `to` with a plain token transfer; returns its block.
    pub async fn pay(&self, to: Address, amount: Amount) -> Result<u64> {
        let receipt = self
            .token
            .transfer(to, U256::from(amount.units()))
            .send()
            .await
            .map_err(|e| Error::Shop(format!("transfer: {e}")))?
            .get_receipt()
            .await
            .map_err(|e| Error::Shop(format!("transfer receipt: {e}")))?;
        receipt.block_number.ok_or(Error::NoBlock)
    }
}

/// An invoice case: name, for the corner shop (else the night market), amount, expiry
/// in seconds, what the customer pays (`""`: the unique amount; `None`: nothing),
/// and the expected final status and additional status.
type Case = (
    &'static str,
    bool,
    &'static str,
    u64,
    Option<&'static str>,
    (&'static str, &'static str),
);

/// One invoice of the shop with what the customer does and how it must end.
#[derive(Debug, Clone)]
pub struct ShopInvoice {
    /// What the scenario is (`exact`, `under`, ...).
    pub case: &'static str,
    /// The merchant's label.
    pub merchant: String,
    /// Gateway id.
    pub id: String,
    /// What the merchant asked for.
    pub amount: String,
    /// What the customer should send (amount plus a few smallest units).
    pub unique_amount: String,
    /// What the customer sends (`None`: nothing).
    pub pays: Option<String>,
    /// The expected final `status` and `additional_status`.
    pub expect: (&'static str, &'static str),
    /// The final answer of `GET /v1/invoices/{id}` (after [`Shop::settle`]).
    pub last: Value,
}

/// One collection or payout of the shop.
#[derive(Debug, Clone)]
pub struct ShopOrder {
    /// `collection` or `payout`.
    pub kind: &'static str,
    /// The merchant's label.
    pub merchant: String,
    /// The final answer of `GET /v1/{kind}s/{id}`.
    pub last: Value,
    /// Its dispatch decisions (`GET /v1/{kind}s/{id}/decisions`): candidates, scores.
    pub decisions: Value,
}

/// The shop: two merchants, their customers, invoices and orders.
#[derive(Debug)]
pub struct Shop {
    /// The first merchant (all five invoice cases, a collection).
    pub corner: ShopMerchant,
    /// The second merchant (an exact invoice, a payout).
    pub market: ShopMerchant,
    /// The receiver of both merchants' webhooks.
    pub receiver: WebhookReceiver,
    /// The invoices, in creation order.
    pub invoices: Vec<ShopInvoice>,
    /// The collections and the payout.
    pub orders: Vec<ShopOrder>,
    /// The acceptors as registered with the gateway (after [`Shop::run_orders`]).
    pub acceptors: Vec<ShopAcceptor>,
    customers: [Customer; 2],
}

/// The acceptor of the local chain, registered with the gateway's dispatcher: online
/// and sending heartbeats (every 5 s; the dispatcher's default time-out is 60 s) for
/// as long as it lives.
#[derive(Debug)]
pub struct ShopAcceptor {
    /// Gateway id.
    pub id: String,
    /// Its name in the gateway.
    pub name: String,
    /// Its address.
    pub address: Address,
    /// Which dev account of the local chain it is (signs its releases and payments).
    pub role: usize,
    /// Its target share of the volume under the `volume_split` strategy, in bps.
    pub target_share_bps: u32,
    /// Where its API key is stored (never printed).
    pub key_file: PathBuf,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl ShopAcceptor {
    /// Registers dev account `role` as the acceptor `name` with a target share of
    /// the volume (as the admin route does), writes its key to `dir/<name>.key`, says
    /// it is online and keeps it so.
    pub async fn register(
        gw: &ShopGateway,
        platform: &LocalPlatform,
        role: usize,
        name: &str,
        target_share_bps: u32,
    ) -> Result<Self> {
        use stablerail_gateway::orders::acceptors;
        let app = gw.gateway.app();
        let address = platform.address(role);
        let input = json!({
            "chain": DEMO_CHAIN,
            "address": format!("{address:#x}"),
            "name": name,
            "priority": 0,
            "target_share_bps": target_share_bps,
        });
        let new = acceptors::NewAcceptor::from_json(&app.config, &input)
            .map_err(|p| Error::Shop(format!("acceptor: {}", p.message)))?;
        let a = acceptors::create(&app.db, &new)
            .await
            .map_err(|p| Error::Shop(format!("acceptor: {}", p.message)))?;
        let (_, key) = acceptors::create_key(&app.db, &a.id, "demo").await?;
        let key_file = gw.dir.join(format!("{name}.key"));
        write_private(&key_file, &key)?;
        let http = reqwest::Client::new();
        let call = |path: &'static str| {
            http.post(format!("{}{path}", gw.base))
                .bearer_auth(&key)
                .json(&json!({}))
                .send()
        };
        let resp = call("/v1/acceptor/online").await?;
        if resp.status().as_u16() != 200 {
            return Err(Error::Api {
                call: "POST /v1/acceptor/online".into(),
                status: resp.status().as_u16(),
                body: resp.text().await.unwrap_or_default(),
            });
        }
        let url = format!("{}/v1/acceptor/heartbeat", gw.base);
        let heartbeat = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                if let Err(e) = http
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&json!({}))
                    .send()
                    .await
                {
                    tracing::warn!(error = %e, "acceptor heartbeat");
                }
            }
        });
        Ok(Self {
            id: a.id,
            name: name.to_owned(),
            address,
            role,
            target_share_bps,
            key_file,
            heartbeat,
        })
    }
}

impl Drop for ShopAcceptor {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

impl Shop {
    /// Registers the two merchants (wallets `MERCHANT` and `MERCHANT_2` of the local
    /// chain) with webhook endpoints on a new receiver, and funds two customers.
    pub async fn open(gw: &ShopGateway, platform: &LocalPlatform) -> Result<Self> {
        let receiver = WebhookReceiver::start().await?;
        let corner = ShopMerchant::register(
            gw,
            &receiver,
            "corner-shop",
            "Corner Shop",
            platform.address(MERCHANT),
        )
        .await?;
        let market = ShopMerchant::register(
            gw,
            &receiver,
            "night-market",
            "Night Market",
            platform.address(MERCHANT_2),
        )
        .await?;
        let customers = [
            Customer::new(platform, usdt("500")?).await?,
            Customer::new(platform, usdt("500")?).await?,
        ];
        Ok(Self {
            corner,
            market,
            receiver,
            invoices: Vec::new(),
            orders: Vec::new(),
            acceptors: Vec::new(),
            customers,
        })
    }

    /// Creates the invoices: for the corner shop 10 USDT paid exactly, 20 underpaid
    /// with 15, 30 overpaid with 33, 40 paid in full after its expiry and 50 never
    /// paid; for the night market 12.50 paid exactly. The amounts are far enough
    /// apart that each non-exact payment is nearest to its own invoice
    /// (gateway/README.md, "Invoices").
    pub async fn create_invoices(&mut self) -> Result<()> {
        let cases: [Case; 6] = [
            ("exact", true, "10", 900, Some(""), ("settled", "none")),
            (
                "under",
                true,
                "20",
                8,
                Some("15"),
                ("expired", "paid_partial"),
            ),
            (
                "over",
                true,
                "30",
                900,
                Some("33"),
                ("settled", "paid_over"),
            ),
            ("late", true, "40", 3, Some(""), ("expired", "paid_late")),
            ("never", true, "50", 3, None, ("expired", "none")),
            ("exact", false, "12.50", 900, Some(""), ("settled", "none")),
        ];
        for (i, (case, corner, amount, expiry, pays, expect)) in cases.into_iter().enumerate() {
            let m = if corner { &self.corner } else { &self.market };
            let v = m
                .post(
                    "/v1/invoices",
                    json!({
                        "chain": DEMO_CHAIN,
                        "amount": amount,
                        "expiry_secs": expiry,
                        "description": format!("demo order #{} ({case})", 1001 + i),
                        "metadata": { "order_id": format!("{}", 1001 + i) },
                    }),
                    Some(&format!("order-{}", 1001 + i)),
                    201,
                )
                .await?;
            let unique_amount = text(&v, "unique_amount")?;
            self.invoices.push(ShopInvoice {
                case,
                merchant: m.label.clone(),
                id: text(&v, "id")?,
                amount: amount.to_owned(),
                pays: pays.map(|p| {
                    if p.is_empty() {
                        unique_amount.clone()
                    } else {
                        p.to_owned()
                    }
                }),
                unique_amount,
                expect,
                last: v,
            });
        }
        Ok(())
    }

    fn merchant(&self, label: &str) -> &ShopMerchant {
        if self.corner.label == label {
            &self.corner
        } else {
            &self.market
        }
    }

    /// The customers pay every invoice that is to be paid in time (all but `late`);
    /// returns the last block.
    pub async fn pay_in_time(&self) -> Result<u64> {
        let mut last = 0;
        for (i, inv) in self.invoices.iter().enumerate() {
            if let (Some(amount), false) = (&inv.pays, inv.case == "late") {
                let to = self.merchant(&inv.merchant).address;
                last = self.customers[i % 2].pay(to, usdt(amount)?).await?;
            }
        }
        Ok(last)
    }

    /// Waits until the `late` invoice expired, then its customer pays it in full.
    pub async fn pay_late(&self) -> Result<u64> {
        let mut last = 0;
        for inv in self.invoices.iter().filter(|i| i.case == "late") {
            let m = self.merchant(&inv.merchant);
            m.wait_status(&format!("/v1/invoices/{}", inv.id), "expired")
                .await?;
            if let Some(amount) = &inv.pays {
                last = self.customers[0].pay(m.address, usdt(amount)?).await?;
            }
        }
        Ok(last)
    }

    /// Six 50 USDT collections for the corner shop, spread by the gateway's dispatcher
    /// (strategy `volume_split`) over three acceptors with target shares of 50, 30
    /// and 20 % (for each, a customer pays fiat to the acceptor the gateway chose;
    /// the platform's dispatcher marks it paid and that acceptor releases the USDT
    /// from its collateral), then a 100 USDT payout for the night market (opened on
    /// chain by the merchant, assigned by the gateway; the acceptor pays the
    /// merchant's bank and marks it paid; the merchant releases). The second and
    /// third acceptors join first: roles and KYC on chain, online with their own
    /// limits, collateral deposited; all three register with the gateway (online,
    /// heartbeats).
    pub async fn run_orders(&mut self, gw: &ShopGateway, platform: &LocalPlatform) -> Result<()> {
        let newcomers = [ACCEPTOR_2, ACCEPTOR_3].map(|r| platform.address(r));
        for who in newcomers {
            platform
                .set_roles(who, stablerail_sdk::Roles::ACCEPTOR)
                .await?;
        }
        platform.kyc(&newcomers).await?;
        for (role, who) in [ACCEPTOR_2, ACCEPTOR_3].into_iter().zip(newcomers) {
            platform.go_online(role).await?;
            platform.mint(who, usdt("1000")?).await?;
            platform.escrow(role)?.deposit(who, usdt("1000")?).await?;
        }
        gw.wait_for_block(platform.block_number().await?).await?;
        for (role, name, share) in [
            (ACCEPTOR, "acceptor-1", 5_000),
            (ACCEPTOR_2, "acceptor-2", 3_000),
            (ACCEPTOR_3, "acceptor-3", 2_000),
        ] {
            self.acceptors
                .push(ShopAcceptor::register(gw, platform, role, name, share).await?);
        }
        for n in 1..=COLLECTIONS {
            let corner = &self.corner;
            let v = corner
                .post(
                    "/v1/collections",
                    json!({ "chain": DEMO_CHAIN, "amount": "50", "payment_window_secs": 900 }),
                    Some(&format!("collection-{n}")),
                    201,
                )
                .await?;
            let id = text(&v, "id")?;
            let path = format!("/v1/collections/{id}");
            let v = corner.wait_status(&path, "assigned").await?;
            let deal = deal_id(&v)?;
            let seller = self.acceptor_of(&v)?.role;
            platform.escrow(DISPATCHER)?.mark_paid(deal).await?;
            corner.wait_status(&path, "paid").await?;
            platform.escrow(seller)?.release(deal).await?;
            let collection = corner.wait_status(&path, "settled").await?;
            let decisions = corner.get(&format!("{path}/decisions")).await?;
            self.orders.push(ShopOrder {
                kind: "collection",
                merchant: corner.label.clone(),
                last: collection,
                decisions,
            });
        }

        let market = &self.market;
        let as_market = platform.escrow(MERCHANT_2)?;
        let deal = as_market
            .open_payout(usdt("100")?, 1_800, B256::repeat_byte(0x50))
            .await?;
        let deal_no = u64::try_from(deal).map_err(|_| Error::Overflow)?;
        gw.wait_for_block(platform.block_number().await?).await?;
        let v = market
            .post(
                "/v1/payouts",
                json!({ "chain": DEMO_CHAIN, "deal_id": deal_no }),
                Some("payout-1"),
                201,
            )
            .await?;
        let path = format!("/v1/payouts/{}", text(&v, "id")?);
        let v = market.wait_status(&path, "assigned").await?;
        let buyer = self.acceptor_of(&v)?.role;
        platform.escrow(buyer)?.mark_paid(deal).await?;
        market.wait_status(&path, "paid").await?;
        as_market.release(deal).await?;
        let payout = market.wait_status(&path, "settled").await?;
        let decisions = market.get(&format!("{path}/decisions")).await?;
        self.orders.push(ShopOrder {
            kind: "payout",
            merchant: market.label.clone(),
            last: payout,
            decisions,
        });
        // Conservation (docs/rules.md, "Liabilities") over every account with funds,
        // the newcomers included.
        let everyone = [
            MERCHANT, MERCHANT_2, TRADER, TRADER_2, AGENT, AGENT_2, ACCEPTOR, ACCEPTOR_2,
            ACCEPTOR_3,
        ]
        .map(|r| platform.address(r));
        let mut everyone = everyone.to_vec();
        everyone.push(platform.deployment.multisig);
        platform.check_conservation(&everyone).await?;
        Ok(())
    }

    /// The registered acceptor an order names (by gateway id or address).
    pub fn acceptor_of(&self, order: &Value) -> Result<&ShopAcceptor> {
        self.acceptor_named(order["acceptor"].as_str().unwrap_or_default())
            .ok_or_else(|| Error::Shop(format!("order names an unknown acceptor: {order}")))
    }

    /// The registered acceptor with gateway id or address `named` (the dispatcher's
    /// decisions name acceptors by address).
    pub fn acceptor_named(&self, named: &str) -> Option<&ShopAcceptor> {
        self.acceptors
            .iter()
            .find(|a| a.id == named || format!("{:#x}", a.address).eq_ignore_ascii_case(named))
    }

    /// How many orders of `kind` each registered acceptor got, in registration order.
    pub fn spread(&self, kind: &str) -> Vec<(&ShopAcceptor, usize)> {
        self.acceptors
            .iter()
            .map(|a| {
                let n = self
                    .orders
                    .iter()
                    .filter(|o| o.kind == kind)
                    .filter(|o| self.acceptor_of(&o.last).is_ok_and(|b| b.id == a.id))
                    .count();
                (a, n)
            })
            .collect()
    }

    /// Mines `blocks` so the last payments become final, waits until every invoice
    /// reached its expected state and every webhook of both merchants was delivered,
    /// and checks that the receiver verified every delivery and saw every event.
    pub async fn settle(&mut self, platform: &LocalPlatform) -> Result<()> {
        let _: Value = platform
            .provider(DEPLOYER)?
            .raw_request("anvil_mine".into(), ("0x3",))
            .await
            .map_err(rpc("anvil_mine"))?;
        for i in 0..self.invoices.len() {
            let inv = &self.invoices[i];
            let m = self.merchant(&inv.merchant).clone();
            let path = &format!("/v1/invoices/{}", inv.id);
            let (status, additional) = inv.expect;
            let m = &m;
            let last = until(
                &format!("{path} to be {status}/{additional}"),
                || async move {
                    let v = m.get(path).await?;
                    Ok(
                        (v["status"] == status && v["additional_status"] == additional)
                            .then_some(v),
                    )
                },
            )
            .await?;
            self.invoices[i].last = last;
        }
        for m in [&self.corner, &self.market] {
            let path = &format!("/v1/webhooks/{}/deliveries?limit=100", m.endpoint);
            let receiver = &self.receiver;
            until(
                &format!("every webhook of {} delivered", m.label),
                || async move {
                    let v = m.get(path).await?;
                    let data = v["data"].as_array().cloned().unwrap_or_default();
                    if data.iter().any(|d| d["status"] == "failed") {
                        return Err(Error::Shop(format!("a delivery failed: {v}")));
                    }
                    let done = data.iter().all(|d| d["status"] == "delivered");
                    let seen: std::collections::BTreeSet<String> = receiver
                        .log()
                        .into_iter()
                        .filter(|d| d.merchant == m.label && d.verified)
                        .map(|d| d.webhook_id)
                        .collect();
                    let events: std::collections::BTreeSet<String> = data
                        .iter()
                        .filter_map(|d| d["event_id"].as_str().map(str::to_owned))
                        .collect();
                    Ok((done && seen == events).then_some(()))
                },
            )
            .await?;
        }
        let bad = self.receiver.log().iter().filter(|d| !d.verified).count();
        if bad > 0 {
            return Err(Error::Shop(format!(
                "{bad} webhook deliveries failed signature verification"
            )));
        }
        Ok(())
    }

    /// A new invoice of the corner shop for `amount`, open for an hour, for someone
    /// to pay by hand on its checkout page.
    pub async fn open_invoice(&self, amount: &str) -> Result<ShopInvoice> {
        let v = self
            .corner
            .post(
                "/v1/invoices",
                json!({ "chain": DEMO_CHAIN, "amount": amount, "expiry_secs": 3600, "description": "pay me by hand" }),
                Some("order-open"),
                201,
            )
            .await?;
        Ok(ShopInvoice {
            case: "open",
            merchant: self.corner.label.clone(),
            id: text(&v, "id")?,
            amount: amount.to_owned(),
            unique_amount: text(&v, "unique_amount")?,
            pays: None,
            expect: ("new", "none"),
            last: v,
        })
    }

    /// The checkout page of an invoice.
    pub fn checkout_url(&self, gw: &ShopGateway, invoice: &ShopInvoice) -> String {
        format!("{}/pay/{}", gw.base, invoice.id)
    }
}

fn deal_id(v: &Value) -> Result<U256> {
    v["deal_id"]
        .as_u64()
        .map(U256::from)
        .ok_or_else(|| Error::Shop(format!("order without deal_id: {v}")))
}
