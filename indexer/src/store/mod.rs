//! Store: the same schema and operations over SQLite (embedded default) and PostgreSQL.
//!
//! Every write that changes what a chain's cursor means happens in one database
//! transaction: [`Store::commit_batch`] (rows + block window + cursor) and
//! [`Store::rollback`] (delete above the common ancestor, replay the derived escrow
//! tables from the remaining events, rewind the cursor). A crash
//! at any instant therefore leaves either the state before or after the batch.

mod api_keys;
mod backend;
pub mod blacklist;
mod chain_write;
pub mod derived;
mod escrow_read;
mod escrow_rows;
mod escrow_write;
mod native;
mod pg_copy;
mod transfer_read;

use std::str::FromStr;

use sqlx::{
    PgPool, SqlitePool, postgres::PgPoolOptions, sqlite::SqliteConnectOptions,
    sqlite::SqlitePoolOptions,
};

use crate::{
    decode::{BlacklistEventRow, Transfer},
    error::{Error, Result},
    events::{EscrowEventRow, MultisigEventRow},
};

pub use blacklist::{BlacklistQuery, BlacklistRecord};
pub use derived::{AgentCommission, BuyOrder, Deal, EscrowAccount, EscrowSettings, MerchantDay};
pub use escrow_read::{DealQuery, EscrowEventRecord, VolumeBucket};

/// A block header as kept in the reorg window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRow {
    /// Height.
    pub number: u64,
    /// Hash (text form of the chain).
    pub hash: String,
    /// Parent hash (text form of the chain).
    pub parent_hash: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
}

/// A source's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The chain's name.
    pub chain: String,
    /// Last block whose rows are all stored.
    pub block_number: u64,
    /// Its hash.
    pub block_hash: String,
    /// The node's head when last polled.
    pub head_number: u64,
    /// The finality line when last polled.
    pub finalized_number: u64,
    /// Unix seconds of the last update.
    pub updated_at: i64,
}

/// Everything one block range adds, committed atomically.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The chain.
    pub chain: String,
    /// The cursor this batch continues from (`None`: first batch). The commit fails if
    /// the stored cursor moved meanwhile (another writer), so nothing is written twice.
    pub expected_cursor: Option<u64>,
    /// Headers to keep in the reorg window (ascending).
    pub blocks: Vec<BlockRow>,
    /// Transfers of the range, in (block, log index) order.
    pub transfers: Vec<Transfer>,
    /// Escrow events of the range, in (block, log index) order; the derived tables are
    /// updated from them in the same transaction.
    pub escrow_events: Vec<EscrowEventRow>,
    /// Multisig events of the range, in (block, log index) order.
    pub multisig_events: Vec<MultisigEventRow>,
    /// The token's blacklist events of the range, in (block, log index) order.
    pub blacklist: Vec<BlacklistEventRow>,
    /// The last block of the range: the new cursor.
    pub last: BlockRow,
    /// The node's head.
    pub head: u64,
    /// Highest final block: rows at or below it are `confirmed`.
    pub finalized: u64,
}

/// A stored transfer as read back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TransferRecord {
    /// The chain's name.
    pub chain: String,
    /// Block height.
    pub block_number: u64,
    /// Log index in the block.
    pub log_index: u64,
    /// Block hash.
    pub block_hash: String,
    /// Block time, Unix seconds.
    pub block_time: i64,
    /// Transaction hash.
    pub tx_hash: String,
    /// Token contract.
    pub token: String,
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// Exact amount in the token's smallest unit (decimal string).
    pub amount: String,
    /// Behind the finality line.
    pub confirmed: bool,
}

/// Filters for listing transfers; results are in (block, log index) order.
#[derive(Debug, Clone, Default)]
pub struct TransferQuery {
    /// The chain (required: addresses and hashes are chain-specific).
    pub chain: String,
    /// Sender or recipient (already normalized).
    pub address: Option<String>,
    /// Transaction hash (already normalized).
    pub tx_hash: Option<String>,
    /// Lowest block, inclusive.
    pub from_block: Option<u64>,
    /// Highest block, inclusive.
    pub to_block: Option<u64>,
    /// Earliest block time, inclusive.
    pub from_time: Option<i64>,
    /// Latest block time, inclusive.
    pub to_time: Option<i64>,
    /// Keyset: only rows strictly after this (block, log index).
    pub after: Option<(u64, u64)>,
    /// Page size.
    pub limit: u32,
}

/// In/out totals of one address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AddressSummary {
    /// The chain.
    pub chain: String,
    /// The address.
    pub address: String,
    /// Transfers received.
    pub in_count: u64,
    /// Total received (exact decimal).
    pub in_amount: String,
    /// Transfers sent.
    pub out_count: u64,
    /// Total sent (exact decimal).
    pub out_amount: String,
    /// Distinct counterparties.
    pub counterparties: u64,
    /// Time of the first transfer, Unix seconds.
    pub first_seen: Option<i64>,
    /// Time of the last transfer, Unix seconds.
    pub last_seen: Option<i64>,
}

/// Volume of one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DailyVolume {
    /// Start of the day, Unix seconds.
    pub day: i64,
    /// Number of transfers.
    pub count: u64,
    /// Total amount (exact decimal).
    pub amount: String,
}

/// One API key's metadata (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Id (for `api-key revoke`).
    pub id: i64,
    /// Label.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, if revoked.
    pub revoked_at: Option<i64>,
}

/// Ownership of a chain among processes sharing a PostgreSQL database: held while the
/// value lives (a session advisory lock on a dedicated connection). A second process
/// asking for the same chain waits: a hot standby. SQLite holds no lock (one process
/// per file; the cursor check in `commit_batch` still refuses a concurrent writer).
#[derive(Debug)]
pub struct ChainLock {
    _conn: Option<sqlx::PgConnection>,
}

/// Calls a concern's function (`backend.rs`) on the store's backend.
macro_rules! on_backend {
    ($store:expr, $concern:ident :: $f:ident ( $($arg:expr),* )) => {
        match $store {
            Store::Sqlite(p) => backend::sqlite::$concern::$f(p, $($arg),*).await,
            Store::Postgres(p) => backend::postgres::$concern::$f(p, $($arg),*).await,
        }
    };
}

/// The database behind the indexer.
#[derive(Debug, Clone)]
pub enum Store {
    /// Embedded SQLite file.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(crate) fn to_i64(v: u64, what: &'static str) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::CorruptRow {
        table: what,
        reason: format!("{v} does not fit a signed 64-bit column"),
    })
}

pub(crate) fn to_u64(v: i64, what: &'static str) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::CorruptRow {
        table: what,
        reason: format!("negative value {v}"),
    })
}

impl Store {
    /// Opens (and for SQLite creates) the database. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(30));
            let max = if url.contains(":memory:") { 1 } else { 4 };
            let pool = SqlitePoolOptions::new()
                .max_connections(max)
                .connect_with(opts)
                .await?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
            Ok(Self::Postgres(pool))
        } else {
            let shown = url.split('@').next_back().unwrap_or_default().to_owned();
            Err(Error::DatabaseScheme { url: shown })
        }
    }

    /// Opens and migrates.
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Self::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Self::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Waits until this process owns `chain` (PostgreSQL advisory lock).
    pub async fn lock_chain(&self, chain: &str) -> Result<ChainLock> {
        match self {
            Self::Sqlite(_) => Ok(ChainLock { _conn: None }),
            Self::Postgres(p) => {
                let mut conn = p.acquire().await?.detach();
                sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
                    .bind(format!("stablerail-indexer-owner:{chain}"))
                    .execute(&mut conn)
                    .await?;
                Ok(ChainLock { _conn: Some(conn) })
            }
        }
    }

    /// Backend name for logs and metrics.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// The cursor of a chain.
    pub async fn cursor(&self, chain: &str) -> Result<Option<Cursor>> {
        on_backend!(self, chain_write::cursor(chain))
    }

    /// Every cursor.
    pub async fn cursors(&self) -> Result<Vec<Cursor>> {
        on_backend!(self, chain_write::cursors())
    }

    /// The stored block window of a chain, highest first.
    pub async fn window(&self, chain: &str) -> Result<Vec<BlockRow>> {
        on_backend!(self, chain_write::window(chain))
    }

    /// Writes a block range's rows, its headers and the new cursor in one transaction,
    /// marks rows at or below `finalized` confirmed, and prunes the window below it.
    pub async fn commit_batch(&self, batch: &Batch) -> Result<()> {
        on_backend!(self, chain_write::commit_batch(batch))
    }

    /// Records the node's head and finality line (confirming rows) without new rows.
    pub async fn update_head(&self, chain: &str, head: u64, finalized: u64) -> Result<()> {
        on_backend!(self, chain_write::update_head(chain, head, finalized))
    }

    /// Reorg: deletes every row and window block above `ancestor` and sets the cursor to
    /// it, in one transaction.
    pub async fn rollback(&self, chain: &str, ancestor: &BlockRow) -> Result<()> {
        on_backend!(self, chain_write::rollback(chain, ancestor))
    }

    /// Lists transfers (keyset pagination).
    pub async fn transfers(&self, q: &TransferQuery) -> Result<Vec<TransferRecord>> {
        on_backend!(self, transfer_read::transfers(q))
    }

    /// Every transfer of a chain in order (tests, exports).
    pub async fn all_transfers(&self, chain: &str) -> Result<Vec<TransferRecord>> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .transfers(&TransferQuery {
                    chain: chain.to_owned(),
                    after,
                    limit: 10_000,
                    ..Default::default()
                })
                .await?;
            let Some(last) = page.last() else { break };
            after = Some((last.block_number, last.log_index));
            out.extend(page);
        }
        Ok(out)
    }

    /// Lists the token's blacklist events (keyset pagination).
    pub async fn blacklist(&self, q: &BlacklistQuery) -> Result<Vec<BlacklistRecord>> {
        on_backend!(self, blacklist::list(q))
    }

    /// The last blacklist event of an address (`None`: never listed).
    pub async fn blacklist_latest(
        &self,
        chain: &str,
        address: &str,
    ) -> Result<Option<BlacklistRecord>> {
        on_backend!(self, blacklist::latest(chain, address))
    }

    /// Totals of one address.
    pub async fn address_summary(&self, chain: &str, address: &str) -> Result<AddressSummary> {
        on_backend!(self, transfer_read::address_summary(chain, address))
    }

    /// Volume per UTC day, optionally for one address, within a time range.
    pub async fn daily_volume(
        &self,
        chain: &str,
        address: Option<&str>,
        from_time: Option<i64>,
        to_time: Option<i64>,
    ) -> Result<Vec<DailyVolume>> {
        on_backend!(
            self,
            transfer_read::daily_volume(chain, address, from_time, to_time)
        )
    }

    /// Lists deals (keyset pagination on the deal id).
    pub async fn deals(&self, q: &DealQuery) -> Result<Vec<Deal>> {
        on_backend!(self, escrow_read::deals(q))
    }

    /// One deal.
    pub async fn deal(&self, chain: &str, deal_id: u64) -> Result<Option<Deal>> {
        let after = deal_id.checked_sub(1);
        let q = DealQuery {
            chain: chain.to_owned(),
            after,
            limit: 1,
            ..Default::default()
        };
        Ok(self
            .deals(&q)
            .await?
            .into_iter()
            .find(|d| d.deal_id == deal_id))
    }

    /// Every deal of a chain in id order (tests, exports).
    pub async fn all_deals(&self, chain: &str) -> Result<Vec<Deal>> {
        let mut out: Vec<Deal> = Vec::new();
        loop {
            let page = self
                .deals(&DealQuery {
                    chain: chain.to_owned(),
                    after: out.last().map(|d| d.deal_id),
                    limit: 10_000,
                    ..Default::default()
                })
                .await?;
            if page.is_empty() {
                return Ok(out);
            }
            out.extend(page);
        }
    }

    /// The events of one deal, in order.
    pub async fn deal_events(&self, chain: &str, deal_id: u64) -> Result<Vec<EscrowEventRecord>> {
        on_backend!(self, escrow_read::deal_events(chain, deal_id))
    }

    /// One escrow account as derived from events (`None` if no event touched it).
    pub async fn escrow_account(
        &self,
        chain: &str,
        address: &str,
    ) -> Result<Option<EscrowAccount>> {
        on_backend!(self, escrow_read::account(chain, address))
    }

    /// Every escrow account of a chain, by address.
    pub async fn escrow_accounts(&self, chain: &str) -> Result<Vec<EscrowAccount>> {
        on_backend!(self, escrow_read::accounts(chain))
    }

    /// Every buy order of a chain, by id.
    pub async fn buy_orders(&self, chain: &str) -> Result<Vec<BuyOrder>> {
        on_backend!(self, escrow_read::buy_orders(chain))
    }

    /// The escrow's configuration as last emitted.
    pub async fn escrow_settings(&self, chain: &str) -> Result<EscrowSettings> {
        on_backend!(self, escrow_read::settings(chain))
    }

    /// An agent's commissions, keyset-paginated on (block, log index).
    pub async fn agent_commissions(
        &self,
        chain: &str,
        agent: &str,
        after: Option<(u64, u64)>,
        limit: u32,
    ) -> Result<Vec<AgentCommission>> {
        on_backend!(self, escrow_read::commissions(chain, agent, after, limit))
    }

    /// Number and exact total of an agent's commissions.
    pub async fn agent_commission_total(
        &self,
        chain: &str,
        agent: &str,
    ) -> Result<(u64, crate::amount::Amount)> {
        on_backend!(self, escrow_read::commission_total(chain, agent))
    }

    /// A merchant's settled volume per UTC day.
    pub async fn merchant_volume(
        &self,
        chain: &str,
        merchant: &str,
        from_time: Option<i64>,
        to_time: Option<i64>,
    ) -> Result<Vec<MerchantDay>> {
        on_backend!(
            self,
            escrow_read::merchant_volume(chain, merchant, from_time, to_time)
        )
    }

    /// The escrow's settled volume per `bucket_secs` (3600 or 86400).
    pub async fn settled_volume(
        &self,
        chain: &str,
        bucket_secs: i64,
        from_time: Option<i64>,
        to_time: Option<i64>,
    ) -> Result<Vec<VolumeBucket>> {
        on_backend!(
            self,
            escrow_read::settled_volume(chain, bucket_secs, from_time, to_time)
        )
    }

    /// Rows in `escrow_events` and `multisig_events` of a chain.
    pub async fn event_counts(&self, chain: &str) -> Result<(u64, u64)> {
        on_backend!(self, escrow_read::event_counts(chain))
    }

    /// Stores a new API key's hash; returns its id.
    pub async fn create_api_key(&self, name: &str, key_hash: &str) -> Result<i64> {
        on_backend!(self, api_keys::create(name, key_hash))
    }

    /// Revokes a key; `false` if no active key has that id.
    pub async fn revoke_api_key(&self, id: i64) -> Result<bool> {
        on_backend!(self, api_keys::revoke(id))
    }

    /// Whether an active key has this hash.
    pub async fn api_key_valid(&self, key_hash: &str) -> Result<bool> {
        on_backend!(self, api_keys::valid(key_hash))
    }

    /// All keys' metadata.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRow>> {
        on_backend!(self, api_keys::list())
    }
}

/// Sums exact decimal amounts (SQLite has no exact 256-bit arithmetic); 512 bits hold
/// the sum of any 2^256 uint256 values.
pub(crate) fn add_decimal(acc: &mut alloy::primitives::U512, amount: &str) -> Result<()> {
    let v = alloy::primitives::U512::from_str_radix(amount, 10).map_err(|e| Error::CorruptRow {
        table: "transfers",
        reason: format!("amount `{amount}`: {e}"),
    })?;
    *acc = acc.checked_add(v).ok_or_else(|| Error::CorruptRow {
        table: "transfers",
        reason: "sum of amounts overflows 512 bits".into(),
    })?;
    Ok(())
}
