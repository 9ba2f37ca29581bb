//! Shared by the end-to-end tests: the demo's local platform and role keys (EVM),
//! and the EVM settlement-vector leg. The Solana bank driven by the SDK lives in
//! `solana.rs`, included only by the tests that need it (it is slow to compile).

#![allow(dead_code, unreachable_pub, clippy::expect_used)] // each test binary uses a different part

#[allow(unused_imports)] // not every test binary names a role
pub use stablerail_demo::{LocalPlatform as Platform, role::*};

pub mod evm_vectors;
use stablerail_sdk::Amount;

/// Parses a decimal USDT amount (test input, known valid).
pub fn usdt(s: &str) -> Amount {
    Amount::parse(s).expect("valid test amount")
}
