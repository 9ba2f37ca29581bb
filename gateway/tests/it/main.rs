//! Integration tests of the gateway with real parts: anvil with the platform
//! deployed, the embedded indexer, SQLite and PostgreSQL, and an HTTP receiver that
//! verifies every delivery with `stablerail_sdk::webhooks::verify`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod api;
mod browser;
mod common;
mod cosigner;
mod cosigner_solana;
mod counts;
mod crash;
mod dashboard;
mod dashboard_anvil;
mod dispatch;
mod faults;
mod keys;
mod orders;
mod reorg;
mod risk;
mod risk_anvil;
mod risk_solana;
mod risk_treasury;
mod risk_treasury_solana;
mod shop;
mod tron_invoices;
mod tron_node;
mod tron_orders;
mod unique;
