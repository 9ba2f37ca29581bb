//! One leader among the gateway processes that share a database, for work that must
//! run in one place at a time (the dispatcher, which signs with one key whose nonces
//! must not race; the risk monitor, whose cursor and breaker are the platform's).
//!
//! On PostgreSQL the leader is the process holding a session advisory lock named
//! after the work, on a connection taken out of the pool for as long as it leads:
//! when that process stops or its connection breaks, PostgreSQL releases the lock
//! and another process takes it on its next ask. On SQLite the one process that
//! writes the file always leads.

use std::sync::{Mutex, PoisonError};

use sqlx::{AnyConnection, Connection};

use super::{Backend, Db};

/// Whether this process leads one kind of work, asked again while it does not.
#[derive(Debug)]
pub struct Leadership {
    /// The lock's name: one name per kind of work.
    name: &'static str,
    /// PostgreSQL: the connection holding the lock while this process leads. It is
    /// only held and pinged; the mutex makes `Leadership` `Sync` (a connection is
    /// `Send` only), so its owner can be borrowed across awaits.
    lock: Option<Mutex<AnyConnection>>,
    /// SQLite: whether this process has led before (it then leads on).
    led: bool,
}

/// What [`Leadership::lead`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leading {
    /// Another process leads (or the database could not be reached).
    No,
    /// This process has just started leading: another may have led until now, so
    /// state kept in memory from before is stale.
    Started,
    /// This process led without a break since the last ask.
    Continued,
}

impl Leading {
    /// Whether this process leads.
    pub fn leads(self) -> bool {
        self != Self::No
    }
}

impl Leadership {
    /// Leadership of the work called `name` (not yet asked for).
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            lock: None,
            led: false,
        }
    }

    /// Whether this process leads now, taking the lock if it is free. A held lock's
    /// connection is pinged first: if it broke, PostgreSQL has released the lock
    /// and another process may have taken it.
    pub async fn lead(&mut self, db: &Db) -> Leading {
        match db.backend {
            Backend::Sqlite => {
                let led = std::mem::replace(&mut self.led, true);
                if led {
                    Leading::Continued
                } else {
                    Leading::Started
                }
            }
            Backend::Postgres => {
                if let Some(lock) = self.lock.take() {
                    let mut conn = lock.into_inner().unwrap_or_else(PoisonError::into_inner);
                    if conn.ping().await.is_ok() {
                        self.lock = Some(Mutex::new(conn));
                        return Leading::Continued;
                    }
                }
                self.lock = try_lock(db, self.name).await.map(Mutex::new);
                if self.lock.is_some() {
                    Leading::Started
                } else {
                    Leading::No
                }
            }
        }
    }

    /// Gives the lead up (after an error: the lock's connection may be broken and the
    /// work's state stale); the next [`Leadership::lead`] asks again, and says
    /// `Started` if it leads.
    pub fn resign(&mut self) {
        self.lock = None;
        self.led = false;
    }
}

/// A connection holding the lock `name`, if it was free.
async fn try_lock(db: &Db, name: &'static str) -> Option<AnyConnection> {
    let mut conn = db.pool.acquire().await.ok()?.detach();
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .ok()?;
    got.then_some(conn)
}
