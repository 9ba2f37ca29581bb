//! `token_blacklist`: Tether's own blacklist events, one row per event, written in the
//! batch's transaction, confirmed and rolled back with the transfers (same key).

use crate::decode::BlacklistEventRow;

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

const COLUMNS: &str = "chain, block_number, log_index, block_hash, block_time, tx_hash, token, address, event, blacklisted, amount, confirmed";

/// SQLite: multi-row inserts; amounts as TEXT.
pub(super) mod sqlite {
    use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, sqlite::SqliteRow};

    use super::{BlacklistEventRow, BlacklistQuery, BlacklistRecord, COLUMNS};
    use crate::{
        error::Result,
        store::{to_i64, to_u64},
    };

    type Tx = sqlx::Transaction<'static, Sqlite>;

    /// Rows per INSERT (12 parameters each, well under SQLite's 32766 limit).
    const ROWS_PER_INSERT: usize = 2000;

    pub(in crate::store) async fn insert(
        tx: &mut Tx,
        chain: &str,
        rows: &[BlacklistEventRow],
        finalized: i64,
    ) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut keys = Vec::with_capacity(chunk.len());
            for r in chunk {
                keys.push((
                    to_i64(r.block_number, "token_blacklist")?,
                    to_i64(r.log_index, "token_blacklist")?,
                ));
            }
            let mut qb: QueryBuilder<Sqlite> =
                QueryBuilder::new(format!("INSERT INTO token_blacklist ({COLUMNS}) "));
            qb.push_values(chunk.iter().zip(keys), |mut s, (r, (n, li))| {
                s.push_bind(chain.to_owned())
                    .push_bind(n)
                    .push_bind(li)
                    .push_bind(r.block_hash.clone())
                    .push_bind(r.block_time)
                    .push_bind(r.tx_hash.clone())
                    .push_bind(r.contract.clone())
                    .push_bind(r.event.address.clone())
                    .push_bind(r.event.change.name())
                    .push_bind(r.event.change.blacklisted())
                    .push_bind(r.event.amount.clone())
                    .push_bind(n <= finalized);
            });
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(in crate::store) async fn confirm(tx: &mut Tx, chain: &str, finalized: i64) -> Result<()> {
        sqlx::query(
            "UPDATE token_blacklist SET confirmed = 1 WHERE chain = ? AND confirmed = 0 AND block_number <= ?",
        )
        .bind(chain)
        .bind(finalized)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub(in crate::store) async fn rollback(tx: &mut Tx, chain: &str, ancestor: i64) -> Result<()> {
        sqlx::query("DELETE FROM token_blacklist WHERE chain = ? AND block_number > ?")
            .bind(chain)
            .bind(ancestor)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    fn record(r: &SqliteRow) -> Result<BlacklistRecord> {
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

    pub(in crate::store) async fn list(
        p: &SqlitePool,
        q: &BlacklistQuery,
    ) -> Result<Vec<BlacklistRecord>> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT {COLUMNS} FROM token_blacklist WHERE chain = "
        ));
        qb.push_bind(q.chain.clone());
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

    pub(in crate::store) async fn latest(
        p: &SqlitePool,
        chain: &str,
        address: &str,
    ) -> Result<Option<BlacklistRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM token_blacklist WHERE chain = ? AND address = ?
             ORDER BY block_number DESC, log_index DESC LIMIT 1"
        )))
        .bind(chain)
        .bind(address)
        .fetch_optional(p)
        .await?;
        row.as_ref().map(record).transpose()
    }
}

/// PostgreSQL: one UNNEST insert per batch; amounts as NUMERIC.
pub(super) mod postgres {
    use sqlx::{PgPool, Postgres, QueryBuilder, Row, postgres::PgRow};

    use super::{BlacklistEventRow, BlacklistQuery, BlacklistRecord};
    use crate::{
        error::Result,
        store::{to_i64, to_u64},
    };

    type Tx = sqlx::Transaction<'static, Postgres>;

    /// Columns read back (amounts as text: exact, whatever their size).
    const SELECT: &str = "SELECT chain, block_number, log_index, block_hash, block_time, tx_hash, token, address, event, blacklisted, amount::text AS amount, confirmed FROM token_blacklist";

    pub(in crate::store) async fn insert(
        tx: &mut Tx,
        chain: &str,
        rows: &[BlacklistEventRow],
        finalized: i64,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (mut nums, mut idx) = (Vec::new(), Vec::new());
        for r in rows {
            nums.push(to_i64(r.block_number, "token_blacklist")?);
            idx.push(to_i64(r.log_index, "token_blacklist")?);
        }
        let text =
            |f: fn(&BlacklistEventRow) -> &str| -> Vec<&str> { rows.iter().map(f).collect() };
        let times: Vec<i64> = rows.iter().map(|r| r.block_time).collect();
        let events: Vec<&str> = rows.iter().map(|r| r.event.change.name()).collect();
        let listed: Vec<bool> = rows.iter().map(|r| r.event.change.blacklisted()).collect();
        let amounts: Vec<Option<&str>> = rows.iter().map(|r| r.event.amount.as_deref()).collect();
        sqlx::query(
            "INSERT INTO token_blacklist (chain, block_number, log_index, block_hash, block_time,
               tx_hash, token, address, event, blacklisted, amount, confirmed)
             SELECT $1, u.n, u.i, u.bh, u.bt, u.tx, u.tk, u.a, u.e, u.l, u.am::numeric, u.n <= $12
             FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::boolean[], $11::text[])
                  AS u(n, i, bh, bt, tx, tk, a, e, l, am)",
        )
        .bind(chain)
        .bind(&nums)
        .bind(&idx)
        .bind(text(|r| &r.block_hash))
        .bind(&times)
        .bind(text(|r| &r.tx_hash))
        .bind(text(|r| &r.contract))
        .bind(text(|r| &r.event.address))
        .bind(&events)
        .bind(&listed)
        .bind(&amounts)
        .bind(finalized)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub(in crate::store) async fn confirm(tx: &mut Tx, chain: &str, finalized: i64) -> Result<()> {
        sqlx::query(
            "UPDATE token_blacklist SET confirmed = TRUE WHERE chain = $1 AND NOT confirmed AND block_number <= $2",
        )
        .bind(chain)
        .bind(finalized)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub(in crate::store) async fn rollback(tx: &mut Tx, chain: &str, ancestor: i64) -> Result<()> {
        sqlx::query("DELETE FROM token_blacklist WHERE chain = $1 AND block_number > $2")
            .bind(chain)
            .bind(ancestor)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    fn record(r: &PgRow) -> Result<BlacklistRecord> {
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

    pub(in crate::store) async fn list(
        p: &PgPool,
        q: &BlacklistQuery,
    ) -> Result<Vec<BlacklistRecord>> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(SELECT);
        qb.push(" WHERE chain = ").push_bind(q.chain.clone());
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

    pub(in crate::store) async fn latest(
        p: &PgPool,
        chain: &str,
        address: &str,
    ) -> Result<Option<BlacklistRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE chain = $1 AND address = $2
             ORDER BY block_number DESC, log_index DESC LIMIT 1"
        )))
        .bind(chain)
        .bind(address)
        .fetch_optional(p)
        .await?;
        row.as_ref().map(record).transpose()
    }
}
