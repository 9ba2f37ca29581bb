//! Webhook endpoints, their delivery log and redelivery.

use serde_json::{Value, json};
use sqlx::{Row, any::AnyRow};
use stablerail_sdk::webhooks::Secret;

use crate::{
    error::Result,
    input::Fields,
    problem::Problem,
    state::AppState,
    store::{Db, new_id, now_ms},
    webhooks::{
        outbox::{EVENT_TYPES, RISK_EVENT_TYPES},
        target,
    },
};

const ENDPOINT_COLUMNS: &str =
    "id, url, events, enabled, created_at, previous_until FROM gw_webhook_endpoints";

fn endpoint_json(r: &AnyRow) -> Result<Value> {
    let events: Vec<String> = serde_json::from_str(&r.try_get::<String, _>(2)?).unwrap_or_default();
    let previous_until: i64 = r.try_get(5)?;
    Ok(json!({
        "id": r.try_get::<String, _>(0)?,
        "url": r.try_get::<String, _>(1)?,
        "events": events,
        "enabled": r.try_get::<i64, _>(3)? == 1,
        "created_at": r.try_get::<i64, _>(4)? / 1000,
        "previous_secret_valid_until": (previous_until > now_ms()).then_some(previous_until / 1000),
    }))
}

/// Creates an endpoint from `{url, events?}`; the answer carries the secret (shown
/// only here and on rotation).
pub async fn create(app: &AppState, merchant_id: &str, v: &Value) -> Result<Value, Problem> {
    let f = Fields::of(v, "", &["url", "events"])?;
    let url = f.str("url", 2000)?;
    target::check(url, app.config.webhooks.allow_private_targets)
        .await
        .map_err(|e| Problem::field("url", e.to_string()))?;
    let mut events = Vec::new();
    for (i, e) in f.opt_array("events")?.into_iter().flatten().enumerate() {
        let name = format!("events[{i}]");
        let s = e
            .as_str()
            .ok_or_else(|| Problem::field(&name, "must be a string"))?;
        let known = s == "*"
            || EVENT_TYPES.contains(&s)
            || s.strip_suffix(".*")
                .is_some_and(|p| matches!(p, "invoice" | "collection" | "payout" | "webhook"))
            || s.starts_with("collection.")
            || s.starts_with("payout.")
            || (merchant_id == crate::risk::OPERATOR
                && (RISK_EVENT_TYPES.contains(&s) || s == "risk.*" || s == "risk.alert.*"));
        if !known {
            return Err(Problem::field(name, format!("unknown event type {s:?}")));
        }
        events.push(s.to_owned());
    }
    let id = new_id("we");
    let secret = Secret::generate();
    sqlx::query(
        "INSERT INTO gw_webhook_endpoints (id, merchant_id, url, events, secret, previous_secret, previous_until, enabled, created_at) VALUES ($1, $2, $3, $4, $5, NULL, 0, 1, $6)",
    )
    .bind(&id)
    .bind(merchant_id)
    .bind(url)
    .bind(json!(events).to_string())
    .bind(&secret)
    .bind(now_ms())
    .execute(&app.db.pool)
    .await?;
    let mut out = get(&app.db, merchant_id, &id)
        .await?
        .ok_or_else(|| Problem::not_found("webhook endpoint"))?;
    out["secret"] = json!(secret);
    Ok(out)
}

/// One endpoint of `merchant_id` (no secret).
pub async fn get(db: &Db, merchant_id: &str, id: &str) -> Result<Option<Value>> {
    let q = format!("SELECT {ENDPOINT_COLUMNS} WHERE id = $1 AND merchant_id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(id)
        .bind(merchant_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(endpoint_json).transpose()
}

/// Every endpoint of `merchant_id`.
pub async fn list(db: &Db, merchant_id: &str) -> Result<Vec<Value>> {
    let q = format!("SELECT {ENDPOINT_COLUMNS} WHERE merchant_id = $1 ORDER BY seq");
    sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(merchant_id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(endpoint_json)
        .collect()
}

/// Disables an endpoint (its pending deliveries stop).
pub async fn disable(db: &Db, merchant_id: &str, id: &str) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE gw_webhook_endpoints SET enabled = 0 WHERE id = $1 AND merchant_id = $2",
    )
    .bind(id)
    .bind(merchant_id)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Replaces the secret; the previous one keeps signing (a second signature) for the
/// configured overlap. Returns the endpoint with the new secret.
pub async fn rotate(app: &AppState, merchant_id: &str, id: &str) -> Result<Value, Problem> {
    let secret = Secret::generate();
    let until = now_ms() + (app.config.webhooks.rotation_overlap_secs as i64) * 1000;
    let r = sqlx::query(
        "UPDATE gw_webhook_endpoints SET previous_secret = secret, previous_until = $1, secret = $2 WHERE id = $3 AND merchant_id = $4",
    )
    .bind(until)
    .bind(&secret)
    .bind(id)
    .bind(merchant_id)
    .execute(&app.db.pool)
    .await?;
    if r.rows_affected() != 1 {
        return Err(Problem::not_found("webhook endpoint"));
    }
    let mut out = get(&app.db, merchant_id, id)
        .await?
        .ok_or_else(|| Problem::not_found("webhook endpoint"))?;
    out["secret"] = json!(secret);
    Ok(out)
}

/// The deliveries of an endpoint, newest first, with their event type.
pub async fn deliveries(
    db: &Db,
    merchant_id: &str,
    endpoint: &str,
    limit: u32,
) -> Result<Vec<Value>> {
    let rows = sqlx::query(
        "SELECT d.id, d.event_id, e.type, d.status, d.attempts, d.next_attempt_at, d.delivered_at, d.created_at FROM gw_deliveries d JOIN gw_events e ON e.id = d.event_id WHERE d.endpoint_id = $1 AND d.merchant_id = $2 ORDER BY d.seq DESC LIMIT $3",
    )
    .bind(endpoint)
    .bind(merchant_id)
    .bind(i64::from(limit))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get(3)?;
            Ok(json!({
                "id": r.try_get::<String, _>(0)?,
                "event_id": r.try_get::<String, _>(1)?,
                "type": r.try_get::<String, _>(2)?,
                "status": status,
                "attempts": r.try_get::<i64, _>(4)?,
                "next_attempt_at": (status == "pending").then_some(r.try_get::<i64, _>(5)? / 1000),
                "delivered_at": r.try_get::<Option<i64>, _>(6)?.map(|t| t / 1000),
                "created_at": r.try_get::<i64, _>(7)? / 1000,
            }))
        })
        .collect()
}

/// One delivery with every attempt (status, latency, excerpt of the answer).
pub async fn delivery(db: &Db, merchant_id: &str, id: &str) -> Result<Option<Value>> {
    let Some(d) = sqlx::query(
        "SELECT d.id, d.event_id, e.type, d.status, d.attempts, d.endpoint_id, e.payload FROM gw_deliveries d JOIN gw_events e ON e.id = d.event_id WHERE d.id = $1 AND d.merchant_id = $2",
    )
    .bind(id)
    .bind(merchant_id)
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    let attempts = sqlx::query(
        "SELECT attempt, started_at, latency_ms, http_status, error, response_excerpt FROM gw_attempts WHERE delivery_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(json!({
            "attempt": r.try_get::<i64, _>(0)?,
            "started_at": r.try_get::<i64, _>(1)? / 1000,
            "latency_ms": r.try_get::<i64, _>(2)?,
            "http_status": r.try_get::<Option<i64>, _>(3)?,
            "error": r.try_get::<Option<String>, _>(4)?,
            "response_excerpt": r.try_get::<Option<String>, _>(5)?,
        }))
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let payload: Value = serde_json::from_str(&d.try_get::<String, _>(6)?).unwrap_or(Value::Null);
    Ok(Some(json!({
        "id": d.try_get::<String, _>(0)?,
        "event_id": d.try_get::<String, _>(1)?,
        "type": d.try_get::<String, _>(2)?,
        "status": d.try_get::<String, _>(3)?,
        "attempts": d.try_get::<i64, _>(4)?,
        "endpoint_id": d.try_get::<String, _>(5)?,
        "request": payload,
        "log": attempts,
    })))
}

/// Queues a delivery again now, with the same `webhook-id` (the event id) and a
/// fresh retry schedule.
pub async fn redeliver(app: &AppState, merchant_id: &str, id: &str) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE gw_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = 0 WHERE id = $2 AND merchant_id = $3 AND (status <> 'pending' OR lease_until < $1)",
    )
    .bind(now_ms())
    .bind(id)
    .bind(merchant_id)
    .execute(&app.db.pool)
    .await?;
    app.outbox.notify_one();
    Ok(r.rows_affected() == 1)
}
