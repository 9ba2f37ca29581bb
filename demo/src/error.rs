//! Errors of the demo library.

use std::path::PathBuf;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while bringing up the local chain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pinned anvil binary is not where `make tools` installs it.
    #[error("anvil not found at {path}: run `make tools` (or set STABLERAIL_ANVIL)")]
    AnvilMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// anvil was found but did not start.
    #[error("anvil failed to start: {0}")]
    AnvilStart(#[from] alloy::node_bindings::NodeError),
    /// A contract failed to deploy.
    #[error("deploying {contract} failed: {message}")]
    Deploy {
        /// Which contract.
        contract: &'static str,
        /// The node's message.
        message: String,
    },
    /// The escrow's token balance differs from the sum of its accounts.
    #[error("conservation broken: escrow holds {held} units but its accounts sum to {sum}")]
    Conservation {
        /// Token balance of the escrow.
        held: alloy::primitives::U256,
        /// Sum of available + locked over the accounts.
        sum: alloy::primitives::U256,
    },
    /// A running total overflowed.
    #[error("amount overflow")]
    Overflow,
    /// The node has no latest block.
    #[error("the node returned no latest block")]
    NoBlock,
    /// The node's URL did not parse.
    #[error("invalid RPC URL {url}")]
    RpcUrl {
        /// The URL.
        url: String,
    },
    /// The fee schedule is invalid.
    #[error(transparent)]
    FeeSchedule(#[from] stablerail_sdk::FeeScheduleError),
    /// The indexer failed.
    #[error("indexer: {0}")]
    Indexer(#[from] stablerail_indexer::Error),
    /// The indexer service started without its query API (the demo always asks for it).
    #[error("the indexer started without its query API")]
    IndexerWithoutApi,
    /// The indexer did not catch up in time.
    #[error("the indexer did not reach block {block} within {timeout:?}")]
    IndexerBehind {
        /// The block waited for.
        block: u64,
        /// How long.
        timeout: std::time::Duration,
    },
    /// A local file or socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// An SDK call failed.
    #[error(transparent)]
    Sdk(#[from] stablerail_sdk::evm::EvmError),
    /// The gateway failed to start or to act.
    #[error("gateway: {0}")]
    Gateway(#[from] stablerail_gateway::Error),
    /// An HTTP request to the gateway failed.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The gateway answered an unexpected status.
    #[error("{call} answered {status}: {body}")]
    Api {
        /// Method and path.
        call: String,
        /// HTTP status.
        status: u16,
        /// The answer.
        body: String,
    },
    /// The shop did not end as it must (a state not reached, a bad signature).
    #[error("shop: {0}")]
    Shop(String),
}
