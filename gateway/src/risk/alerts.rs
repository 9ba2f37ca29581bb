//! Alerts and their workflow: `open → acknowledged → closed` (with a note, by whom
//! and when), or `withdrawn` when a reorg rolled their evidence back. Every change
//! writes its `risk.alert.*` event to the outbox (operator scope) in the same
//! transaction.

use serde_json::{Value, json};
use sqlx::{Row, any::AnyRow};

use crate::{
    error::Result,
    problem::Problem,
    risk::{Evidence, Finding, OPERATOR},
    store::{Db, Tx, is_unique_violation, new_id, now_ms},
    webhooks::outbox,
};

/// The states an alert can be in.
pub const STATES: [&str; 4] = ["open", "acknowledged", "closed", "withdrawn"];

const COLUMNS: &str = "id, rule, severity, chain, subject_kind, subject, summary, details, state, block_number, created_at, updated_at, acknowledged_by, acknowledged_at, closed_by, closed_at, close_note, withdrawn_at, withdrawn_reason, seq";

/// An alert as the API shows it (without evidence).
fn view(r: &AnyRow) -> Result<Value> {
    let details: String = r.try_get(7)?;
    Ok(json!({
        "id": r.try_get::<String, _>(0)?,
        "rule": r.try_get::<String, _>(1)?,
        "severity": r.try_get::<String, _>(2)?,
        "chain": r.try_get::<String, _>(3)?,
        "subject_kind": r.try_get::<String, _>(4)?,
        "subject": r.try_get::<String, _>(5)?,
        "summary": r.try_get::<String, _>(6)?,
        "details": serde_json::from_str::<Value>(&details).unwrap_or(Value::Null),
        "state": r.try_get::<String, _>(8)?,
        "block_number": r.try_get::<Option<i64>, _>(9)?,
        "created_at": r.try_get::<i64, _>(10)?,
        "updated_at": r.try_get::<i64, _>(11)?,
        "acknowledged_by": r.try_get::<Option<String>, _>(12)?,
        "acknowledged_at": r.try_get::<Option<i64>, _>(13)?,
        "closed_by": r.try_get::<Option<String>, _>(14)?,
        "closed_at": r.try_get::<Option<i64>, _>(15)?,
        "close_note": r.try_get::<Option<String>, _>(16)?,
        "withdrawn_at": r.try_get::<Option<i64>, _>(17)?,
        "withdrawn_reason": r.try_get::<Option<String>, _>(18)?,
    }))
}

/// The dedup keys of every live (open or acknowledged) alert.
pub async fn live_keys(db: &Db) -> Result<std::collections::HashSet<String>> {
    let rows =
        sqlx::query("SELECT dedup_key FROM gw_risk_alerts WHERE state IN ('open', 'acknowledged')")
            .fetch_all(&db.pool)
            .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>(0)?))
        .collect()
}

/// Stores `f` as a new open alert with its evidence and its `risk.alert.opened`
/// event, unless a live alert has the same key. Returns the new alert's id.
pub async fn record(tx: &mut Tx, f: &Finding) -> Result<Option<String>> {
    let live = sqlx::query(
        "SELECT COUNT(*) FROM gw_risk_alerts WHERE dedup_key = $1 AND state IN ('open', 'acknowledged')",
    )
    .bind(f.dedup_key())
    .fetch_one(&mut **tx)
    .await?
    .try_get::<i64, _>(0)?;
    if live > 0 {
        return Ok(None);
    }
    let id = new_id("alr");
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO gw_risk_alerts (id, rule, severity, chain, subject_kind, subject, summary, details, state, dedup_key, block_number, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, $11)",
    )
    .bind(&id)
    .bind(f.rule)
    .bind(f.severity.as_str())
    .bind(&f.chain)
    .bind(f.subject_kind.as_str())
    .bind(&f.subject)
    .bind(&f.summary)
    .bind(f.details.to_string())
    .bind(f.dedup_key())
    .bind(f.block_number().map(|b| b as i64))
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => {}
        // Another gateway process recorded it first.
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    for (i, e) in f.evidence.iter().enumerate() {
        let (kind, block, log, hash, txh, data) = match e {
            Evidence::Transfer(t) => (
                "transfer",
                Some(t.block_number as i64),
                Some(t.log_index as i64),
                Some(t.block_hash.clone()),
                Some(t.tx_hash.clone()),
                serde_json::to_value(t).unwrap_or_default(),
            ),
            Evidence::Blacklist(b) => (
                "blacklist",
                Some(b.block_number as i64),
                Some(b.log_index as i64),
                Some(b.block_hash.clone()),
                Some(b.tx_hash.clone()),
                serde_json::to_value(b).unwrap_or_default(),
            ),
            Evidence::Deal {
                deal_id: _,
                block_number,
                data,
            } => (
                "deal",
                block_number.map(|b| b as i64),
                None,
                None,
                None,
                data.clone(),
            ),
            Evidence::Metric {
                block_number,
                block_hash,
                data,
            } => (
                "metric",
                block_number.map(|b| b as i64),
                None,
                block_hash.clone(),
                None,
                data.clone(),
            ),
        };
        sqlx::query(
            "INSERT INTO gw_risk_evidence (alert_id, position, kind, chain, block_number, log_index, block_hash, tx_hash, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(i as i64)
        .bind(kind)
        .bind(&f.chain)
        .bind(block)
        .bind(log)
        .bind(hash)
        .bind(txh)
        .bind(data.to_string())
        .execute(&mut **tx)
        .await?;
    }
    emit(tx, &id, "risk.alert.opened").await?;
    Ok(Some(id))
}

/// Writes event `kind` carrying the alert as it now is.
async fn emit(tx: &mut Tx, id: &str, kind: &str) -> Result<()> {
    let q = format!("SELECT {COLUMNS} FROM gw_risk_alerts WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let data = view(&row)?;
    outbox::enqueue(tx, OPERATOR, kind, id, &data).await?;
    Ok(())
}

/// Applies `change` to the details of every live alert of `rule` on `chain` with
/// evidence above block `ancestor` (those [`withdraw_above`] is about to withdraw),
/// storing the details where `change` says it changed them.
pub async fn update_details_above(
    tx: &mut Tx,
    chain: &str,
    ancestor: u64,
    rule: &str,
    change: impl Fn(&mut Value) -> bool,
) -> Result<()> {
    let rows = sqlx::query(
        "SELECT DISTINCT a.id, a.details FROM gw_risk_alerts a JOIN gw_risk_evidence e ON e.alert_id = a.id WHERE e.chain = $1 AND e.block_number > $2 AND a.rule = $3 AND a.state IN ('open', 'acknowledged')",
    )
    .bind(chain)
    .bind(ancestor as i64)
    .bind(rule)
    .fetch_all(&mut **tx)
    .await?;
    for r in &rows {
        let id: String = r.try_get(0)?;
        let text: String = r.try_get(1)?;
        let mut details = serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
        if change(&mut details) {
            sqlx::query("UPDATE gw_risk_alerts SET details = $1 WHERE id = $2")
                .bind(details.to_string())
                .bind(&id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Withdraws every live alert on `chain` with evidence above block `ancestor` (a
/// reorg rolled those rows back). Returns their ids.
pub async fn withdraw_above(tx: &mut Tx, chain: &str, ancestor: u64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT a.id FROM gw_risk_alerts a JOIN gw_risk_evidence e ON e.alert_id = a.id WHERE e.chain = $1 AND e.block_number > $2 AND a.state IN ('open', 'acknowledged')",
    )
    .bind(chain)
    .bind(ancestor as i64)
    .fetch_all(&mut **tx)
    .await?;
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    let now = now_ms();
    for id in &ids {
        sqlx::query(
            "UPDATE gw_risk_alerts SET state = 'withdrawn', withdrawn_at = $1, withdrawn_reason = $2, updated_at = $1 WHERE id = $3",
        )
        .bind(now)
        .bind(format!(
            "a reorg on {chain} rolled back its evidence above block {ancestor}"
        ))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        emit(tx, id, "risk.alert.withdrawn").await?;
    }
    Ok(ids)
}

/// Filters of the alert list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// One state.
    pub state: Option<String>,
    /// One rule.
    pub rule: Option<String>,
    /// One severity.
    pub severity: Option<String>,
    /// One chain.
    pub chain: Option<String>,
    /// One subject.
    pub subject: Option<String>,
}

/// Alerts newest first, `limit` of them after the alert `after` (keyset).
pub async fn list(db: &Db, f: &Filter, limit: u32, after: Option<&str>) -> Result<Vec<Value>> {
    let after_seq = match after {
        Some(a) => sqlx::query("SELECT seq FROM gw_risk_alerts WHERE id = $1")
            .bind(a)
            .fetch_optional(&db.pool)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
            .unwrap_or(0),
        None => i64::MAX,
    };
    let q = format!(
        "SELECT {COLUMNS} FROM gw_risk_alerts WHERE seq < $1 AND ($2 = '' OR state = $2) AND ($3 = '' OR rule = $3) AND ($4 = '' OR severity = $4) AND ($5 = '' OR chain = $5) AND ($6 = '' OR subject = $6) ORDER BY seq DESC LIMIT $7"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(after_seq)
        .bind(f.state.clone().unwrap_or_default())
        .bind(f.rule.clone().unwrap_or_default())
        .bind(f.severity.clone().unwrap_or_default())
        .bind(f.chain.clone().unwrap_or_default())
        .bind(f.subject.clone().unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(view).collect()
}

/// One alert with its evidence rows.
pub async fn get(db: &Db, id: &str) -> Result<Option<Value>> {
    let q = format!("SELECT {COLUMNS} FROM gw_risk_alerts WHERE id = $1");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
    else {
        return Ok(None);
    };
    let mut v = view(&row)?;
    let evidence = sqlx::query(
        "SELECT kind, chain, block_number, log_index, block_hash, tx_hash, data FROM gw_risk_evidence WHERE alert_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let mut rows = Vec::with_capacity(evidence.len());
    for r in &evidence {
        let data: String = r.try_get(6)?;
        rows.push(json!({
            "kind": r.try_get::<String, _>(0)?,
            "chain": r.try_get::<String, _>(1)?,
            "block_number": r.try_get::<Option<i64>, _>(2)?,
            "log_index": r.try_get::<Option<i64>, _>(3)?,
            "block_hash": r.try_get::<Option<String>, _>(4)?,
            "tx_hash": r.try_get::<Option<String>, _>(5)?,
            "data": serde_json::from_str::<Value>(&data).unwrap_or(Value::Null),
        }));
    }
    v["evidence"] = Value::Array(rows);
    Ok(Some(v))
}

/// The operator's moves in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// `open → acknowledged`.
    Acknowledge,
    /// `open | acknowledged → closed` (a note is required).
    Close,
}

/// Applies `m` to alert `id` by `by` (an operator's name or wallet) with `note`;
/// answers the alert as it now is. A move the state does not allow is a 409 and
/// changes nothing.
pub async fn transition(
    db: &Db,
    id: &str,
    m: Move,
    by: &str,
    note: Option<&str>,
) -> Result<Value, Problem> {
    let mut tx = db.begin().await?;
    let state: Option<String> = sqlx::query("SELECT state FROM gw_risk_alerts WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    let Some(state) = state else {
        tx.rollback().await?;
        return Err(Problem::not_found("alert"));
    };
    let now = now_ms();
    let (allowed, kind) = match m {
        Move::Acknowledge => (state == "open", "risk.alert.acknowledged"),
        Move::Close => (
            state == "open" || state == "acknowledged",
            "risk.alert.closed",
        ),
    };
    if !allowed {
        tx.rollback().await?;
        return Err(Problem::conflict(
            "invalid_state",
            format!("the alert is {state}"),
        ));
    }
    let done = match m {
        Move::Acknowledge => sqlx::query(
            "UPDATE gw_risk_alerts SET state = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2, updated_at = $2 WHERE id = $3 AND state = $4",
        )
        .bind(by)
        .bind(now)
        .bind(id)
        .bind(&state)
        .execute(&mut *tx)
        .await?,
        Move::Close => sqlx::query(
            "UPDATE gw_risk_alerts SET state = 'closed', closed_by = $1, closed_at = $2, close_note = $3, updated_at = $2, acknowledged_by = COALESCE(acknowledged_by, $1), acknowledged_at = COALESCE(acknowledged_at, $2) WHERE id = $4 AND state = $5",
        )
        .bind(by)
        .bind(now)
        .bind(note.unwrap_or_default())
        .bind(id)
        .bind(&state)
        .execute(&mut *tx)
        .await?,
    };
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Err(Problem::conflict(
            "invalid_state",
            "the alert changed meanwhile",
        ));
    }
    emit(&mut tx, id, kind).await?;
    tx.commit().await?;
    get(db, id)
        .await?
        .ok_or_else(|| Problem::not_found("alert"))
}

/// Counts of live alerts by severity (dashboards).
pub async fn live_counts(db: &Db) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT severity, COUNT(*) FROM gw_risk_alerts WHERE state IN ('open', 'acknowledged') GROUP BY severity ORDER BY severity",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}
