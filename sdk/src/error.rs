//! The chain-neutral errors of the SDK (amounts, fee schedules, payment requests)
//! and [`Error`], which wraps them and every chain's own errors (`evm::`, `tron::`,
//! `solana::`). The conformance replayer's `LedgerError` stays with it (tests only).

use thiserror::Error;

use crate::evm::{EscrowError, EvmError, ProposalError};
pub use crate::fees::error::{BpsAt, FeeScheduleError, TierTable};
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
