//! Collections (fiat in: an acceptor releases USDT from its collateral to the
//! merchant) and payouts (fiat out: the merchant's USDT goes to an acceptor who pays
//! the merchant's payout bank account). The gateway opens or assigns the escrow deal
//! with the dispatcher's key ([`escrow`]), chooses the acceptor through an
//! [`acceptor::AcceptorSelector`] and follows the deal through the indexer's derived
//! `deals` table, sending `collection.*` / `payout.*` webhooks.
//!
//! Statuses: `pending` → `dispatching` (transaction sent) → `assigned` (deal open) →
//! `paid` (fiat marked paid) → `settled` (released or resolved); `disputed`,
//! `cancelled` (before dispatch, or the deal was cancelled), `failed` (no eligible
//! acceptor, or the chain refused).

pub mod acceptor;
pub mod escrow;

use std::time::Duration;

use alloy::primitives::B256;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{Row, any::AnyRow};
use stablerail_sdk::Amount;
use tokio::sync::watch;

use crate::{
    error::{Error, Result},
    input::Fields,
    merchants,
    problem::Problem,
    state::AppState,
    store::{Backend, new_id, now_ms},
    webhooks::outbox,
};
use acceptor::{AcceptorSelector, OrderAsk};
use escrow::DispatcherEscrow;

const COLUMNS: &str = "seq, id, merchant_id, kind, chain, amount, payment_window, order_ref, status, deal_id, acceptor, bank_account_id, dispatch_after, error, created_at, updated_at";

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Creation order.
    pub seq: i64,
    /// Id (`col_...` or `pay_...`).
    pub id: String,
    /// Owner.
    pub merchant_id: String,
    /// `collection` or `payout`.
    pub kind: String,
    /// Chain name.
    pub chain: String,
    /// Smallest units.
    pub amount: u64,
    /// Seconds the fiat side has.
    pub payment_window: u64,
    /// The deal's `orderRef` (0x hex).
    pub order_ref: String,
    /// Status.
    pub status: String,
    /// The escrow deal.
    pub deal_id: Option<u64>,
    /// The assigned acceptor.
    pub acceptor: Option<String>,
    /// Payouts: the merchant's payout bank account.
    pub bank_account_id: Option<String>,
    /// Unix ms before which a `dispatching` order is not sent again.
    pub dispatch_after: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms (optimistic-concurrency version).
    pub updated_at: i64,
}

impl Order {
    fn from_row(r: &AnyRow) -> Result<Self> {
        let u = |v: i64| u64::try_from(v).map_err(|_| Error::corrupt("gw_orders", "negative"));
        Ok(Self {
            seq: r.try_get(0)?,
            id: r.try_get(1)?,
            merchant_id: r.try_get(2)?,
            kind: r.try_get(3)?,
            chain: r.try_get(4)?,
            amount: u(r.try_get(5)?)?,
            payment_window: u(r.try_get(6)?)?,
            order_ref: r.try_get(7)?,
            status: r.try_get(8)?,
            deal_id: r.try_get::<Option<i64>, _>(9)?.map(u).transpose()?,
            acceptor: r.try_get(10)?,
            bank_account_id: r.try_get(11)?,
            dispatch_after: r.try_get(12)?,
            error: r.try_get(13)?,
            created_at: r.try_get(14)?,
            updated_at: r.try_get(15)?,
        })
    }

    /// The JSON the API and webhooks show.
    pub fn view(&self) -> Value {
        json!({
            "id": self.id,
            "kind": self.kind,
            "chain": self.chain,
            "amount": Amount::from_units(self.amount).to_string(),
            "status": self.status,
            "deal_id": self.deal_id,
            "acceptor": self.acceptor,
            "payment_window_secs": self.payment_window,
            "order_ref": self.order_ref,
            "bank_account_id": self.bank_account_id,
            "error": self.error,
            "created_at": self.created_at / 1000,
        })
    }
}

fn order_ref(id: &str) -> String {
    format!("0x{}", hex::encode(Sha256::digest(id.as_bytes())))
}

/// Creates a collection (`{chain, amount, payment_window_secs?}`) or a payout
/// (`{chain, deal_id}`: an unassigned Payout deal the merchant opened from its
/// escrow account) and its `*.created` event; the dispatch follows.
pub async fn create(
    app: &AppState,
    merchant_id: &str,
    kind: &str,
    v: &Value,
) -> Result<Order, Problem> {
    let allowed: &[&str] = if kind == "collection" {
        &["chain", "amount", "payment_window_secs"]
    } else {
        &["chain", "deal_id"]
    };
    let f = Fields::of(v, "", allowed)?;
    let chain = f.str("chain", 64)?;
    let c = app
        .config
        .indexer
        .chains
        .get(chain)
        .ok_or_else(|| Problem::field("chain", "not a configured chain"))?;
    if c.escrow.is_none() {
        return Err(Problem::field(
            "chain",
            "no escrow is configured on this chain",
        ));
    }
    let merchant = merchants::get(&app.db, merchant_id)
        .await?
        .ok_or_else(|| Problem::not_found("merchant"))?;
    let escrow_account = merchant
        .chains
        .iter()
        .find(|mc| mc.chain == chain)
        .and_then(|mc| mc.escrow_account.clone())
        .ok_or_else(|| {
            Problem::field("chain", "the merchant has no escrow account on this chain")
        })?;
    if !escrow::has_key(&app.config) {
        return Err(Problem::conflict(
            "dispatcher_disabled",
            "no dispatcher key is configured",
        ));
    }
    let (amount, window, deal_id, bank) = if kind == "collection" {
        let amount = f.amount("amount")?;
        let window = f
            .opt_u64("payment_window_secs")?
            .unwrap_or(app.config.dispatcher.payment_window_secs);
        if !(60..=86_400).contains(&window) {
            return Err(Problem::field(
                "payment_window_secs",
                "between 60 and 86400",
            ));
        }
        (amount.units(), window, None, None)
    } else {
        let deal_id = f
            .opt_u64("deal_id")?
            .ok_or_else(|| Problem::field("deal_id", "is required"))?;
        let deal = sqlx::query(
            "SELECT kind, merchant, state, CAST(amount AS TEXT), payment_window FROM deals WHERE chain = $1 AND deal_id = $2",
        )
        .bind(chain)
        .bind(deal_id as i64)
        .fetch_optional(&app.db.pool)
        .await?;
        let Some(deal) = deal else {
            return Err(Problem::field(
                "deal_id",
                "no such deal indexed on this chain",
            ));
        };
        let (dkind, dmerchant, dstate): (String, String, String) =
            (deal.try_get(0)?, deal.try_get(1)?, deal.try_get(2)?);
        if dkind != "payout" || dmerchant != escrow_account || dstate != "unassigned" {
            return Err(Problem::field(
                "deal_id",
                "not an unassigned payout deal of your escrow account",
            ));
        }
        let amount: u64 = deal
            .try_get::<String, _>(3)?
            .parse()
            .map_err(|_| Problem::field("deal_id", "amount out of range"))?;
        let bank = merchant
            .bank_accounts
            .iter()
            .find(|b| b.payout)
            .map(|b| b.id.clone())
            .ok_or_else(|| Problem::field("deal_id", "the merchant has no payout bank account"))?;
        (
            amount,
            deal.try_get::<i64, _>(4)?.max(0) as u64,
            Some(deal_id),
            Some(bank),
        )
    };
    let id = new_id(if kind == "collection" { "col" } else { "pay" });
    let now = now_ms();
    let mut tx = app.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO gw_orders (id, merchant_id, kind, chain, amount, payment_window, order_ref, status, deal_id, bank_account_id, dispatch_after, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, 0, $10, $10)",
    )
    .bind(&id)
    .bind(merchant_id)
    .bind(kind)
    .bind(chain)
    .bind(amount as i64)
    .bind(window as i64)
    .bind(order_ref(&id))
    .bind(deal_id.map(|d| d as i64))
    .bind(bank)
    .bind(now)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        if crate::store::is_unique_violation(&e) {
            return Err(Problem::conflict(
                "order_exists",
                "this payout deal is already an order",
            ));
        }
        return Err(e.into());
    }
    let order = fetch(&mut tx, &id)
        .await?
        .ok_or_else(|| Error::corrupt("gw_orders", "vanished"))?;
    outbox::enqueue(
        &mut tx,
        merchant_id,
        &format!("{kind}.created"),
        &id,
        &order.view(),
    )
    .await?;
    tx.commit().await.map_err(Error::from)?;
    app.outbox.notify_one();
    Ok(order)
}

async fn fetch(tx: &mut crate::store::Tx, id: &str) -> Result<Option<Order>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_orders WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(Order::from_row).transpose()
}

/// An order of `merchant_id` (`None` for another merchant's).
pub async fn get(app: &AppState, merchant_id: &str, kind: &str, id: &str) -> Result<Option<Order>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_orders WHERE id = $1 AND merchant_id = $2 AND kind = $3"
    )))
    .bind(id)
    .bind(merchant_id)
    .bind(kind)
    .fetch_optional(&app.db.pool)
    .await?;
    row.as_ref().map(Order::from_row).transpose()
}

/// A page of orders, newest first.
pub async fn list(
    app: &AppState,
    merchant_id: &str,
    kind: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Order>, Problem> {
    let after_seq = match after {
        None => i64::MAX,
        Some(a) => {
            get(app, merchant_id, kind, a)
                .await?
                .ok_or_else(|| Problem::field("after", "not one of your orders"))?
                .seq
        }
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_orders WHERE merchant_id = $1 AND kind = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4"
    )))
    .bind(merchant_id)
    .bind(kind)
    .bind(after_seq)
    .bind(i64::from(limit))
    .fetch_all(&app.db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(Order::from_row)
        .collect::<Result<Vec<_>>>()?)
}

/// Moves an order from `from` (its `updated_at` version) to `status` with `set`
/// columns, writing `{kind}.{status}` in the same transaction; false if another
/// process moved it first.
async fn transition(
    app: &AppState,
    o: &Order,
    status: &str,
    deal_id: Option<u64>,
    acceptor: Option<&str>,
    error: Option<&str>,
    dispatch_after: i64,
) -> Result<bool> {
    let now = now_ms().max(o.updated_at + 1);
    let mut tx = app.db.begin().await?;
    let done = sqlx::query(
        "UPDATE gw_orders SET status = $1, deal_id = $2, acceptor = $3, error = $4, dispatch_after = $5, updated_at = $6 WHERE id = $7 AND updated_at = $8",
    )
    .bind(status)
    .bind(deal_id.or(o.deal_id).map(|d| d as i64))
    .bind(acceptor.map(str::to_owned).or_else(|| o.acceptor.clone()))
    .bind(error.map(str::to_owned))
    .bind(dispatch_after)
    .bind(now)
    .bind(&o.id)
    .bind(o.updated_at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    if status != o.status && status != "dispatching" {
        let after = fetch(&mut tx, &o.id)
            .await?
            .ok_or_else(|| Error::corrupt("gw_orders", "vanished"))?;
        outbox::enqueue(
            &mut tx,
            &o.merchant_id,
            &format!("{}.{status}", o.kind),
            &o.id,
            &after.view(),
        )
        .await?;
    }
    tx.commit().await?;
    app.outbox.notify_one();
    Ok(true)
}

/// Cancels an order not yet dispatched (409 otherwise).
pub async fn cancel(
    app: &AppState,
    merchant_id: &str,
    kind: &str,
    id: &str,
) -> Result<Order, Problem> {
    let o = get(app, merchant_id, kind, id)
        .await?
        .ok_or_else(|| Problem::not_found(kind))?;
    if o.status != "pending" || !transition(app, &o, "cancelled", None, None, None, 0).await? {
        return Err(Problem::conflict(
            "not_cancellable",
            "only a pending order can be cancelled",
        ));
    }
    get(app, merchant_id, kind, id)
        .await?
        .ok_or_else(|| Problem::not_found(kind))
}

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
    let mut leader: Option<sqlx::AnyConnection> = None;
    loop {
        let dispatcher = match app.db.backend {
            Backend::Sqlite => true,
            Backend::Postgres => {
                if leader.is_none() {
                    leader = try_lead(&app).await;
                }
                leader.is_some()
            }
        };
        if let Err(e) = pass(&app, &selector, dispatcher).await {
            tracing::warn!(error = %e, "order pass failed; retrying");
            // The lock's connection may be broken: ask again next time.
            leader = None;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// A connection holding the dispatcher lock, if this process got it.
async fn try_lead(app: &AppState) -> Option<sqlx::AnyConnection> {
    let mut conn = app.db.pool.acquire().await.ok()?.detach();
    let got: bool = sqlx::query_scalar(
        "SELECT pg_try_advisory_lock(hashtext('stablerail-gateway-dispatcher'))",
    )
    .fetch_one(&mut conn)
    .await
    .ok()?;
    got.then_some(conn)
}

/// The deal of an order as indexed: (deal id, state).
async fn indexed_deal(app: &AppState, o: &Order) -> Result<Option<(u64, String)>> {
    let row = match o.deal_id {
        Some(d) => {
            sqlx::query("SELECT deal_id, state FROM deals WHERE chain = $1 AND deal_id = $2")
                .bind(&o.chain)
                .bind(d as i64)
                .fetch_optional(&app.db.pool)
                .await?
        }
        None => {
            sqlx::query("SELECT deal_id, state FROM deals WHERE chain = $1 AND order_ref = $2")
                .bind(&o.chain)
                .bind(&o.order_ref)
                .fetch_optional(&app.db.pool)
                .await?
        }
    };
    Ok(match row {
        Some(r) => Some((
            u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
            r.try_get(1)?,
        )),
        None => None,
    })
}

async fn pass<S: AcceptorSelector>(app: &AppState, selector: &S, dispatcher: bool) -> Result<()> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_orders WHERE status IN ('pending', 'dispatching', 'assigned', 'paid', 'disputed') ORDER BY seq"
    )))
    .fetch_all(&app.db.pool)
    .await?;
    for r in &rows {
        let o = Order::from_row(r)?;
        let deal = indexed_deal(app, &o).await?;
        match o.status.as_str() {
            "pending" | "dispatching" => {
                // A collection whose deal is indexed was dispatched (maybe by a process
                // that died before recording it): adopt the deal.
                if o.kind == "collection"
                    && let Some((id, _)) = &deal
                {
                    transition(app, &o, "assigned", Some(*id), None, None, 0).await?;
                    continue;
                }
                if o.kind == "payout"
                    && let Some((_, state)) = &deal
                    && state != "unassigned"
                {
                    let status = if state == "open" {
                        "assigned"
                    } else {
                        deal_status(state)
                    };
                    transition(app, &o, status, None, None, None, 0).await?;
                    continue;
                }
                if !dispatcher || (o.status == "dispatching" && now_ms() < o.dispatch_after) {
                    continue; // sent recently: wait for the indexer before sending again
                }
                dispatch(app, selector, &o).await?;
            }
            _ => {
                if let Some((_, state)) = deal {
                    let status = deal_status(&state);
                    if status != o.status {
                        transition(app, &o, status, None, None, None, 0).await?;
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

async fn dispatch<S: AcceptorSelector>(app: &AppState, selector: &S, o: &Order) -> Result<()> {
    let ask = OrderAsk {
        kind: &o.kind,
        chain: &o.chain,
        amount: o.amount,
    };
    let Some(acceptor) = selector.choose(&app.db, &ask).await? else {
        transition(
            app,
            o,
            "failed",
            None,
            None,
            Some("no eligible acceptor"),
            0,
        )
        .await?;
        return Ok(());
    };
    // Claim the send: only the process whose update wins sends the transaction.
    let resend_after = now_ms() + 30_000;
    if !transition(
        app,
        o,
        "dispatching",
        None,
        Some(&acceptor),
        None,
        resend_after,
    )
    .await?
    {
        return Ok(());
    }
    let Some(o) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_orders WHERE id = $1"
    )))
    .bind(&o.id)
    .fetch_optional(&app.db.pool)
    .await?
    .as_ref()
    .map(Order::from_row)
    .transpose()?
    else {
        return Ok(());
    };
    let escrow = match DispatcherEscrow::connect(&app.config, &o.chain) {
        Ok(e) => e,
        Err(e) => {
            transition(app, &o, "failed", None, None, Some(&e.to_string()), 0).await?;
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
            transition(app, &o, "assigned", deal_id, Some(&acceptor), None, 0).await?;
        }
        Err(e) => {
            tracing::warn!(order = %o.id, error = %e, "dispatch failed");
            transition(app, &o, "failed", None, None, Some(&e.to_string()), 0).await?;
        }
    }
    Ok(())
}
