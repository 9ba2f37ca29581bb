//! Group commit of invoice creates: concurrent creates share one write transaction
//! and one multi-row INSERT per table, instead of one transaction each.
//!
//! A create is prepared before it gets here (amount chosen, answer and QR code
//! rendered). It joins the queue; whoever holds the leader lock takes every queued
//! create and commits them together, then hands each its outcome; a create whose
//! batch was committed by another leader finds its outcome on taking the lock.
//! Inside the transaction, amounts and Idempotency-Keys taken by committed rows or
//! by an earlier create of the same batch are sorted out first (those creates get
//! [`Outcome::AmountTaken`] / [`Outcome::SlotTaken`], exactly what a unique
//! violation told them before, and creates that wanted the same amount as another of
//! the batch are each told a different amount to try next, so a burst of creates of
//! one amount spreads over the free amounts in one more round instead of one round
//! per create); the unique indexes stay the final word: if an
//! INSERT still fails (another process on PostgreSQL got there in between), the
//! batch rolls back and every create runs alone, in its own transaction.
//!
//! On SQLite this process has one writer at a time anyway; batching makes a burst of
//! N creates cost about six statements and one commit instead of 7·N statements and
//! N commits. On PostgreSQL it saves the round trips and the WAL flush per create.

use std::{
    collections::{BTreeMap, HashSet},
    fmt::Write,
};

use sqlx::Row;
use tokio::sync::oneshot;

use crate::{
    error::{Error, Result},
    state::AppState,
    store::{Tx, is_unique_violation, new_id},
    webhooks::outbox,
};

pub use super::queue::{CreateQueue, Outcome, Prepared};
use super::queue::{MAX_BATCH, Pending};

/// Commits `job`, alone or together with the creates queued meanwhile.
pub async fn commit(app: &AppState, job: Prepared) -> Result<Outcome> {
    let (reply, mut outcome) = oneshot::channel();
    app.creates
        .queue
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Pending { job, reply });
    loop {
        let _leader = app.creates.leader.lock().await;
        // A leader before us may have committed ours.
        match outcome.try_recv() {
            Ok(r) => return r.map_err(Error::Batch),
            Err(oneshot::error::TryRecvError::Closed) => {
                return Err(Error::Batch("the create was dropped".into()));
            }
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        let batch: Vec<Pending> = {
            let mut q = app
                .creates
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = q.len().min(MAX_BATCH);
            q.drain(..n).collect()
        };
        if batch.is_empty() {
            // Ours is in a batch being answered right now.
            continue;
        }
        run(app, batch).await;
        if let Ok(r) = outcome.try_recv() {
            return r.map_err(Error::Batch);
        }
    }
}

/// Commits a batch and answers each of its creates.
async fn run(app: &AppState, batch: Vec<Pending>) {
    let (jobs, replies): (Vec<Prepared>, Vec<_>) =
        batch.into_iter().map(|p| (p.job, p.reply)).unzip();
    let outcomes = match together(app, &jobs).await {
        Ok(o) => o.into_iter().map(Ok).collect(),
        Err(e) => {
            if jobs.len() > 1 {
                tracing::debug!(error = %e, creates = jobs.len(), "batch rolled back; creating one by one");
            }
            let mut out = Vec::with_capacity(jobs.len());
            for job in &jobs {
                out.push(alone(app, job).await.map_err(|e| e.to_string()));
            }
            out
        }
    };
    for (reply, outcome) in replies.into_iter().zip(outcomes) {
        let _ = reply.send(outcome);
    }
}

/// `($k, $k+1, ...)` groups for `rows` rows of `cols` values each, numbered from 1.
fn values(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            let _ = write!(s, "{}${}", if c == 0 { "" } else { ", " }, r * cols + c + 1);
        }
        s.push(')');
    }
    s
}

/// The whole batch in one transaction; any database error rolls all of it back.
///
/// Creates of the batch that want the same amount or the same Idempotency-Key as an
/// earlier one are sorted out first. Then, without reading first: the idempotency
/// records and the invoices are inserted with `ON CONFLICT DO NOTHING ... RETURNING`,
/// so what is not returned collided with a committed row (the key: `SlotTaken`; the
/// amount: `AmountTaken`, and its record is deleted again); the events and
/// deliveries of the rest follow. A batch costs about seven statements, whatever its
/// size.
async fn together(app: &AppState, jobs: &[Prepared]) -> Result<Vec<Outcome>> {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; jobs.len()];
    let mut amounts: HashSet<(&str, &str, u64)> = jobs
        .iter()
        .map(|j| {
            let v = &j.invoice;
            (v.chain.as_str(), v.address.as_str(), v.unique_amount)
        })
        .collect();
    let mut first = HashSet::new();
    let mut keys = std::collections::HashMap::new();
    let mut same_key = Vec::new();
    for (i, j) in jobs.iter().enumerate() {
        let v = &j.invoice;
        if !first.insert((v.chain.as_str(), v.address.as_str(), v.unique_amount)) {
            // The next amount nobody in this batch wants or was told.
            let mut next = v.unique_amount.saturating_add(1);
            while !amounts.insert((v.chain.as_str(), v.address.as_str(), next)) {
                next = next.saturating_add(1);
            }
            outcomes[i] = Some(Outcome::AmountTaken(Some(next)));
        } else if let Some(s) = &j.slot {
            match keys.entry((s.scope(), s.key())) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    same_key.push((i, *e.get()));
                    outcomes[i] = Some(Outcome::Again);
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(i);
                }
            }
        }
    }
    let mut tx = app.db.begin().await?;

    // The answers under their Idempotency-Keys.
    let keyed: Vec<usize> = (0..jobs.len())
        .filter(|&i| outcomes[i].is_none() && jobs[i].slot.is_some())
        .collect();
    let mut recorded: HashSet<(String, String)> = HashSet::new();
    if !keyed.is_empty() {
        let now = crate::store::now_ms();
        let q = format!(
            "INSERT INTO gw_idempotency (merchant_id, key, request_hash, status, body, locked_until, created_at) VALUES {} ON CONFLICT DO NOTHING RETURNING merchant_id, key",
            idempotency_values(keyed.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
        for &i in &keyed {
            if let Some(s) = &jobs[i].slot {
                query = query
                    .bind(s.scope())
                    .bind(s.key())
                    .bind(s.hash())
                    .bind(jobs[i].record.as_str())
                    .bind(now);
            }
        }
        for r in query.fetch_all(&mut *tx).await? {
            recorded.insert((r.try_get(0)?, r.try_get(1)?));
        }
        for &i in &keyed {
            if let Some(s) = &jobs[i].slot
                && !recorded.contains(&(s.scope().to_owned(), s.key().to_owned()))
            {
                outcomes[i] = Some(Outcome::SlotTaken);
            }
        }
    }

    // The invoices.
    let go: Vec<usize> = (0..jobs.len()).filter(|&i| outcomes[i].is_none()).collect();
    let mut seqs: BTreeMap<String, i64> = BTreeMap::new();
    if !go.is_empty() {
        let q = format!(
            "INSERT INTO gw_invoices (id, merchant_id, chain, address, amount, unique_amount, status, additional, paid, confirmed_paid, cancelled, active, created_block, created_at, expires_at, monitoring_until, updated_at, description, metadata, redirect_url) VALUES {} ON CONFLICT DO NOTHING RETURNING id, seq",
            invoice_values(go.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
        for &i in &go {
            let v = &jobs[i].invoice;
            query = query
                .bind(&v.id)
                .bind(&v.merchant_id)
                .bind(&v.chain)
                .bind(&v.address)
                .bind(v.amount as i64)
                .bind(v.unique_amount as i64)
                .bind(v.created_block as i64)
                .bind(v.created_at)
                .bind(v.expires_at)
                .bind(v.monitoring_until)
                .bind(v.description.clone())
                .bind(v.metadata.to_string())
                .bind(v.redirect_url.clone());
        }
        for r in query.fetch_all(&mut *tx).await? {
            seqs.insert(r.try_get(0)?, r.try_get(1)?);
        }
    }
    let mut undo = Vec::new();
    for &i in &go {
        match seqs.get(&jobs[i].invoice.id) {
            Some(&seq) => outcomes[i] = Some(Outcome::Created(seq)),
            None => {
                outcomes[i] = Some(Outcome::AmountTaken(None));
                if let Some(s) = &jobs[i].slot {
                    undo.push(s);
                }
            }
        }
    }
    // A create with the key of an earlier one of the batch answers like a replay
    // once that one holds the key (created now, or recorded before).
    for (i, holder) in same_key {
        if matches!(
            outcomes[holder],
            Some(Outcome::Created(_) | Outcome::SlotTaken)
        ) {
            outcomes[i] = Some(Outcome::SlotTaken);
        }
    }
    if !undo.is_empty() {
        // Records of creates whose amount was taken: they will try another one.
        let mut q = String::from("DELETE FROM gw_idempotency WHERE ");
        for n in 0..undo.len() {
            let _ = write!(
                q,
                "{}(merchant_id = ${} AND key = ${})",
                if n == 0 { "" } else { " OR " },
                2 * n + 1,
                2 * n + 2
            );
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
        for s in &undo {
            query = query.bind(s.scope()).bind(s.key());
        }
        query.execute(&mut *tx).await?;
    }

    // The `invoice.created` events of the created ones, and a delivery per endpoint
    // that wants them.
    let created: Vec<usize> = go
        .iter()
        .copied()
        .filter(|&i| matches!(outcomes[i], Some(Outcome::Created(_))))
        .collect();
    if !created.is_empty() {
        let mut events = Vec::with_capacity(created.len());
        for &i in &created {
            let j = &jobs[i];
            let (id, payload, at) = outbox::event("invoice.created", &j.data);
            events.push((id, j, payload, at));
        }
        let q = format!(
            "INSERT INTO gw_events (id, merchant_id, type, subject, payload, created_at) VALUES {}",
            values(events.len(), 6)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
        for (id, j, payload, at) in &events {
            query = query
                .bind(id)
                .bind(&j.invoice.merchant_id)
                .bind("invoice.created")
                .bind(&j.invoice.id)
                .bind(payload)
                .bind(*at);
        }
        query.execute(&mut *tx).await?;
        let mut merchants: Vec<&str> = events
            .iter()
            .map(|e| e.1.invoice.merchant_id.as_str())
            .collect();
        merchants.sort_unstable();
        merchants.dedup();
        let endpoints = outbox::endpoints(&mut tx, &merchants).await?;
        let mut deliveries = Vec::new();
        for (id, j, _, at) in &events {
            for (endpoint, merchant, filter) in &endpoints {
                if *merchant == j.invoice.merchant_id && outbox::wants(filter, "invoice.created") {
                    deliveries.push((new_id("dlv"), id, endpoint, merchant, *at));
                }
            }
        }
        if !deliveries.is_empty() {
            let q = format!(
                "INSERT INTO gw_deliveries (id, event_id, endpoint_id, merchant_id, status, attempts, next_attempt_at, lease_until, created_at) VALUES {}",
                delivery_values(deliveries.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
            for (id, event, endpoint, merchant, at) in &deliveries {
                query = query
                    .bind(id)
                    .bind(*event)
                    .bind(*endpoint)
                    .bind(*merchant)
                    .bind(*at);
            }
            query.execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| Error::Batch("a create of the batch has no outcome".into())))
        .collect()
}

/// Values of `n` invoices: 13 bound per row, the rest constant (a new invoice).
fn invoice_values(n: usize) -> String {
    let mut s = String::new();
    for r in 0..n {
        let b = r * 13;
        let p = |k: usize| b + k;
        let _ = write!(
            s,
            "{}(${}, ${}, ${}, ${}, ${}, ${}, 'new', 'none', 0, 0, 0, 1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            if r == 0 { "" } else { ", " },
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6),
            p(7),
            p(8),
            p(9),
            p(10),
            p(8),
            p(11),
            p(12),
            p(13)
        );
    }
    s
}

/// Values of `n` pending deliveries: id, event, endpoint, merchant, time.
fn delivery_values(n: usize) -> String {
    let mut s = String::new();
    for r in 0..n {
        let b = r * 5;
        let _ = write!(
            s,
            "{}(${}, ${}, ${}, ${}, 'pending', 0, ${}, 0, ${})",
            if r == 0 { "" } else { ", " },
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 5
        );
    }
    s
}

/// Values of `n` idempotency records: scope, key, hash, body, time (status 201).
fn idempotency_values(n: usize) -> String {
    let mut s = String::new();
    for r in 0..n {
        let b = r * 5;
        let _ = write!(
            s,
            "{}(${}, ${}, ${}, 201, ${}, 0, ${})",
            if r == 0 { "" } else { ", " },
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5
        );
    }
    s
}

/// One create in its own transaction (the path when a batch could not commit).
async fn alone(app: &AppState, job: &Prepared) -> Result<Outcome> {
    let v = &job.invoice;
    let mut tx: Tx = app.db.begin().await?;
    let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO gw_invoices (id, merchant_id, chain, address, amount, unique_amount, status, additional, paid, confirmed_paid, cancelled, active, created_block, created_at, expires_at, monitoring_until, updated_at, description, metadata, redirect_url) VALUES {} RETURNING seq",
        invoice_values(1)
    )))
    .bind(&v.id)
    .bind(&v.merchant_id)
    .bind(&v.chain)
    .bind(&v.address)
    .bind(v.amount as i64)
    .bind(v.unique_amount as i64)
    .bind(v.created_block as i64)
    .bind(v.created_at)
    .bind(v.expires_at)
    .bind(v.monitoring_until)
    .bind(v.description.clone())
    .bind(v.metadata.to_string())
    .bind(v.redirect_url.clone())
    .fetch_one(&mut *tx)
    .await;
    let seq: i64 = match inserted {
        Err(e) if is_unique_violation(&e) => {
            tx.rollback().await?;
            return Ok(Outcome::AmountTaken(None));
        }
        r => r?.try_get(0)?,
    };
    outbox::enqueue(&mut tx, &v.merchant_id, "invoice.created", &v.id, &job.data).await?;
    if let Some(slot) = &job.slot
        && !crate::store::idempotency::record(&mut tx, slot, 201, &job.record).await?
    {
        tx.rollback().await?;
        return Ok(Outcome::SlotTaken);
    }
    tx.commit().await?;
    Ok(Outcome::Created(seq))
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_row_by_row() {
        assert_eq!(super::values(2, 2), "($1, $2), ($3, $4)");
        let one = super::invoice_values(1);
        assert!(one.starts_with("($1, $2, $3, $4, $5, $6, 'new'"), "{one}");
        assert!(
            one.ends_with("$7, $8, $9, $10, $8, $11, $12, $13)"),
            "{one}"
        );
        assert!(super::invoice_values(2).contains("($14, "));
        assert_eq!(
            super::delivery_values(1),
            "($1, $2, $3, $4, 'pending', 0, $5, 0, $5)"
        );
        assert_eq!(super::idempotency_values(1), "($1, $2, $3, 201, $4, 0, $5)");
    }
}
