//! Integration tests of stablerail-indexer against a real anvil, real SQLite and real
//! PostgreSQL. One binary; every test runs on both stores.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod api;
mod backfill;
mod blacklist;
mod cli;
mod common;
mod crash;
mod escrow;
mod escrow_api;
mod fuzz;
mod reorg;
mod tron;
