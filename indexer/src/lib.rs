//! # stablerail-indexer
//!
//! Indexes USDT transfers from EVM chains (JSON-RPC) and TRON (full-node HTTP API) into
//! SQLite or PostgreSQL, exactly once and reorg-safe, and serves them over a JSON API.
//!
//! The pipeline per chain: [`source`] (fetch, adaptive ranges, retries) → [`decode`]
//! (logs into rows) → [`store`] (one transaction per block range, with the cursor) →
//! [`api`] (axum). [`pipeline::ChainIndexer`] ties them together and handles reorgs.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod config;
pub mod decode;
mod error;
pub mod metrics;
pub mod pipeline;
pub mod source;
pub mod store;

pub use config::{ChainConfig, ChainKind, Config};
pub use error::{Error, Result};
pub use pipeline::{ChainIndexer, Step};
pub use store::Store;
