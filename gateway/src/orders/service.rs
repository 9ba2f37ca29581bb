//! The order loop: decides who gets each pending order (through the
//! [`AcceptorSelector`], logging every decision), offers it or assigns it on chain
//! with the dispatcher key, re-dispatches what an acceptor did not take, and follows
//! assigned orders through the indexer's `deals`.
//!
//! - An offer not accepted within `accept_timeout_secs` is a time-out of that
//!   acceptor (it feeds elimination) and the order goes back to `pending`, excluding
//!   it. Nothing is on chain yet, so nothing needs cancelling: the dispatcher's key
//!   cannot cancel a deal, only its buyer or seller can (docs/rules.md, "Deals").
//! - A failed assignment transaction excludes that acceptor and decides again, but
//!   only after `retry_after_ms` and once the indexer has reached the chain head seen
//!   at the failure, so an assignment that did go through is adopted (a collection's
//!   deal is found by its `orderRef`, a payout's deal is no longer unassigned) and
//!   never sent twice.
//! - Only one process sends (one key, one nonce sequence): on PostgreSQL the holder
//!   of a session advisory lock; every change of an order is conditional on its
//!   version, so two processes never both move it.

use std::time::Duration;

use alloy::primitives::B256;
use sqlx::Row;
use stablerail_sdk::Amount;
use tokio::sync::watch;

use super::{
    COLUMNS, Change, Log, Order, Who,
    acceptor::{AcceptorSelector, OrderAsk},
    decisions::{self, outcome},
    escrow::{self, DispatcherEscrow},
    transition,
};
use crate::{
    error::{Error, Result},
    state::AppState,
    store::{leader::Leadership, now_ms},
};

/// How long a sent assignment waits for the indexer before it may be sent again.
const RESEND_AFTER_MS: i64 = 30_000;

/// Dispatches pending orders and follows assigned ones until `shutdown`.
///
/// Only one process dispatches (it sends with the one dispatcher key, whose nonces
/// must not race): on PostgreSQL the holder of a session advisory lock; the others
/// only follow deals and take over when the holder's connection goes away.
pub async fn run<S: AcceptorSelector>(
    app: AppState,
    selector: S,
    mut shutdown: watch::Receiver<bool>,
) {
    let every = Duration::from_millis(app.config.watch_interval_ms.max(10));
    let mut leadership = Leadership::new(DISPATCHER_LOCK);
    loop {
        let dispatcher = leadership.lead(&app.db).await.leads();
        if let Err(e) = pass(&app, &selector, dispatcher).await {
            tracing::warn!(error = %e, "order pass failed; retrying");
            // The lock's connection may be broken: ask again next time.
            leadership.resign();
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// The dispatcher's leader lock (`store::leader`).
const DISPATCHER_LOCK: &str = "stablerail-gateway-dispatcher";

/// An order's deal as indexed.
struct Indexed {
    deal_id: u64,
    state: String,
    /// The acceptor on the deal: a collection's seller, a payout's buyer.
    acceptor: Option<String>,
}

async fn indexed_deal(app: &AppState, o: &Order) -> Result<Option<Indexed>> {
    let row = match o.deal_id {
        Some(d) => {
            sqlx::query(
                "SELECT deal_id, state, kind, seller, buyer FROM deals WHERE chain = $1 AND deal_id = $2",
            )
            .bind(&o.chain)
            .bind(d as i64)
            .fetch_optional(&app.db.pool)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT deal_id, state, kind, seller, buyer FROM deals WHERE chain = $1 AND order_ref = $2",
            )
            .bind(&o.chain)
            .bind(&o.order_ref)
            .fetch_optional(&app.db.pool)
            .await?
        }
    };
    let Some(r) = row else {
        return Ok(None);
    };
    let kind: String = r.try_get(2)?;
    Ok(Some(Indexed {
        deal_id: u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
        state: r.try_get(1)?,
        acceptor: if kind == "collection" {
            Some(r.try_get(3)?)
        } else {
            r.try_get(4)?
        },
    }))
}

/// The indexer's cursor (last block committed) on `chain`.
async fn cursor(app: &AppState, chain: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT block_number FROM cursors WHERE chain = $1")
            .bind(chain)
            .fetch_optional(&app.db.pool)
            .await?
            .unwrap_or(0),
    )
}

async fn reload(app: &AppState, id: &str) -> Result<Option<Order>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_orders WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&app.db.pool)
    .await?
    .as_ref()
    .map(Order::from_row)
    .transpose()
}

/// Outcomes of a decision that the adoption of the deal settles as assigned.
const BEFORE_ASSIGNED: &[&str] = &[
    outcome::OFFERED,
    outcome::ACCEPTED,
    outcome::ASSIGNING,
    outcome::ASSIGN_FAILED,
];

async fn pass<S: AcceptorSelector>(app: &AppState, selector: &S, dispatcher: bool) -> Result<()> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_orders WHERE status IN ('pending', 'offered', 'accepted', 'dispatching', 'assigned', 'paid', 'disputed') ORDER BY seq"
    )))
    .fetch_all(&app.db.pool)
    .await?;
    for r in &rows {
        let o = Order::from_row(r)?;
        let deal = indexed_deal(app, &o).await?;
        match o.status.as_str() {
            "pending" | "offered" | "accepted" | "dispatching" => {
                // A collection whose deal is indexed was dispatched (maybe by a process
                // that died before recording it, or by a send reported as failed):
                // adopt the deal. A payout's deal no longer unassigned likewise.
                let adopt = match &deal {
                    Some(d) if o.kind == "collection" => Some((d, "assigned")),
                    Some(d) if d.state != "unassigned" => Some((
                        d,
                        if d.state == "open" {
                            "assigned"
                        } else {
                            deal_status(&d.state)
                        },
                    )),
                    _ => None,
                };
                if let Some((d, status)) = adopt {
                    let mut c = Change::to(status);
                    c.deal_id = Some(d.deal_id);
                    c.acceptor = d.acceptor.as_deref().map_or(Who::Keep, Who::Set);
                    c.log = Log::Settle(BEFORE_ASSIGNED, outcome::ASSIGNED);
                    transition(app, &o, c).await?;
                    continue;
                }
                if !dispatcher {
                    continue;
                }
                let now = now_ms();
                if o.status == "offered" {
                    if now >= o.dispatch_after {
                        // Not accepted in time: a time-out of that acceptor; someone
                        // else gets the order.
                        let mut c = Change::to("pending");
                        c.acceptor = Who::Clear;
                        c.log = Log::Settle(&[outcome::OFFERED], outcome::TIMED_OUT);
                        if transition(app, &o, c).await? {
                            tracing::info!(order = %o.id, acceptor = ?o.acceptor, "offer timed out; re-dispatching");
                        }
                    }
                    continue;
                }
                if now < o.dispatch_after {
                    continue; // sent recently, or failed recently: wait
                }
                if o.wait_block > 0 && cursor(app, &o.chain).await? < o.wait_block {
                    continue; // the indexer has not yet seen where a failed send would be
                }
                if o.status == "pending" {
                    decide(app, selector, &o).await?;
                } else {
                    claim_and_send(app, &o).await?;
                }
            }
            _ => {
                if let Some(d) = deal {
                    let status = deal_status(&d.state);
                    // A payout deal still `unassigned` in the indexer after its
                    // assignment was mined: the indexer is behind, not the deal.
                    if status != o.status && status != "pending" {
                        transition(app, &o, Change::to(status)).await?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn deal_status(state: &str) -> &'static str {
    match state {
        "open" => "assigned",
        "paid" => "paid",
        "disputed" => "disputed",
        "released" | "resolved" => "settled",
        "cancelled" => "cancelled",
        _ => "pending",
    }
}

/// The fiat currency of an order: its payout bank account's, else the merchant's
/// payout account's.
async fn currency_of(app: &AppState, o: &Order) -> Result<String> {
    let row = sqlx::query(
        "SELECT currency FROM gw_bank_accounts WHERE merchant_id = $1 ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END, payout DESC, created_at LIMIT 1",
    )
    .bind(&o.merchant_id)
    .bind(o.bank_account_id.clone().unwrap_or_default())
    .fetch_optional(&app.db.pool)
    .await?;
    Ok(match row {
        Some(r) => r.try_get(0)?,
        None => String::new(),
    })
}

/// Decides who gets a pending order and offers it (or, without an offer step,
/// assigns it at once).
async fn decide<S: AcceptorSelector>(app: &AppState, selector: &S, o: &Order) -> Result<()> {
    let settings = &app.config.dispatch;
    if o.attempt >= settings.max_attempts {
        let mut c = Change::to("failed");
        c.error = Some("no acceptor took the order within max_attempts");
        transition(app, o, c).await?;
        return Ok(());
    }
    let excluded = decisions::excluded(&app.db, &o.id).await?;
    let currency = currency_of(app, o).await?;
    let ask = OrderAsk {
        id: &o.id,
        merchant_id: &o.merchant_id,
        kind: &o.kind,
        chain: &o.chain,
        amount: o.amount,
        currency: &currency,
        excluded: &excluded,
    };
    let decision = selector.decide(&app.db, &ask).await?;
    let Some(chosen) = decision.chosen.clone() else {
        let mut c = Change::to("failed");
        c.error = Some("no eligible acceptor");
        c.log = Log::New(&decision, outcome::NO_CANDIDATE);
        transition(app, o, c).await?;
        return Ok(());
    };
    let now = now_ms();
    let mut c = Change::to("offered");
    c.acceptor = Who::Set(&chosen);
    c.attempt = Some(o.attempt.saturating_add(1));
    if settings.accept_timeout_secs > 0 {
        let timeout = i64::try_from(settings.accept_timeout_secs).unwrap_or(i64::MAX);
        c.dispatch_after = now.saturating_add(timeout.saturating_mul(1000));
        c.log = Log::New(&decision, outcome::OFFERED);
        transition(app, o, c).await?;
        return Ok(());
    }
    // No offer step: claim the send (only the process whose update wins sends).
    c.status = "dispatching";
    c.dispatch_after = now + RESEND_AFTER_MS;
    c.log = Log::New(&decision, outcome::ASSIGNING);
    if !transition(app, o, c).await? {
        return Ok(());
    }
    if let Some(o) = reload(app, &o.id).await? {
        send(app, &o).await?;
    }
    Ok(())
}

/// Claims an accepted order (or one whose send was not seen in time) and sends its
/// assignment to the acceptor already chosen.
async fn claim_and_send(app: &AppState, o: &Order) -> Result<()> {
    let mut c = Change::to("dispatching");
    c.dispatch_after = now_ms() + RESEND_AFTER_MS;
    if o.status == "accepted" {
        c.log = Log::Settle(&[outcome::ACCEPTED], outcome::ASSIGNING);
    }
    if !transition(app, o, c).await? {
        return Ok(());
    }
    if let Some(o) = reload(app, &o.id).await? {
        send(app, &o).await?;
    }
    Ok(())
}

/// Sends the assignment of a claimed (`dispatching`) order.
async fn send(app: &AppState, o: &Order) -> Result<()> {
    let Some(acceptor) = o.acceptor.clone() else {
        let mut c = Change::to("pending");
        c.log = Log::Settle(&[outcome::ASSIGNING], outcome::ASSIGN_FAILED);
        transition(app, o, c).await?;
        return Ok(());
    };
    let escrow = match DispatcherEscrow::connect(&app.config, &o.chain) {
        Ok(e) => e,
        Err(e) => {
            let msg = e.to_string();
            let mut c = Change::to("failed");
            c.error = Some(&msg);
            c.log = Log::Settle(&[outcome::ASSIGNING], outcome::ASSIGN_FAILED);
            transition(app, o, c).await?;
            return Ok(());
        }
    };
    let merchant_account = sqlx::query(
        "SELECT escrow_account FROM gw_merchant_chains WHERE merchant_id = $1 AND chain = $2",
    )
    .bind(&o.merchant_id)
    .bind(&o.chain)
    .fetch_optional(&app.db.pool)
    .await?
    .and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten());
    let sent = if o.kind == "collection" {
        let reference: B256 = o
            .order_ref
            .parse()
            .map_err(|_| Error::corrupt("gw_orders", "order_ref"))?;
        match merchant_account {
            Some(m) => escrow
                .assign_collection(
                    &acceptor,
                    &m,
                    Amount::from_units(o.amount),
                    u32::try_from(o.payment_window).unwrap_or(u32::MAX),
                    reference,
                )
                .await
                .map(Some),
            None => Err(escrow::EscrowCallError::NoEscrow(o.chain.clone())),
        }
    } else {
        escrow
            .assign_payout(o.deal_id.unwrap_or(0), &acceptor)
            .await
            .map(|()| o.deal_id)
    };
    match sent {
        Ok(deal_id) => {
            let mut c = Change::to("assigned");
            c.deal_id = deal_id;
            c.log = Log::Settle(&[outcome::ASSIGNING], outcome::ASSIGNED);
            transition(app, o, c).await?;
        }
        Err(e) => {
            tracing::warn!(order = %o.id, %acceptor, error = %e, "assignment failed; deciding again");
            let msg = e.to_string();
            // Decide again only once the indexer has reached today's head: if the
            // transaction did go through after all, its deal is adopted instead.
            let head = escrow.head().await.unwrap_or(0);
            let mut c = Change::to("pending");
            c.acceptor = Who::Clear;
            c.error = Some(&msg);
            c.dispatch_after = now_ms().saturating_add(
                i64::try_from(app.config.dispatch.retry_after_ms).unwrap_or(i64::MAX),
            );
            c.wait_block = i64::try_from(head).unwrap_or(i64::MAX);
            c.log = Log::Settle(&[outcome::ASSIGNING], outcome::ASSIGN_FAILED);
            transition(app, o, c).await?;
        }
    }
    Ok(())
}
