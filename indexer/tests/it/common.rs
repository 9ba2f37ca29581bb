//! Shared test plumbing: a real anvil with the Transfer emitter deployed, and a fresh
//! database per test on SQLite (temp file) or PostgreSQL (uniquely named, dropped after).

use std::{str::FromStr, sync::Arc, time::Duration};

use alloy::{
    primitives::{Address, B256, U256},
    providers::{Provider, RootProvider},
    rpc::types::Filter,
    sol,
    sol_types::SolCall,
};
use serde_json::{Value, json};
use stablerail_demo::Devnet;
use stablerail_indexer::{ChainIndexer, Config, Store, decode::TRANSFER_TOPIC, metrics::Metrics};
use tokio::sync::watch;

sol! {
    function emitMany(uint256 n, uint256 seed, uint256 parties) external;
}

/// Chain name used in test configs.
pub const CHAIN: &str = "anvil";
/// Size of the address pool the emitter draws parties from.
pub const PARTIES: u64 = 12;

/// A local chain with the emitter contract.
pub struct Chain {
    _devnet: Devnet,
    pub provider: RootProvider,
    pub url: String,
    pub dev: Address,
    pub emitter: Address,
}

impl Chain {
    pub async fn start() -> Self {
        let devnet = Devnet::start().expect("the pinned anvil starts");
        let url = devnet.rpc_url();
        let provider = RootProvider::new_http(url.parse().unwrap());
        let dev = devnet.anvil().addresses()[0];
        let mut chain = Self {
            _devnet: devnet,
            provider,
            url,
            dev,
            emitter: Address::ZERO,
        };
        let code = include_str!("../fixtures/TransferEmitter.bin").trim();
        let tx: String = chain
            .rpc(
                "eth_sendTransaction",
                json!([{ "from": dev, "data": format!("0x{code}"), "gas": "0x200000" }]),
            )
            .await;
        let receipt = chain.receipt(&tx).await;
        chain.emitter = Address::from_str(receipt["contractAddress"].as_str().unwrap()).unwrap();
        chain
    }

    pub async fn rpc<T: serde::de::DeserializeOwned>(&self, method: &str, params: Value) -> T {
        let v: Value = self
            .provider
            .raw_request::<_, Value>(method.to_owned().into(), params)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// The transaction object of an `emitMany` call.
    pub fn emit_tx(&self, n: u64, seed: u64) -> Value {
        let data = emitManyCall {
            n: U256::from(n),
            seed: U256::from(seed),
            parties: U256::from(PARTIES),
        }
        .abi_encode();
        json!({
            "from": self.dev,
            "to": self.emitter,
            "data": format!("0x{}", hex::encode(data)),
            "gas": "0x1c9c380",
        })
    }

    /// Waits for a transaction's receipt (anvil mines asynchronously).
    pub async fn receipt(&self, tx: &str) -> Value {
        for _ in 0..400 {
            let r: Value = self.rpc("eth_getTransactionReceipt", json!([tx])).await;
            if !r.is_null() {
                assert_eq!(r["status"], "0x1", "transaction {tx} succeeded");
                return r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no receipt for {tx}");
    }

    /// One block with `n` transfers (anvil automines); returns once it is mined.
    pub async fn emit(&self, n: u64, seed: u64) {
        let tx: String = self
            .rpc("eth_sendTransaction", json!([self.emit_tx(n, seed)]))
            .await;
        self.receipt(&tx).await;
    }

    pub async fn mine(&self, blocks: u64) {
        let _: Value = self
            .rpc("anvil_mine", json!([format!("0x{blocks:x}")]))
            .await;
    }

    pub async fn head(&self) -> u64 {
        self.provider.get_block_number().await.unwrap()
    }

    pub async fn hash_at(&self, n: u64) -> String {
        let b: Value = self
            .rpc("eth_getBlockByNumber", json!([format!("0x{n:x}"), false]))
            .await;
        b["hash"].as_str().unwrap().to_owned()
    }

    /// Every emitter transfer of the current canonical chain, up to `to`, in the store's
    /// row form: (block, log index, block hash, tx, from, to, amount).
    pub async fn canonical(&self, to: u64) -> Vec<Row> {
        let logs = self
            .provider
            .get_logs(
                &Filter::new()
                    .address(self.emitter)
                    .event_signature(TRANSFER_TOPIC)
                    .from_block(0)
                    .to_block(to),
            )
            .await
            .unwrap();
        logs.iter()
            .map(|l| {
                let t = l.topics();
                (
                    l.block_number.unwrap(),
                    l.log_index.unwrap(),
                    format!("{:#x}", l.block_hash.unwrap()),
                    format!("{:#x}", l.transaction_hash.unwrap()),
                    format!("{:#x}", Address::from_word(t[1])),
                    format!("{:#x}", Address::from_word(t[2])),
                    U256::from_be_slice(&l.inner.data.data).to_string(),
                )
            })
            .collect()
    }
}

/// (block, log index, block hash) of every log `address` emitted up to block `to`
/// (only those with topic-0 `topic`, if given), in order.
pub async fn log_keys(
    provider: &impl Provider,
    address: Address,
    topic: Option<B256>,
    to: u64,
) -> Vec<(u64, u64, String)> {
    let mut filter = Filter::new().address(address).from_block(0).to_block(to);
    if let Some(t) = topic {
        filter = filter.event_signature(t);
    }
    provider
        .get_logs(&filter)
        .await
        .unwrap()
        .iter()
        .map(|l| {
            (
                l.block_number.unwrap(),
                l.log_index.unwrap(),
                format!("{:#x}", l.block_hash.unwrap()),
            )
        })
        .collect()
}

pub type Row = (u64, u64, String, String, String, String, String);

/// The store's transfers of [`CHAIN`] as rows comparable with [`Chain::canonical`].
pub async fn stored(store: &Store) -> Vec<Row> {
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
            )
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh database; PostgreSQL ones are dropped when this is dropped.
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
                let url = format!("sqlite:{}", dir.path().join("idx.db").display());
                Self {
                    url,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let name = format!(
                    "sr_idx_test_{}_{}",
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

    pub async fn store(&self) -> Store {
        Store::open(&self.url).await.unwrap()
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

/// The config text of one EVM chain on `chain`; `extra` lines go into the chain section.
pub fn evm_toml(chain: &Chain, db: &TestDb, extra: &str) -> String {
    format!(
        r#"
        database_url = "{}"
        [chains.{CHAIN}]
        kind = "evm"
        rpc_urls = ["{}"]
        usdt = "{:#x}"
        {extra}
        "#,
        db.url, chain.url, chain.emitter
    )
}

/// [`evm_toml`] parsed.
pub fn evm_config(chain: &Chain, db: &TestDb, extra: &str) -> Config {
    Config::parse(&evm_toml(chain, db, extra)).unwrap()
}

/// The tables derived from the escrow's events.
pub const DERIVED_TABLES: [&str; 6] = [
    "escrow_accounts",
    "deals",
    "buy_orders",
    "agent_commissions",
    "daily_volume",
    "escrow_settings",
];

/// Every table indexing writes for a chain: the event tables and every derived table.
pub const TABLES: [&str; 10] = [
    "transfers",
    "token_blacklist",
    "escrow_events",
    "multisig_events",
    DERIVED_TABLES[0],
    DERIVED_TABLES[1],
    DERIVED_TABLES[2],
    DERIVED_TABLES[3],
    DERIVED_TABLES[4],
    DERIVED_TABLES[5],
];

/// Deletes everything indexed for [`CHAIN`] (rows, block window, cursor) so that the
/// next backfill starts from scratch, without a new database.
pub async fn clear_chain(store: &Store) {
    for table in TABLES.iter().chain(&["blocks", "cursors"]) {
        let sql = format!("DELETE FROM {table} WHERE chain = '{CHAIN}'");
        match store {
            Store::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(p)
                .await
                .map(|_| ()),
            Store::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(p)
                .await
                .map(|_| ()),
        }
        .unwrap();
    }
}

/// `got` holds exactly the rows of `want` in each of `tables`, every column.
pub async fn assert_same_rows(got: &Store, want: &Store, tables: &[&str], ctx: &str) {
    for table in tables {
        let (g, w) = (table_rows(got, table).await, table_rows(want, table).await);
        assert_eq!(g.len(), w.len(), "{ctx}: {table} row count");
        assert_eq!(g, w, "{ctx}: {table} rows");
    }
}

/// Every row of `table` for [`CHAIN`], each as its columns' text forms joined by `|`
/// (NULL as `NULL`), sorted: two stores hold the same rows iff these are equal, and a
/// duplicate shows as a repeated line.
pub async fn table_rows(store: &Store, table: &str) -> Vec<String> {
    let row_text = |cols: Vec<String>| {
        let expr = cols
            .iter()
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), 'NULL')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        format!("SELECT {expr} AS r FROM {table} WHERE chain = '{CHAIN}'")
    };
    let mut rows: Vec<String> = match store {
        Store::Sqlite(p) => {
            let cols = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            )))
            .fetch_all(p)
            .await
            .unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(row_text(cols)))
                .fetch_all(p)
                .await
                .unwrap()
        }
        Store::Postgres(p) => {
            let cols = sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(p)
            .await
            .unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(row_text(cols)))
                .fetch_all(p)
                .await
                .unwrap()
        }
    };
    rows.sort();
    rows
}

/// (block, log index, block hash) of every row of an event table (`transfers`,
/// `escrow_events`, `multisig_events`: their first columns), in order.
pub async fn stored_keys(store: &Store, table: &str) -> Vec<(u64, u64, String)> {
    let mut keys: Vec<(u64, u64, String)> = table_rows(store, table)
        .await
        .iter()
        .map(|r| {
            let f: Vec<&str> = r.split('|').collect();
            (
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].to_owned(),
            )
        })
        .collect();
    keys.sort();
    keys
}

/// A [`ChainIndexer`] following the chain (`run`) on a task, as the service runs it.
pub struct Live {
    pub metrics: Arc<Metrics>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Live {
    pub fn start(config: &Config, store: &Store) -> Self {
        let metrics = Arc::new(Metrics::default());
        let indexer = ChainIndexer::new(
            CHAIN,
            config.chain(CHAIN).unwrap(),
            store.clone(),
            metrics.clone(),
        )
        .unwrap();
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(async move { indexer.run(stop_rx).await });
        Self {
            metrics,
            stop,
            task,
        }
    }

    /// Stops the loop and waits for it (at most 10 s).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .unwrap()
            .unwrap();
    }
}

/// Polls until `cond` holds or `secs` pass.
pub async fn wait_for<F, Fut>(secs: u64, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
