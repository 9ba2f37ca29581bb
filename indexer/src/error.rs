//! Errors of the indexer library.

use std::path::PathBuf;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while configuring, fetching, decoding, storing or serving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ConfigRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML for this schema.
    #[error("invalid config file {path}: {source}")]
    ConfigParse {
        /// The file.
        path: PathBuf,
        /// What the TOML parser said.
        source: Box<toml::de::Error>,
    },
    /// A configuration value is out of range or inconsistent.
    #[error("invalid config for chain `{chain}`: {field}: {reason}")]
    ConfigInvalid {
        /// The chain section (or `database`/`api`).
        chain: String,
        /// The offending field.
        field: &'static str,
        /// Why it is wrong.
        reason: String,
    },
    /// A chain named on the command line or in a query is not configured.
    #[error("unknown chain `{chain}`")]
    UnknownChain {
        /// The name given.
        chain: String,
    },
    /// An address could not be parsed for its chain.
    #[error("invalid {kind} address `{input}`: {reason}")]
    InvalidAddress {
        /// `evm`, `tron` or `solana`.
        kind: &'static str,
        /// The text given.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The database could not be opened, migrated or written.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The stored cursor is not where the batch expected it: another writer advanced or
    /// rewound the chain meanwhile. Nothing was written.
    #[error(
        "cursor of `{chain}` is at {found:?}, the batch expected {expected:?} (another writer?)"
    )]
    CursorMoved {
        /// The chain.
        chain: String,
        /// Cursor the batch was built on.
        expected: Option<i64>,
        /// Cursor found in the database.
        found: Option<i64>,
    },
    /// A migration failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database URL names a scheme other than sqlite: or postgres:.
    #[error("unsupported database url scheme in `{url}` (use sqlite:PATH or postgres://...)")]
    DatabaseScheme {
        /// The URL without credentials.
        url: String,
    },
    /// A value read back from the database is not what this crate writes.
    #[error("corrupt row in {table}: {reason}")]
    CorruptRow {
        /// The table.
        table: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A JSON-RPC call failed (transport or node error), after retries if any.
    #[error("rpc {method} failed: {message}")]
    Rpc {
        /// The method or endpoint.
        method: String,
        /// The error text from the transport or the node.
        message: String,
    },
    /// An HTTP call to a TRON node failed or returned something undocumented.
    #[error("tron node {endpoint}: {message}")]
    Tron {
        /// The endpoint path.
        endpoint: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A log could not be decoded as the event its topic claims.
    #[error("cannot decode log at block {block} index {log_index}: {reason}")]
    Decode {
        /// Block number.
        block: u64,
        /// Log index in the block.
        log_index: u64,
        /// Why.
        reason: String,
    },
    /// Fetched data is internally inconsistent (e.g. a log whose block hash is not the
    /// header's): the chain moved under us; the batch is retried.
    #[error("inconsistent data at block {block}: {reason}")]
    Inconsistent {
        /// The block.
        block: u64,
        /// What did not match.
        reason: String,
    },
    /// A task of the pipeline panicked or was cancelled (the batch it held is not
    /// known to be stored; the next step resumes from the stored cursor).
    #[error("pipeline task `{what}` failed: {reason}")]
    Task {
        /// Which task.
        what: &'static str,
        /// The runtime's report.
        reason: String,
    },
    /// A reorg went below every block hash the store keeps.
    #[error(
        "reorg on `{chain}` deeper than the stored window (no common ancestor at or above block {lowest})"
    )]
    ReorgTooDeep {
        /// The chain.
        chain: String,
        /// Lowest stored block that was compared.
        lowest: u64,
    },
    /// `backfill --from` would leave a gap after the chain's cursor.
    #[error("backfill on `{chain}` from {from} would leave a gap: the cursor is at {cursor:?}")]
    BackfillGap {
        /// The chain.
        chain: String,
        /// Requested first block.
        from: u64,
        /// Last indexed block, if any.
        cursor: Option<u64>,
    },
    /// A bad query parameter.
    #[error("invalid parameter `{param}`: {reason}")]
    BadParam {
        /// The parameter name.
        param: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The requested row does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was asked for.
        what: String,
    },
    /// Missing or unknown API key.
    #[error("missing or invalid API key")]
    Unauthorized,
    /// The API server could not bind or serve.
    #[error("api server: {0}")]
    Serve(std::io::Error),
}
