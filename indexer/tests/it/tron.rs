//! TRON source against a local HTTP server that serves the full node's documented JSON
//! shapes (`getnowblock`, `getblockbynum`, `gettransactioninfobyblocknum`, `getnodeinfo`)
//! from an in-memory chain the test mutates: a reverted transaction (served as java-tron
//! does: `FAILED`, no logs), foreign logs, Tether's blacklist events, a reorg above the
//! solid block, and the solid block moving (confirmation).

use std::sync::{Arc, Mutex};

use alloy::primitives::{Address, U256, U512, keccak256};
use axum::{Json, Router, extract::State, routing::post};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use stablerail_indexer::{
    Amount, ChainIndexer, Config, Error, Step,
    chain::{parse_tron_address, tron_base58},
    decode::TRANSFER_TOPIC,
    metrics::Metrics,
};
use tokio::sync::watch;

use crate::common::{BACKENDS, Backend, TestDb, wait_for};

const CHAIN: &str = "tron";
const USDT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";

#[derive(Clone)]
struct Log {
    address: Address,
    topics: Vec<[u8; 32]>,
    data: Vec<u8>,
}

#[derive(Clone)]
struct Tx {
    id: String,
    failed: bool,
    logs: Vec<Log>,
}

#[derive(Clone)]
struct Block {
    number: u64,
    id: String,
    parent: String,
    time_ms: i64,
    txs: Vec<Tx>,
}

#[derive(Default)]
struct Node {
    blocks: Vec<Block>,
    solid: u64,
    /// Milliseconds between blocks (0: TRON's 3 s).
    block_ms: i64,
}

/// The first block's time, ms (2023-11-14 22:13:20 UTC).
const GENESIS_MS: i64 = 1_700_000_000_000;

fn h256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn party(i: u64) -> Address {
    Address::from_word(U256::from(0x5000 + i).into())
}

fn transfer_log(token: Address, from: Address, to: Address, amount: U256) -> Log {
    Log {
        address: token,
        topics: vec![TRANSFER_TOPIC.0, from.into_word().0, to.into_word().0],
        data: amount.to_be_bytes::<32>().to_vec(),
    }
}

impl Node {
    /// The time of block `number`, ms.
    fn time_ms(&self, number: u64) -> i64 {
        let step = if self.block_ms == 0 {
            3000
        } else {
            self.block_ms
        };
        GENESIS_MS + number as i64 * step
    }

    /// Appends a block with a few transactions derived from `salt`.
    fn push(&mut self, salt: u64) {
        let token = parse_tron_address(USDT).unwrap();
        let number = self.blocks.len() as u64;
        let parent = self.blocks.last().map_or("00".repeat(32), |b| b.id.clone());
        let digest = h256(&[
            parent.as_bytes(),
            &number.to_be_bytes(),
            &salt.to_be_bytes(),
        ]);
        let mut id = number.to_be_bytes().to_vec();
        id.extend_from_slice(&digest[8..]);
        let mut txs = Vec::new();
        if number > 0 {
            for k in 0..3u64 {
                let tid = hex::encode(h256(&[&digest, &k.to_be_bytes()]));
                let s = salt.wrapping_mul(31).wrapping_add(k);
                let mut logs = vec![transfer_log(
                    token,
                    party(s % 7),
                    party((s / 7) % 7),
                    U256::from(s * 1_000_003),
                )];
                match k {
                    // A second transfer plus a foreign contract's Transfer (ignored).
                    1 => {
                        logs.push(transfer_log(
                            token,
                            party(s % 5),
                            party(s % 3),
                            U256::MAX - U256::from(s),
                        ));
                        logs.insert(
                            0,
                            transfer_log(party(99), party(1), party(2), U256::from(5u8)),
                        );
                    }
                    // A non-Transfer event of the token (ignored), and Tether's
                    // blacklist events: every block lists someone, some clear or burn.
                    2 => {
                        logs.push(Log {
                            address: token,
                            topics: vec![[7u8; 32]],
                            data: vec![],
                        });
                        logs.push(blacklist_log(
                            token,
                            "AddedBlackList(address)",
                            party(s % 7),
                            None,
                        ));
                        match s % 3 {
                            0 => logs.push(blacklist_log(
                                token,
                                "RemovedBlackList(address)",
                                party(s % 5),
                                None,
                            )),
                            1 => logs.push(blacklist_log(
                                token,
                                "DestroyedBlackFunds(address,uint256)",
                                party(s % 7),
                                Some(U256::from(s * 77)),
                            )),
                            _ => {}
                        }
                    }
                    _ => {}
                }
                txs.push(Tx {
                    id: tid,
                    failed: false,
                    logs,
                });
            }
            // A reverted transaction (a transfer that failed): java-tron keeps it in the
            // block and its info, with no logs.
            let fid = hex::encode(h256(&[&digest, b"failed"]));
            txs.push(Tx {
                id: fid,
                failed: true,
                logs: vec![],
            });
        }
        self.blocks.push(Block {
            number,
            id: hex::encode(id),
            parent,
            time_ms: self.time_ms(number),
            txs,
        });
    }

    fn block_json(&self, n: u64) -> Value {
        let Some(b) = self.blocks.get(n as usize) else {
            return json!({});
        };
        json!({
            "blockID": b.id,
            "block_header": {
                "raw_data": { "number": b.number, "txTrieRoot": "00", "witness_address": "41aa",
                              "parentHash": b.parent, "version": 30, "timestamp": b.time_ms },
                "witness_signature": "ff"
            },
            "transactions": b.txs.iter().map(|t| json!({
                "ret": [{ "contractRet": if t.failed { "REVERT" } else { "SUCCESS" } }],
                "txID": t.id,
                "raw_data": {}
            })).collect::<Vec<_>>()
        })
    }

    fn infos_json(&self, n: u64) -> Value {
        let Some(b) = self.blocks.get(n as usize) else {
            return json!([]);
        };
        Value::Array(
            b.txs
                .iter()
                .map(|t| {
                    let mut v = json!({
                        "id": t.id,
                        "fee": 100,
                        "blockNumber": b.number,
                        "blockTimeStamp": b.time_ms,
                        "contractResult": [""],
                        "receipt": { "energy_usage_total": 64285, "result": if t.failed { "REVERT" } else { "SUCCESS" } },
                    });
                    // Like java-tron: `log` only when there are logs (never on a revert).
                    if !t.logs.is_empty() {
                        v["log"] = json!(t.logs.iter().map(|l| json!({
                            "address": hex::encode(l.address),
                            "topics": l.topics.iter().map(hex::encode).collect::<Vec<_>>(),
                            "data": hex::encode(&l.data),
                        })).collect::<Vec<_>>());
                    }
                    if t.failed {
                        // An `Error(string)` revert reason, as the node returns it.
                        v["result"] = json!("FAILED");
                        v["resMessage"] = json!(hex::encode("REVERT opcode executed"));
                        v["contractResult"] = json!(["08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000154e6f7420656e6f7567682062616c616e636500000000000000000000000000"]);
                    }
                    v
                })
                .collect(),
        )
    }

    /// What the indexer must store: (block, log index, block id, tx, from, to, amount, confirmed).
    fn expected(&self, upto: u64) -> Vec<TronRow> {
        let token = parse_tron_address(USDT).unwrap();
        let mut out = Vec::new();
        for b in self.blocks.iter().filter(|b| b.number <= upto) {
            let mut idx = 0u64;
            for t in b.txs.iter().filter(|t| !t.failed) {
                for l in &t.logs {
                    let i = idx;
                    idx += 1;
                    if l.address != token || l.topics[0] != TRANSFER_TOPIC.0 {
                        continue;
                    }
                    out.push((
                        b.number,
                        i,
                        b.id.clone(),
                        t.id.clone(),
                        tron_base58(&Address::from_word(l.topics[1].into())),
                        tron_base58(&Address::from_word(l.topics[2].into())),
                        U256::from_be_slice(&l.data).to_string(),
                        b.number <= self.solid,
                    ));
                }
            }
        }
        out
    }

    /// The blacklist events the indexer must store, decoded here by hand from the
    /// served logs: (block, log index, tx, address, event, blacklisted, amount, confirmed).
    fn expected_blacklist(&self, upto: u64) -> Vec<BlacklistRow> {
        let token = parse_tron_address(USDT).unwrap();
        let mut out = Vec::new();
        for b in self.blocks.iter().filter(|b| b.number <= upto) {
            let mut idx = 0u64;
            for t in b.txs.iter().filter(|t| !t.failed) {
                for l in &t.logs {
                    let i = idx;
                    idx += 1;
                    let event = [
                        ("AddedBlackList(address)", "added"),
                        ("RemovedBlackList(address)", "removed"),
                        ("DestroyedBlackFunds(address,uint256)", "funds_destroyed"),
                    ]
                    .into_iter()
                    .find(|(sig, _)| keccak256(sig).0 == l.topics[0]);
                    let (Some((_, event)), true) = (event, l.address == token) else {
                        continue;
                    };
                    let who = Address::from_slice(&l.data[12..32]);
                    let amount = (l.data.len() == 64)
                        .then(|| U256::from_be_slice(&l.data[32..]).to_string());
                    out.push((
                        b.number,
                        i,
                        t.id.clone(),
                        tron_base58(&who),
                        event.to_owned(),
                        event != "removed",
                        amount,
                        b.number <= self.solid,
                    ));
                }
            }
        }
        out
    }

    /// The ids of the reverted transactions up to `upto`.
    fn failed_txs(&self, upto: u64) -> Vec<String> {
        self.blocks
            .iter()
            .filter(|b| b.number <= upto)
            .flat_map(|b| b.txs.iter().filter(|t| t.failed).map(|t| t.id.clone()))
            .collect()
    }
}

/// A Tether blacklist event: every parameter in the data, none indexed.
fn blacklist_log(token: Address, signature: &str, who: Address, amount: Option<U256>) -> Log {
    let mut data = who.into_word().to_vec();
    if let Some(a) = amount {
        data.extend_from_slice(&a.to_be_bytes::<32>());
    }
    Log {
        address: token,
        topics: vec![keccak256(signature).0],
        data,
    }
}

/// (block, log index, tx, address, event, blacklisted, amount, confirmed).
type BlacklistRow = (u64, u64, String, String, String, bool, Option<String>, bool);

async fn stored_blacklist(store: &stablerail_indexer::Store) -> Vec<BlacklistRow> {
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

type Shared = Arc<Mutex<Node>>;
/// (block, log index, block id, tx, from, to, amount, confirmed).
type TronRow = (u64, u64, String, String, String, String, String, bool);

fn num(body: &Value) -> u64 {
    body["num"].as_u64().unwrap_or(u64::MAX)
}

async fn serve(node: Shared) -> String {
    let app = Router::new()
        .route(
            "/wallet/getnowblock",
            post(|State(n): State<Shared>| async move {
                let n = n.lock().unwrap();
                Json(n.block_json(n.blocks.len() as u64 - 1))
            }),
        )
        .route(
            "/wallet/getblockbynum",
            post(|State(n): State<Shared>, Json(b): Json<Value>| async move {
                Json(n.lock().unwrap().block_json(num(&b)))
            }),
        )
        .route(
            "/wallet/gettransactioninfobyblocknum",
            post(|State(n): State<Shared>, Json(b): Json<Value>| async move {
                Json(n.lock().unwrap().infos_json(num(&b)))
            }),
        )
        .route(
            "/wallet/getnodeinfo",
            post(|State(n): State<Shared>| async move {
                let n = n.lock().unwrap();
                let head = n.blocks.last().unwrap();
                let solid = &n.blocks[n.solid as usize];
                Json(json!({
                    "beginSyncNum": 0,
                    "block": format!("Num:{},ID:{}", head.number, head.id),
                    "solidityBlock": format!("Num:{},ID:{}", solid.number, solid.id),
                    "currentConnectCount": 1
                }))
            }),
        )
        .with_state(node);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn stored(store: &stablerail_indexer::Store) -> Vec<TronRow> {
    store
        .all_transfers(CHAIN)
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            (
                t.block_number,
                t.log_index,
                t.block_hash,
                t.tx_hash,
                t.from,
                t.to,
                t.amount,
                t.confirmed,
            )
        })
        .collect()
}

async fn tron_follow_reorg_and_confirm(backend: Backend) {
    let node: Shared = Arc::default();
    {
        let mut n = node.lock().unwrap();
        for i in 0..=12 {
            n.push(i);
        }
        n.solid = 6;
    }
    let url = serve(node.clone()).await;
    let db = TestDb::new(backend).await;
    let config = Config::parse(&format!(
        r#"
        database_url = "{}"
        [chains.{CHAIN}]
        kind = "tron"
        rpc_urls = ["{url}"]
        usdt = "{USDT}"
        start_block = 1
        head_lag = 0
        poll_interval_ms = 20
        initial_range = 4
        "#,
        db.url
    ))
    .unwrap();
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

    let in_sync = |label: &'static str| {
        let node = node.clone();
        let store = store.clone();
        async move {
            wait_for(30, label, || {
                let node = node.clone();
                let store = store.clone();
                async move {
                    let (expected, blacklist) = {
                        let n = node.lock().unwrap();
                        let head = n.blocks.len() as u64 - 1;
                        (n.expected(head), n.expected_blacklist(head))
                    };
                    stored(&store).await == expected && stored_blacklist(&store).await == blacklist
                }
            })
            .await;
        }
    };
    in_sync("initial sync").await;
    let rows = stored(&store).await;
    assert_eq!(
        rows.len(),
        12 * 4,
        "4 token transfers per block (failed tx and foreign logs ignored)"
    );
    assert!(
        rows.iter()
            .all(|r| r.4.starts_with('T') && r.5.starts_with('T')),
        "base58 addresses"
    );
    assert!(
        rows.iter().any(|r| r.6.len() == 78),
        "amounts near 2^256 kept exactly"
    );
    let failed = node.lock().unwrap().failed_txs(12);
    assert_eq!(failed.len(), 12, "a reverted transaction in every block");
    assert!(
        rows.iter().all(|r| !failed.contains(&r.3)),
        "nothing indexed from a reverted transaction"
    );
    let blacklist = stored_blacklist(&store).await;
    let count = |e: &str| blacklist.iter().filter(|r| r.4 == e).count();
    assert_eq!(count("added"), 12, "one listing per block");
    assert!(count("removed") > 0 && count("funds_destroyed") > 0);
    assert!(blacklist.iter().all(|r| r.3.starts_with('T')), "base58");
    let before_reorg = blacklist;

    // Reorg of the 4 blocks above the solid line's neighbourhood (9..=12), plus a new block.
    {
        let mut n = node.lock().unwrap();
        n.blocks.truncate(9);
        for i in 0..5 {
            n.push(1000 + i);
        }
    }
    in_sync("sync after reorg").await;
    assert!(metrics.reorgs(CHAIN) >= 1, "the reorg was detected");
    assert_ne!(
        stored_blacklist(&store).await[..],
        before_reorg[..],
        "the replaced blocks' blacklist events are gone, the new ones stored"
    );

    // The solid block moves up: rows behind it become confirmed.
    node.lock().unwrap().solid = 11;
    in_sync("confirmation after the solid block moved").await;
    let _ = stop_tx.send(true);
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_sqlite() {
    tron_follow_reorg_and_confirm(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_postgres() {
    tron_follow_reorg_and_confirm(BACKENDS[1]).await;
}

fn log_of(address: Address, data: alloy::primitives::LogData) -> Log {
    Log {
        address,
        topics: data.topics().iter().map(|t| t.0).collect(),
        data: data.data.to_vec(),
    }
}

impl Node {
    /// Appends a block with one transaction carrying `logs`.
    fn push_logs(&mut self, logs: Vec<Log>) {
        let number = self.blocks.len() as u64;
        let parent = self.blocks.last().map_or("00".repeat(32), |b| b.id.clone());
        let digest = h256(&[parent.as_bytes(), &number.to_be_bytes(), b"escrow"]);
        let mut id = number.to_be_bytes().to_vec();
        id.extend_from_slice(&digest[8..]);
        self.blocks.push(Block {
            number,
            id: hex::encode(id),
            parent,
            time_ms: self.time_ms(number),
            txs: vec![Tx {
                id: hex::encode(h256(&[&digest, b"tx"])),
                failed: false,
                logs,
            }],
        });
    }
}

/// Escrow and multisig events in TRON transaction infos (20-byte log addresses) are
/// decoded, stored with base58 addresses, and derive the accounts and the deal.
async fn tron_escrow(backend: Backend) {
    use alloy::{primitives::B256, sol_types::SolEvent};
    use stablerail_indexer::events::{Escrow, IEscrow, MultiSig};

    let escrow = party(200);
    let multisig = party(201);
    let (acceptor, merchant, agent) = (party(1), party(2), party(3));
    let ev = |e: &dyn Fn() -> alloy::primitives::LogData| log_of(escrow, e());
    let node: Shared = Arc::default();
    {
        let mut n = node.lock().unwrap();
        n.push(0);
        n.push_logs(vec![
            log_of(
                multisig,
                MultiSig::OwnerAdded { owner: party(9) }.encode_log_data(),
            ),
            ev(&|| {
                Escrow::TreasurySet {
                    previous: Address::ZERO,
                    current: multisig,
                }
                .encode_log_data()
            }),
        ]);
        n.push_logs(vec![
            ev(&|| Escrow::AgentSet { merchant, agent }.encode_log_data()),
            ev(&|| {
                Escrow::Deposited {
                    account: acceptor,
                    amount: U256::from(1_000u64),
                }
                .encode_log_data()
            }),
            ev(&|| {
                Escrow::DealOpened {
                    dealId: U256::from(1u8),
                    kind: 1,
                    seller: acceptor,
                    buyer: merchant,
                    merchant,
                    amount: U256::from(400u64),
                    paymentWindow: 600,
                    deadline: 1_700_000_600,
                    orderRef: B256::repeat_byte(3),
                    rates: IEscrow::Rates {
                        feeBps: 200,
                        agent,
                        agentShareBps: 2500,
                        rewardBps: 0,
                    },
                }
                .encode_log_data()
            }),
        ]);
        n.push_logs(vec![
            ev(&|| {
                Escrow::DealMarkedPaid {
                    dealId: U256::from(1u8),
                    by: merchant,
                }
                .encode_log_data()
            }),
            ev(&|| {
                Escrow::DealReleased {
                    dealId: U256::from(1u8),
                    seller: acceptor,
                    buyer: merchant,
                    settlement: IEscrow::Settlement {
                        kind: 1,
                        merchant,
                        agent,
                        amount: U256::from(400u64),
                        buyerNet: U256::from(392u64),
                        fee: U256::from(8u64),
                        agentCut: U256::from(2u64),
                        reward: U256::ZERO,
                        platform: U256::from(6u64),
                    },
                }
                .encode_log_data()
            }),
            ev(&|| {
                Escrow::Withdrawn {
                    account: acceptor,
                    to: acceptor,
                    amount: U256::from(100u64),
                }
                .encode_log_data()
            }),
        ]);
        n.solid = 1;
    }
    let url = serve(node.clone()).await;
    let db = TestDb::new(backend).await;
    let config = Config::parse(&format!(
        r#"
        database_url = "{}"
        [chains.{CHAIN}]
        kind = "tron"
        rpc_urls = ["{url}"]
        usdt = "{USDT}"
        escrow = "{}"
        multisig = "{}"
        head_lag = 0
        initial_range = 2
        "#,
        db.url,
        tron_base58(&escrow),
        tron_base58(&multisig),
    ))
    .unwrap();
    let store = db.store().await;
    let indexer = ChainIndexer::new(
        CHAIN,
        config.chain(CHAIN).unwrap(),
        store.clone(),
        Arc::new(Metrics::default()),
    )
    .unwrap();
    indexer.backfill(0, 3, |_| {}).await.unwrap();

    assert_eq!(store.event_counts(CHAIN).await.unwrap(), (7, 1));
    let b58 = |a: Address| tron_base58(&a);
    let balance = |a: Address| {
        let store = store.clone();
        async move {
            let acct = store
                .escrow_account(CHAIN, &tron_base58(&a))
                .await
                .unwrap()
                .unwrap();
            (acct.available, acct.locked)
        }
    };
    let units = |available: u64, locked: u64| (Amount::from(available), Amount::from(locked));
    assert_eq!(balance(acceptor).await, units(500, 0));
    assert_eq!(balance(merchant).await, units(392, 0));
    assert_eq!(balance(agent).await, units(2, 0));
    assert_eq!(balance(multisig).await, units(6, 0));
    let m = store
        .escrow_account(CHAIN, &b58(merchant))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.agent, Some(b58(agent)));
    assert_eq!(m.merchant_volume, 400u64);
    let deal = store.deal(CHAIN, 1).await.unwrap().unwrap();
    assert_eq!(
        (deal.kind.as_str(), deal.state.as_str(), deal.seller.clone()),
        ("collection", "released", b58(acceptor))
    );
    assert_eq!(deal.platform, Some(Amount::from(6u64)));
    let events = store.deal_events(CHAIN, 1).await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].fields["settlement"]["agent"], json!(b58(agent)));
    assert!(
        events[0].fields["seller"]
            .as_str()
            .unwrap()
            .starts_with('T')
    );
    assert!(events.iter().all(|e| e.tx_hash.len() == 64));
    let (n, total) = store
        .agent_commission_total(CHAIN, &b58(agent))
        .await
        .unwrap();
    assert_eq!((n, total), (1, Amount::from(2u64)));
    assert_eq!(
        store.escrow_settings(CHAIN).await.unwrap().treasury,
        Some(b58(multisig))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_escrow_events_sqlite() {
    tron_escrow(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_escrow_events_postgres() {
    tron_escrow(BACKENDS[1]).await;
}

fn tron_config(url: &str, db: &TestDb) -> Config {
    Config::parse(&format!(
        r#"
        database_url = "{}"
        [chains.{CHAIN}]
        kind = "tron"
        rpc_urls = ["{url}"]
        usdt = "{USDT}"
        head_lag = 0
        poll_interval_ms = 20
        initial_range = 4
        "#,
        db.url
    ))
    .unwrap()
}

/// A node behind the cursor (lagging: same blocks, fewer of them) is waited for and
/// never taken for a reorg; a reorg deeper than the stored window (from below the
/// solid block) stops the chain with `ReorgTooDeep` and leaves the store untouched.
async fn tron_lagging_and_too_deep(backend: Backend) {
    let node: Shared = Arc::default();
    {
        let mut n = node.lock().unwrap();
        for i in 0..=12 {
            n.push(i);
        }
        n.solid = 6;
    }
    let url = serve(node.clone()).await;
    let db = TestDb::new(backend).await;
    let config = tron_config(&url, &db);
    let store = db.store().await;
    let metrics = Arc::new(Metrics::default());
    let indexer = ChainIndexer::new(
        CHAIN,
        config.chain(CHAIN).unwrap(),
        store.clone(),
        metrics.clone(),
    )
    .unwrap();
    indexer.backfill(1, 12, |_| {}).await.unwrap();
    let rows = stored(&store).await;
    assert_eq!(rows, node.lock().unwrap().expected(12));
    let cursor = store.cursor(CHAIN).await.unwrap().unwrap();
    assert_eq!(cursor.block_number, 12);

    // Lagging: the node loses its top 4 blocks; what it still has is unchanged.
    let lost = node.lock().unwrap().blocks.split_off(9);
    for _ in 0..3 {
        assert_eq!(indexer.step(1, None).await.unwrap(), Step::Idle);
    }
    assert_eq!(metrics.reorgs(CHAIN), 0, "a lagging node is not a reorg");
    assert_eq!(stored(&store).await, rows, "nothing rolled back");
    assert_eq!(
        store.cursor(CHAIN).await.unwrap().unwrap().block_hash,
        cursor.block_hash
    );
    // The node catches up (the same blocks) and grows: indexing simply continues.
    {
        let mut n = node.lock().unwrap();
        n.blocks.extend(lost);
        n.push(13);
    }
    indexer.backfill(1, 13, |_| {}).await.unwrap();
    assert_eq!(metrics.reorgs(CHAIN), 0, "never taken for a reorg");
    assert_eq!(stored(&store).await, node.lock().unwrap().expected(13));

    // Too deep: every block from 5 up replaced, below the solid block 6 the window
    // starts at.
    let lowest_kept = store.window(CHAIN).await.unwrap().last().unwrap().number;
    assert_eq!(lowest_kept, 6, "the window keeps the solid block and above");
    {
        let mut n = node.lock().unwrap();
        n.blocks.truncate(5);
        for i in 0..10 {
            n.push(500 + i);
        }
    }
    let before = (stored(&store).await, store.cursor(CHAIN).await.unwrap());
    let err = indexer.backfill(1, 14, |_| {}).await.unwrap_err();
    assert!(
        matches!(err, Error::ReorgTooDeep { lowest: 6, .. }),
        "backfill stops with ReorgTooDeep: {err}"
    );
    let err = indexer.step(1, None).await.unwrap_err();
    assert!(
        matches!(err, Error::ReorgTooDeep { .. }),
        "and so does every later step: {err}"
    );
    assert_eq!(
        (stored(&store).await, store.cursor(CHAIN).await.unwrap()),
        before,
        "the store is left as it was for an operator"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_lagging_and_too_deep_sqlite() {
    tron_lagging_and_too_deep(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_lagging_and_too_deep_postgres() {
    tron_lagging_and_too_deep(BACKENDS[1]).await;
}

/// `block_time` is the block header's time (ms → s), and the daily volume buckets are
/// UTC days: 7-hour blocks over four days, checked against sums made here, for the
/// whole chain, one address and a time window.
async fn tron_block_time_and_daily_buckets(backend: Backend) {
    let node: Shared = Arc::default();
    {
        let mut n = node.lock().unwrap();
        n.block_ms = 7 * 3_600_000;
        for i in 0..=12 {
            n.push(i);
        }
        n.solid = 12;
    }
    let url = serve(node.clone()).await;
    let db = TestDb::new(backend).await;
    let config = tron_config(&url, &db);
    let store = db.store().await;
    let indexer = ChainIndexer::new(
        CHAIN,
        config.chain(CHAIN).unwrap(),
        store.clone(),
        Arc::new(Metrics::default()),
    )
    .unwrap();
    indexer.backfill(1, 12, |_| {}).await.unwrap();
    let times: Vec<(u64, i64)> = {
        let n = node.lock().unwrap();
        n.blocks.iter().map(|b| (b.number, b.time_ms)).collect()
    };
    let transfers = store.all_transfers(CHAIN).await.unwrap();
    assert_eq!(transfers.len(), 12 * 4);
    for t in &transfers {
        assert_eq!(
            t.block_time * 1000,
            times[t.block_number as usize].1,
            "block_time of block {}",
            t.block_number
        );
    }
    // Sums per UTC day, made here from the rows (days start at multiples of 86400 s).
    let by_day = |keep: &dyn Fn(&stablerail_indexer::store::TransferRecord) -> bool| {
        let mut days: std::collections::BTreeMap<i64, (u64, U512)> = Default::default();
        for t in transfers.iter().filter(|t| keep(t)) {
            let e = days
                .entry(t.block_time - t.block_time.rem_euclid(86_400))
                .or_default();
            e.0 += 1;
            e.1 += U512::from_str_radix(&t.amount, 10).unwrap();
        }
        days.into_iter()
            .map(|(d, (c, a))| (d, c, a.to_string()))
            .collect::<Vec<_>>()
    };
    let got = |v: Vec<stablerail_indexer::store::DailyVolume>| {
        v.into_iter()
            .map(|d| (d.day, d.count, d.amount))
            .collect::<Vec<_>>()
    };
    let all = got(store.daily_volume(CHAIN, None, None, None).await.unwrap());
    assert_eq!(all, by_day(&|_| true));
    assert!(all.len() >= 4, "the blocks span four UTC days: {all:?}");
    assert!(
        all.iter().all(|(d, _, _)| d % 86_400 == 0),
        "buckets start at midnight UTC"
    );
    let who = tron_base58(&party(3));
    assert_eq!(
        got(store
            .daily_volume(CHAIN, Some(&who), None, None)
            .await
            .unwrap()),
        by_day(&|t| t.from == who || t.to == who)
    );
    let (from, to) = (times[3].1 / 1000, times[8].1 / 1000);
    assert_eq!(
        got(store
            .daily_volume(CHAIN, None, Some(from), Some(to))
            .await
            .unwrap()),
        by_day(&|t| t.block_time >= from && t.block_time <= to),
        "a time window is inclusive at both ends"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_block_time_and_daily_buckets_sqlite() {
    tron_block_time_and_daily_buckets(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_block_time_and_daily_buckets_postgres() {
    tron_block_time_and_daily_buckets(BACKENDS[1]).await;
}

/// The escrow's settled volume per hour and per UTC day, bucketed by the block time of
/// each release: three deals released 25-minute blocks apart across an hour and a day
/// boundary, against buckets computed here.
async fn tron_settled_volume_buckets(backend: Backend) {
    use alloy::{primitives::B256, sol_types::SolEvent};
    use stablerail_indexer::events::{Escrow, IEscrow};

    let escrow = party(200);
    let treasury = party(201);
    let (acceptor, merchant) = (party(1), party(2));
    let ev = |data: alloy::primitives::LogData| log_of(escrow, data);
    let opened = |id: u8, amount: u64| {
        ev(Escrow::DealOpened {
            dealId: U256::from(id),
            kind: 1,
            seller: acceptor,
            buyer: merchant,
            merchant,
            amount: U256::from(amount),
            paymentWindow: 600,
            deadline: 1_800_000_000,
            orderRef: B256::repeat_byte(id),
            rates: IEscrow::Rates {
                feeBps: 200,
                agent: Address::ZERO,
                agentShareBps: 0,
                rewardBps: 0,
            },
        }
        .encode_log_data())
    };
    // 2 % fee, no agent, no reward: the platform keeps the whole fee.
    let released = |id: u8, amount: u64| {
        let fee = amount / 50;
        ev(Escrow::DealReleased {
            dealId: U256::from(id),
            seller: acceptor,
            buyer: merchant,
            settlement: IEscrow::Settlement {
                kind: 1,
                merchant,
                agent: Address::ZERO,
                amount: U256::from(amount),
                buyerNet: U256::from(amount - fee),
                fee: U256::from(fee),
                agentCut: U256::ZERO,
                reward: U256::ZERO,
                platform: U256::from(fee),
            },
        }
        .encode_log_data())
    };
    let deals = [(1u8, 400u64, 3u64), (2, 100, 6), (3, 50, 9)]; // (id, amount, release block)
    let node: Shared = Arc::default();
    {
        let mut n = node.lock().unwrap();
        n.block_ms = 25 * 60_000;
        n.push(0);
        n.push_logs(vec![
            ev(Escrow::TreasurySet {
                previous: Address::ZERO,
                current: treasury,
            }
            .encode_log_data()),
            ev(Escrow::Deposited {
                account: acceptor,
                amount: U256::from(1_000u64),
            }
            .encode_log_data()),
        ]);
        for (id, amount, at) in deals {
            while (n.blocks.len() as u64) < at - 1 {
                n.push_logs(vec![]);
            }
            n.push_logs(vec![opened(id, amount)]);
            n.push_logs(vec![released(id, amount)]);
        }
        n.solid = n.blocks.len() as u64 - 1;
    }
    let head = node.lock().unwrap().blocks.len() as u64 - 1;
    let url = serve(node.clone()).await;
    let db = TestDb::new(backend).await;
    let config = Config::parse(&format!(
        r#"
        database_url = "{}"
        [chains.{CHAIN}]
        kind = "tron"
        rpc_urls = ["{url}"]
        usdt = "{USDT}"
        escrow = "{}"
        head_lag = 0
        initial_range = 3
        "#,
        db.url,
        tron_base58(&escrow),
    ))
    .unwrap();
    let store = db.store().await;
    let indexer = ChainIndexer::new(
        CHAIN,
        config.chain(CHAIN).unwrap(),
        store.clone(),
        Arc::new(Metrics::default()),
    )
    .unwrap();
    indexer.backfill(0, head, |_| {}).await.unwrap();

    let release_times: Vec<(i64, u64)> = {
        let n = node.lock().unwrap();
        deals
            .iter()
            .map(|(_, amount, at)| (n.time_ms(*at) / 1000, *amount))
            .collect()
    };
    let buckets = |width: i64| {
        let mut out: std::collections::BTreeMap<i64, (u64, u64, u64)> = Default::default();
        for (t, amount) in &release_times {
            let e = out.entry(t - t.rem_euclid(width)).or_default();
            e.0 += 1;
            e.1 += amount;
            e.2 += amount / 50;
        }
        out.into_iter()
            .map(|(s, (c, a, f))| (s, c, Amount::from(a), Amount::from(f)))
            .collect::<Vec<_>>()
    };
    let got = |v: Vec<stablerail_indexer::store::VolumeBucket>| {
        v.into_iter()
            .map(|b| (b.start, b.count, b.amount, b.fees))
            .collect::<Vec<_>>()
    };
    let hourly = got(store.settled_volume(CHAIN, 3600, None, None).await.unwrap());
    let daily = got(store
        .settled_volume(CHAIN, 86_400, None, None)
        .await
        .unwrap());
    assert_eq!(hourly, buckets(3600));
    assert_eq!(daily, buckets(86_400));
    assert_eq!(hourly.len(), 3, "three releases in three hours: {hourly:?}");
    assert_eq!(daily.len(), 2, "across one UTC midnight: {daily:?}");
    let deal = store.deal(CHAIN, 2).await.unwrap().unwrap();
    assert_eq!(
        deal.closed_time,
        Some(release_times[1].0),
        "closed at the release block's time"
    );
    // A time window keeps the releases inside it, ends included.
    let (from, to) = (release_times[1].0, release_times[2].0);
    let windowed = got(store
        .settled_volume(CHAIN, 86_400, Some(from), Some(to))
        .await
        .unwrap());
    assert_eq!(windowed.len(), 1);
    assert_eq!(windowed[0].1, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_settled_volume_buckets_sqlite() {
    tron_settled_volume_buckets(BACKENDS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_settled_volume_buckets_postgres() {
    tron_settled_volume_buckets(BACKENDS[1]).await;
}
