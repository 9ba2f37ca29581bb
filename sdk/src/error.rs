//! The chain-neutral errors of the SDK (amounts, fee schedules, payment requests)
//! and [`Error`], which wraps them and every chain's own errors (`evm::`, `tron::`,
//! `solana::`). The conformance replayer's `LedgerError` stays with it (tests only).

use thiserror::Error;

use crate::evm::{EscrowError, EvmError, ProposalError};
use crate::solana::{SolanaError, SolanaRpcError};
use crate::tron::{
    TronAddressError, TronBuildError, TronClientError, TronDecodeError, TronKeyError,
    TronSignatureError,
};

/// Result type of the SDK; the error defaults to the crate-wide [`Error`](enum@Error).
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Any error the SDK returns.
#[derive(Debug, Error)]
pub enum Error {
    /// An amount could not be parsed or computed.
    #[error(transparent)]
    Amount(#[from] AmountError),
    /// A fee schedule is invalid.
    #[error(transparent)]
    FeeSchedule(#[from] FeeScheduleError),
    /// A TRON address is malformed.
    #[error(transparent)]
    TronAddress(#[from] TronAddressError),
    /// A private key is malformed.
    #[error(transparent)]
    TronKey(#[from] TronKeyError),
    /// A signature is malformed or does not recover.
    #[error(transparent)]
    TronSignature(#[from] TronSignatureError),
    /// A transaction could not be built.
    #[error(transparent)]
    TronBuild(#[from] TronBuildError),
    /// A transaction could not be decoded.
    #[error(transparent)]
    TronDecode(#[from] TronDecodeError),
    /// A TRON node call failed.
    #[error(transparent)]
    TronClient(#[from] TronClientError),
    /// A payment request URI could not be built.
    #[error(transparent)]
    PaymentRequest(#[from] PaymentRequestError),
    /// An EVM client call failed.
    #[error(transparent)]
    Evm(#[from] EvmError),
    /// An escrow action was refused before anything was signed.
    #[error(transparent)]
    Escrow(#[from] EscrowError),
    /// A multisig proposal file is unreadable or does not fit the multisig.
    #[error(transparent)]
    Proposal(#[from] ProposalError),
    /// A Solana instruction, account or transaction was rejected.
    #[error(transparent)]
    Solana(#[from] SolanaError),
    /// A Solana JSON-RPC call failed.
    #[error(transparent)]
    SolanaRpc(#[from] SolanaRpcError),
}

/// Why an [`Amount`](crate::Amount) could not be parsed or computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    /// The input was empty (or only whitespace).
    #[error("amount is empty")]
    Empty,
    /// The input starts with a minus sign: amounts are never negative.
    #[error("amount {input:?} is negative")]
    Negative {
        /// The rejected input.
        input: String,
    },
    /// More fractional digits than USDT has.
    #[error("amount {input:?} has {decimals} decimals; at most 6 are allowed")]
    TooManyDecimals {
        /// The rejected input.
        input: String,
        /// How many fractional digits it had.
        decimals: usize,
    },
    /// A character that is not a digit or the single decimal point.
    #[error("amount {input:?} has an invalid character {found:?} at byte {position}")]
    InvalidCharacter {
        /// The rejected input.
        input: String,
        /// The offending character.
        found: char,
        /// Its byte offset in the input.
        position: usize,
    },
    /// A decimal point without digits on both sides (`"1."`, `".5"`, `"."`).
    #[error("amount {input:?} needs digits on both sides of the decimal point")]
    MissingDigits {
        /// The rejected input.
        input: String,
    },
    /// The value does not fit in u64 smallest units.
    #[error("amount {input:?} is too large (maximum 18446744073709.551615)")]
    Overflow {
        /// The rejected input.
        input: String,
    },
}

/// Why a [`FeeSchedule`](crate::FeeSchedule) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FeeScheduleError {
    /// A tier table has no entries or more than 8.
    #[error("{table} tier table has {count} tiers; 1 to 8 are allowed")]
    TierCount {
        /// Which table: `merchant` or `agent`.
        table: TierTable,
        /// How many tiers it had.
        count: usize,
    },
    /// The first tier's threshold is not 0.
    #[error("{table} tier table must start at threshold 0, found {threshold}")]
    FirstTierThreshold {
        /// Which table.
        table: TierTable,
        /// The first threshold, in smallest units.
        threshold: u64,
    },
    /// Thresholds are not strictly increasing.
    #[error("{table} tier {index} threshold {threshold} is not above the previous {previous}")]
    TierOrder {
        /// Which table.
        table: TierTable,
        /// Index of the offending tier.
        index: usize,
        /// Its threshold.
        threshold: u64,
        /// The previous tier's threshold.
        previous: u64,
    },
    /// A tier's basis points, or the trader reward, exceed 10000.
    #[error("{at} has {bps} bps; at most 10000 are allowed")]
    BpsTooHigh {
        /// Which value.
        at: BpsAt,
        /// Its basis points.
        bps: u32,
    },
    /// A merchant tier charges more than `MAX_FEE_BPS` (1000 bps, 10 %).
    #[error("merchant tier {index} charges {bps} bps; at most 1000 (10 %) are allowed")]
    FeeTooHigh {
        /// Index of the offending merchant tier.
        index: usize,
        /// Its basis points.
        bps: u32,
    },
    /// An agent share plus the trader reward exceeds 10000 bps.
    #[error(
        "agent tier {index} share {share_bps} bps + trader reward {reward_bps} bps exceeds 10000"
    )]
    ShareAndRewardTooHigh {
        /// Index of the offending agent tier.
        index: usize,
        /// Its share.
        share_bps: u32,
        /// The trader reward.
        reward_bps: u32,
    },
}

impl FeeScheduleError {
    /// The rule's one name, as the contracts' error and the program's error are
    /// called (docs/rules.md, one name per rule).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::TierCount { .. } => "TierCount",
            Self::FirstTierThreshold { .. } => "FirstTierThreshold",
            Self::TierOrder { .. } => "TierOrder",
            Self::BpsTooHigh { .. } => "BpsTooHigh",
            Self::FeeTooHigh { .. } => "FeeTooHigh",
            Self::ShareAndRewardTooHigh { .. } => "ShareAndRewardTooHigh",
        }
    }
}

/// Which basis-point value of a schedule a [`FeeScheduleError::BpsTooHigh`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BpsAt {
    /// A tier of a table.
    Tier {
        /// Which table.
        table: TierTable,
        /// Index of the tier.
        index: usize,
    },
    /// The trader reward.
    TraderReward,
}

impl core::fmt::Display for BpsAt {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Tier { table, index } => write!(f, "{table} tier {index}"),
            Self::TraderReward => f.write_str("the trader reward"),
        }
    }
}

/// Which tier table a [`FeeScheduleError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierTable {
    /// The merchant fee tiers.
    Merchant,
    /// The agent share tiers.
    Agent,
}

impl core::fmt::Display for TierTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Merchant => "merchant",
            Self::Agent => "agent",
        })
    }
}

/// Why a payment request URI could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PaymentRequestError {
    /// An EVM address is not 20 bytes of hex with a `0x` prefix.
    #[error("EVM address {input:?} is not 0x followed by 40 hex characters")]
    EvmAddress {
        /// The rejected input.
        input: String,
    },
    /// A Solana address is not base58 of 32 bytes.
    #[error("Solana address {input:?} is not base58 of 32 bytes")]
    SolanaAddress {
        /// The rejected input.
        input: String,
    },
    /// A TRON address is malformed.
    #[error("TRON address: {0}")]
    TronAddress(#[from] TronAddressError),
    /// The EVM chain id is 0.
    #[error("EVM chain id must be above 0")]
    ChainId,
}
