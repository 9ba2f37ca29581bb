//! The few things each backend does its own way; everything else in the store is
//! written once (`backend.rs`). Both modules have the same functions:
//!
//! - `begin_write`: a write transaction that excludes other writers of the chain
//!   (SQLite: `BEGIN IMMEDIATE`, the file's one writer; PostgreSQL: a transaction
//!   advisory lock per chain, since the first batch has no cursor row to lock);
//! - `insert_blocks`, `insert_transfers`, `insert_blacklist`: a batch's bulk rows
//!   (SQLite: multi-row INSERTs; PostgreSQL: binary COPY for transfers, one UNNEST
//!   statement per table for the rest, so the statement text is the same for every
//!   batch and parsed once).

/// SQLite: multi-row inserts under `BEGIN IMMEDIATE`.
pub(crate) mod sqlite {
    use sqlx::{QueryBuilder, Sqlite, SqlitePool};

    use crate::{
        decode::{BlacklistEventRow, Transfer},
        error::Result,
        store::{BlockRow, to_i64},
    };

    type Tx = sqlx::Transaction<'static, Sqlite>;

    /// Rows per INSERT statement (at most 12 parameters each, well under SQLite's
    /// 32766 limit).
    const ROWS_PER_INSERT: usize = 2000;

    /// A write transaction: SQLite has one writer per file; take the lock up front so
    /// the cursor read and the writes see one state.
    pub(crate) async fn begin_write(p: &SqlitePool, _chain: &str) -> Result<Tx> {
        Ok(p.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Headers of the reorg window (a header at a stored height replaces it).
    pub(crate) async fn insert_blocks(tx: &mut Tx, chain: &str, blocks: &[BlockRow]) -> Result<()> {
        for chunk in blocks.chunks(ROWS_PER_INSERT) {
            let mut numbers = Vec::with_capacity(chunk.len());
            for blk in chunk {
                numbers.push(to_i64(blk.number, "blocks")?);
            }
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT OR REPLACE INTO blocks (chain, number, hash, parent_hash, block_time) ",
            );
            qb.push_values(chunk.iter().zip(numbers), |mut s, (blk, n)| {
                s.push_bind(chain.to_owned())
                    .push_bind(n)
                    .push_bind(blk.hash.clone())
                    .push_bind(blk.parent_hash.clone())
                    .push_bind(blk.time);
            });
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// A batch's transfers; rows at or below `finalized` are stored confirmed.
    pub(crate) async fn insert_transfers(
        tx: &mut Tx,
        chain: &str,
        transfers: &[Transfer],
        finalized: i64,
    ) -> Result<()> {
        for chunk in transfers.chunks(ROWS_PER_INSERT) {
            let mut keys = Vec::with_capacity(chunk.len());
            for t in chunk {
                keys.push((
                    to_i64(t.block_number, "transfers")?,
                    to_i64(t.log_index, "transfers")?,
                ));
            }
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO transfers (chain, block_number, log_index, block_hash, block_time, tx_hash, token, from_addr, to_addr, amount, confirmed) ",
            );
            qb.push_values(chunk.iter().zip(keys), |mut s, (t, (n, li))| {
                s.push_bind(chain.to_owned())
                    .push_bind(n)
                    .push_bind(li)
                    .push_bind(t.block_hash.clone())
                    .push_bind(t.block_time)
                    .push_bind(t.tx_hash.clone())
                    .push_bind(t.token.clone())
                    .push_bind(t.from.clone())
                    .push_bind(t.to.clone())
                    .push_bind(t.amount.clone())
                    .push_bind(n <= finalized);
            });
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// A batch's token blacklist events.
    pub(crate) async fn insert_blacklist(
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
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO token_blacklist (chain, block_number, log_index, block_hash, block_time, tx_hash, token, address, event, blacklisted, amount, confirmed) ",
            );
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
}

/// PostgreSQL: binary COPY and UNNEST array inserts under a per-chain advisory lock.
pub(crate) mod postgres {
    use sqlx::{PgPool, Postgres};

    use crate::{
        decode::{BlacklistEventRow, Transfer},
        error::Result,
        store::{BlockRow, pg_copy::CopyBinary, to_i64},
    };

    type Tx = sqlx::Transaction<'static, Postgres>;

    /// A write transaction holding the chain's writer lock until it ends (the first
    /// batch of a chain has no cursor row to lock `FOR UPDATE`).
    pub(crate) async fn begin_write(p: &PgPool, chain: &str) -> Result<Tx> {
        let mut tx = p.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('stablerail-indexer:' || $1))")
            .bind(chain)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Headers of the reorg window (a header at a stored height replaces it).
    pub(crate) async fn insert_blocks(tx: &mut Tx, chain: &str, blocks: &[BlockRow]) -> Result<()> {
        if blocks.is_empty() {
            return Ok(());
        }
        let mut numbers = Vec::with_capacity(blocks.len());
        for blk in blocks {
            numbers.push(to_i64(blk.number, "blocks")?);
        }
        let hashes: Vec<&str> = blocks.iter().map(|x| x.hash.as_str()).collect();
        let parents: Vec<&str> = blocks.iter().map(|x| x.parent_hash.as_str()).collect();
        let times: Vec<i64> = blocks.iter().map(|x| x.time).collect();
        sqlx::query(
            "INSERT INTO blocks (chain, number, hash, parent_hash, block_time)
             SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bigint[])
             ON CONFLICT (chain, number) DO UPDATE SET hash = excluded.hash,
               parent_hash = excluded.parent_hash, block_time = excluded.block_time",
        )
        .bind(chain)
        .bind(&numbers)
        .bind(&hashes)
        .bind(&parents)
        .bind(&times)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A batch's transfers by binary COPY (the bulk of a batch: no per-row SQL, no
    /// text-to-numeric parsing); rows at or below `finalized` are stored confirmed.
    pub(crate) async fn insert_transfers(
        tx: &mut Tx,
        chain: &str,
        transfers: &[Transfer],
        finalized: i64,
    ) -> Result<()> {
        if transfers.is_empty() {
            return Ok(());
        }
        let mut copy = CopyBinary::with_capacity(transfers.len(), 360);
        for t in transfers {
            let n = to_i64(t.block_number, "transfers")?;
            copy.row(11);
            copy.text(chain)?;
            copy.int8(n)?;
            copy.int8(to_i64(t.log_index, "transfers")?)?;
            copy.text(&t.block_hash)?;
            copy.int8(t.block_time)?;
            copy.text(&t.tx_hash)?;
            copy.text(&t.token)?;
            copy.text(&t.from)?;
            copy.text(&t.to)?;
            copy.numeric(&t.amount, "transfers")?;
            copy.boolean(n <= finalized)?;
        }
        let mut sink = tx
            .copy_in_raw(
                "COPY transfers (chain, block_number, log_index, block_hash, block_time, tx_hash,
                   token, from_addr, to_addr, amount, confirmed) FROM STDIN (FORMAT binary)",
            )
            .await?;
        sink.send(copy.finish()).await?;
        sink.finish().await?;
        Ok(())
    }

    /// A batch's token blacklist events, one UNNEST statement.
    pub(crate) async fn insert_blacklist(
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
}
