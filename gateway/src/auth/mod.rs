//! API keys (one merchant each; only their sha256 is stored, the key is shown once)
//! and the admin token.

pub mod revoke;

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{
    error::Result,
    store::{Db, new_id, now_ms},
};

/// sha256 of a key, lowercase hex: what the store keeps.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A fresh random merchant API key: `sk_` and 64 hex digits.
pub fn generate_key() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("sk_{}", hex::encode(bytes))
}

/// Creates a key for `merchant_id`; returns its id and the key (shown once).
pub async fn create_key(db: &Db, merchant_id: &str, name: &str) -> Result<(String, String)> {
    let key = generate_key();
    let id = new_id("key");
    sqlx::query(
        "INSERT INTO gw_api_keys (id, merchant_id, name, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(merchant_id)
    .bind(name)
    .bind(hash_key(&key))
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok((id, key))
}

/// The merchant a key belongs to, if the key exists and is not revoked.
pub async fn merchant_of_key(db: &Db, key: &str) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT merchant_id FROM gw_api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash_key(key))
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get::<String, _>(0)?),
        None => None,
    })
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}
