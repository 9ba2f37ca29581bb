//! The decision log: every decision of the dispatcher engine for an order (the
//! candidates with their inputs, eligibility and score, the strategy and the seed),
//! written in the same transaction as the order's change it causes, and how that
//! attempt ended. A stored decision replays to itself ([`Decision::replay`]).

use serde_json::{Value, json};
use sqlx::{Row, any::AnyRow};

use crate::{
    dispatch::{Decision, ReplayError},
    error::{Error, Result},
    store::{Db, Tx, new_id, now_ms},
};

/// How an attempt ended (or where it stands).
pub mod outcome {
    /// Offered to the chosen acceptor, waiting for it to accept.
    pub const OFFERED: &str = "offered";
    /// The acceptor accepted; the assignment follows.
    pub const ACCEPTED: &str = "accepted";
    /// The assignment transaction is being sent.
    pub const ASSIGNING: &str = "assigning";
    /// Assigned on chain.
    pub const ASSIGNED: &str = "assigned";
    /// The acceptor did not accept in time (counts against it).
    pub const TIMED_OUT: &str = "timed_out";
    /// The acceptor declined (not counted against it).
    pub const DECLINED: &str = "declined";
    /// The assignment transaction failed.
    pub const ASSIGN_FAILED: &str = "assign_failed";
    /// Nobody was eligible.
    pub const NO_CANDIDATE: &str = "no_candidate";
}

/// One stored decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDecision {
    /// Id (`dec_...`).
    pub id: String,
    /// The order.
    pub order_id: String,
    /// The chosen acceptor, if any.
    pub chosen: Option<String>,
    /// How the attempt ended.
    pub outcome: String,
    /// The engine's decision.
    pub decision: Decision,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms when the attempt ended, if it did.
    pub ended_at: Option<i64>,
}

const COLUMNS: &str = "id, order_id, chosen, outcome, decision, created_at, ended_at";

impl StoredDecision {
    fn from_row(r: &AnyRow) -> Result<Self> {
        let text: String = r.try_get(4)?;
        Ok(Self {
            id: r.try_get(0)?,
            order_id: r.try_get(1)?,
            chosen: r.try_get(2)?,
            outcome: r.try_get(3)?,
            decision: serde_json::from_str(&text)
                .map_err(|e| Error::corrupt("gw_dispatch_decisions", e.to_string()))?,
            created_at: r.try_get(5)?,
            ended_at: r.try_get(6)?,
        })
    }

    /// Replays the stored decision from its recorded inputs, strategy and seed.
    pub fn replay(&self) -> Result<(), ReplayError> {
        self.decision.replay()
    }

    /// The JSON the API shows: the decision with its candidates and reasons, and
    /// whether it replays to itself.
    pub fn view(&self) -> Value {
        json!({
            "id": self.id,
            "order_id": self.order_id,
            "chosen": self.chosen,
            "outcome": self.outcome,
            "strategy": self.decision.strategy,
            "seed": self.decision.seed.to_string(),
            "explored": self.decision.explored,
            "at": self.decision.at,
            "order": self.decision.order,
            "candidates": self.decision.candidates,
            "replays": self.replay().is_ok(),
            "created_at": self.created_at / 1000,
            "ended_at": self.ended_at.map(|t| t / 1000),
        })
    }
}

/// Stores `decision` for the order (in the caller's transaction); returns its id.
pub async fn insert(
    tx: &mut Tx,
    order_id: &str,
    merchant_id: &str,
    chain: &str,
    decision: &Decision,
    outcome: &str,
) -> Result<String> {
    let id = new_id("dec");
    let text = serde_json::to_string(decision)
        .map_err(|e| Error::corrupt("gw_dispatch_decisions", e.to_string()))?;
    let strategy = serde_json::to_string(&decision.strategy)
        .map_err(|e| Error::corrupt("gw_dispatch_decisions", e.to_string()))?;
    let ended = matches!(outcome, outcome::NO_CANDIDATE).then(now_ms);
    sqlx::query(
        "INSERT INTO gw_dispatch_decisions (id, order_id, merchant_id, chain, chosen, strategy, seed, decision, outcome, created_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(order_id)
    .bind(merchant_id)
    .bind(chain)
    .bind(decision.chosen.clone())
    .bind(strategy)
    .bind(decision.seed.to_string())
    .bind(text)
    .bind(outcome)
    .bind(now_ms())
    .bind(ended)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Moves the order's latest decision still in `from` to `to` (ending it unless `to`
/// is a waiting outcome); false if there was none.
pub async fn settle_latest(tx: &mut Tx, order_id: &str, from: &[&str], to: &str) -> Result<bool> {
    let Some(id) = latest_in(tx, order_id, from).await? else {
        return Ok(false);
    };
    let ends = !matches!(to, outcome::ACCEPTED | outcome::ASSIGNING);
    let done =
        sqlx::query("UPDATE gw_dispatch_decisions SET outcome = $1, ended_at = $2 WHERE id = $3")
            .bind(to)
            .bind(ends.then(now_ms))
            .bind(&id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

async fn latest_in(tx: &mut Tx, order_id: &str, from: &[&str]) -> Result<Option<String>> {
    let rows = sqlx::query(
        "SELECT id, outcome FROM gw_dispatch_decisions WHERE order_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.first().and_then(|r| {
        let outcome: String = r.try_get(1).ok()?;
        from.contains(&outcome.as_str())
            .then(|| r.try_get(0).ok())
            .flatten()
    }))
}

/// Every decision of an order, oldest first.
pub async fn of_order(db: &Db, order_id: &str) -> Result<Vec<StoredDecision>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM gw_dispatch_decisions WHERE order_id = $1 ORDER BY seq"
    )))
    .bind(order_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(StoredDecision::from_row).collect()
}

/// The acceptors that already had the order and did not take it.
pub async fn excluded(db: &Db, order_id: &str) -> Result<std::collections::BTreeSet<String>> {
    let rows = sqlx::query(
        "SELECT chosen FROM gw_dispatch_decisions WHERE order_id = $1 AND outcome IN ('timed_out', 'declined', 'assign_failed') AND chosen IS NOT NULL",
    )
    .bind(order_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map_err(Error::from))
        .collect()
}
