//! Workspace integration tests, one binary: end to end on a local EVM node (anvil)
//! and in a Solana bank, the demo's day, and the cross-chain conformance vectors.

mod common;
mod conformance;
mod demo_day;
mod devnet;
mod evm_escrow_actions;
mod evm_trade;
mod indexed_scenarios;
mod solana_builders;
mod solana_indexer;
mod solana_invoices;
mod solana_rpc;
mod solana_trade;
