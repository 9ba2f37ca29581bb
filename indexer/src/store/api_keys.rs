//! API keys of the indexer's HTTP API: only a key's hash is stored, never the key.
//!
//! Written once for both backends (`backend.rs`).

macro_rules! sql {
    () => {
        use sqlx::Row;

        use super::Pool;
        use crate::{
            error::Result,
            store::{ApiKeyRow, now_unix},
        };

        /// Stores a new key's hash; returns its id.
        pub(crate) async fn create(p: &Pool, name: &str, key_hash: &str) -> Result<i64> {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_keys (name, key_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(name)
            .bind(key_hash)
            .bind(now_unix())
            .fetch_one(p)
            .await?;
            Ok(id)
        }

        /// Revokes a key; `false` if no active key has that id.
        pub(crate) async fn revoke(p: &Pool, id: i64) -> Result<bool> {
            let r = sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(now_unix())
            .bind(id)
            .execute(p)
            .await?;
            Ok(r.rows_affected() == 1)
        }

        /// Whether an active key has this hash.
        pub(crate) async fn valid(p: &Pool, key_hash: &str) -> Result<bool> {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
            )
            .bind(key_hash)
            .fetch_one(p)
            .await?;
            Ok(n > 0)
        }

        /// Every key's metadata, by id.
        pub(crate) async fn list(p: &Pool) -> Result<Vec<ApiKeyRow>> {
            let rows =
                sqlx::query("SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY id")
                    .fetch_all(p)
                    .await?;
            rows.iter()
                .map(|r| {
                    Ok(ApiKeyRow {
                        id: r.try_get("id")?,
                        name: r.try_get("name")?,
                        created_at: r.try_get("created_at")?,
                        revoked_at: r.try_get("revoked_at")?,
                    })
                })
                .collect()
        }
    };
}

pub(super) use sql;
