//! Invoices, orders and webhook deliveries by status, kept as the rows change
//! (`gw_status_counts`, migration `0005_status_counts.sql`): a trigger on each table
//! appends a signed delta (+1 for the new status, −1 for the old one) in the same
//! transaction as the insert, status change or delete, so a read is the exact count
//! at its snapshot without counting every row. [`fold`] merges the deltas into one
//! row per (table, status) so reads stay short; the invoice watcher folds once a
//! minute and the operator's page folds when it summed many deltas.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Backend, Db};
use crate::error::Result;

/// A table whose rows are counted by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Counted {
    /// `gw_invoices`.
    Invoices,
    /// `gw_orders`.
    Orders,
    /// `gw_deliveries`.
    Deliveries,
}

impl Counted {
    fn from_table(name: &str) -> Option<Self> {
        match name {
            "gw_invoices" => Some(Self::Invoices),
            "gw_orders" => Some(Self::Orders),
            "gw_deliveries" => Some(Self::Deliveries),
            _ => None,
        }
    }
}

/// Rows per (table, status) as of one snapshot, statuses with no row left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts {
    /// The counts.
    pub counts: BTreeMap<(Counted, String), i64>,
    /// How many delta rows the read summed (what [`fold`] would shrink).
    pub deltas: i64,
}

impl StatusCounts {
    /// The statuses of `what` with their counts, in status order.
    pub fn of(&self, what: Counted) -> impl Iterator<Item = (&str, i64)> {
        self.counts
            .iter()
            .filter(move |((w, _), _)| *w == what)
            .map(|((_, s), n)| (s.as_str(), *n))
    }
}

/// Reads the counts: one short statement over the deltas, never over the counted
/// tables.
pub async fn read(db: &Db) -> Result<StatusCounts> {
    let mut out = StatusCounts::default();
    for r in sqlx::query(
        "SELECT what, status, CAST(SUM(n) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM gw_status_counts GROUP BY what, status",
    )
    .fetch_all(&db.pool)
    .await?
    {
        let rows: i64 = r.try_get(3)?;
        out.deltas += rows;
        let n: i64 = r.try_get(2)?;
        let what: String = r.try_get(0)?;
        if n != 0
            && let Some(what) = Counted::from_table(&what)
        {
            out.counts.insert((what, r.try_get(1)?), n);
        }
    }
    Ok(out)
}

/// Rows merged by one fold above which PostgreSQL vacuums the table at once.
const VACUUM_AFTER: i64 = 1_000;

/// Merges the deltas into one row per (table, status) (a status whose rows sum to
/// zero is dropped). The sums read by [`read`] are the same before and after.
pub async fn fold(db: &Db) -> Result<()> {
    match db.backend {
        // One statement: exactly the rows it deletes are summed back in. A
        // concurrent fold (another gateway process) waits on the rows this one
        // deletes and then skips them; deltas of transactions not yet committed
        // are not seen and stay for the next fold.
        Backend::Postgres => {
            let merged: i64 = sqlx::query_scalar(
                "WITH gone AS (DELETE FROM gw_status_counts RETURNING what, status, n), kept AS (INSERT INTO gw_status_counts (what, status, n) SELECT what, status, SUM(n) FROM gone GROUP BY what, status HAVING SUM(n) <> 0 RETURNING 1) SELECT CAST(COUNT(*) AS BIGINT) FROM gone",
            )
            .fetch_one(&db.pool)
            .await?;
            // The deleted rows stay in the table's pages until a vacuum, and every
            // read scans them: after a large fold, vacuum now rather than when
            // autovacuum next wakes up.
            if merged >= VACUUM_AFTER {
                sqlx::raw_sql("VACUUM gw_status_counts")
                    .execute(&db.pool)
                    .await?;
            }
            Ok(())
        }
        // SQLite has one writer and its CTEs cannot delete: in the write
        // transaction, sum the rows up to the newest and delete exactly those.
        Backend::Sqlite => {
            let mut tx = db.begin().await?;
            let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM gw_status_counts")
                .fetch_one(&mut *tx)
                .await?;
            let Some(newest) = newest else {
                tx.rollback().await?;
                return Ok(());
            };
            sqlx::query(
                "INSERT INTO gw_status_counts (what, status, n) SELECT what, status, SUM(n) FROM gw_status_counts WHERE seq <= $1 GROUP BY what, status HAVING SUM(n) <> 0",
            )
            .bind(newest)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM gw_status_counts WHERE seq <= $1")
                .bind(newest)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }
    }
}
