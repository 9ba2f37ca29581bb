//! Escrow and multisig events and the derived tables, for both backends.
//!
//! The SQL is the same for SQLite and PostgreSQL except for amounts: PostgreSQL keeps
//! them as NUMERIC (bound as text and cast in, selected as text), SQLite as TEXT. One
//! macro body is instantiated per backend so the two cannot drift apart.

use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    amount::Amount,
    error::{Error, Result},
    events::{EscrowEventRow, EventRow, escrow_from_json},
};

/// Rows per multi-row INSERT (at most 25 columns: far below both backends' limits).
const ROWS_PER_INSERT: usize = 500;

/// A stored escrow event as read back.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EscrowEventRecord {
    /// Block height.
    pub block_number: u64,
    /// Log index.
    pub log_index: u64,
    /// Block time, Unix seconds.
    pub block_time: i64,
    /// Transaction hash.
    pub tx_hash: String,
    /// Solidity event name.
    pub kind: String,
    /// Decoded fields.
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    /// Behind the finality line.
    pub confirmed: bool,
}

/// Filters for listing deals; results in deal id order.
#[derive(Debug, Clone, Default)]
pub struct DealQuery {
    /// The chain.
    pub chain: String,
    /// Seller, buyer or merchant (normalized).
    pub party: Option<String>,
    /// Merchant only (normalized).
    pub merchant: Option<String>,
    /// One state.
    pub state: Option<String>,
    /// Only settled deals (released or resolved with a non-zero buyer share).
    pub settled: bool,
    /// Keyset: deal ids strictly above.
    pub after: Option<u64>,
    /// Page size.
    pub limit: u32,
}

/// Settled escrow volume of one time bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VolumeBucket {
    /// Start of the bucket, Unix seconds.
    pub start: i64,
    /// Settlements.
    pub count: u64,
    /// Gross settled (exact decimal).
    pub amount: Amount,
    /// Fees charged (exact decimal).
    pub fees: Amount,
}

pub(crate) fn to_i64(v: u64, what: &'static str) -> Result<i64> {
    super::to_i64(v, what)
}

fn narrow<T: TryFrom<i64>>(v: i64, table: &'static str) -> Result<T> {
    T::try_from(v).map_err(|_| Error::CorruptRow {
        table,
        reason: format!("{v} is out of range"),
    })
}

/// Builds the escrow event row of a stored `fields` column.
pub(crate) fn event_row(
    block_number: i64,
    log_index: i64,
    block_hash: String,
    block_time: i64,
    tx_hash: String,
    contract: String,
    fields: &str,
) -> Result<EscrowEventRow> {
    Ok(EventRow {
        block_number: super::to_u64(block_number, "escrow_events")?,
        log_index: super::to_u64(log_index, "escrow_events")?,
        block_hash,
        block_time,
        tx_hash,
        contract,
        event: escrow_from_json(fields)?,
    })
}

macro_rules! backend {
    ($module:ident, $DB:ty, $pg:expr) => {
        pub(super) mod $module {
            use std::collections::BTreeSet;

            use sqlx::{QueryBuilder, Row};

            use super::{
                DealQuery, EscrowEventRecord, ROWS_PER_INSERT, VolumeBucket, event_row, narrow,
                to_i64,
            };
            use crate::{
                amount::Amount,
                error::Result,
                events::{EscrowEventRow, MultisigEventRow, to_json},
                store::{
                    derived::{
                        AgentCommission, BuyOrder, Deal, Derived, EscrowAccount, EscrowSettings,
                        Keys, MerchantDay,
                    },
                    to_u64,
                },
            };

            type Db = $DB;
            type Conn = <Db as sqlx::Database>::Connection;
            type Pool = sqlx::Pool<Db>;
            type DbRow = <Db as sqlx::Database>::Row;
            const PG: bool = $pg;

            /// An amount column read back (text in both backends), parsed once here.
            fn amount(r: &DbRow, col: &str, table: &'static str) -> Result<Amount> {
                let v: String = r.try_get(col)?;
                Amount::parse(&v, table)
            }

            /// A nullable amount column read back.
            fn opt_amount(r: &DbRow, col: &str, table: &'static str) -> Result<Option<Amount>> {
                r.try_get::<Option<String>, _>(col)?
                    .map(|v| Amount::parse(&v, table))
                    .transpose()
            }

            /// Cast appended to an amount parameter.
            fn num() -> &'static str {
                if PG { "::numeric" } else { "" }
            }

            /// A select list with amount columns read back as text.
            fn select(cols: &[&str], amounts: &[&str]) -> String {
                cols.iter()
                    .map(|c| {
                        if PG && amounts.contains(c) {
                            format!("{c}::text AS {c}")
                        } else {
                            (*c).to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }

            /// `SELECT <cols> FROM <table> WHERE chain = <chain>`, for more conditions.
            fn select_chain(
                table: &str,
                cols: &[&str],
                amounts: &[&str],
                chain: &str,
            ) -> QueryBuilder<Db> {
                let mut qb = QueryBuilder::new(format!(
                    "SELECT {} FROM {table} WHERE chain = ",
                    select(cols, amounts)
                ));
                qb.push_bind(chain.to_owned());
                qb
            }

            /// `INSERT INTO <table> (<cols>) `, for `push_values`.
            fn insert_into(table: &str, cols: &[&str]) -> QueryBuilder<Db> {
                QueryBuilder::new(format!("INSERT INTO {table} ({}) ", cols.join(", ")))
            }

            fn push_in<T>(
                qb: &mut QueryBuilder<Db>,
                col: &str,
                vals: &[T],
            ) where
                T: Clone + for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + Send + 'static,
            {
                qb.push(format!(" AND {col} IN ("));
                let mut sep = qb.separated(", ");
                for v in vals {
                    sep.push_bind(v.clone());
                }
                qb.push(")");
            }

            pub(crate) async fn insert_events(
                conn: &mut Conn,
                chain: &str,
                escrow: &[EscrowEventRow],
                multisig: &[MultisigEventRow],
                finalized: i64,
            ) -> Result<()> {
                for chunk in escrow.chunks(ROWS_PER_INSERT) {
                    let mut vals = Vec::with_capacity(chunk.len());
                    for r in chunk {
                        vals.push((
                            to_i64(r.block_number, "escrow_events")?,
                            to_i64(r.log_index, "escrow_events")?,
                            r.event
                                .deal_id()
                                .map(|d| to_i64(d, "escrow_events"))
                                .transpose()?,
                            to_json(&r.event)?,
                        ));
                    }
                    let mut qb: QueryBuilder<Db> = QueryBuilder::new(
                        "INSERT INTO escrow_events (chain, block_number, log_index, block_hash, block_time, tx_hash, contract, kind, deal_id, fields, confirmed) ",
                    );
                    qb.push_values(chunk.iter().zip(vals), |mut s, (r, (n, li, deal, fields))| {
                        s.push_bind(chain.to_owned())
                            .push_bind(n)
                            .push_bind(li)
                            .push_bind(r.block_hash.clone())
                            .push_bind(r.block_time)
                            .push_bind(r.tx_hash.clone())
                            .push_bind(r.contract.clone())
                            .push_bind(r.event.name().to_owned())
                            .push_bind(deal)
                            .push_bind(fields)
                            .push_bind(n <= finalized);
                    });
                    qb.build().execute(&mut *conn).await?;
                }
                for chunk in multisig.chunks(ROWS_PER_INSERT) {
                    let mut vals = Vec::with_capacity(chunk.len());
                    for r in chunk {
                        vals.push((
                            to_i64(r.block_number, "multisig_events")?,
                            to_i64(r.log_index, "multisig_events")?,
                            to_json(&r.event)?,
                        ));
                    }
                    let mut qb: QueryBuilder<Db> = QueryBuilder::new(
                        "INSERT INTO multisig_events (chain, block_number, log_index, block_hash, block_time, tx_hash, contract, kind, fields, confirmed) ",
                    );
                    qb.push_values(chunk.iter().zip(vals), |mut s, (r, (n, li, fields))| {
                        s.push_bind(chain.to_owned())
                            .push_bind(n)
                            .push_bind(li)
                            .push_bind(r.block_hash.clone())
                            .push_bind(r.block_time)
                            .push_bind(r.tx_hash.clone())
                            .push_bind(r.contract.clone())
                            .push_bind(r.event.name().to_owned())
                            .push_bind(fields)
                            .push_bind(n <= finalized);
                    });
                    qb.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Marks event rows at or below `finalized` confirmed.
            pub(crate) async fn confirm(conn: &mut Conn, chain: &str, finalized: i64) -> Result<()> {
                for table in ["escrow_events", "multisig_events"] {
                    let mut qb: QueryBuilder<Db> =
                        QueryBuilder::new(format!("UPDATE {table} SET confirmed = "));
                    qb.push_bind(true)
                        .push(" WHERE chain = ")
                        .push_bind(chain.to_owned())
                        .push(" AND confirmed = ")
                        .push_bind(false)
                        .push(" AND block_number <= ")
                        .push_bind(finalized);
                    qb.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Applies a batch's escrow events to the derived tables.
            pub(crate) async fn apply(
                conn: &mut Conn,
                chain: &str,
                events: &[EscrowEventRow],
            ) -> Result<()> {
                if events.is_empty() {
                    return Ok(());
                }
                let mut d = Derived::new(chain);
                d.settings = load_settings(conn, chain).await?;
                let keys = Keys::of(events, d.settings.treasury.as_deref());
                load(conn, &mut d, &keys).await?;
                d.apply(events)?;
                save(conn, &d).await
            }

            /// Reorg: deletes events above `ancestor` and replays the derived tables from
            /// the remaining events.
            pub(crate) async fn rollback(conn: &mut Conn, chain: &str, ancestor: i64) -> Result<()> {
                for table in ["escrow_events", "multisig_events"] {
                    let mut qb: QueryBuilder<Db> =
                        QueryBuilder::new(format!("DELETE FROM {table} WHERE chain = "));
                    qb.push_bind(chain.to_owned())
                        .push(" AND block_number > ")
                        .push_bind(ancestor);
                    qb.build().execute(&mut *conn).await?;
                }
                recompute(conn, chain).await
            }

            /// Rebuilds every derived table of `chain` from its stored escrow events.
            pub(crate) async fn recompute(conn: &mut Conn, chain: &str) -> Result<()> {
                for table in [
                    "escrow_settings",
                    "escrow_accounts",
                    "deals",
                    "buy_orders",
                    "agent_commissions",
                    "daily_volume",
                ] {
                    let mut qb: QueryBuilder<Db> =
                        QueryBuilder::new(format!("DELETE FROM {table} WHERE chain = "));
                    qb.push_bind(chain.to_owned());
                    qb.build().execute(&mut *conn).await?;
                }
                let mut qb: QueryBuilder<Db> = QueryBuilder::new(
                    "SELECT block_number, log_index, block_hash, block_time, tx_hash, contract, fields FROM escrow_events WHERE chain = ",
                );
                qb.push_bind(chain.to_owned())
                    .push(" ORDER BY block_number, log_index");
                let rows = qb.build().fetch_all(&mut *conn).await?;
                let mut events = Vec::with_capacity(rows.len());
                for r in &rows {
                    let fields: String = r.try_get("fields")?;
                    events.push(event_row(
                        r.try_get("block_number")?,
                        r.try_get("log_index")?,
                        r.try_get("block_hash")?,
                        r.try_get("block_time")?,
                        r.try_get("tx_hash")?,
                        r.try_get("contract")?,
                        &fields,
                    )?);
                }
                let mut d = Derived::new(chain);
                d.apply(&events)?;
                if events.is_empty() {
                    return Ok(());
                }
                save(conn, &d).await
            }

            const SETTINGS: [&str; 11] = [
                "owner",
                "guardian",
                "arbiter",
                "dispatcher",
                "compliance",
                "treasury",
                "paused",
                "fee_schedule",
                "limits",
                "liabilities",
                "swept",
            ];
            const SETTINGS_AMOUNTS: [&str; 2] = ["liabilities", "swept"];

            async fn load_settings(conn: &mut Conn, chain: &str) -> Result<EscrowSettings> {
                let mut qb: QueryBuilder<Db> = QueryBuilder::new(format!(
                    "SELECT {} FROM escrow_settings WHERE chain = ",
                    select(&SETTINGS, &SETTINGS_AMOUNTS)
                ));
                qb.push_bind(chain.to_owned());
                let Some(r) = qb.build().fetch_optional(&mut *conn).await? else {
                    return Ok(EscrowSettings::default());
                };
                Ok(EscrowSettings {
                    owner: r.try_get("owner")?,
                    guardian: r.try_get("guardian")?,
                    arbiter: r.try_get("arbiter")?,
                    dispatcher: r.try_get("dispatcher")?,
                    compliance: r.try_get("compliance")?,
                    treasury: r.try_get("treasury")?,
                    paused: r.try_get("paused")?,
                    fee_schedule: r.try_get("fee_schedule")?,
                    limits: r.try_get("limits")?,
                    liabilities: amount(&r, "liabilities", "escrow_settings")?,
                    swept: amount(&r, "swept", "escrow_settings")?,
                })
            }

            const ACCOUNT_COLS: [&str; 19] = [
                "chain",
                "address",
                "available",
                "locked",
                "roles",
                "agent",
                "merchant_volume",
                "agent_volume",
                "kyc_level",
                "region",
                "deposited",
                "withdrawn",
                "co_signer",
                "daily_allowance",
                "outflow_day",
                "outflow_today",
                "online",
                "max_per_deal",
                "max_locked",
            ];
            const ACCOUNT_AMOUNTS: [&str; 10] = [
                "available",
                "locked",
                "merchant_volume",
                "agent_volume",
                "deposited",
                "withdrawn",
                "daily_allowance",
                "outflow_today",
                "max_per_deal",
                "max_locked",
            ];

            fn account_from(r: &DbRow) -> Result<EscrowAccount> {
                const T: &str = "escrow_accounts";
                Ok(EscrowAccount {
                    chain: r.try_get("chain")?,
                    address: r.try_get("address")?,
                    available: amount(r, "available", T)?,
                    locked: amount(r, "locked", T)?,
                    roles: narrow(r.try_get::<i64, _>("roles")?, T)?,
                    agent: r.try_get("agent")?,
                    merchant_volume: amount(r, "merchant_volume", T)?,
                    agent_volume: amount(r, "agent_volume", T)?,
                    kyc_level: narrow(r.try_get::<i64, _>("kyc_level")?, T)?,
                    region: narrow(r.try_get::<i64, _>("region")?, T)?,
                    deposited: amount(r, "deposited", T)?,
                    withdrawn: amount(r, "withdrawn", T)?,
                    co_signer: r.try_get("co_signer")?,
                    daily_allowance: amount(r, "daily_allowance", T)?,
                    outflow_day: narrow(r.try_get::<i64, _>("outflow_day")?, T)?,
                    outflow_today: amount(r, "outflow_today", T)?,
                    online: r.try_get("online")?,
                    max_per_deal: amount(r, "max_per_deal", T)?,
                    max_locked: amount(r, "max_locked", T)?,
                })
            }

            const DEAL_COLS: [&str; 29] = [
                "chain",
                "deal_id",
                "kind",
                "seller",
                "buyer",
                "merchant",
                "amount",
                "state",
                "payment_window",
                "deadline",
                "order_ref",
                "order_id",
                "opened_block",
                "opened_time",
                "closed_block",
                "closed_time",
                "buyer_share_bps",
                "agent",
                "settled_amount",
                "buyer_net",
                "fee",
                "agent_cut",
                "reward",
                "platform",
                "seller_refund",
                "fee_bps",
                "agent_share_bps",
                "reward_bps",
                "disputed_at",
            ];
            const DEAL_AMOUNTS: [&str; 8] = [
                "amount",
                "settled_amount",
                "buyer_net",
                "fee",
                "agent_cut",
                "reward",
                "platform",
                "seller_refund",
            ];

            fn deal_from(r: &DbRow) -> Result<Deal> {
                const T: &str = "deals";
                let opt_u64 = |v: Option<i64>| v.map(|v| to_u64(v, T)).transpose();
                Ok(Deal {
                    chain: r.try_get("chain")?,
                    deal_id: to_u64(r.try_get("deal_id")?, T)?,
                    kind: r.try_get("kind")?,
                    seller: r.try_get("seller")?,
                    buyer: r.try_get("buyer")?,
                    merchant: r.try_get("merchant")?,
                    amount: amount(r, "amount", T)?,
                    state: r.try_get("state")?,
                    payment_window: narrow(r.try_get::<i64, _>("payment_window")?, T)?,
                    deadline: to_u64(r.try_get("deadline")?, T)?,
                    order_ref: r.try_get("order_ref")?,
                    order_id: opt_u64(r.try_get("order_id")?)?,
                    opened_block: to_u64(r.try_get("opened_block")?, T)?,
                    opened_time: r.try_get("opened_time")?,
                    closed_block: opt_u64(r.try_get("closed_block")?)?,
                    closed_time: r.try_get("closed_time")?,
                    buyer_share_bps: r
                        .try_get::<Option<i64>, _>("buyer_share_bps")?
                        .map(|v| narrow(v, T))
                        .transpose()?,
                    agent: r.try_get("agent")?,
                    settled_amount: opt_amount(r, "settled_amount", T)?,
                    buyer_net: opt_amount(r, "buyer_net", T)?,
                    fee: opt_amount(r, "fee", T)?,
                    agent_cut: opt_amount(r, "agent_cut", T)?,
                    reward: opt_amount(r, "reward", T)?,
                    platform: opt_amount(r, "platform", T)?,
                    seller_refund: opt_amount(r, "seller_refund", T)?,
                    fee_bps: narrow(r.try_get::<i64, _>("fee_bps")?, T)?,
                    agent_share_bps: narrow(r.try_get::<i64, _>("agent_share_bps")?, T)?,
                    reward_bps: narrow(r.try_get::<i64, _>("reward_bps")?, T)?,
                    disputed_at: opt_u64(r.try_get("disputed_at")?)?,
                })
            }

            const ORDER_COLS: [&str; 13] = [
                "chain",
                "order_id",
                "merchant",
                "price",
                "currency",
                "amount",
                "remaining",
                "min_fill",
                "max_fill",
                "expiry",
                "payment_window",
                "open",
                "posted_block",
            ];
            const ORDER_AMOUNTS: [&str; 4] = ["amount", "remaining", "min_fill", "max_fill"];

            fn order_from(r: &DbRow) -> Result<BuyOrder> {
                const T: &str = "buy_orders";
                Ok(BuyOrder {
                    chain: r.try_get("chain")?,
                    order_id: to_u64(r.try_get("order_id")?, T)?,
                    merchant: r.try_get("merchant")?,
                    price: to_u64(r.try_get("price")?, T)?,
                    currency: r.try_get("currency")?,
                    amount: amount(r, "amount", T)?,
                    remaining: amount(r, "remaining", T)?,
                    min_fill: amount(r, "min_fill", T)?,
                    max_fill: amount(r, "max_fill", T)?,
                    expiry: to_u64(r.try_get("expiry")?, T)?,
                    payment_window: narrow(r.try_get::<i64, _>("payment_window")?, T)?,
                    open: r.try_get("open")?,
                    posted_block: to_u64(r.try_get("posted_block")?, T)?,
                })
            }

            const VOLUME_COLS: [&str; 6] = ["chain", "address", "day", "amount", "count", "fees"];
            const VOLUME_AMOUNTS: [&str; 2] = ["amount", "fees"];

            fn volume_from(r: &DbRow) -> Result<MerchantDay> {
                Ok(MerchantDay {
                    chain: r.try_get("chain")?,
                    address: r.try_get("address")?,
                    day: r.try_get("day")?,
                    amount: amount(r, "amount", "daily_volume")?,
                    count: to_u64(r.try_get("count")?, "daily_volume")?,
                    fees: amount(r, "fees", "daily_volume")?,
                })
            }

            const COMMISSION_COLS: [&str; 9] = [
                "chain",
                "block_number",
                "log_index",
                "block_time",
                "deal_id",
                "agent",
                "merchant",
                "gross",
                "amount",
            ];
            const COMMISSION_AMOUNTS: [&str; 2] = ["gross", "amount"];

            fn commission_from(r: &DbRow) -> Result<AgentCommission> {
                const T: &str = "agent_commissions";
                Ok(AgentCommission {
                    chain: r.try_get("chain")?,
                    block_number: to_u64(r.try_get("block_number")?, T)?,
                    log_index: to_u64(r.try_get("log_index")?, T)?,
                    block_time: r.try_get("block_time")?,
                    deal_id: to_u64(r.try_get("deal_id")?, T)?,
                    agent: r.try_get("agent")?,
                    merchant: r.try_get("merchant")?,
                    gross: amount(r, "gross", T)?,
                    amount: amount(r, "amount", T)?,
                })
            }

            fn ids(v: &BTreeSet<u64>, t: &'static str) -> Result<Vec<i64>> {
                v.iter().map(|x| to_i64(*x, t)).collect()
            }

            async fn load(conn: &mut Conn, d: &mut Derived, k: &Keys) -> Result<()> {
                let chain = d.chain.clone();
                if !k.accounts.is_empty() {
                    let mut qb =
                        select_chain("escrow_accounts", &ACCOUNT_COLS, &ACCOUNT_AMOUNTS, &chain);
                    let vals: Vec<String> = k.accounts.iter().cloned().collect();
                    push_in(&mut qb, "address", &vals);
                    for r in qb.build().fetch_all(&mut *conn).await? {
                        let a = account_from(&r)?;
                        d.accounts.insert(a.address.clone(), a);
                    }
                }
                if !k.deals.is_empty() {
                    let mut qb = select_chain("deals", &DEAL_COLS, &DEAL_AMOUNTS, &chain);
                    push_in(&mut qb, "deal_id", &ids(&k.deals, "deals")?);
                    for r in qb.build().fetch_all(&mut *conn).await? {
                        let x = deal_from(&r)?;
                        d.deals.insert(x.deal_id, x);
                    }
                }
                if !k.orders.is_empty() {
                    let mut qb = select_chain("buy_orders", &ORDER_COLS, &ORDER_AMOUNTS, &chain);
                    push_in(&mut qb, "order_id", &ids(&k.orders, "buy_orders")?);
                    for r in qb.build().fetch_all(&mut *conn).await? {
                        let x = order_from(&r)?;
                        d.orders.insert(x.order_id, x);
                    }
                }
                if !k.volumes.is_empty() {
                    let addrs: Vec<String> = k
                        .volumes
                        .iter()
                        .map(|v| v.0.clone())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    let days: Vec<i64> = k
                        .volumes
                        .iter()
                        .map(|v| v.1)
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    let mut qb =
                        select_chain("daily_volume", &VOLUME_COLS, &VOLUME_AMOUNTS, &chain);
                    push_in(&mut qb, "address", &addrs);
                    push_in(&mut qb, "day", &days);
                    for r in qb.build().fetch_all(&mut *conn).await? {
                        let x = volume_from(&r)?;
                        d.volumes.insert((x.address.clone(), x.day), x);
                    }
                }
                Ok(())
            }

            async fn delete_keys<T>(
                conn: &mut Conn,
                table: &str,
                col: &str,
                chain: &str,
                keys: &[T],
            ) -> Result<()>
            where
                T: Clone + for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + Send + 'static,
            {
                for chunk in keys.chunks(ROWS_PER_INSERT) {
                    let mut qb: QueryBuilder<Db> =
                        QueryBuilder::new(format!("DELETE FROM {table} WHERE chain = "));
                    qb.push_bind(chain.to_owned());
                    push_in(&mut qb, col, chunk);
                    qb.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Writes the working set back: settings upserted, touched rows replaced,
            /// new commissions inserted.
            async fn save(conn: &mut Conn, d: &Derived) -> Result<()> {
                let chain = d.chain.clone();
                let s = &d.settings;
                let mut qb: QueryBuilder<Db> = QueryBuilder::new(format!(
                    "INSERT INTO escrow_settings (chain, {}) VALUES (",
                    SETTINGS.join(", ")
                ));
                {
                    let mut sep = qb.separated(", ");
                    sep.push_bind(chain.clone())
                        .push_bind(s.owner.clone())
                        .push_bind(s.guardian.clone())
                        .push_bind(s.arbiter.clone())
                        .push_bind(s.dispatcher.clone())
                        .push_bind(s.compliance.clone())
                        .push_bind(s.treasury.clone())
                        .push_bind(s.paused)
                        .push_bind(s.fee_schedule.clone())
                        .push_bind(s.limits.clone())
                        .push_bind(s.liabilities.to_string())
                        .push_unseparated(num())
                        .push_bind(s.swept.to_string())
                        .push_unseparated(num());
                }
                qb.push(") ON CONFLICT (chain) DO UPDATE SET ");
                qb.push(
                    SETTINGS
                        .iter()
                        .map(|c| format!("{c} = excluded.{c}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                qb.build().execute(&mut *conn).await?;

                let accounts: Vec<&EscrowAccount> = d.accounts.values().collect();
                let keys: Vec<String> = accounts.iter().map(|a| a.address.clone()).collect();
                delete_keys(conn, "escrow_accounts", "address", &chain, &keys).await?;
                for chunk in accounts.chunks(ROWS_PER_INSERT) {
                    let mut qb = insert_into("escrow_accounts", &ACCOUNT_COLS);
                    qb.push_values(chunk, |mut b, a| {
                        b.push_bind(a.chain.clone())
                            .push_bind(a.address.clone())
                            .push_bind(a.available.to_string())
                            .push_unseparated(num())
                            .push_bind(a.locked.to_string())
                            .push_unseparated(num())
                            .push_bind(i64::from(a.roles))
                            .push_bind(a.agent.clone())
                            .push_bind(a.merchant_volume.to_string())
                            .push_unseparated(num())
                            .push_bind(a.agent_volume.to_string())
                            .push_unseparated(num())
                            .push_bind(i64::from(a.kyc_level))
                            .push_bind(i64::from(a.region))
                            .push_bind(a.deposited.to_string())
                            .push_unseparated(num())
                            .push_bind(a.withdrawn.to_string())
                            .push_unseparated(num())
                            .push_bind(a.co_signer.clone())
                            .push_bind(a.daily_allowance.to_string())
                            .push_unseparated(num())
                            .push_bind(i64::from(a.outflow_day))
                            .push_bind(a.outflow_today.to_string())
                            .push_unseparated(num())
                            .push_bind(a.online)
                            .push_bind(a.max_per_deal.to_string())
                            .push_unseparated(num())
                            .push_bind(a.max_locked.to_string())
                            .push_unseparated(num());
                    });
                    qb.build().execute(&mut *conn).await?;
                }

                let deals: Vec<&Deal> = d.deals.values().collect();
                let keys = deals
                    .iter()
                    .map(|x| to_i64(x.deal_id, "deals"))
                    .collect::<Result<Vec<_>>>()?;
                delete_keys(conn, "deals", "deal_id", &chain, &keys).await?;
                for chunk in deals.chunks(ROWS_PER_INSERT) {
                    let mut vals = Vec::with_capacity(chunk.len());
                    for x in chunk {
                        let o = |v: Option<u64>| v.map(|v| to_i64(v, "deals")).transpose();
                        vals.push((
                            to_i64(x.deal_id, "deals")?,
                            to_i64(x.deadline, "deals")?,
                            o(x.order_id)?,
                            to_i64(x.opened_block, "deals")?,
                            o(x.closed_block)?,
                            o(x.disputed_at)?,
                        ));
                    }
                    let mut qb = insert_into("deals", &DEAL_COLS);
                    qb.push_values(chunk.iter().zip(vals), |mut b, (x, (id, deadline, order, opened, closed, disputed))| {
                        b.push_bind(x.chain.clone())
                            .push_bind(id)
                            .push_bind(x.kind.clone())
                            .push_bind(x.seller.clone())
                            .push_bind(x.buyer.clone())
                            .push_bind(x.merchant.clone())
                            .push_bind(x.amount.to_string())
                            .push_unseparated(num())
                            .push_bind(x.state.clone())
                            .push_bind(i64::from(x.payment_window))
                            .push_bind(deadline)
                            .push_bind(x.order_ref.clone())
                            .push_bind(order)
                            .push_bind(opened)
                            .push_bind(x.opened_time)
                            .push_bind(closed)
                            .push_bind(x.closed_time)
                            .push_bind(x.buyer_share_bps.map(i64::from))
                            .push_bind(x.agent.clone());
                        for v in [
                            &x.settled_amount,
                            &x.buyer_net,
                            &x.fee,
                            &x.agent_cut,
                            &x.reward,
                            &x.platform,
                            &x.seller_refund,
                        ] {
                            b.push_bind(v.map(|v| v.to_string())).push_unseparated(num());
                        }
                        b.push_bind(i64::from(x.fee_bps))
                            .push_bind(i64::from(x.agent_share_bps))
                            .push_bind(i64::from(x.reward_bps))
                            .push_bind(disputed);
                    });
                    qb.build().execute(&mut *conn).await?;
                }

                let orders: Vec<&BuyOrder> = d.orders.values().collect();
                let keys = orders
                    .iter()
                    .map(|x| to_i64(x.order_id, "buy_orders"))
                    .collect::<Result<Vec<_>>>()?;
                delete_keys(conn, "buy_orders", "order_id", &chain, &keys).await?;
                for chunk in orders.chunks(ROWS_PER_INSERT) {
                    let mut vals = Vec::with_capacity(chunk.len());
                    for x in chunk {
                        vals.push((
                            to_i64(x.order_id, "buy_orders")?,
                            to_i64(x.price, "buy_orders")?,
                            to_i64(x.expiry, "buy_orders")?,
                            to_i64(x.posted_block, "buy_orders")?,
                        ));
                    }
                    let mut qb = insert_into("buy_orders", &ORDER_COLS);
                    qb.push_values(chunk.iter().zip(vals), |mut b, (x, (id, price, expiry, posted))| {
                        b.push_bind(x.chain.clone())
                            .push_bind(id)
                            .push_bind(x.merchant.clone())
                            .push_bind(price)
                            .push_bind(x.currency.clone())
                            .push_bind(x.amount.to_string())
                            .push_unseparated(num())
                            .push_bind(x.remaining.to_string())
                            .push_unseparated(num())
                            .push_bind(x.min_fill.to_string())
                            .push_unseparated(num())
                            .push_bind(x.max_fill.to_string())
                            .push_unseparated(num())
                            .push_bind(expiry)
                            .push_bind(i64::from(x.payment_window))
                            .push_bind(x.open)
                            .push_bind(posted);
                    });
                    qb.build().execute(&mut *conn).await?;
                }

                for chunk in d.commissions.chunks(ROWS_PER_INSERT) {
                    let mut vals = Vec::with_capacity(chunk.len());
                    for x in chunk {
                        vals.push((
                            to_i64(x.block_number, "agent_commissions")?,
                            to_i64(x.log_index, "agent_commissions")?,
                            to_i64(x.deal_id, "agent_commissions")?,
                        ));
                    }
                    let mut qb = insert_into("agent_commissions", &COMMISSION_COLS);
                    qb.push_values(chunk.iter().zip(vals), |mut b, (x, (n, li, deal))| {
                        b.push_bind(x.chain.clone())
                            .push_bind(n)
                            .push_bind(li)
                            .push_bind(x.block_time)
                            .push_bind(deal)
                            .push_bind(x.agent.clone())
                            .push_bind(x.merchant.clone())
                            .push_bind(x.gross.to_string())
                            .push_unseparated(num())
                            .push_bind(x.amount.to_string())
                            .push_unseparated(num());
                    });
                    qb.build().execute(&mut *conn).await?;
                }

                let volumes: Vec<&MerchantDay> = d.volumes.values().collect();
                // One statement per chunk of (address, day) keys: a statement per row
                // cost a round trip each, most of PostgreSQL's sink time.
                for chunk in volumes.chunks(ROWS_PER_INSERT) {
                    let mut qb: QueryBuilder<Db> =
                        QueryBuilder::new("DELETE FROM daily_volume WHERE chain = ");
                    qb.push_bind(chain.clone())
                        .push(" AND (address, day) IN (VALUES ");
                    let mut sep = qb.separated(", ");
                    for v in chunk {
                        sep.push("(")
                            .push_bind_unseparated(v.address.clone())
                            .push_unseparated(", ")
                            .push_bind_unseparated(v.day)
                            .push_unseparated(")");
                    }
                    qb.push(")");
                    qb.build().execute(&mut *conn).await?;
                }
                for chunk in volumes.chunks(ROWS_PER_INSERT) {
                    let mut qb = insert_into("daily_volume", &VOLUME_COLS);
                    let mut err = None;
                    qb.push_values(chunk, |mut b, v| {
                        let count = to_i64(v.count, "daily_volume").unwrap_or_else(|e| {
                            err = Some(e);
                            0
                        });
                        b.push_bind(v.chain.clone())
                            .push_bind(v.address.clone())
                            .push_bind(v.day)
                            .push_bind(v.amount.to_string())
                            .push_unseparated(num())
                            .push_bind(count)
                            .push_bind(v.fees.to_string())
                            .push_unseparated(num());
                    });
                    if let Some(e) = err {
                        return Err(e);
                    }
                    qb.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Lists deals (keyset on deal id).
            pub(crate) async fn deals(p: &Pool, q: &DealQuery) -> Result<Vec<Deal>> {
                let mut qb = select_chain("deals", &DEAL_COLS, &DEAL_AMOUNTS, &q.chain);
                if let Some(a) = &q.party {
                    qb.push(" AND (seller = ")
                        .push_bind(a.clone())
                        .push(" OR buyer = ")
                        .push_bind(a.clone())
                        .push(" OR merchant = ")
                        .push_bind(a.clone())
                        .push(")");
                }
                if let Some(m) = &q.merchant {
                    qb.push(" AND merchant = ").push_bind(m.clone());
                }
                if let Some(s) = &q.state {
                    qb.push(" AND state = ").push_bind(s.clone());
                }
                if q.settled {
                    qb.push(" AND settled_amount IS NOT NULL AND state IN ('released', 'resolved')");
                }
                if let Some(after) = q.after {
                    qb.push(" AND deal_id > ").push_bind(to_i64(after, "deals")?);
                }
                qb.push(" ORDER BY deal_id LIMIT ")
                    .push_bind(i64::from(q.limit));
                let rows = qb.build().fetch_all(p).await?;
                rows.iter().map(deal_from).collect()
            }

            /// One account.
            pub(crate) async fn account(
                p: &Pool,
                chain: &str,
                address: &str,
            ) -> Result<Option<EscrowAccount>> {
                let mut qb =
                    select_chain("escrow_accounts", &ACCOUNT_COLS, &ACCOUNT_AMOUNTS, chain);
                qb.push(" AND address = ").push_bind(address.to_owned());
                qb.build()
                    .fetch_optional(p)
                    .await?
                    .as_ref()
                    .map(account_from)
                    .transpose()
            }

            /// Every account of a chain, by address.
            pub(crate) async fn accounts(p: &Pool, chain: &str) -> Result<Vec<EscrowAccount>> {
                let mut qb =
                    select_chain("escrow_accounts", &ACCOUNT_COLS, &ACCOUNT_AMOUNTS, chain);
                qb.push(" ORDER BY address");
                qb.build().fetch_all(p).await?.iter().map(account_from).collect()
            }

            /// Every buy order of a chain, by id.
            pub(crate) async fn buy_orders(p: &Pool, chain: &str) -> Result<Vec<BuyOrder>> {
                let mut qb = select_chain("buy_orders", &ORDER_COLS, &ORDER_AMOUNTS, chain);
                qb.push(" ORDER BY order_id");
                qb.build().fetch_all(p).await?.iter().map(order_from).collect()
            }

            /// The escrow's configuration.
            pub(crate) async fn settings(p: &Pool, chain: &str) -> Result<EscrowSettings> {
                let mut conn = p.acquire().await?;
                load_settings(&mut conn, chain).await
            }

            /// An agent's commissions (keyset on block, log index).
            pub(crate) async fn commissions(
                p: &Pool,
                chain: &str,
                agent: &str,
                after: Option<(u64, u64)>,
                limit: u32,
            ) -> Result<Vec<AgentCommission>> {
                let mut qb = select_chain(
                    "agent_commissions",
                    &COMMISSION_COLS,
                    &COMMISSION_AMOUNTS,
                    chain,
                );
                qb.push(" AND agent = ").push_bind(agent.to_owned());
                if let Some((b, l)) = after {
                    qb.push(" AND (block_number > ")
                        .push_bind(to_i64(b, "agent_commissions")?)
                        .push(" OR (block_number = ")
                        .push_bind(to_i64(b, "agent_commissions")?)
                        .push(" AND log_index > ")
                        .push_bind(to_i64(l, "agent_commissions")?)
                        .push("))");
                }
                qb.push(" ORDER BY block_number, log_index LIMIT ")
                    .push_bind(i64::from(limit));
                qb.build().fetch_all(p).await?.iter().map(commission_from).collect()
            }

            /// Number and exact total of an agent's commissions.
            pub(crate) async fn commission_total(
                p: &Pool,
                chain: &str,
                agent: &str,
            ) -> Result<(u64, Amount)> {
                let mut qb = select_chain("agent_commissions", &["amount"], &["amount"], chain);
                qb.push(" AND agent = ").push_bind(agent.to_owned());
                let rows = qb.build().fetch_all(p).await?;
                let mut total = Amount::ZERO;
                for r in &rows {
                    total.add(amount(r, "amount", "agent_commissions")?, "agent_commissions")?;
                }
                Ok((rows.len() as u64, total))
            }

            /// A merchant's settled volume per day.
            pub(crate) async fn merchant_volume(
                p: &Pool,
                chain: &str,
                merchant: &str,
                from_time: Option<i64>,
                to_time: Option<i64>,
            ) -> Result<Vec<MerchantDay>> {
                let mut qb = select_chain("daily_volume", &VOLUME_COLS, &VOLUME_AMOUNTS, chain);
                qb.push(" AND address = ").push_bind(merchant.to_owned());
                if let Some(t) = from_time {
                    qb.push(" AND day >= ").push_bind(t.div_euclid(86_400) * 86_400);
                }
                if let Some(t) = to_time {
                    qb.push(" AND day <= ").push_bind(t);
                }
                qb.push(" ORDER BY day");
                qb.build().fetch_all(p).await?.iter().map(volume_from).collect()
            }

            /// Settled volume of the whole escrow per `bucket` seconds.
            pub(crate) async fn settled_volume(
                p: &Pool,
                chain: &str,
                bucket: i64,
                from_time: Option<i64>,
                to_time: Option<i64>,
            ) -> Result<Vec<VolumeBucket>> {
                let mut qb: QueryBuilder<Db> = QueryBuilder::new(format!(
                    "SELECT closed_time, {} FROM deals WHERE chain = ",
                    select(&["settled_amount", "fee"], &["settled_amount", "fee"])
                ));
                qb.push_bind(chain.to_owned())
                    .push(" AND settled_amount IS NOT NULL AND closed_time IS NOT NULL");
                if let Some(t) = from_time {
                    qb.push(" AND closed_time >= ").push_bind(t);
                }
                if let Some(t) = to_time {
                    qb.push(" AND closed_time <= ").push_bind(t);
                }
                let rows = qb.build().fetch_all(p).await?;
                let mut buckets: std::collections::BTreeMap<i64, (u64, Amount, Amount)> =
                    Default::default();
                for r in &rows {
                    let time: i64 = r.try_get("closed_time")?;
                    let settled = amount(r, "settled_amount", "deals")?;
                    if settled.is_zero() {
                        continue;
                    }
                    let fee = opt_amount(r, "fee", "deals")?.unwrap_or_default();
                    let e = buckets
                        .entry(time.div_euclid(bucket) * bucket)
                        .or_insert((0, Amount::ZERO, Amount::ZERO));
                    e.0 += 1;
                    e.1.add(settled, "deals")?;
                    e.2.add(fee, "deals")?;
                }
                Ok(buckets
                    .into_iter()
                    .map(|(start, (count, amount, fees))| VolumeBucket {
                        start,
                        count,
                        amount,
                        fees,
                    })
                    .collect())
            }

            /// The events of one deal, in order.
            pub(crate) async fn deal_events(
                p: &Pool,
                chain: &str,
                deal_id: u64,
            ) -> Result<Vec<EscrowEventRecord>> {
                let mut qb: QueryBuilder<Db> = QueryBuilder::new(
                    "SELECT block_number, log_index, block_time, tx_hash, kind, fields, confirmed FROM escrow_events WHERE chain = ",
                );
                qb.push_bind(chain.to_owned())
                    .push(" AND deal_id = ")
                    .push_bind(to_i64(deal_id, "escrow_events")?)
                    .push(" ORDER BY block_number, log_index");
                let rows = qb.build().fetch_all(p).await?;
                rows.iter()
                    .map(|r| {
                        let fields: String = r.try_get("fields")?;
                        Ok(EscrowEventRecord {
                            block_number: to_u64(r.try_get("block_number")?, "escrow_events")?,
                            log_index: to_u64(r.try_get("log_index")?, "escrow_events")?,
                            block_time: r.try_get("block_time")?,
                            tx_hash: r.try_get("tx_hash")?,
                            kind: r.try_get("kind")?,
                            fields: serde_json::from_str(&fields).map_err(|e| {
                                crate::error::Error::CorruptRow {
                                    table: "escrow_events",
                                    reason: e.to_string(),
                                }
                            })?,
                            confirmed: r.try_get("confirmed")?,
                        })
                    })
                    .collect()
            }

            /// Count of rows per event table of a chain (escrow, multisig).
            pub(crate) async fn event_counts(p: &Pool, chain: &str) -> Result<(u64, u64)> {
                let mut out = [0u64; 2];
                for (i, table) in ["escrow_events", "multisig_events"].iter().enumerate() {
                    let mut qb: QueryBuilder<Db> =
                        QueryBuilder::new(format!("SELECT COUNT(*) AS n FROM {table} WHERE chain = "));
                    qb.push_bind(chain.to_owned());
                    let r = qb.build().fetch_one(p).await?;
                    out[i] = to_u64(r.try_get("n")?, "events")?;
                }
                Ok((out[0], out[1]))
            }
        }
    };
}

backend!(sqlite, sqlx::Sqlite, false);
backend!(postgres, sqlx::Postgres, true);
