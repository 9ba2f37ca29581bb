//! Errors of the multisig program.
// With `idl-build`, Anchor's macros add undocumented IDL functions.
#![cfg_attr(not(feature = "idl-build"), warn(missing_docs))]

use anchor_lang::prelude::*;

/// Every error the program returns (Anchor numbers them from 6000 in this order).
#[error_code]
pub enum MultisigError {
    /// A multisig needs at least one owner.
    #[msg("A multisig needs at least one owner")]
    NoOwners,
    /// More than 16 owners.
    #[msg("Too many owners (at most 16)")]
    TooManyOwners,
    /// The same owner twice.
    #[msg("Duplicate owner")]
    DuplicateOwner,
    /// The default key or one of the multisig's own PDAs as an owner.
    #[msg("This key cannot be an owner")]
    InvalidOwner,
    /// Threshold outside 1..=owners.
    #[msg("Threshold must be between 1 and the number of owners")]
    InvalidThreshold,
    /// Removing the owner would leave fewer owners than the threshold.
    #[msg("Removing this owner would make the threshold unreachable; lower the threshold first")]
    ThresholdUnreachable,
    /// Time lock above the maximum.
    #[msg("Time lock too long (at most 90 days)")]
    TimeLockTooLong,
    /// The signer is not an owner of the multisig.
    #[msg("Signer is not an owner of the multisig")]
    NotAnOwner,
    /// A counter or timestamp overflowed.
    #[msg("Arithmetic overflow")]
    ArithmeticOverflow,
    /// A proposal without instructions.
    #[msg("A proposal needs at least one instruction")]
    NoInstructions,
    /// Too many instructions in one proposal.
    #[msg("Too many instructions in one proposal")]
    TooManyInstructions,
    /// Too many accounts in one proposal instruction.
    #[msg("Too many accounts in one proposal instruction")]
    TooManyInstructionAccounts,
    /// Instruction data longer than the maximum.
    #[msg("Proposal instruction data too long")]
    InstructionDataTooLong,
    /// A proposal instruction marks an account other than the vault as a signer.
    #[msg("Only the vault may sign a proposal instruction")]
    UnauthorizedSigner,
    /// The expiry is not in the future.
    #[msg("Proposal expiry must be in the future")]
    InvalidExpiry,
    /// The proposal is not Active.
    #[msg("Proposal is not active")]
    ProposalNotActive,
    /// The proposal is not Approved.
    #[msg("Proposal is not approved")]
    ProposalNotApproved,
    /// The proposal was created before the last config change.
    #[msg("Proposal is stale: the multisig config changed after it was created")]
    ProposalStale,
    /// The proposal's expiry has passed.
    #[msg("Proposal has expired")]
    ProposalExpired,
    /// The owner already approved.
    #[msg("Owner already approved this proposal")]
    AlreadyApproved,
    /// The owner already rejected.
    #[msg("Owner already rejected this proposal")]
    AlreadyRejected,
    /// The owner already voted to cancel.
    #[msg("Owner already voted to cancel this proposal")]
    AlreadyCancelled,
    /// The time lock since approval has not passed yet.
    #[msg("Time lock has not passed since approval")]
    TimeLockNotReleased,
    /// An account a proposal instruction needs was not passed.
    #[msg("An account of a proposal instruction is missing from the remaining accounts")]
    MissingExecuteAccount,
    /// An account a proposal instruction writes was passed read-only.
    #[msg("An account a proposal instruction writes was passed read-only")]
    ExecuteAccountNotWritable,
    /// The proposal is neither final, stale nor expired.
    #[msg("Proposal cannot be closed yet")]
    ProposalNotClosable,
    /// The rent collector is not the proposal's creator.
    #[msg("Rent goes back to the proposal's creator")]
    WrongRentCollector,
    /// Zero amount.
    #[msg("Amount must be greater than zero")]
    InvalidAmount,
    /// A spending limit without spenders.
    #[msg("A spending limit needs at least one spender")]
    NoSpenders,
    /// Too many spenders.
    #[msg("Too many spenders (at most 16)")]
    TooManySpenders,
    /// The same spender twice.
    #[msg("Duplicate spender")]
    DuplicateSpender,
    /// Too many destinations.
    #[msg("Too many destinations (at most 16)")]
    TooManyDestinations,
    /// The same destination twice.
    #[msg("Duplicate destination")]
    DuplicateDestination,
    /// The signer is not a spender of the limit.
    #[msg("Signer is not a spender of this spending limit")]
    NotASpender,
    /// The amount exceeds what is left in the current period.
    #[msg("Amount exceeds the remaining spending limit")]
    SpendingLimitExceeded,
    /// The destination is not on the allowlist.
    #[msg("Destination is not allowed by the spending limit")]
    DestinationNotAllowed,
    /// The mint differs from the spending limit's mint.
    #[msg("Mint does not match the spending limit")]
    WrongMint,
    /// An account's stored state broke an invariant.
    #[msg("Account state invariant violated")]
    InvariantViolated,
    /// The address of a new account already holds data or belongs to a program.
    #[msg("The new account's address is already in use")]
    AccountAlreadyInUse,
    /// An instruction for another program takes the multisig, a proposal or
    /// a spending limit as writable.
    #[msg("An instruction for another program may not take a multisig account as writable")]
    ProtectedAccountWritable,
}
