//! SQLite WAL checkpoints off the write path.
//!
//! SQLite copies the write-ahead log back into the database file (a checkpoint) from
//! the connection whose commit pushed the log past `wal_autocheckpoint` pages, with
//! an fsync of the log and of the file. On the gateway's one writer connection that
//! stalls every write queued behind it. So a task checkpoints every [`EVERY`] on a
//! connection of its own (`PASSIVE`: it never blocks a writer or a reader, and copies
//! what no reader still needs), and the writer's own threshold is a backstop.
//!
//! The backstop is still needed: the log only starts over from its beginning when a
//! writer finds it wholly copied *and* no reader inside it, which under steady reads
//! is rare; the writer's own checkpoint at [`WRITER_AUTOCHECKPOINT`] pages is what
//! bounds the log (without it, 800 MB in five seconds of the invoice-create
//! benchmark). Because the task has copied all but the last few milliseconds of
//! frames by then, the writer's checkpoint is short. Measured on that benchmark
//! (SQLite, 16 clients): task every 100 ms and backstop 16,384 pages, stalls of
//! 15–25 ms every 0.4 s and p99 26 ms; every 10 ms and 2,000 pages, p99 9 ms.
//! Durability is unchanged: the same syncs happen, on another connection.

use std::{sync::Weak, time::Duration};

use sqlx::{AnyConnection, Connection};

/// The writer connection's own `wal_autocheckpoint` (pages, 8 MB): the log's bound
/// (SQLite's default is 1,000).
pub(super) const WRITER_AUTOCHECKPOINT: i64 = 2_000;
/// How often the task checkpoints (a no-op when the log has nothing new).
pub(super) const EVERY: Duration = Duration::from_millis(10);

/// Checkpoints the SQLite database at `url` every [`EVERY`] until `alive` is gone
/// (every handle of the `Db` that started it dropped).
pub(super) fn spawn(url: String, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut conn = match AnyConnection::connect(&url).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "no checkpoint connection; the writer checkpoints itself");
                return;
            }
        };
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if alive.upgrade().is_none() {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut conn)
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
        let _ = conn.close().await;
    });
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use crate::store::Db;

    /// The writer does not checkpoint at SQLite's default 1,000 pages, and the task
    /// copies committed pages into the database file without anyone else checkpointing.
    #[tokio::test]
    async fn the_task_checkpoints_and_the_writer_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gw.db");
        let url = format!("sqlite:{}", path.display());
        stablerail_indexer::Store::open(&url).await.unwrap();
        let db = Db::open(&url).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        let pages: i64 = sqlx::query("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut *tx)
            .await
            .unwrap()
            .get(0);
        assert_eq!(pages, super::WRITER_AUTOCHECKPOINT);
        sqlx::query("CREATE TABLE blobs (b TEXT NOT NULL)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        // About 1,600 pages of 4 KiB in the log (each commit also rewrites the pages
        // above its rows): past the default threshold, under the writer's.
        for t in 0..50 {
            let mut tx = db.begin().await.unwrap();
            for i in 0..10 {
                sqlx::query("INSERT INTO blobs (b) VALUES ($1)")
                    .bind(format!("{t}-{i}{}", "x".repeat(10_000)))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut size = 0;
        while std::time::Instant::now() < deadline {
            size = std::fs::metadata(&path).unwrap().len();
            if size >= before + 4_500_000 {
                break;
            }
            tokio::time::sleep(super::EVERY).await;
        }
        assert!(
            size >= before + 4_500_000,
            "database file {before} -> {size} bytes: nothing checkpointed"
        );
    }
}
