//! Shared by the end-to-end tests: the demo's local platform and role keys (EVM),
//! the EVM settlement-vector leg (`evm_vectors.rs`) and the Solana bank driven by
//! the SDK (`solana.rs`).

pub(crate) use stablerail_demo::{LocalPlatform as Platform, role::*};

pub(crate) mod evm_vectors;
pub(crate) mod indexing;
pub(crate) mod solana;
pub(crate) mod solana_ledger;
pub(crate) mod solana_rpc;
use stablerail_sdk::Amount;
use stablerail_sdk::conformance::ScenarioFile;

/// The settlement vectors (`tests/vectors/settlement.json`).
pub(crate) fn settlement_vectors() -> anyhow::Result<ScenarioFile> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/settlement.json");
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

/// Parses a decimal USDT amount (a literal of the test: a bad one fails the test).
pub(crate) fn usdt(s: &str) -> Amount {
    Amount::parse(s).unwrap_or_else(|e| panic!("test amount {s:?}: {e}"))
}
