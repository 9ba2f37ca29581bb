//! Errors of the gateway library (the binary wraps them in `anyhow`).

use thiserror::Error;

/// Result of the gateway library.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// What can go wrong in the gateway outside a request's own validation.
#[derive(Debug, Error)]
pub enum Error {
    /// The configuration file is unreadable or invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The database refused a query.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The gateway's migrations could not be applied.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The embedded indexer failed.
    #[error("indexer: {0}")]
    Indexer(#[from] stablerail_indexer::Error),
    /// A stored row does not parse.
    #[error("corrupt row in {table}: {reason}")]
    CorruptRow {
        /// The table.
        table: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A grouped write (`invoices::batch`) failed for the request it carried.
    #[error("grouped write: {0}")]
    Batch(String),
    /// The HTTP listener could not be bound or failed.
    #[error("serving HTTP: {0}")]
    Serve(#[source] std::io::Error),
}

impl Error {
    pub(crate) fn corrupt(table: &'static str, reason: impl Into<String>) -> Self {
        Self::CorruptRow {
            table,
            reason: reason.into(),
        }
    }
}
