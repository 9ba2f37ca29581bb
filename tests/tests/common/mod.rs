//! Shared by the end-to-end tests: the demo's local platform and role keys (EVM),
//! the settlement-vector legs, and the Solana bank driven by the SDK.

#![allow(dead_code, unreachable_pub, clippy::expect_used)] // each test binary uses a different part

#[allow(unused_imports)] // not every test binary names a role
pub use stablerail_demo::{LocalPlatform as Platform, role::*};

pub mod evm_vectors;
pub mod solana;
use stablerail_sdk::Amount;

/// Parses a decimal USDT amount (test input, known valid).
pub fn usdt(s: &str) -> Amount {
    Amount::parse(s).expect("valid test amount")
}
