//! SQLite backend: multi-row inserts, `BEGIN IMMEDIATE` write transactions.

use std::collections::{BTreeMap, HashSet};

use alloy::primitives::U512;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, sqlite::SqliteRow};

use super::{
    AddressSummary, ApiKeyRow, Batch, BlockRow, Cursor, DailyVolume, TransferQuery, TransferRecord,
    add_decimal, now_unix, to_i64, to_u64,
};
use crate::error::{Error, Result};

/// Rows per INSERT statement (11 parameters each, well under SQLite's 32766 limit).
const ROWS_PER_INSERT: usize = 2000;

fn cursor_from_row(r: &SqliteRow) -> Result<Cursor> {
    Ok(Cursor {
        chain: r.try_get("chain")?,
        block_number: to_u64(r.try_get("block_number")?, "cursors")?,
        block_hash: r.try_get("block_hash")?,
        head_number: to_u64(r.try_get("head_number")?, "cursors")?,
        finalized_number: to_u64(r.try_get("finalized_number")?, "cursors")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(super) async fn cursor(p: &SqlitePool, chain: &str) -> Result<Option<Cursor>> {
    let row = sqlx::query("SELECT * FROM cursors WHERE chain = ?")
        .bind(chain)
        .fetch_optional(p)
        .await?;
    row.as_ref().map(cursor_from_row).transpose()
}

pub(super) async fn cursors(p: &SqlitePool) -> Result<Vec<Cursor>> {
    let rows = sqlx::query("SELECT * FROM cursors ORDER BY chain")
        .fetch_all(p)
        .await?;
    rows.iter().map(cursor_from_row).collect()
}

pub(super) async fn window(p: &SqlitePool, chain: &str) -> Result<Vec<BlockRow>> {
    let rows = sqlx::query(
        "SELECT number, hash, parent_hash, block_time FROM blocks WHERE chain = ? ORDER BY number DESC",
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

pub(super) async fn commit_batch(p: &SqlitePool, b: &Batch) -> Result<()> {
    let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
    let current: Option<i64> =
        sqlx::query_scalar("SELECT block_number FROM cursors WHERE chain = ?")
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
    for chunk in b.blocks.chunks(ROWS_PER_INSERT) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR REPLACE INTO blocks (chain, number, hash, parent_hash, block_time) ",
        );
        let mut err = None;
        qb.push_values(chunk, |mut s, blk| {
            let n = to_i64(blk.number, "blocks").unwrap_or_else(|e| {
                err = Some(e);
                0
            });
            s.push_bind(b.chain.clone())
                .push_bind(n)
                .push_bind(blk.hash.clone())
                .push_bind(blk.parent_hash.clone())
                .push_bind(blk.time);
        });
        if let Some(e) = err {
            return Err(e);
        }
        qb.build().execute(&mut *tx).await?;
    }
    for chunk in b.transfers.chunks(ROWS_PER_INSERT) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO transfers (chain, block_number, log_index, block_hash, block_time, tx_hash, token, from_addr, to_addr, amount, confirmed) ",
        );
        let mut err = None;
        qb.push_values(chunk, |mut s, t| {
            let (n, li) = match (
                to_i64(t.block_number, "transfers"),
                to_i64(t.log_index, "transfers"),
            ) {
                (Ok(n), Ok(li)) => (n, li),
                (Err(e), _) | (_, Err(e)) => {
                    err = Some(e);
                    (0, 0)
                }
            };
            s.push_bind(b.chain.clone())
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
        if let Some(e) = err {
            return Err(e);
        }
        qb.build().execute(&mut *tx).await?;
    }
    super::escrow::sqlite::insert_events(
        &mut tx,
        &b.chain,
        &b.escrow_events,
        &b.multisig_events,
        finalized,
    )
    .await?;
    super::escrow::sqlite::apply(&mut tx, &b.chain, &b.escrow_events).await?;
    super::blacklist::sqlite::insert(&mut tx, &b.chain, &b.blacklist, finalized).await?;
    confirm_and_prune(&mut tx, &b.chain, finalized, b.last.number).await?;
    sqlx::query(
        "INSERT INTO cursors (chain, block_number, block_hash, head_number, finalized_number, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
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
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    chain: &str,
    finalized: i64,
    cursor: u64,
) -> Result<()> {
    sqlx::query("UPDATE transfers SET confirmed = 1 WHERE chain = ? AND confirmed = 0 AND block_number <= ?")
        .bind(chain)
        .bind(finalized)
        .execute(&mut **tx)
        .await?;
    // Keep the finalized block itself (a possible common ancestor) and the cursor block.
    super::escrow::sqlite::confirm(tx, chain, finalized).await?;
    super::blacklist::sqlite::confirm(tx, chain, finalized).await?;
    let keep_from = finalized.min(to_i64(cursor, "cursors")?);
    sqlx::query("DELETE FROM blocks WHERE chain = ? AND number < ?")
        .bind(chain)
        .bind(keep_from)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) async fn update_head(
    p: &SqlitePool,
    chain: &str,
    head: u64,
    finalized: u64,
) -> Result<()> {
    let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
    let cur: Option<i64> = sqlx::query_scalar("SELECT block_number FROM cursors WHERE chain = ?")
        .bind(chain)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(cur) = cur else {
        return Ok(());
    };
    let finalized = to_i64(finalized, "cursors")?;
    confirm_and_prune(&mut tx, chain, finalized, to_u64(cur, "cursors")?).await?;
    sqlx::query(
        "UPDATE cursors SET head_number = ?, finalized_number = ?, updated_at = ? WHERE chain = ?",
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

pub(super) async fn rollback(p: &SqlitePool, chain: &str, ancestor: &BlockRow) -> Result<()> {
    let n = to_i64(ancestor.number, "blocks")?;
    let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query("DELETE FROM transfers WHERE chain = ? AND block_number > ?")
        .bind(chain)
        .bind(n)
        .execute(&mut *tx)
        .await?;
    // Events above the ancestor go; the derived tables are replayed from the rest.
    super::escrow::sqlite::rollback(&mut tx, chain, n).await?;
    super::blacklist::sqlite::rollback(&mut tx, chain, n).await?;
    sqlx::query("DELETE FROM blocks WHERE chain = ? AND number > ?")
        .bind(chain)
        .bind(n)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE cursors SET block_number = ?, block_hash = ?, updated_at = ? WHERE chain = ?",
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

fn record_from_row(r: &SqliteRow) -> Result<TransferRecord> {
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

const COLUMNS: &str = "chain, block_number, log_index, block_hash, block_time, tx_hash, token, from_addr, to_addr, amount, confirmed";

/// Appends the non-address filters (each preceded by AND).
fn push_filters(qb: &mut QueryBuilder<Sqlite>, q: &TransferQuery) -> Result<()> {
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

pub(super) async fn transfers(p: &SqlitePool, q: &TransferQuery) -> Result<Vec<TransferRecord>> {
    let limit = i64::from(q.limit);
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("");
    match &q.address {
        // Two index-ordered halves, each limited, merged: uses the from/to indexes.
        Some(addr) => {
            for (i, col) in ["from_addr", "to_addr"].iter().enumerate() {
                if i > 0 {
                    qb.push(" UNION ");
                }
                // Without statistics SQLite prefers the primary key (no sort needed) and
                // scans the whole chain; the address index is the right one.
                let index = if *col == "from_addr" {
                    "transfers_from"
                } else {
                    "transfers_to"
                };
                qb.push(format!(
                    "SELECT * FROM (SELECT {COLUMNS} FROM transfers INDEXED BY {index} WHERE chain = "
                ))
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
    p: &SqlitePool,
    chain: &str,
    address: &str,
) -> Result<AddressSummary> {
    let rows = sqlx::query(
        "SELECT from_addr, to_addr, amount, block_time FROM transfers
         WHERE chain = ? AND from_addr = ?
         UNION ALL
         SELECT from_addr, to_addr, amount, block_time FROM transfers
         WHERE chain = ? AND to_addr = ? AND from_addr <> ?",
    )
    .bind(chain)
    .bind(address)
    .bind(chain)
    .bind(address)
    .bind(address)
    .fetch_all(p)
    .await?;
    let (mut in_amount, mut out_amount) = (U512::ZERO, U512::ZERO);
    let (mut in_count, mut out_count) = (0u64, 0u64);
    let mut parties = HashSet::new();
    let (mut first, mut last): (Option<i64>, Option<i64>) = (None, None);
    for r in &rows {
        let from: String = r.try_get("from_addr")?;
        let to: String = r.try_get("to_addr")?;
        let amount: String = r.try_get("amount")?;
        let time: i64 = r.try_get("block_time")?;
        if to == address {
            in_count += 1;
            add_decimal(&mut in_amount, &amount)?;
        }
        if from == address {
            out_count += 1;
            add_decimal(&mut out_amount, &amount)?;
        }
        parties.insert(if from == address { to } else { from });
        first = Some(first.map_or(time, |f| f.min(time)));
        last = Some(last.map_or(time, |l| l.max(time)));
    }
    Ok(AddressSummary {
        chain: chain.to_owned(),
        address: address.to_owned(),
        in_count,
        in_amount: in_amount.to_string(),
        out_count,
        out_amount: out_amount.to_string(),
        counterparties: parties.len() as u64,
        first_seen: first,
        last_seen: last,
    })
}

pub(super) async fn daily_volume(
    p: &SqlitePool,
    chain: &str,
    address: Option<&str>,
    from_time: Option<i64>,
    to_time: Option<i64>,
) -> Result<Vec<DailyVolume>> {
    let mut qb: QueryBuilder<Sqlite> =
        QueryBuilder::new("SELECT block_time, amount FROM transfers WHERE chain = ");
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
    let rows = qb.build().fetch_all(p).await?;
    let mut days: BTreeMap<i64, (u64, U512)> = BTreeMap::new();
    for r in &rows {
        let time: i64 = r.try_get("block_time")?;
        let amount: String = r.try_get("amount")?;
        let e = days
            .entry(time.div_euclid(86_400) * 86_400)
            .or_insert((0, U512::ZERO));
        e.0 += 1;
        add_decimal(&mut e.1, &amount)?;
    }
    Ok(days
        .into_iter()
        .map(|(day, (count, amount))| DailyVolume {
            day,
            count,
            amount: amount.to_string(),
        })
        .collect())
}

pub(super) async fn create_api_key(p: &SqlitePool, name: &str, key_hash: &str) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_keys (name, key_hash, created_at) VALUES (?, ?, ?) RETURNING id",
    )
    .bind(name)
    .bind(key_hash)
    .bind(now_unix())
    .fetch_one(p)
    .await?;
    Ok(id)
}

pub(super) async fn revoke_api_key(p: &SqlitePool, id: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .bind(now_unix())
        .bind(id)
        .execute(p)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub(super) async fn api_key_valid(p: &SqlitePool, key_hash: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
    )
    .bind(key_hash)
    .fetch_one(p)
    .await?;
    Ok(n > 0)
}

pub(super) async fn api_keys(p: &SqlitePool) -> Result<Vec<ApiKeyRow>> {
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
