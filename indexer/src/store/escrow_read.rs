//! Reads of the escrow's derived tables and events: deals, accounts, buy orders,
//! settings, agent commissions, merchant and settled volume.
//!
//! Written once for both backends (`backend.rs`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::amount::Amount;

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

macro_rules! sql {
    () => {
        use sqlx::{QueryBuilder, Row};

        use super::*;
        use super::escrow_rows::*;
        use crate::{
            amount::Amount,
            error::Result,
            store::{
                DealQuery, EscrowEventRecord, VolumeBucket,
                derived::{AgentCommission, BuyOrder, Deal, EscrowAccount, EscrowSettings, MerchantDay},
                to_i64, to_u64,
            },
        };

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
    };
}

pub(super) use sql;
