//! Errors of the Solidity contracts' clients (Ethereum and TRON run the same
//! escrow and multisig): the EVM client's calls, the escrow's pre-checks and
//! multisig proposal files.

use thiserror::Error;

/// Errors of the EVM clients (escrow, multisig, fees).
#[derive(Debug, Error)]
pub enum EvmError {
    /// A node call failed before reaching the contract (transport, JSON-RPC error).
    #[error("{call}: RPC failed: {message}")]
    Rpc {
        /// The call that failed.
        call: &'static str,
        /// The node's or transport's message.
        message: String,
    },
    /// The contract rejected the call with one of its custom errors.
    #[error("{call}: rejected by the contract: {error}")]
    ContractError {
        /// The call that was rejected.
        call: &'static str,
        /// The decoded custom error, e.g. `NotArbiter(NotArbiter)`.
        error: String,
    },
    /// A mined transaction reverted.
    #[error("{call}: transaction {tx_hash} reverted")]
    Reverted {
        /// The call that reverted.
        call: &'static str,
        /// Its transaction hash.
        tx_hash: alloy::primitives::B256,
    },
    /// A receipt lacked the event that carries a call's result.
    #[error("receipt has no {event} event")]
    MissingEvent {
        /// The event's signature.
        event: &'static str,
    },
    /// `eth_feeHistory` returned no base fee.
    #[error("eth_feeHistory returned no base fee")]
    FeeHistoryEmpty,
    /// A fee computation overflowed u128.
    #[error("fee computation overflowed")]
    FeeOverflow,
    /// A signature does not recover to the owner it claims to be from (wrong key,
    /// or signed for another chain, contract, nonce or proposal).
    #[error("signature recovers to {recovered}, expected {expected}")]
    SignatureMismatch {
        /// The owner the signature was added for.
        expected: alloy::primitives::Address,
        /// Who actually signed (zero if unrecoverable).
        recovered: alloy::primitives::Address,
    },
    /// The same owner signed twice.
    #[error("owner {signer} already signed")]
    DuplicateSigner {
        /// The repeated owner.
        signer: alloy::primitives::Address,
    },
    /// The signatures were collected for a different proposal.
    #[error("signatures were made over a different digest than this proposal's")]
    DigestMismatch,
    /// A signer failed to sign.
    #[error("signing failed: {message}")]
    Signing {
        /// The signer's message.
        message: String,
    },
    /// A currency code is not three uppercase ASCII letters.
    #[error("currency code {code:?} is not an ISO 4217 code (three uppercase letters)")]
    Currency {
        /// The rejected code.
        code: String,
    },
    /// An on-chain amount does not fit the SDK's u64 `Amount`.
    #[error("on-chain amount exceeds the SDK's Amount range")]
    AmountOutOfRange,
    /// An escrow action was refused by a pre-check, before anything was signed.
    #[error(transparent)]
    Escrow(#[from] EscrowError),
    /// A multisig proposal does not fit the multisig or its file.
    #[error(transparent)]
    Proposal(#[from] ProposalError),
}

impl EvmError {
    /// Maps a contract call error, decoding the escrow's or multisig's custom
    /// errors by name so callers see `NotSeller(..)`, not raw revert bytes.
    pub(crate) fn call(call: &'static str, error: alloy::contract::Error) -> Self {
        use crate::evm::{Escrow::EscrowErrors, MultiSig::MultiSigErrors};
        if let Some(e) = error.as_decoded_interface_error::<EscrowErrors>() {
            return Self::ContractError {
                call,
                error: format!("{e:?}"),
            };
        }
        if let Some(e) = error.as_decoded_interface_error::<MultiSigErrors>() {
            return Self::ContractError {
                call,
                error: format!("{e:?}"),
            };
        }
        Self::Rpc {
            call,
            message: error.to_string(),
        }
    }
}

/// Why an escrow action was refused before signing (the same checks on EVM and
/// TRON). Accounts are rendered in the chain's own address form.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EscrowError {
    /// No such deal: never opened, or already final (final deals are deleted).
    #[error("deal {deal_id} not found (never opened, or already released, cancelled or resolved)")]
    DealNotFound {
        /// The deal id asked for.
        deal_id: alloy::primitives::U256,
    },
    /// No such buy order: never posted, filled or cancelled.
    #[error("buy order {order_id} not found (never posted, or already filled or cancelled)")]
    OrderNotFound {
        /// The order id asked for.
        order_id: alloy::primitives::U256,
    },
    /// An amount of zero where the contract needs more.
    #[error("{action}: amount must be above zero")]
    ZeroAmount {
        /// The action.
        action: &'static str,
    },
    /// The wallet holds fewer tokens than it wants to deposit.
    #[error("{account} holds {balance} USDT units in its wallet; depositing {needed} needs more")]
    InsufficientTokenBalance {
        /// The depositing wallet.
        account: String,
        /// Its token balance, smallest units.
        balance: alloy::primitives::U256,
        /// The deposit, smallest units.
        needed: alloy::primitives::U256,
    },
    /// The escrow account's available balance is below what the action needs.
    #[error("{account} has {available} available in the escrow; {action} needs {needed}")]
    InsufficientAvailable {
        /// The action.
        action: &'static str,
        /// The account.
        account: String,
        /// Its available balance, smallest units.
        available: u64,
        /// What the action needs, smallest units.
        needed: u64,
    },
    /// The caller does not hold the part the action needs in this deal.
    #[error("{action} of deal {deal_id}: {caller} is not its {needed}")]
    WrongParty {
        /// The action.
        action: &'static str,
        /// The deal.
        deal_id: alloy::primitives::U256,
        /// Who tried.
        caller: String,
        /// The part needed: `seller`, `buyer`, `buyer or seller`.
        needed: &'static str,
    },
    /// The deal is not in a state that allows the action.
    #[error("{action} of deal {deal_id}: not allowed while the deal is {state}")]
    WrongDealState {
        /// The action.
        action: &'static str,
        /// The deal.
        deal_id: alloy::primitives::U256,
        /// Its state.
        state: &'static str,
    },
    /// The caller is not the merchant who posted the buy order.
    #[error("buy order {order_id} belongs to {merchant}, not {caller}")]
    NotOrderMerchant {
        /// The order.
        order_id: alloy::primitives::U256,
        /// Its merchant.
        merchant: String,
        /// Who tried.
        caller: String,
    },
    /// A basis-point share above 10000.
    #[error("buyer share {bps} bps exceeds 10000")]
    InvalidBuyerShare {
        /// The share given.
        bps: u32,
    },
    /// An outflow without co-signature above what is left of today's allowance
    /// (docs/rules.md, "Co-signer and daily allowance").
    #[error(
        "{action} of {amount} units by {account}: only {left} left of today's allowance; get the co-signer's approval"
    )]
    AllowanceExceeded {
        /// `withdraw` or `release`.
        action: &'static str,
        /// The account.
        account: String,
        /// The outflow in smallest units.
        amount: u64,
        /// What is left of today's allowance.
        left: u64,
    },
    /// A co-signed call for an account without a co-signer.
    #[error("{account} has no co-signer")]
    NoCoSigner {
        /// The account.
        account: String,
    },
    /// No co-signer change is pending (nothing to apply or cancel).
    #[error("{account} has no pending co-signer change")]
    NoPendingCoSignerChange {
        /// The account.
        account: String,
    },
    /// The pending co-signer change may be applied only later.
    #[error(
        "the pending co-signer change of {account} takes effect at {effective_at} (chain time {now})"
    )]
    CoSignerChangeNotDue {
        /// The account.
        account: String,
        /// When it may be applied.
        effective_at: u64,
        /// The chain's time.
        now: u64,
    },
    /// The dispatcher may not assign the acceptor this deal (docs/rules.md, "Acceptor limits").
    #[error("acceptor {acceptor} cannot take {amount} units: {reason}")]
    AcceptorUnavailable {
        /// The acceptor.
        acceptor: String,
        /// The deal amount in smallest units.
        amount: u64,
        /// `offline`, `above max per deal` or `above max locked`.
        reason: &'static str,
    },
    /// The signer is not the account's co-signer.
    #[error("{signer} is not the co-signer of {account} (its co-signer: {})", co_signer.as_deref().unwrap_or("none"))]
    NotCoSigner {
        /// The account.
        account: String,
        /// Its co-signer, if any.
        co_signer: Option<String>,
        /// Who tried to co-sign.
        signer: String,
    },
    /// The account lacks the role the action needs (the contract's `MissingRole`).
    #[error("{action}: {account} does not hold the {role} role")]
    MissingRole {
        /// The contract function.
        action: &'static str,
        /// The account.
        account: String,
        /// `merchant`, `acceptor` or `agent`.
        role: &'static str,
    },
    /// Only the dispatcher may take the action (the contract's `NotDispatcher`).
    #[error("{action}: {caller} is not the dispatcher ({dispatcher})")]
    NotDispatcher {
        /// The contract function.
        action: &'static str,
        /// Who tried.
        caller: String,
        /// The dispatcher.
        dispatcher: String,
    },
    /// The escrow holds nothing beyond its liabilities.
    #[error(
        "nothing to sweep: the escrow holds {balance} units against {liabilities} of liabilities"
    )]
    NoSurplus {
        /// The token balance.
        balance: alloy::primitives::U256,
        /// The liabilities.
        liabilities: alloy::primitives::U256,
    },
}

/// Why a multisig proposal (or its JSON file) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProposalError {
    /// The file could not be read or written.
    #[error("proposal file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
    /// The file is not a proposal file this SDK understands.
    #[error("proposal file: {message}")]
    Format {
        /// What is wrong.
        message: String,
    },
    /// A field of the file is malformed.
    #[error("proposal file field {field}: {value:?} is malformed")]
    Field {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// The digest stored in the file is not the digest of its proposal and domain
    /// (the file was edited after signing began).
    #[error("proposal file digest {stored} does not match its contents ({computed})")]
    DigestMismatch {
        /// The digest in the file.
        stored: String,
        /// The digest of the proposal and domain.
        computed: String,
    },
    /// The file was made for another chain or multisig than the command's.
    #[error("proposal is for {file} but the command targets {given}")]
    WrongMultisig {
        /// The chain and multisig in the file.
        file: String,
        /// The chain and multisig of the command.
        given: String,
    },
    /// The signer is not an owner of the multisig.
    #[error("{signer} is not an owner of the multisig")]
    NotOwner {
        /// The signer.
        signer: String,
    },
    /// The owner has already signed this proposal.
    #[error("{signer} has already signed this proposal")]
    DuplicateSigner {
        /// The owner.
        signer: String,
    },
    /// A stored signature does not recover to the owner it is listed under.
    #[error("signature listed for {signer} recovers to {recovered}")]
    BadSignature {
        /// The owner it is listed under.
        signer: String,
        /// Who it recovers to (empty when it does not recover at all).
        recovered: String,
    },
    /// Fewer signatures than the threshold.
    #[error("{have} of {need} signatures; more owners must sign")]
    BelowThreshold {
        /// Signatures collected.
        have: usize,
        /// The threshold.
        need: usize,
    },
    /// The multisig's nonce moved past the proposal: it was executed (or another
    /// proposal took its nonce), so it can never run again.
    #[error(
        "proposal nonce {proposal} is below the multisig's nonce {current}: already executed or superseded"
    )]
    NonceUsed {
        /// The proposal's nonce.
        proposal: alloy::primitives::U256,
        /// The multisig's nonce.
        current: alloy::primitives::U256,
    },
    /// Earlier proposals must execute first.
    #[error(
        "proposal nonce {proposal} is ahead of the multisig's nonce {current}; execute the earlier ones first"
    )]
    NonceAhead {
        /// The proposal's nonce.
        proposal: alloy::primitives::U256,
        /// The multisig's nonce.
        current: alloy::primitives::U256,
    },
    /// The multisig's owners, threshold or time lock changed since the proposal was
    /// made: its approvals no longer count (docs/rules.md, "Multisig").
    #[error(
        "proposal was made under configuration version {proposal}, the multisig is at {current}; propose again"
    )]
    ConfigChanged {
        /// The proposal's configuration version.
        proposal: alloy::primitives::U256,
        /// The multisig's configuration version.
        current: alloy::primitives::U256,
    },
    /// The proposal's deadline has passed.
    #[error("proposal expired at {deadline} (chain time {now})")]
    Expired {
        /// The deadline, unix seconds.
        deadline: u64,
        /// The chain's time.
        now: u64,
    },
    /// `execute-scheduled` on a proposal that was not scheduled.
    #[error("proposal is not scheduled on the multisig")]
    NotScheduled,
    /// The time lock of a scheduled proposal has not passed yet.
    #[error("proposal is scheduled until {eta} (chain time {now})")]
    TimeLockPending {
        /// When it becomes executable, unix seconds.
        eta: u64,
        /// The chain's time.
        now: u64,
    },
    /// A function signature or argument for the proposed call is malformed.
    #[error("call {call:?}: {message}")]
    Call {
        /// The call as given.
        call: String,
        /// What is wrong.
        message: String,
    },
}
