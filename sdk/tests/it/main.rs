//! Integration tests of stablerail-sdk: conformance vectors, the TRON and Solana
//! clients against local HTTP nodes, and the `stablerail` binary end to end.

// Test helpers outside `#[test]` functions panic on purpose when setup fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod cli_evm;
mod cli_tron_escrow;
mod cli_tron_v2;
mod conformance;
mod node;
mod solana_cli;
mod solana_client;
mod solana_node;
mod support;
mod tron_client;
mod tron_fixtures;
