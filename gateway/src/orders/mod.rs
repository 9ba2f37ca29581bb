//! Collections (fiat in: an acceptor releases USDT from its collateral to the
//! merchant) and payouts (fiat out: the merchant's USDT goes to an acceptor who pays
//! the merchant's payout bank account). The gateway opens or assigns the escrow deal
//! with the dispatcher's key ([`escrow`]), chooses the acceptor through an
//! [`acceptor::AcceptorSelector`] and follows the deal through the indexer's derived
//! `deals` table, sending `collection.*` / `payout.*` webhooks.
//!
//! Statuses: `pending` → [`offered` (waiting for the acceptor to accept) →
//! `accepted` →] `dispatching` (transaction sent) → `assigned` (deal open) → `paid`
//! (fiat marked paid) → `settled` (released or resolved); `disputed`, `cancelled`
//! (before dispatch, or the deal was cancelled), `failed` (no eligible acceptor, too
//! many attempts, or no escrow). An offer not accepted in time, a decline or a failed
//! assignment sends the order back to `pending` and to another acceptor
//! ([`service`]).

pub mod acceptor;
pub mod acceptors;
pub mod decisions;
pub mod escrow;
pub mod offers;
pub mod selector;
mod service;
pub mod settings;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{Row, any::AnyRow};
use stablerail_sdk::Amount;

use crate::{
    dispatch::Decision,
    error::{Error, Result},
    input::Fields,
    merchants,
    problem::Problem,
    state::AppState,
    store::{new_id, now_ms},
    webhooks::outbox,
};
pub use service::run;

const COLUMNS: &str = "seq, id, merchant_id, kind, chain, amount, payment_window, order_ref, status, deal_id, acceptor, bank_account_id, dispatch_after, error, created_at, updated_at, attempt, wait_block";

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
    /// Decisions made for it so far.
    pub attempt: u32,
    /// After a failed assignment: the chain head the indexer must reach before the
    /// order is decided again (0: none).
    pub wait_block: i64,
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
            attempt: u32::try_from(r.try_get::<i64, _>(16)?).unwrap_or(u32::MAX),
            wait_block: r.try_get(17)?,
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
            "attempts": self.attempt,
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

/// What happens to the acceptor column in a [`Change`].
#[derive(Debug, Clone, Copy)]
enum Who<'a> {
    Keep,
    Set(&'a str),
    Clear,
}

/// What happens to the decision log in a [`Change`].
#[derive(Debug, Clone, Copy)]
enum Log<'a> {
    None,
    /// A new decision with this outcome.
    New(&'a Decision, &'static str),
    /// The latest decision, if in one of these outcomes, gets this outcome.
    Settle(&'static [&'static str], &'static str),
}

/// One change of an order, applied with its event and decision-log row in one
/// transaction.
#[derive(Debug, Clone, Copy)]
struct Change<'a> {
    status: &'a str,
    deal_id: Option<u64>,
    acceptor: Who<'a>,
    error: Option<&'a str>,
    dispatch_after: i64,
    attempt: Option<u32>,
    wait_block: i64,
    log: Log<'a>,
}

impl<'a> Change<'a> {
    fn to(status: &'a str) -> Self {
        Self {
            status,
            deal_id: None,
            acceptor: Who::Keep,
            error: None,
            dispatch_after: 0,
            attempt: None,
            wait_block: 0,
            log: Log::None,
        }
    }
}

/// Applies `c` to `o` if it is still at its `updated_at` version, writing
/// `{kind}.{status}` when the status changes (not for the internal `dispatching`
/// and `accepted`); false if another process moved it first.
async fn transition(app: &AppState, o: &Order, c: Change<'_>) -> Result<bool> {
    let now = now_ms().max(o.updated_at + 1);
    let acceptor = match c.acceptor {
        Who::Keep => o.acceptor.clone(),
        Who::Set(a) => Some(a.to_owned()),
        Who::Clear => None,
    };
    let mut tx = app.db.begin().await?;
    let done = sqlx::query(
        "UPDATE gw_orders SET status = $1, deal_id = $2, acceptor = $3, error = $4, dispatch_after = $5, updated_at = $6, attempt = $7, wait_block = $8 WHERE id = $9 AND updated_at = $10",
    )
    .bind(c.status)
    .bind(c.deal_id.or(o.deal_id).map(|d| d as i64))
    .bind(acceptor)
    .bind(c.error.map(str::to_owned))
    .bind(c.dispatch_after)
    .bind(now)
    .bind(i64::from(c.attempt.unwrap_or(o.attempt)))
    .bind(c.wait_block)
    .bind(&o.id)
    .bind(o.updated_at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    match c.log {
        Log::None => {}
        Log::New(d, out) => {
            decisions::insert(&mut tx, &o.id, &o.merchant_id, &o.chain, d, out).await?;
        }
        Log::Settle(from, to) => {
            decisions::settle_latest(&mut tx, &o.id, from, to).await?;
        }
    }
    if c.status != o.status && c.status != "dispatching" && c.status != "accepted" {
        let after = fetch(&mut tx, &o.id)
            .await?
            .ok_or_else(|| Error::corrupt("gw_orders", "vanished"))?;
        outbox::enqueue(
            &mut tx,
            &o.merchant_id,
            &format!("{}.{}", o.kind, c.status),
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
    if o.status != "pending" || !transition(app, &o, Change::to("cancelled")).await? {
        return Err(Problem::conflict(
            "not_cancellable",
            "only a pending order can be cancelled",
        ));
    }
    get(app, merchant_id, kind, id)
        .await?
        .ok_or_else(|| Problem::not_found(kind))
}

/// The decision log of an order of `merchant_id` (`None` for another merchant's id).
pub async fn decisions_of(
    app: &AppState,
    merchant_id: &str,
    kind: &str,
    id: &str,
) -> Result<Option<Vec<decisions::StoredDecision>>> {
    if get(app, merchant_id, kind, id).await?.is_none() {
        return Ok(None);
    }
    decisions::of_order(&app.db, id).await.map(Some)
}
