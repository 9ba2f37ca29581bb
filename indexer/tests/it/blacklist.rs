//! Tether's own blacklist events (`AddedBlackList`, `RemovedBlackList`,
//! `DestroyedBlackFunds`) of the USDT mock on anvil, indexed live by the embeddable
//! `Service` into `token_blacklist` on both stores, read through the API, and rolled
//! back by an `anvil_reorg` that replaces the blocks holding some of them.

use std::str::FromStr;

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::{SolCall, SolEvent},
};
use serde_json::{Value, json};
use stablerail_demo::MockUSDTEthereum::{
    self, AddedBlackList, DestroyedBlackFunds, RemovedBlackList,
};
use stablerail_indexer::{Config, Service, ServiceOptions, Store, create_api_key};

use crate::common::{BACKENDS, Backend, CHAIN, Chain, TestDb, wait_for};

const FINALITY: u64 = 4;

/// (block, log index, block hash, tx, address, event, blacklisted, amount, confirmed).
type Row = (
    u64,
    u64,
    String,
    String,
    String,
    String,
    bool,
    Option<String>,
    bool,
);

/// The USDT mock deployed on the test chain; the dev account sends every call.
struct Token<'a> {
    chain: &'a Chain,
    address: Address,
}

impl<'a> Token<'a> {
    async fn deploy(chain: &'a Chain) -> Self {
        let tx: String = chain
            .rpc(
                "eth_sendTransaction",
                json!([{ "from": chain.dev, "data": MockUSDTEthereum::BYTECODE, "gas": "0x1000000" }]),
            )
            .await;
        let receipt = chain.receipt(&tx).await;
        let address = Address::from_str(receipt["contractAddress"].as_str().unwrap()).unwrap();
        Self { chain, address }
    }

    /// The transaction object of a call (for `eth_sendTransaction` and `anvil_reorg`).
    fn tx(&self, call: impl SolCall) -> Value {
        json!({
            "from": self.chain.dev,
            "to": self.address,
            "data": format!("0x{}", hex::encode(call.abi_encode())),
            "gas": "0x100000",
        })
    }

    /// Sends a call in a block of its own and waits for its receipt.
    async fn send(&self, call: impl SolCall) {
        let tx: String = self
            .chain
            .rpc("eth_sendTransaction", json!([self.tx(call)]))
            .await;
        self.chain.receipt(&tx).await;
    }

    async fn total_supply(&self) -> U256 {
        let out: String = self
            .chain
            .rpc(
                "eth_call",
                json!([{ "to": self.address, "data": format!("0x{}", hex::encode(MockUSDTEthereum::totalSupplyCall {}.abi_encode())) }, "latest"]),
            )
            .await;
        U256::from_str(&out).unwrap()
    }

    /// The blacklist events of the canonical chain read with `eth_getLogs` and decoded
    /// with the mock's own ABI, in the store's row form; `confirmed` as the finality
    /// depth implies for `head`.
    async fn canonical(&self, head: u64) -> Vec<Row> {
        let filter = Filter::new()
            .address(self.address)
            .event_signature(vec![
                AddedBlackList::SIGNATURE_HASH,
                RemovedBlackList::SIGNATURE_HASH,
                DestroyedBlackFunds::SIGNATURE_HASH,
            ])
            .from_block(0)
            .to_block(head);
        let logs = self.chain.provider.get_logs(&filter).await.unwrap();
        logs.iter()
            .map(|l| {
                let (who, event, listed, amount) = match l.topics()[0] {
                    AddedBlackList::SIGNATURE_HASH => {
                        let e = AddedBlackList::decode_log_data(&l.inner.data).unwrap();
                        (e._user, "added", true, None)
                    }
                    RemovedBlackList::SIGNATURE_HASH => {
                        let e = RemovedBlackList::decode_log_data(&l.inner.data).unwrap();
                        (e._user, "removed", false, None)
                    }
                    _ => {
                        let e = DestroyedBlackFunds::decode_log_data(&l.inner.data).unwrap();
                        let burned = Some(e._balance.to_string());
                        (e._blackListedUser, "funds_destroyed", true, burned)
                    }
                };
                let block = l.block_number.unwrap();
                (
                    block,
                    l.log_index.unwrap(),
                    format!("{:#x}", l.block_hash.unwrap()),
                    format!("{:#x}", l.transaction_hash.unwrap()),
                    format!("{who:#x}"),
                    event.to_owned(),
                    listed,
                    amount,
                    block + FINALITY <= head,
                )
            })
            .collect()
    }
}

async fn stored(store: &Store) -> Vec<Row> {
    let q = stablerail_indexer::store::BlacklistQuery {
        chain: CHAIN.into(),
        limit: 1000,
        ..Default::default()
    };
    store
        .blacklist(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.block_number,
                r.log_index,
                r.block_hash,
                r.tx_hash,
                r.address,
                r.event,
                r.blacklisted,
                r.amount,
                r.confirmed,
            )
        })
        .collect()
}

/// The store holds exactly the chain's blacklist events, confirmed as of the head.
async fn in_sync(chain: &Chain, token: &Token<'_>, store: &Store) -> bool {
    let head = chain.head().await;
    let caught_up = store
        .cursor(CHAIN)
        .await
        .unwrap()
        .is_some_and(|c| c.block_number == head && c.head_number == head);
    caught_up && stored(store).await == token.canonical(head).await
}

struct Api {
    base: String,
    key: String,
    client: reqwest::Client,
}

impl Api {
    async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .header("x-api-key", &self.key)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn status_of(&self, who: Address) -> (bool, Value) {
        let v = self
            .json(&format!("/v1/blacklist/{who:#x}?chain={CHAIN}"))
            .await;
        (v["blacklisted"].as_bool().unwrap(), v["last_event"].clone())
    }
}

async fn blacklist_events(backend: Backend) {
    let chain = Chain::start().await;
    let token = Token::deploy(&chain).await;
    let db = TestDb::new(backend).await;
    let config = Config::parse(&format!(
        r#"
        database_url = "{}"
        [chains.{CHAIN}]
        kind = "evm"
        rpc_urls = ["{}"]
        usdt = "{:#x}"
        finality_depth = {FINALITY}
        head_lag = 0
        poll_interval_ms = 20
        initial_range = 2
        # Blacklist events are kept whatever `watched` says.
        watched = ["0x000000000000000000000000000000000000dead"]
        "#,
        db.url, chain.url, token.address
    ))
    .unwrap();
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
    let (_, key) = create_api_key(&store, "blacklist-test").await.unwrap();
    let api = Api {
        base: format!("http://{}", service.api_addr().unwrap()),
        key,
        client: reqwest::Client::new(),
    };

    let a = chain.dev;
    let (b, c, d) = (
        Address::repeat_byte(0xb0),
        Address::repeat_byte(0xc0),
        Address::repeat_byte(0xd0),
    );
    let minted = U256::from(5_000_000u64);
    token
        .send(MockUSDTEthereum::mintCall {
            to: a,
            amount: minted,
        })
        .await;
    token
        .send(MockUSDTEthereum::transferCall {
            to: b,
            amount: U256::from(1_000_000u64),
        })
        .await;
    token
        .send(MockUSDTEthereum::addBlackListCall { evilUser: a })
        .await;
    token
        .send(MockUSDTEthereum::addBlackListCall { evilUser: c })
        .await;
    token
        .send(MockUSDTEthereum::removeBlackListCall { clearedUser: c })
        .await;
    token
        .send(MockUSDTEthereum::destroyBlackFundsCall { blackListedUser: a })
        .await;
    wait_for(60, "blacklist events indexed", || {
        in_sync(&chain, &token, &store)
    })
    .await;

    let rows = stored(&store).await;
    let events: Vec<&str> = rows.iter().map(|r| r.5.as_str()).collect();
    assert_eq!(
        events,
        ["added", "added", "removed", "funds_destroyed"],
        "{backend:?}: every event in order"
    );
    assert_eq!(
        rows[3].7.as_deref(),
        Some("4000000"),
        "{backend:?}: the burned balance is what A held"
    );
    // The token's supply is what the indexed rows explain: minted minus burned.
    let burned: U256 = rows
        .iter()
        .filter_map(|r| r.7.as_deref())
        .map(|v| U256::from_str(v).unwrap())
        .sum();
    assert_eq!(token.total_supply().await, minted - burned);
    assert!(
        store.all_transfers(CHAIN).await.unwrap().is_empty(),
        "{backend:?}: `watched` still filters transfers"
    );

    // The API: current state per address, the list, one address, pages, CSV, a 400.
    let (listed, last) = api.status_of(a).await;
    assert!(listed);
    assert_eq!(last["event"], "funds_destroyed");
    assert_eq!(last["amount"], "4000000");
    let (listed, last) = api.status_of(c).await;
    assert!(!listed);
    assert_eq!(last["event"], "removed");
    let (listed, last) = api.status_of(d).await;
    assert!(!listed && last.is_null());
    let all = api.json(&format!("/v1/blacklist?chain={CHAIN}")).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    let of_c = api
        .json(&format!("/v1/blacklist?chain={CHAIN}&address={c:#x}"))
        .await;
    assert_eq!(of_c["items"].as_array().unwrap().len(), 2);
    let mut paged = Vec::new();
    let mut after = String::new();
    loop {
        let page = api
            .json(&format!("/v1/blacklist?chain={CHAIN}&limit=3{after}"))
            .await;
        paged.extend(page["items"].as_array().unwrap().clone());
        match page["next"].as_str() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    assert_eq!(&paged, all["items"].as_array().unwrap(), "pages add up");
    let (status, csv) = api
        .get(&format!("/v1/blacklist?chain={CHAIN}&format=csv"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 1 + 4, "header and one line per event");
    let (status, body) = api
        .get(&format!("/v1/blacklist?chain={CHAIN}&address=0x12"))
        .await;
    assert_eq!(status, 400, "{body}");

    // Reorg: the blocks of `removeBlackList(c)` and `destroyBlackFunds(a)` are replaced
    // by one that blacklists d. The store must lose both events and gain d's.
    let head = chain.head().await;
    let _: Value = chain
        .rpc(
            "anvil_reorg",
            json!([
                2,
                [[
                    token.tx(MockUSDTEthereum::addBlackListCall { evilUser: d }),
                    0
                ]]
            ]),
        )
        .await;
    assert_eq!(chain.head().await, head, "same height, other blocks");
    chain.mine(FINALITY + 1).await;
    wait_for(60, "blacklist after the reorg", || {
        in_sync(&chain, &token, &store)
    })
    .await;
    let events: Vec<(String, String)> = stored(&store)
        .await
        .into_iter()
        .map(|r| (r.4, r.5))
        .collect();
    let hex = |x: Address| format!("{x:#x}");
    assert_eq!(
        events,
        [
            (hex(a), "added".to_owned()),
            (hex(c), "added".to_owned()),
            (hex(d), "added".to_owned()),
        ],
        "{backend:?}: rolled back and re-indexed"
    );
    assert!(
        stored(&store).await.iter().all(|r| r.8),
        "all behind the finality line now"
    );
    assert!(api.status_of(c).await.0, "c's removal was reorged out");
    assert_eq!(api.status_of(a).await.1["event"], "added");
    assert_eq!(
        token.total_supply().await,
        minted,
        "nothing burned any more"
    );
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blacklist_events_sqlite() {
    blacklist_events(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blacklist_events_postgres() {
    blacklist_events(BACKENDS[1]).await;
}
