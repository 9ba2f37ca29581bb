//! Listing and revoking API keys, a merchant's (`sk_`) and an acceptor's (`ak_`)
//! alike: a stolen or retired key stops working at once, its record stays (who had
//! it, when it was made and revoked) and the key itself is never shown again.

use serde::Serialize;
use sqlx::Row;

use crate::{
    error::Result,
    store::{Db, now_ms},
};

/// Whose keys: the table and owner column differ, the rules do not.
#[derive(Debug, Clone, Copy)]
pub enum KeyOwner<'a> {
    /// A merchant's keys (`gw_api_keys`).
    Merchant(&'a str),
    /// An acceptor's keys (`gw_acceptor_keys`).
    Acceptor(&'a str),
}

impl KeyOwner<'_> {
    fn table(&self) -> (&'static str, &'static str, &str) {
        match self {
            Self::Merchant(id) => ("gw_api_keys", "merchant_id", id),
            Self::Acceptor(id) => ("gw_acceptor_keys", "acceptor_id", id),
        }
    }
}

/// A key as it is listed: never the key, only what identifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRecord {
    /// The key's id (`key_...` or `akey_...`).
    pub id: String,
    /// The name given at creation.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, once revoked.
    pub revoked_at: Option<i64>,
}

fn record(r: &sqlx::any::AnyRow) -> Result<KeyRecord> {
    Ok(KeyRecord {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        created_at: r.try_get::<i64, _>(2)? / 1000,
        revoked_at: r.try_get::<Option<i64>, _>(3)?.map(|t| t / 1000),
    })
}

/// The owner's keys, newest first.
pub async fn list_keys(db: &Db, owner: KeyOwner<'_>) -> Result<Vec<KeyRecord>> {
    let (table, column, id) = owner.table();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, created_at, revoked_at FROM {table} WHERE {column} = $1 ORDER BY created_at DESC, id"
    )))
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(record).collect()
}

/// Revokes one of the owner's keys (again is a no-op that keeps the first time);
/// `None` when `key_id` is not a key of this owner, so another owner's key ids
/// cannot be told from unknown ones.
pub async fn revoke_key(db: &Db, owner: KeyOwner<'_>, key_id: &str) -> Result<Option<KeyRecord>> {
    let (table, column, id) = owner.table();
    let mut tx = db.begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET revoked_at = $1 WHERE id = $2 AND {column} = $3 AND revoked_at IS NULL"
    )))
    .bind(now_ms())
    .bind(key_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, created_at, revoked_at FROM {table} WHERE id = $1 AND {column} = $2"
    )))
    .bind(key_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.as_ref().map(record).transpose()
}
