//! The watcher: after each block range the embedded indexer commits (and when timers
//! fall due), it matches the transfers to the watched invoices' addresses, evaluates
//! every watched invoice and commits the changes together with their outbox rows.
//!
//! Every pass recomputes from the indexer's `transfers` table, so a reorg (rows gone)
//! or finality (rows `confirmed`) shows up in the next pass, and a crash between two
//! passes loses nothing. Updates are conditional on the row's `updated_at`, so two
//! gateway processes on one PostgreSQL never both commit the same transition.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use sqlx::Row;
use tokio::sync::watch;

use crate::{
    error::Result,
    invoices::{
        COLUMNS, Invoice,
        matching::{Candidate, assign},
        payment_from_row,
        state::{Payment, Timers, evaluate, events},
    },
    state::AppState,
    store::now_ms,
    webhooks::outbox,
};

/// Runs passes until `shutdown` turns true.
pub async fn run(app: AppState, mut shutdown: watch::Receiver<bool>) {
    let every = Duration::from_millis(app.config.watch_interval_ms.max(10));
    let mut last_cursors = Vec::new();
    let mut last_full = tokio::time::Instant::now();
    let mut last_fold = tokio::time::Instant::now();
    loop {
        if last_fold.elapsed() >= Duration::from_secs(60) {
            // Keep the status counts' deltas short (store::counts).
            if let Err(e) = crate::store::counts::fold(&app.db).await {
                tracing::warn!(error = %e, "folding the status counts failed");
            }
            last_fold = tokio::time::Instant::now();
        }
        let cursors = cursors(&app).await.unwrap_or_default();
        let due = last_full.elapsed() >= Duration::from_secs(1);
        if cursors != last_cursors || due {
            match pass(&app).await {
                Ok(changed) => {
                    last_cursors = cursors;
                    last_full = tokio::time::Instant::now();
                    if changed > 0 {
                        tracing::debug!(changed, "invoices updated");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "invoice pass failed; retrying"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// (chain, cursor block, finalized block) of every chain.
async fn cursors(app: &AppState) -> Result<Vec<(String, i64, i64)>> {
    let rows =
        sqlx::query("SELECT chain, block_number, finalized_number FROM cursors ORDER BY chain")
            .fetch_all(&app.db.pool)
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// One pass over every watched invoice; returns how many changed.
pub async fn pass(app: &AppState) -> Result<usize> {
    let db = &app.db;
    let now = now_ms();
    let q = format!("SELECT {COLUMNS} FROM gw_invoices WHERE active = 1 ORDER BY seq");
    let invoices: Vec<Invoice> = sqlx::query(sqlx::AssertSqlSafe(q))
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(Invoice::from_row)
        .collect::<Result<_>>()?;
    if invoices.is_empty() {
        return Ok(0);
    }
    // What is stored now, to tell changes (and removed payments) apart.
    let mut stored: BTreeMap<String, Vec<Payment>> = BTreeMap::new();
    let rows = sqlx::query(
        "SELECT p.block_number, p.log_index, p.tx_hash, p.amount, p.block_time, p.confirmed, p.invoice_id FROM gw_payments p JOIN gw_invoices i ON i.id = p.invoice_id WHERE i.active = 1 ORDER BY p.block_number, p.log_index",
    )
    .fetch_all(&db.pool)
    .await?;
    for r in &rows {
        stored
            .entry(r.try_get(6)?)
            .or_default()
            .push(payment_from_row(r)?);
    }
    let mut groups: BTreeMap<(&str, &str), Vec<&Invoice>> = BTreeMap::new();
    for inv in &invoices {
        groups
            .entry((inv.chain.as_str(), inv.address.as_str()))
            .or_default()
            .push(inv);
    }
    let mut matched: BTreeMap<String, Vec<Payment>> = BTreeMap::new();
    for ((chain, address), group) in &groups {
        let from = group.iter().map(|i| i.created_block).min().unwrap_or(0);
        let transfers = transfers_to(app, chain, address, from).await?;
        let candidates: Vec<Candidate> = group
            .iter()
            .map(|i| Candidate {
                id: i.id.clone(),
                seq: i.seq,
                unique_amount: i.unique_amount,
                created_block: i.created_block,
                expires_at: i.expires_at,
                monitoring_until: i.monitoring_until,
            })
            .collect();
        matched.extend(assign(
            &candidates,
            &transfers,
            app.config.invoices.match_tolerance_bps,
        ));
    }
    let mut changes = Vec::new();
    for inv in &invoices {
        let payments = matched.remove(&inv.id).unwrap_or_default();
        let e = evaluate(
            inv.unique_amount,
            Timers {
                expires_at: inv.expires_at,
                monitoring_until: inv.monitoring_until,
            },
            inv.cancelled,
            &payments,
            now,
        );
        let old = stored.remove(&inv.id).unwrap_or_default();
        let close = now > inv.monitoring_until;
        let same = e.status == inv.status
            && e.additional == inv.additional
            && e.paid == inv.paid
            && e.confirmed_paid == inv.confirmed_paid
            && old == payments;
        if same && !close {
            continue;
        }
        let new_keys: BTreeSet<(u64, u64)> = payments
            .iter()
            .map(|p| (p.block_number, p.log_index))
            .collect();
        let removed = old
            .iter()
            .any(|p| !new_keys.contains(&(p.block_number, p.log_index)));
        changes.push((inv, e, payments, removed, close));
    }
    if changes.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    for (inv, e, payments, removed, close) in &changes {
        let updated_at = now.max(inv.updated_at + 1);
        let done = sqlx::query(
            "UPDATE gw_invoices SET status = $1, additional = $2, paid = $3, confirmed_paid = $4, active = $5, updated_at = $6 WHERE id = $7 AND updated_at = $8",
        )
        .bind(e.status.as_str())
        .bind(e.additional.as_str())
        .bind(e.paid as i64)
        .bind(e.confirmed_paid as i64)
        .bind(if *close { 0i64 } else { 1 })
        .bind(updated_at)
        .bind(&inv.id)
        .bind(inv.updated_at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            // Another process changed it meanwhile: drop this pass, the next one
            // starts from what it committed.
            tx.rollback().await?;
            return Ok(0);
        }
        sqlx::query("DELETE FROM gw_payments WHERE invoice_id = $1")
            .bind(&inv.id)
            .execute(&mut *tx)
            .await?;
        for p in payments {
            sqlx::query(
                "INSERT INTO gw_payments (invoice_id, chain, block_number, log_index, tx_hash, amount, block_time, confirmed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&inv.id)
            .bind(&inv.chain)
            .bind(p.block_number as i64)
            .bind(p.log_index as i64)
            .bind(&p.tx_hash)
            .bind(p.amount as i64)
            .bind(p.block_time)
            .bind(i64::from(p.confirmed))
            .execute(&mut *tx)
            .await?;
        }
        let kinds = events(
            (inv.status, inv.additional),
            (e.status, e.additional),
            *removed,
        );
        if !kinds.is_empty() {
            let mut after = (*inv).clone();
            after.status = e.status;
            after.additional = e.additional;
            after.paid = e.paid;
            after.confirmed_paid = e.confirmed_paid;
            after.active = !close;
            after.updated_at = updated_at;
            let data = after.view(app, payments, false);
            for kind in kinds {
                outbox::enqueue(&mut tx, &inv.merchant_id, kind, &inv.id, &data).await?;
            }
        }
    }
    tx.commit().await?;
    app.outbox.notify_one();
    Ok(changes.len())
}

/// Transfers to `address` on `chain` above block `from`, in chain order, skipping
/// those already matched to an invoice no longer watched.
async fn transfers_to(
    app: &AppState,
    chain: &str,
    address: &str,
    from: u64,
) -> Result<Vec<Payment>> {
    let rows = sqlx::query(
        "SELECT block_number, log_index, tx_hash, CAST(amount AS TEXT), block_time, CAST(CASE WHEN confirmed THEN 1 ELSE 0 END AS BIGINT) FROM transfers WHERE chain = $1 AND to_addr = $2 AND block_number > $3 ORDER BY block_number, log_index",
    )
    .bind(chain)
    .bind(address)
    .bind(from as i64)
    .fetch_all(&app.db.pool)
    .await?;
    let frozen: BTreeSet<(i64, i64)> = sqlx::query(
        "SELECT p.block_number, p.log_index FROM gw_payments p JOIN gw_invoices i ON i.id = p.invoice_id WHERE p.chain = $1 AND i.address = $2 AND i.active = 0 AND p.block_number > $3",
    )
    .bind(chain)
    .bind(address)
    .bind(from as i64)
    .fetch_all(&app.db.pool)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<Result<_, sqlx::Error>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let block: i64 = r.try_get(0)?;
        let log: i64 = r.try_get(1)?;
        if frozen.contains(&(block, log)) {
            continue;
        }
        // Amounts above u64 cannot be an invoice's.
        let Ok(amount) = r.try_get::<String, _>(3)?.parse::<u64>() else {
            continue;
        };
        out.push(Payment {
            block_number: u64::try_from(block).unwrap_or(0),
            log_index: u64::try_from(log).unwrap_or(0),
            tx_hash: r.try_get(2)?,
            amount,
            block_time: r.try_get(4)?,
            confirmed: r.try_get::<i64, _>(5)? == 1,
        });
    }
    Ok(out)
}
