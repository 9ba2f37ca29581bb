//! Sign-in nonces: issued by the gateway, single use, expiring, and bound to the
//! browser that asked for one (the sha256 of its pre-session cookie), so that a
//! signed message posted from another browser (login CSRF) is refused.

use sqlx::Row;

use crate::{
    error::Result,
    store::{Db, Tx, now_ms},
};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A fresh nonce: 20 alphanumeric characters (EIP-4361 asks for at least 8).
pub fn generate() -> String {
    (0..20)
        .map(|_| {
            let i = rand::random_range(0..ALPHABET.len());
            char::from(ALPHABET[i])
        })
        .collect()
}

/// Issues and stores a nonce for the browser whose pre-session cookie hashes to
/// `pre_hash`; returns it and its expiry (Unix ms).
pub async fn issue(db: &Db, pre_hash: &str, lifetime_secs: u64) -> Result<(String, i64)> {
    let nonce = generate();
    let now = now_ms();
    let expires =
        now.saturating_add(i64::try_from(lifetime_secs.saturating_mul(1000)).unwrap_or(i64::MAX));
    // Old nonces are of no use; drop them while here.
    sqlx::query("DELETE FROM gw_signin_nonces WHERE expires_at < $1")
        .bind(now - 86_400_000)
        .execute(&db.pool)
        .await?;
    sqlx::query(
        "INSERT INTO gw_signin_nonces (nonce, pre_hash, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(&nonce)
    .bind(pre_hash)
    .bind(now)
    .bind(expires)
    .execute(&db.pool)
    .await?;
    Ok((nonce, expires))
}

/// Whether `nonce` can still be used by this browser (issued to it, unused,
/// unexpired). Nothing changes.
pub async fn usable(db: &Db, nonce: &str, pre_hash: &str) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM gw_signin_nonces WHERE nonce = $1 AND pre_hash = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(nonce)
    .bind(pre_hash)
    .bind(now_ms())
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get::<i64, _>(0)? == 1)
}

/// Uses `nonce` up inside `tx`; `false` (and nothing changed) if it was not
/// usable. The conditional update makes two concurrent uses succeed once.
pub async fn consume(tx: &mut Tx, nonce: &str, pre_hash: &str) -> Result<bool> {
    let now = now_ms();
    let r = sqlx::query(
        "UPDATE gw_signin_nonces SET used_at = $1 WHERE nonce = $2 AND pre_hash = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(nonce)
    .bind(pre_hash)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_long_alphanumeric_and_distinct() {
        let a = generate();
        assert_eq!(a.len(), 20);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, generate());
    }
}
