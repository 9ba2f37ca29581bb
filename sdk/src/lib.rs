#![doc = include_str!("../README.md")]

mod amount;
mod error;
mod escrow_actions;
pub mod evm;
mod fees;
mod ledger;
mod payment_request;
pub mod solana;
pub mod tron;
pub mod webhooks;

pub use amount::{Amount, BPS_DENOMINATOR, DECIMALS};
pub use error::{
    AmountError, BpsAt, Error, FeeScheduleError, LedgerError, PaymentRequestError, Result,
    TierTable,
};
pub use fees::{DealKind, DealRates, FeeSchedule, MAX_FEE_BPS, MAX_TIERS, Split, Tier};
pub use ledger::{
    AgentLink, CoSign, CoSignerSetup, DealEnd, Deposit, Expected, Ledger, OpenDeal, Outcome,
    Scenario, ScenarioDeal, ScenarioFees, ScenarioFile, TREASURY, Withdrawal,
};
pub use payment_request::{SolanaPayRequest, evm_transfer_uri, tron_uri};
