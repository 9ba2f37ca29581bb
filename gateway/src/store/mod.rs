//! The gateway's tables, in the indexer's database, through one sqlx `Any` pool: the
//! same SQL text runs on SQLite and PostgreSQL (`$n` parameters, BIGINT columns,
//! amounts and times as integers). Migrations exist for both backends
//! (`migrations/sqlite`, `migrations/postgres`) and are tracked in their own table,
//! `_gateway_migrations`, beside the indexer's.

mod checkpoint;
pub mod counts;
pub mod idempotency;
pub mod leader;

use std::{
    ops::{Deref, DerefMut},
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use sqlx::{
    AnyConnection, AnyPool, Transaction,
    any::{Any, AnyPoolOptions},
};

use crate::error::Result;

/// A write transaction (derefs to the connection, like sqlx's own). On SQLite it
/// holds this process's one write connection until it ends.
#[derive(Debug)]
pub struct Tx {
    inner: Transaction<'static, Any>,
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

impl Tx {
    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

/// A pooled connection idle this long is pinged before it is used again.
const IDLE_PING: std::time::Duration = std::time::Duration::from_secs(1);

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (one writer at a time).
    Sqlite,
    /// PostgreSQL (several gateway processes may share it).
    Postgres,
}

/// The gateway's database handle.
#[derive(Debug, Clone)]
pub struct Db {
    /// The pool (shared by every part of the gateway).
    pub pool: AnyPool,
    /// The backend.
    pub backend: Backend,
    /// Where write transactions run. SQLite: a pool of one connection, so this
    /// process's writers queue for it in order (SQLite's busy handler sleeps and
    /// retries, which makes long tails under contention) and a writer never waits
    /// for a connection held by readers. PostgreSQL: `pool` itself.
    writer: AnyPool,
    /// SQLite: held by every handle; the checkpoint task (`checkpoint.rs`) stops
    /// once the last one is dropped.
    _checkpoints: Option<Arc<()>>,
}

/// PostgreSQL connections by default: twice the cores plus one, at least 4 (the
/// usual pool size for a database on as many cores; `database_max_connections`).
pub fn default_max_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    max_connections_for(cores)
}

/// The pool size for `cores` cores: twice the cores plus one, at least 4.
fn max_connections_for(cores: usize) -> u32 {
    u32::try_from(cores.saturating_mul(2).saturating_add(1))
        .unwrap_or(u32::MAX)
        .max(4)
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A new identifier `<prefix>_<12 hex: milliseconds since 1970><20 hex: random>`.
///
/// The time first makes ids of one table increase, so new rows go to the last page
/// of its unique index instead of a random page each: a batch of creates rewrites a
/// few index pages, not one per row (a third of the SQLite log's pages under the
/// invoice-create benchmark). 80 random bits keep ids unguessable (a checkout page's
/// address is its invoice id).
pub fn new_id(prefix: &str) -> String {
    let ms = u64::try_from(now_ms()).unwrap_or(0) & 0xffff_ffff_ffff;
    let random: [u8; 10] = rand::random();
    format!("{prefix}_{ms:012x}{}", hex::encode(random))
}

impl Db {
    /// Connects to `url` (the database must exist: the indexer creates SQLite files)
    /// and applies the gateway's migrations.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_sized(url, None).await
    }

    /// [`Db::open`] with at most `max_connections` PostgreSQL connections (default:
    /// [`default_max_connections`]). SQLite: eight readers and one writer.
    pub async fn open_sized(url: &str, max_connections: Option<u32>) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let options = |writer: bool| {
            AnyPoolOptions::new()
                // sqlx pings a connection on every checkout by default (and again on
                // every return, which it always does): a round trip to PostgreSQL or
                // to SQLite's connection thread before each query. A connection back
                // from use was just pinged on its return; one idle for a while may
                // have been dropped by the server meanwhile, so only that one is
                // tested before use.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= IDLE_PING {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            // WAL with NORMAL sync (as the indexer opens it): a crash of
                            // the process loses nothing committed; wait for the writer
                            // lock instead of failing.
                            sqlx::query("PRAGMA synchronous = NORMAL")
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query("PRAGMA busy_timeout = 30000")
                                .execute(&mut *conn)
                                .await?;
                            if writer {
                                // Checkpoints run on their own connection (`checkpoint.rs`).
                                sqlx::query(sqlx::AssertSqlSafe(format!(
                                    "PRAGMA wal_autocheckpoint = {}",
                                    checkpoint::WRITER_AUTOCHECKPOINT
                                )))
                                .execute(&mut *conn)
                                .await?;
                            }
                        }
                        Ok(())
                    })
                })
        };
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                let pool = options(false).max_connections(8).connect(url).await?;
                let writer = options(true).max_connections(1).connect(url).await?;
                (pool, writer)
            }
            Backend::Postgres => {
                let pool = options(false)
                    .max_connections(max_connections.unwrap_or_else(default_max_connections))
                    .connect(url)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let checkpoints = (backend == Backend::Sqlite).then(|| {
            let alive = Arc::new(());
            checkpoint::spawn(url.to_owned(), Arc::downgrade(&alive));
            alive
        });
        let db = Self {
            pool,
            backend,
            writer,
            _checkpoints: checkpoints,
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Applies pending gateway migrations.
    pub async fn migrate(&self) -> Result<()> {
        let mut migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        // The indexer's migrations live in `_sqlx_migrations`; ours beside them.
        migrator.dangerous_set_table_name("_gateway_migrations");
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Begins a write transaction (SQLite: `BEGIN IMMEDIATE`, so that two writers
    /// queue on the lock instead of failing when a read upgrades to a write).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => Tx {
                inner: self.writer.begin_with("BEGIN IMMEDIATE").await?,
            },
            Backend::Postgres => Tx {
                inner: self.writer.begin().await?,
            },
        })
    }
}

/// Whether an error is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids of later milliseconds sort after earlier ones; within one millisecond
    /// they differ in their 80 random bits.
    #[test]
    fn ids_increase_with_time_and_stay_random() {
        let a = new_id("inv");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id("inv");
        assert!(a < b, "{a} !< {b}");
        for id in [&a, &b] {
            let hex = id.strip_prefix("inv_").unwrap();
            assert_eq!(hex.len(), 32);
            assert!(hex.bytes().all(|c| c.is_ascii_hexdigit()));
        }
        let ms = i64::from_str_radix(&b[4..16], 16).unwrap();
        assert!((now_ms() - ms).abs() < 1_000);
        let same: std::collections::HashSet<String> = (0..1_000).map(|_| new_id("x")).collect();
        assert_eq!(same.len(), 1_000);
    }

    /// Twice the cores plus one, never under 4: on this project's 2-core machine 5
    /// connections, where 16 made creates slower (gateway/README.md, third round).
    #[test]
    fn pool_is_twice_the_cores_plus_one_at_least_four() {
        assert_eq!(max_connections_for(1), 4);
        assert_eq!(max_connections_for(2), 5);
        assert_eq!(max_connections_for(8), 17);
        assert_eq!(max_connections_for(usize::MAX), u32::MAX);
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        assert_eq!(default_max_connections(), max_connections_for(cores));
    }
}
