//! The outbox: an event row, and one delivery row per subscribed endpoint, written
//! inside the caller's transaction, so that an event exists exactly when the state
//! change that causes it is committed.

use serde_json::{Value, json};
use sqlx::Row;

use crate::{
    error::Result,
    store::{Tx, new_id, now_ms},
};

/// Every event type the gateway emits (an endpoint's filter may also use `*` or a
/// prefix such as `invoice.*`).
pub const EVENT_TYPES: [&str; 10] = [
    "invoice.created",
    "invoice.processing",
    "invoice.settled",
    "invoice.expired",
    "invoice.invalid",
    "invoice.payment_late",
    "invoice.underpaid",
    "invoice.overpaid",
    "invoice.payment_removed",
    "webhook.test",
];

/// The operator's event types (endpoints of the operator scope only): an alert
/// opened, acknowledged, closed, or withdrawn after a reorg.
pub const RISK_EVENT_TYPES: [&str; 4] = [
    "risk.alert.opened",
    "risk.alert.acknowledged",
    "risk.alert.closed",
    "risk.alert.withdrawn",
];

/// Whether an endpoint filter (a list of types, `*` or `prefix.*`) wants `event`;
/// an empty filter wants everything.
pub fn wants(filter: &[String], event: &str) -> bool {
    filter.is_empty()
        || filter.iter().any(|f| {
            f == "*"
                || f == event
                || f.strip_suffix('*')
                    .is_some_and(|prefix| prefix.ends_with('.') && event.starts_with(prefix))
        })
}

/// Writes event `kind` about `subject` (an object id) for `merchant_id` (or the
/// operator scope, `risk::OPERATOR`) with `data`
/// and a pending delivery for each of the merchant's enabled endpoints that wants it.
/// Returns the event id (the `webhook-id` of every delivery and retry).
pub async fn enqueue(
    tx: &mut Tx,
    merchant_id: &str,
    kind: &str,
    subject: &str,
    data: &Value,
) -> Result<String> {
    let (id, payload, now) = event(kind, data);
    sqlx::query(
        "INSERT INTO gw_events (id, merchant_id, type, subject, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(merchant_id)
    .bind(kind)
    .bind(subject)
    .bind(payload)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    for (endpoint, _, filter) in endpoints(tx, &[merchant_id]).await? {
        if !wants(&filter, kind) {
            continue;
        }
        sqlx::query(
            "INSERT INTO gw_deliveries (id, event_id, endpoint_id, merchant_id, status, attempts, next_attempt_at, lease_until, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, 0, $5)",
        )
        .bind(new_id("dlv"))
        .bind(&id)
        .bind(&endpoint)
        .bind(merchant_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// A new event of type `kind` about `data`: its id, its payload (the JSON every
/// delivery sends) and its time (Unix ms).
pub(crate) fn event(kind: &str, data: &Value) -> (String, String, i64) {
    let id = new_id("evt");
    let now = now_ms();
    let payload = json!({
        "id": id,
        "type": kind,
        "timestamp": now / 1000,
        "data": data,
    });
    (id, payload.to_string(), now)
}

/// The enabled endpoints of `merchants`: id, merchant and event filter.
pub(crate) async fn endpoints(
    tx: &mut Tx,
    merchants: &[&str],
) -> Result<Vec<(String, String, Vec<String>)>> {
    if merchants.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = String::from(
        "SELECT id, merchant_id, events FROM gw_webhook_endpoints WHERE enabled = 1 AND merchant_id IN (",
    );
    for i in 0..merchants.len() {
        q.push_str(&format!("{}${}", if i == 0 { "" } else { ", " }, i + 1));
    }
    q.push(')');
    let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
    for m in merchants {
        query = query.bind(*m);
    }
    let mut out = Vec::new();
    for e in query.fetch_all(&mut **tx).await? {
        let filter: Vec<String> =
            serde_json::from_str(&e.try_get::<String, _>(2)?).unwrap_or_default();
        out.push((e.try_get(0)?, e.try_get(1)?, filter));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::wants;

    #[test]
    fn filters() {
        let f = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(wants(&[], "invoice.settled"));
        assert!(wants(&f(&["*"]), "invoice.settled"));
        assert!(wants(&f(&["invoice.*"]), "invoice.settled"));
        assert!(!wants(&f(&["payout.*"]), "invoice.settled"));
        assert!(wants(&f(&["invoice.settled"]), "invoice.settled"));
        assert!(!wants(&f(&["invoice.settle*"]), "invoice.settled"));
    }
}
