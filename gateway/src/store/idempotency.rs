//! Idempotency-Key records written inside a handler's own transaction (see
//! `api/idempotency.rs` for the whole scheme).

use crate::store::{Tx, is_unique_violation, now_ms};

/// A key the handler records in its own transaction.
#[derive(Debug, Clone)]
pub struct Slot {
    scope: String,
    key: String,
    hash: String,
}

impl Slot {
    /// A key of `scope` (the merchant or `admin`) for the request hashed as `hash`.
    pub fn new(scope: String, key: String, hash: String) -> Self {
        Self { scope, key, hash }
    }
    /// The merchant (or `admin`).
    pub fn scope(&self) -> &str {
        &self.scope
    }
    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// sha256 of method, path and body.
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

/// Stores `status` and `body` for the slot inside `tx`; false if another request
/// with the same key got there first (the caller must roll back).
pub async fn record(
    tx: &mut Tx,
    slot: &Slot,
    status: u16,
    body: &str,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let r = sqlx::query(
        "INSERT INTO gw_idempotency (merchant_id, key, request_hash, status, body, locked_until, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
    )
    .bind(&slot.scope)
    .bind(&slot.key)
    .bind(&slot.hash)
    .bind(i64::from(status))
    .bind(body)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match r {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
