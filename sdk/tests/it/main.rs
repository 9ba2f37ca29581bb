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
mod program_errors;
mod solana_cli;
mod solana_cli_runtime;
mod solana_client;
mod solana_node;
mod support;
// The Solana node over the native runtime, shared with the gateway's tests.
use stablerail_demo::solana_node as solana_runtime;
mod tron_client;
mod tron_fixtures;
