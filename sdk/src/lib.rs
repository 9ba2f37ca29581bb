#![doc = include_str!("../README.md")]

mod amount;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod escrow_actions;
pub mod evm;
mod fees;
mod payment_request;
pub mod solana;
pub mod tron;
mod vocabulary;
pub mod webhooks;

pub use amount::{Amount, BPS_DENOMINATOR, DECIMALS};
pub use error::{
    AmountError, BpsAt, Error, FeeScheduleError, PaymentRequestError, Result, TierTable,
};
pub use fees::{DealRates, FeeSchedule, MAX_FEE_BPS, MAX_TIERS, ScenarioFees, Split, Tier};
pub use payment_request::{SolanaPayRequest, evm_transfer_uri, tron_uri};
pub use vocabulary::{DealKind, Roles};
