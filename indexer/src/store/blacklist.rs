//! `token_blacklist`: Tether's own blacklist events, one row per event, written in the
//! batch's transaction (`native.rs`), confirmed and rolled back with the transfers
//! (`chain_write.rs`); read back here, written once for both backends (`backend.rs`).

/// A stored blacklist event as read back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BlacklistRecord {
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
    /// The token contract that emitted it.
    pub token: String,
    /// The listed (or cleared) address.
    pub address: String,
    /// `added`, `removed` or `funds_destroyed`.
    pub event: String,
    /// Whether the address is blacklisted after this event.
    pub blacklisted: bool,
    /// The burned balance, exact decimal (`funds_destroyed` only).
    pub amount: Option<String>,
    /// Behind the finality line.
    pub confirmed: bool,
}

/// Filters for listing blacklist events; results are in (block, log index) order.
#[derive(Debug, Clone, Default)]
pub struct BlacklistQuery {
    /// The chain.
    pub chain: String,
    /// Only this address's events (already normalized).
    pub address: Option<String>,
    /// Keyset: only rows strictly after this (block, log index).
    pub after: Option<(u64, u64)>,
    /// Page size.
    pub limit: u32,
}

macro_rules! sql {
    () => {
        use sqlx::{QueryBuilder, Row};

        use super::*;
        use crate::{
            error::Result,
            store::{BlacklistQuery, BlacklistRecord, to_i64, to_u64},
        };

        const COLUMNS: [&str; 12] = [
            "chain",
            "block_number",
            "log_index",
            "block_hash",
            "block_time",
            "tx_hash",
            "token",
            "address",
            "event",
            "blacklisted",
            "amount",
            "confirmed",
        ];

        fn record(r: &DbRow) -> Result<BlacklistRecord> {
            Ok(BlacklistRecord {
                chain: r.try_get("chain")?,
                block_number: to_u64(r.try_get("block_number")?, "token_blacklist")?,
                log_index: to_u64(r.try_get("log_index")?, "token_blacklist")?,
                block_hash: r.try_get("block_hash")?,
                block_time: r.try_get("block_time")?,
                tx_hash: r.try_get("tx_hash")?,
                token: r.try_get("token")?,
                address: r.try_get("address")?,
                event: r.try_get("event")?,
                blacklisted: r.try_get("blacklisted")?,
                amount: r.try_get("amount")?,
                confirmed: r.try_get("confirmed")?,
            })
        }

        /// `SELECT <columns> FROM token_blacklist WHERE chain = <chain>`.
        fn select_chain(chain: &str) -> QueryBuilder<Db> {
            let mut qb = QueryBuilder::new(format!(
                "SELECT {} FROM token_blacklist WHERE chain = ",
                select(&COLUMNS, &["amount"])
            ));
            qb.push_bind(chain.to_owned());
            qb
        }

        /// Lists events in (block, log index) order.
        pub(crate) async fn list(p: &Pool, q: &BlacklistQuery) -> Result<Vec<BlacklistRecord>> {
            let mut qb = select_chain(&q.chain);
            if let Some(a) = &q.address {
                qb.push(" AND address = ").push_bind(a.clone());
            }
            if let Some((b, l)) = q.after {
                qb.push(" AND (block_number, log_index) > (")
                    .push_bind(to_i64(b, "token_blacklist")?)
                    .push(", ")
                    .push_bind(to_i64(l, "token_blacklist")?)
                    .push(")");
            }
            qb.push(" ORDER BY block_number, log_index LIMIT ")
                .push_bind(i64::from(q.limit));
            let rows = qb.build().fetch_all(p).await?;
            rows.iter().map(record).collect()
        }

        /// The last event of an address.
        pub(crate) async fn latest(
            p: &Pool,
            chain: &str,
            address: &str,
        ) -> Result<Option<BlacklistRecord>> {
            let mut qb = select_chain(chain);
            qb.push(" AND address = ")
                .push_bind(address.to_owned())
                .push(" ORDER BY block_number DESC, log_index DESC LIMIT 1");
            let row = qb.build().fetch_optional(p).await?;
            row.as_ref().map(record).transpose()
        }
    };
}

pub(super) use sql;
