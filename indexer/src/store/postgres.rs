//! PostgreSQL backend: transfers by binary COPY, the other rows by UNNEST array inserts
//! (one statement per table and batch), exact NUMERIC sums.

use sqlx::{PgPool, Postgres, QueryBuilder, Row, postgres::PgRow};

use super::pg_copy::CopyBinary;
use super::{
    AddressSummary, ApiKeyRow, Batch, BlockRow, Cursor, DailyVolume, TransferQuery, TransferRecord,
    now_unix, to_i64, to_u64,
};
use crate::error::{Error, Result};

fn cursor_from_row(r: &PgRow) -> Result<Cursor> {
    Ok(Cursor {
        chain: r.try_get("chain")?,
        block_number: to_u64(r.try_get("block_number")?, "cursors")?,
        block_hash: r.try_get("block_hash")?,
        head_number: to_u64(r.try_get("head_number")?, "cursors")?,
        finalized_number: to_u64(r.try_get("finalized_number")?, "cursors")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(super) async fn cursor(p: &PgPool, chain: &str) -> Result<Option<Cursor>> {
    let row = sqlx::query("SELECT * FROM cursors WHERE chain = $1")
        .bind(chain)
        .fetch_optional(p)
        .await?;
    row.as_ref().map(cursor_from_row).transpose()
}

pub(super) async fn cursors(p: &PgPool) -> Result<Vec<Cursor>> {
    let rows = sqlx::query("SELECT * FROM cursors ORDER BY chain")
        .fetch_all(p)
        .await?;
    rows.iter().map(cursor_from_row).collect()
}

pub(super) async fn window(p: &PgPool, chain: &str) -> Result<Vec<BlockRow>> {
    let rows = sqlx::query(
        "SELECT number, hash, parent_hash, block_time FROM blocks WHERE chain = $1 ORDER BY number DESC",
    )
    .bind(chain)
    .fetch_all(p)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BlockRow {
                number: to_u64(r.try_get("number")?, "blocks")?,
                hash: r.try_get("hash")?,
                parent_hash: r.try_get("parent_hash")?,
                time: r.try_get("block_time")?,
            })
        })
        .collect()
}

pub(super) async fn commit_batch(p: &PgPool, b: &Batch) -> Result<()> {
    let mut tx = p.begin().await?;
    // Serialize writers of one chain: the first batch has no cursor row to lock.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('stablerail-indexer:' || $1))")
        .bind(&b.chain)
        .execute(&mut *tx)
        .await?;
    let current: Option<i64> =
        sqlx::query_scalar("SELECT block_number FROM cursors WHERE chain = $1 FOR UPDATE")
            .bind(&b.chain)
            .fetch_optional(&mut *tx)
            .await?;
    let expected = b
        .expected_cursor
        .map(|v| to_i64(v, "cursors"))
        .transpose()?;
    if current != expected {
        return Err(Error::CursorMoved {
            chain: b.chain.clone(),
            expected,
            found: current,
        });
    }
    let finalized = to_i64(b.finalized, "cursors")?;
    if !b.blocks.is_empty() {
        let mut nums = Vec::with_capacity(b.blocks.len());
        for blk in &b.blocks {
            nums.push(to_i64(blk.number, "blocks")?);
        }
        let hashes: Vec<&str> = b.blocks.iter().map(|x| x.hash.as_str()).collect();
        let parents: Vec<&str> = b.blocks.iter().map(|x| x.parent_hash.as_str()).collect();
        let times: Vec<i64> = b.blocks.iter().map(|x| x.time).collect();
        sqlx::query(
            "INSERT INTO blocks (chain, number, hash, parent_hash, block_time)
             SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bigint[])
             ON CONFLICT (chain, number) DO UPDATE SET hash = excluded.hash,
               parent_hash = excluded.parent_hash, block_time = excluded.block_time",
        )
        .bind(&b.chain)
        .bind(&nums)
        .bind(&hashes)
        .bind(&parents)
        .bind(&times)
        .execute(&mut *tx)
        .await?;
    }
    if !b.transfers.is_empty() {
        // The bulk of a batch: binary COPY (no per-row SQL, no text-to-numeric parsing).
        let mut copy = CopyBinary::with_capacity(b.transfers.len(), 360);
        for t in &b.transfers {
            let n = to_i64(t.block_number, "transfers")?;
            copy.row(11);
            copy.text(&b.chain)?;
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
    }
    super::escrow::postgres::insert_events(
        &mut tx,
        &b.chain,
        &b.escrow_events,
        &b.multisig_events,
        finalized,
    )
    .await?;
    super::escrow::postgres::apply(&mut tx, &b.chain, &b.escrow_events).await?;
    super::blacklist::postgres::insert(&mut tx, &b.chain, &b.blacklist, finalized).await?;
    confirm_and_prune(&mut tx, &b.chain, finalized, b.last.number).await?;
    sqlx::query(
        "INSERT INTO cursors (chain, block_number, block_hash, head_number, finalized_number, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (chain) DO UPDATE SET block_number = excluded.block_number,
           block_hash = excluded.block_hash, head_number = excluded.head_number,
           finalized_number = excluded.finalized_number, updated_at = excluded.updated_at",
    )
    .bind(&b.chain)
    .bind(to_i64(b.last.number, "cursors")?)
    .bind(&b.last.hash)
    .bind(to_i64(b.head, "cursors")?)
    .bind(finalized)
    .bind(now_unix())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn confirm_and_prune(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    chain: &str,
    finalized: i64,
    cursor: u64,
) -> Result<()> {
    sqlx::query(
        "UPDATE transfers SET confirmed = TRUE WHERE chain = $1 AND NOT confirmed AND block_number <= $2",
    )
    .bind(chain)
    .bind(finalized)
    .execute(&mut **tx)
    .await?;
    super::escrow::postgres::confirm(tx, chain, finalized).await?;
    super::blacklist::postgres::confirm(tx, chain, finalized).await?;
    let keep_from = finalized.min(to_i64(cursor, "cursors")?);
    sqlx::query("DELETE FROM blocks WHERE chain = $1 AND number < $2")
        .bind(chain)
        .bind(keep_from)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) async fn update_head(p: &PgPool, chain: &str, head: u64, finalized: u64) -> Result<()> {
    let mut tx = p.begin().await?;
    let cur: Option<i64> =
        sqlx::query_scalar("SELECT block_number FROM cursors WHERE chain = $1 FOR UPDATE")
            .bind(chain)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(cur) = cur else {
        return Ok(());
    };
    let finalized = to_i64(finalized, "cursors")?;
    confirm_and_prune(&mut tx, chain, finalized, to_u64(cur, "cursors")?).await?;
    sqlx::query(
        "UPDATE cursors SET head_number = $1, finalized_number = $2, updated_at = $3 WHERE chain = $4",
    )
    .bind(to_i64(head, "cursors")?)
    .bind(finalized)
    .bind(now_unix())
    .bind(chain)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn rollback(p: &PgPool, chain: &str, ancestor: &BlockRow) -> Result<()> {
    let n = to_i64(ancestor.number, "blocks")?;
    let mut tx = p.begin().await?;
    sqlx::query("SELECT block_number FROM cursors WHERE chain = $1 FOR UPDATE")
        .bind(chain)
        .fetch_optional(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM transfers WHERE chain = $1 AND block_number > $2")
        .bind(chain)
        .bind(n)
        .execute(&mut *tx)
        .await?;
    // Events above the ancestor go; the derived tables are replayed from the rest.
    super::escrow::postgres::rollback(&mut tx, chain, n).await?;
    super::blacklist::postgres::rollback(&mut tx, chain, n).await?;
    sqlx::query("DELETE FROM blocks WHERE chain = $1 AND number > $2")
        .bind(chain)
        .bind(n)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE cursors SET block_number = $1, block_hash = $2, updated_at = $3 WHERE chain = $4",
    )
    .bind(n)
    .bind(&ancestor.hash)
    .bind(now_unix())
    .bind(chain)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

fn record_from_row(r: &PgRow) -> Result<TransferRecord> {
    Ok(TransferRecord {
        chain: r.try_get("chain")?,
        block_number: to_u64(r.try_get("block_number")?, "transfers")?,
        log_index: to_u64(r.try_get("log_index")?, "transfers")?,
        block_hash: r.try_get("block_hash")?,
        block_time: r.try_get("block_time")?,
        tx_hash: r.try_get("tx_hash")?,
        token: r.try_get("token")?,
        from: r.try_get("from_addr")?,
        to: r.try_get("to_addr")?,
        amount: r.try_get("amount")?,
        confirmed: r.try_get("confirmed")?,
    })
}

const COLUMNS: &str = "chain, block_number, log_index, block_hash, block_time, tx_hash, token, from_addr, to_addr, amount::text AS amount, confirmed";

fn push_filters(qb: &mut QueryBuilder<Postgres>, q: &TransferQuery) -> Result<()> {
    if let Some(tx) = &q.tx_hash {
        qb.push(" AND tx_hash = ").push_bind(tx.clone());
    }
    if let Some(v) = q.from_block {
        qb.push(" AND block_number >= ")
            .push_bind(to_i64(v, "transfers")?);
    }
    if let Some(v) = q.to_block {
        qb.push(" AND block_number <= ")
            .push_bind(to_i64(v, "transfers")?);
    }
    if let Some(v) = q.from_time {
        qb.push(" AND block_time >= ").push_bind(v);
    }
    if let Some(v) = q.to_time {
        qb.push(" AND block_time <= ").push_bind(v);
    }
    if let Some((b, l)) = q.after {
        qb.push(" AND (block_number, log_index) > (")
            .push_bind(to_i64(b, "transfers")?)
            .push(", ")
            .push_bind(to_i64(l, "transfers")?)
            .push(")");
    }
    Ok(())
}

pub(super) async fn transfers(p: &PgPool, q: &TransferQuery) -> Result<Vec<TransferRecord>> {
    let limit = i64::from(q.limit);
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("");
    match &q.address {
        Some(addr) => {
            for (i, col) in ["from_addr", "to_addr"].iter().enumerate() {
                if i > 0 {
                    qb.push(" UNION ");
                }
                qb.push(format!("(SELECT {COLUMNS} FROM transfers WHERE chain = "))
                    .push_bind(q.chain.clone())
                    .push(format!(" AND {col} = "))
                    .push_bind(addr.clone());
                push_filters(&mut qb, q)?;
                qb.push(" ORDER BY block_number, log_index LIMIT ")
                    .push_bind(limit)
                    .push(")");
            }
            qb.push(" ORDER BY block_number, log_index LIMIT ")
                .push_bind(limit);
        }
        None => {
            qb.push(format!("SELECT {COLUMNS} FROM transfers WHERE chain = "))
                .push_bind(q.chain.clone());
            push_filters(&mut qb, q)?;
            qb.push(" ORDER BY block_number, log_index LIMIT ")
                .push_bind(limit);
        }
    }
    let rows = qb.build().fetch_all(p).await?;
    rows.iter().map(record_from_row).collect()
}

pub(super) async fn address_summary(
    p: &PgPool,
    chain: &str,
    address: &str,
) -> Result<AddressSummary> {
    let r = sqlx::query(
        "WITH t AS (
           SELECT from_addr, to_addr, amount, block_time FROM transfers WHERE chain = $1 AND from_addr = $2
           UNION ALL
           SELECT from_addr, to_addr, amount, block_time FROM transfers
           WHERE chain = $1 AND to_addr = $2 AND from_addr <> $2)
         SELECT
           COUNT(*) FILTER (WHERE to_addr = $2) AS in_count,
           COALESCE(SUM(amount) FILTER (WHERE to_addr = $2), 0)::text AS in_amount,
           COUNT(*) FILTER (WHERE from_addr = $2) AS out_count,
           COALESCE(SUM(amount) FILTER (WHERE from_addr = $2), 0)::text AS out_amount,
           COUNT(DISTINCT CASE WHEN from_addr = $2 THEN to_addr ELSE from_addr END) AS parties,
           MIN(block_time) AS first_seen, MAX(block_time) AS last_seen
         FROM t",
    )
    .bind(chain)
    .bind(address)
    .fetch_one(p)
    .await?;
    Ok(AddressSummary {
        chain: chain.to_owned(),
        address: address.to_owned(),
        in_count: to_u64(r.try_get("in_count")?, "transfers")?,
        in_amount: r.try_get("in_amount")?,
        out_count: to_u64(r.try_get("out_count")?, "transfers")?,
        out_amount: r.try_get("out_amount")?,
        counterparties: to_u64(r.try_get("parties")?, "transfers")?,
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
    })
}

pub(super) async fn daily_volume(
    p: &PgPool,
    chain: &str,
    address: Option<&str>,
    from_time: Option<i64>,
    to_time: Option<i64>,
) -> Result<Vec<DailyVolume>> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT (floor(block_time / 86400.0) * 86400)::bigint AS day, COUNT(*) AS n, SUM(amount)::text AS total
         FROM transfers WHERE chain = ",
    );
    qb.push_bind(chain.to_owned());
    if let Some(a) = address {
        qb.push(" AND (from_addr = ")
            .push_bind(a.to_owned())
            .push(" OR to_addr = ")
            .push_bind(a.to_owned())
            .push(")");
    }
    if let Some(t) = from_time {
        qb.push(" AND block_time >= ").push_bind(t);
    }
    if let Some(t) = to_time {
        qb.push(" AND block_time <= ").push_bind(t);
    }
    qb.push(" GROUP BY 1 ORDER BY 1");
    let rows = qb.build().fetch_all(p).await?;
    rows.iter()
        .map(|r| {
            Ok(DailyVolume {
                day: r.try_get("day")?,
                count: to_u64(r.try_get("n")?, "transfers")?,
                amount: r.try_get("total")?,
            })
        })
        .collect()
}

pub(super) async fn create_api_key(p: &PgPool, name: &str, key_hash: &str) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_keys (name, key_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(key_hash)
    .bind(now_unix())
    .fetch_one(p)
    .await?;
    Ok(id)
}

pub(super) async fn revoke_api_key(p: &PgPool, id: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_unix())
        .bind(id)
        .execute(p)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub(super) async fn api_key_valid(p: &PgPool, key_hash: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(key_hash)
    .fetch_one(p)
    .await?;
    Ok(n > 0)
}

pub(super) async fn api_keys(p: &PgPool) -> Result<Vec<ApiKeyRow>> {
    let rows = sqlx::query("SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY id")
        .fetch_all(p)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ApiKeyRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at: r.try_get("created_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        })
        .collect()
}
