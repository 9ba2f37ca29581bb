//! What an acceptor sees and does with the orders the dispatcher gave it: the list
//! (an offer shows when it expires; a payout shows the merchant's payout bank
//! account, which only the chosen acceptor sees), accepting an offer, declining it.

use serde_json::Value;
use sqlx::Row;

use super::{
    COLUMNS, Change, Log, Order, Who, acceptors::AcceptorRecord, decisions::outcome,
    selector::HOLDING, transition,
};
use crate::{error::Result, problem::Problem, state::AppState, store::now_ms};

/// The acceptor's view of one of its orders.
async fn view(app: &AppState, o: &Order) -> Result<Value> {
    let mut v = o.view();
    if o.status == "offered" {
        v["offer_expires_at"] = (o.dispatch_after / 1000).into();
    }
    if o.kind == "payout"
        && let Some(bank) = &o.bank_account_id
    {
        let row =
            sqlx::query("SELECT holder, account, currency FROM gw_bank_accounts WHERE id = $1")
                .bind(bank)
                .fetch_optional(&app.db.pool)
                .await?;
        if let Some(r) = row {
            v["bank_account"] = serde_json::json!({
                "holder": r.try_get::<String, _>(0)?,
                "account": r.try_get::<String, _>(1)?,
                "currency": r.try_get::<String, _>(2)?,
            });
        }
    }
    Ok(v)
}

/// The orders the acceptor holds now (offered, accepted, assigned, paid, disputed),
/// oldest first.
pub async fn list(app: &AppState, acc: &AcceptorRecord) -> Result<Vec<Value>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_orders WHERE chain = $1 AND acceptor = $2 AND status IN ({HOLDING}) ORDER BY seq LIMIT 500"
    )))
    .bind(&acc.chain)
    .bind(&acc.address)
    .fetch_all(&app.db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(view(app, &Order::from_row(r)?).await?);
    }
    Ok(out)
}

/// One order the acceptor holds (`None` for any other id: 404, like unknown ones).
async fn held(app: &AppState, acc: &AcceptorRecord, id: &str) -> Result<Option<Order>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_orders WHERE id = $1 AND chain = $2 AND acceptor = $3 AND status IN ({HOLDING})"
    )))
    .bind(id)
    .bind(&acc.chain)
    .bind(&acc.address)
    .fetch_optional(&app.db.pool)
    .await?;
    row.as_ref().map(Order::from_row).transpose()
}

/// Accepts an offer before it expires (the assignment follows); accepting an order
/// already accepted or assigned to it answers the order as it is.
pub async fn accept(app: &AppState, acc: &AcceptorRecord, id: &str) -> Result<Value, Problem> {
    let o = held(app, acc, id)
        .await?
        .ok_or_else(|| Problem::not_found("order"))?;
    if o.status == "offered" {
        if now_ms() >= o.dispatch_after {
            return Err(Problem::conflict(
                "offer_expired",
                "the offer expired; the order goes to another acceptor",
            ));
        }
        let mut c = Change::to("accepted");
        c.attempt = Some(o.attempt);
        c.log = Log::Settle(&[outcome::OFFERED], outcome::ACCEPTED);
        if !transition(app, &o, c).await? {
            return Err(Problem::conflict(
                "offer_changed",
                "the offer changed meanwhile; read it again",
            ));
        }
    }
    let o = held(app, acc, id)
        .await?
        .ok_or_else(|| Problem::not_found("order"))?;
    Ok(view(app, &o).await?)
}

/// Declines an offer: the order goes to another acceptor (not counted as a failure).
pub async fn decline(app: &AppState, acc: &AcceptorRecord, id: &str) -> Result<Value, Problem> {
    let o = held(app, acc, id)
        .await?
        .ok_or_else(|| Problem::not_found("order"))?;
    if o.status != "offered" {
        return Err(Problem::conflict(
            "not_offered",
            "only an offer can be declined; the order is already accepted",
        ));
    }
    let mut c = Change::to("pending");
    c.acceptor = Who::Clear;
    c.log = Log::Settle(&[outcome::OFFERED], outcome::DECLINED);
    if !transition(app, &o, c).await? {
        return Err(Problem::conflict(
            "offer_changed",
            "the offer changed meanwhile; read it again",
        ));
    }
    let mut v = o.view();
    v["status"] = "declined".into();
    Ok(v)
}
