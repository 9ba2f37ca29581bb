//! The conformance replayer: a small escrow ledger that replays the settlement
//! vectors (`tests/vectors/settlement.json`) with the reference fee math, so the
//! tests can check every chain's escrow against one expected outcome.
//!
//! It serves the tests, not applications: it is compiled only with the
//! `conformance` feature, which the SDK's tests and the workspace tests enable.

mod error;
mod ledger;

pub use error::LedgerError;
pub use ledger::{
    AgentLink, CoSign, CoSignerSetup, DealEnd, Deposit, Expected, Ledger, OpenDeal, Outcome,
    Scenario, ScenarioDeal, ScenarioFile, TREASURY, Withdrawal,
};
