//! A chain's writes: one block range committed with its cursor, rows confirmed as the
//! finality line moves, a reorg rolled back, and the reorg window and cursor read
//! back. Every write that changes what the cursor means is one transaction, so a
//! crash leaves the state before or after it (docs/rules.md, "Indexer").
//!
//! Written once for both backends (`backend.rs`).

macro_rules! sql {
    () => {
        use sqlx::Row;

        use super::*;
        use crate::{
            error::{Error, Result},
            store::{Batch, BlockRow, Cursor, now_unix, to_i64, to_u64},
        };

        fn cursor_from_row(r: &super::DbRow) -> Result<Cursor> {
            Ok(Cursor {
                chain: r.try_get("chain")?,
                block_number: to_u64(r.try_get("block_number")?, "cursors")?,
                block_hash: r.try_get("block_hash")?,
                head_number: to_u64(r.try_get("head_number")?, "cursors")?,
                finalized_number: to_u64(r.try_get("finalized_number")?, "cursors")?,
                updated_at: r.try_get("updated_at")?,
            })
        }

        /// The cursor of a chain.
        pub(crate) async fn cursor(p: &Pool, chain: &str) -> Result<Option<Cursor>> {
            let row = sqlx::query("SELECT * FROM cursors WHERE chain = $1")
                .bind(chain)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(cursor_from_row).transpose()
        }

        /// Every cursor, by chain.
        pub(crate) async fn cursors(p: &Pool) -> Result<Vec<Cursor>> {
            let rows = sqlx::query("SELECT * FROM cursors ORDER BY chain")
                .fetch_all(p)
                .await?;
            rows.iter().map(cursor_from_row).collect()
        }

        /// The reorg window of a chain, highest first.
        pub(crate) async fn window(p: &Pool, chain: &str) -> Result<Vec<BlockRow>> {
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

        /// The stored cursor height, locked against other writers until `tx` ends.
        async fn locked_cursor(tx: &mut Tx, chain: &str) -> Result<Option<i64>> {
            let sql = format!("SELECT block_number FROM cursors WHERE chain = $1{LOCK_ROW}");
            Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(chain)
                .fetch_optional(&mut **tx)
                .await?)
        }

        /// Writes a block range's rows, headers and cursor in one transaction. Refuses
        /// if the stored cursor is not the one the batch continues from.
        pub(crate) async fn commit_batch(p: &Pool, b: &Batch) -> Result<()> {
            let mut tx = native::begin_write(p, &b.chain).await?;
            let current = locked_cursor(&mut tx, &b.chain).await?;
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
            native::insert_blocks(&mut tx, &b.chain, &b.blocks).await?;
            native::insert_transfers(&mut tx, &b.chain, &b.transfers, finalized).await?;
            super::escrow_write::insert_events(
                &mut tx,
                &b.chain,
                &b.escrow_events,
                &b.multisig_events,
                finalized,
            )
            .await?;
            super::escrow_write::apply(&mut tx, &b.chain, &b.escrow_events).await?;
            native::insert_blacklist(&mut tx, &b.chain, &b.blacklist, finalized).await?;
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

        /// Marks rows at or below `finalized` confirmed and prunes the window below it,
        /// keeping the finalized block itself (a possible common ancestor) and the
        /// cursor's block.
        async fn confirm_and_prune(
            tx: &mut Tx,
            chain: &str,
            finalized: i64,
            cursor: u64,
        ) -> Result<()> {
            for table in ["transfers", "token_blacklist", "escrow_events", "multisig_events"] {
                let sql = format!(
                    "UPDATE {table} SET confirmed = TRUE WHERE chain = $1 AND NOT confirmed AND block_number <= $2"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(chain)
                    .bind(finalized)
                    .execute(&mut **tx)
                    .await?;
            }
            let keep_from = finalized.min(to_i64(cursor, "cursors")?);
            sqlx::query("DELETE FROM blocks WHERE chain = $1 AND number < $2")
                .bind(chain)
                .bind(keep_from)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        /// Records the node's head and finality line (confirming rows) without new rows.
        pub(crate) async fn update_head(
            p: &Pool,
            chain: &str,
            head: u64,
            finalized: u64,
        ) -> Result<()> {
            let mut tx = native::begin_write(p, chain).await?;
            let Some(cur) = locked_cursor(&mut tx, chain).await? else {
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

        /// Reorg: deletes every row and window block above `ancestor`, replays the
        /// derived escrow tables from the remaining events and sets the cursor to it.
        pub(crate) async fn rollback(p: &Pool, chain: &str, ancestor: &BlockRow) -> Result<()> {
            let n = to_i64(ancestor.number, "blocks")?;
            let mut tx = native::begin_write(p, chain).await?;
            locked_cursor(&mut tx, chain).await?;
            for table in ["transfers", "token_blacklist"] {
                let sql = format!("DELETE FROM {table} WHERE chain = $1 AND block_number > $2");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(chain)
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
            }
            super::escrow_write::rollback(&mut tx, chain, n).await?;
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
    };
}

pub(super) use sql;
