//! Typed errors of the SDK: one enum per concern, and [`Error`] that wraps them all.

use thiserror::Error;

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
    /// A conformance scenario could not be replayed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A TRON address is malformed.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// A private key is malformed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A signature is malformed or does not recover.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A transaction could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A transaction could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A TRON node call failed.
    #[error(transparent)]
    Client(#[from] ClientError),
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
    FirstThreshold {
        /// Which table.
        table: TierTable,
        /// The first threshold, in smallest units.
        threshold: u64,
    },
    /// Thresholds are not strictly increasing.
    #[error("{table} tier {index} threshold {threshold} is not above the previous {previous}")]
    ThresholdOrder {
        /// Which table.
        table: TierTable,
        /// Index of the offending tier.
        index: usize,
        /// Its threshold.
        threshold: u64,
        /// The previous tier's threshold.
        previous: u64,
    },
    /// A tier's basis points exceed 10000.
    #[error("{table} tier {index} has {bps} bps; at most 10000 are allowed")]
    BpsTooHigh {
        /// Which table.
        table: TierTable,
        /// Index of the offending tier.
        index: usize,
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
    ShareAndReward {
        /// Index of the offending agent tier.
        index: usize,
        /// Its share.
        share_bps: u32,
        /// The trader reward.
        reward_bps: u32,
    },
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

/// Why a conformance scenario could not be replayed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    /// The scenario's fee schedule is invalid.
    #[error("scenario fee schedule: {0}")]
    FeeSchedule(#[from] FeeScheduleError),
    /// A name that is not among the scenario's parties.
    #[error("unknown party {name:?}")]
    UnknownParty {
        /// The name.
        name: String,
    },
    /// A party is listed twice, or is named like the treasury.
    #[error("party {name:?} is listed twice or is reserved")]
    DuplicateParty {
        /// The name.
        name: String,
    },
    /// A merchant was given a second agent; the agent is set once.
    #[error("merchant {merchant:?} already has an agent")]
    AgentAlreadySet {
        /// The merchant.
        merchant: String,
    },
    /// A deal's seller has less available balance than the deal amount.
    #[error("{party:?} has {available} available, deal needs {needed}")]
    InsufficientBalance {
        /// The seller.
        party: String,
        /// Its available balance.
        available: u64,
        /// The deal amount.
        needed: u64,
    },
    /// A deal with amount 0.
    #[error("deal {index} has amount 0")]
    ZeroDeal {
        /// Index of the deal in the scenario.
        index: usize,
    },
    /// A resolve share above 10000 bps.
    #[error("deal {index} buyer share {bps} bps exceeds 10000")]
    ShareTooHigh {
        /// Index of the deal in the scenario.
        index: usize,
        /// The share.
        bps: u32,
    },
    /// A balance or volume would exceed u64.
    #[error("balance or volume of {party:?} overflows")]
    Overflow {
        /// Whose balance or volume.
        party: String,
    },
    /// An outflow beyond what is left of today's allowance, without the co-signer.
    #[error("{party:?} may send {left} more today without its co-signer; {needed} needs it")]
    AllowanceExceeded {
        /// Whose outflow.
        party: String,
        /// What is left of today's allowance.
        left: u64,
        /// The outflow.
        needed: u64,
    },
    /// A sweep with nothing to sweep.
    #[error("no surplus to sweep: the token balance equals the liabilities")]
    NoSurplus,
    /// A trade fills more than its buy order holds.
    #[error("deal {index} fills {fill} from an order of {order}")]
    OrderTooSmall {
        /// Index of the deal in the scenario.
        index: usize,
        /// The order's size.
        order: u64,
        /// The fill.
        fill: u64,
    },
    /// An order size on a deal that is not a Trade.
    #[error("deal {index} names a buy order but is not a trade")]
    OrderWithoutTrade {
        /// Index of the deal in the scenario.
        index: usize,
    },
    /// A scenario revokes the agent role of a merchant that has no agent.
    #[error("deal {index} revokes the agent role, but its merchant has no agent")]
    NoAgentToRevoke {
        /// Index of the deal in the scenario.
        index: usize,
    },
    /// A buy order's remaining amount differs from what the scenario states.
    #[error("deal {index}: order remaining {actual:?}, scenario states {expected}")]
    OrderRemaining {
        /// Index of the deal in the scenario.
        index: usize,
        /// What the scenario states.
        expected: u64,
        /// What the ledger has.
        actual: Option<u64>,
    },
    /// A scenario's `co_sign` does not match whether the owner alone is refused.
    #[error("step {step}: co_sign says required = {stated_required}, the allowance says otherwise")]
    CoSignMismatch {
        /// Index of the deal, or deals + index of the withdrawal.
        step: usize,
        /// What the scenario states.
        stated_required: bool,
    },
    /// The sum of balances no longer equals the liabilities, or the token balance is
    /// below them (a bug).
    #[error("conservation broken: liabilities {liabilities}, balances {balances}")]
    Conservation {
        /// Deposits − withdrawals + sweeps.
        liabilities: u128,
        /// Sum of available and locked balances.
        balances: u128,
    },
}

/// Why a TRON address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    /// Not valid base58 (Bitcoin alphabet).
    #[error("address {input:?} is not valid base58")]
    Base58 {
        /// The rejected input.
        input: String,
    },
    /// Not valid hex.
    #[error("address {input:?} is not valid hex")]
    Hex {
        /// The rejected input.
        input: String,
    },
    /// Wrong number of bytes.
    #[error("address has {actual} bytes; expected {expected}")]
    Length {
        /// Expected byte count.
        expected: usize,
        /// Actual byte count.
        actual: usize,
    },
    /// The first byte is not 0x41.
    #[error("address prefix is 0x{found:02x}; TRON addresses start with 0x41")]
    Prefix {
        /// The first byte found.
        found: u8,
    },
    /// The base58check checksum does not match.
    #[error("address {input:?} has a bad checksum")]
    Checksum {
        /// The rejected input.
        input: String,
    },
}

/// Why a private key was rejected. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The key text is not hex.
    #[error("private key is not hex")]
    NotHex,
    /// The hex key text does not have 64 hex digits.
    #[error("private key has {chars} hex characters; expected 64 (32 bytes)")]
    HexLength {
        /// The number of hex digits found (after trimming whitespace and `0x`).
        chars: usize,
    },
    /// The key does not have 32 bytes.
    #[error("private key has {bytes} bytes; expected 32")]
    Length {
        /// The byte count found.
        bytes: usize,
    },
    /// The key is zero or not below the curve order.
    #[error("private key is out of range for secp256k1")]
    OutOfRange,
    /// Signing failed inside the curve library.
    #[error("signing failed")]
    Signing,
}

/// Why a signature could not be parsed or recovered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// The signature does not have 65 bytes.
    #[error("signature has {actual} bytes; expected 65 (r, s, v)")]
    Length {
        /// The byte count found.
        actual: usize,
    },
    /// The recovery byte is not 0, 1, 27 or 28.
    #[error("signature recovery byte {v} is not 0, 1, 27 or 28")]
    RecoveryId {
        /// The byte found.
        v: u8,
    },
    /// r or s is out of range, or no public key recovers.
    #[error("signature does not recover a public key")]
    Invalid,
}

/// Why a transaction could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildError {
    /// The timestamp is negative, or the expiration is not after it or more than 24 h after it.
    #[error(
        "expiration {expiration} ms must be after timestamp {timestamp} ms (not negative) and within 24 h"
    )]
    Expiration {
        /// Expiration, ms since the epoch.
        expiration: i64,
        /// Timestamp, ms since the epoch.
        timestamp: i64,
    },
    /// The fee limit is negative or above 15,000 TRX.
    #[error("fee limit {fee_limit} sun is outside 0..=15000000000")]
    FeeLimit {
        /// The rejected fee limit, in sun.
        fee_limit: i64,
    },
    /// The memo is longer than the node accepts.
    #[error("memo has {len} bytes; at most {max} are allowed")]
    MemoTooLong {
        /// The memo length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// An amount does not fit the protobuf's int64.
    #[error("amount {units} does not fit int64")]
    AmountRange {
        /// The amount in smallest units.
        units: u64,
    },
    /// A TRC20 transfer of zero.
    #[error("transfer amount must be above zero")]
    ZeroAmount,
    /// Sender and recipient are the same address.
    #[error("sender and recipient are the same address")]
    SelfTransfer,
}

/// Why a transaction could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input is not hex.
    #[error("transaction is not hex")]
    Hex,
    /// The bytes are not a TRON transaction protobuf.
    #[error("not a TRON transaction protobuf: {reason}")]
    Protobuf {
        /// What the protobuf decoder reported.
        reason: String,
    },
    /// The transaction has no contract.
    #[error("transaction has no contract")]
    NoContract,
    /// A contract type the SDK does not decode.
    #[error(
        "contract type {contract_type} is not supported (only 1 TransferContract and 31 TriggerSmartContract)"
    )]
    UnsupportedContract {
        /// The contract type number.
        contract_type: i32,
    },
    /// More than one contract in one transaction.
    #[error("transaction has {count} contracts; TRON allows one")]
    ContractCount {
        /// How many were found.
        count: usize,
    },
    /// Trailing or truncated bytes around the raw data.
    #[error("transaction protobuf is truncated or malformed at byte {offset}")]
    Framing {
        /// Byte offset of the problem.
        offset: usize,
    },
    /// The contract parameter's type URL does not match its type.
    #[error("contract type {contract_type} carries {type_url:?}")]
    TypeMismatch {
        /// The contract type number.
        contract_type: i32,
        /// The type URL found.
        type_url: String,
    },
    /// An address inside the transaction is malformed.
    #[error("address in transaction: {0}")]
    Address(#[from] AddressError),
    /// A signature inside the transaction is malformed.
    #[error("signature {index}: {source}")]
    Signature {
        /// Index of the signature.
        index: usize,
        /// Why it failed.
        source: SignatureError,
    },
    /// A reference block field has the wrong length.
    #[error("{field} has {actual} bytes; expected {expected}")]
    FieldLength {
        /// The field name.
        field: &'static str,
        /// Expected byte count.
        expected: usize,
        /// Actual byte count.
        actual: usize,
    },
}

/// The `code` of a failed TRON broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastCode {
    /// The signature does not match the owner or its permission.
    SigError,
    /// The reference block is unknown or too old.
    TaposError,
    /// The transaction is already known.
    DupTransactionError,
    /// The contract failed validation (balance, permission, address...).
    ContractValidateError,
    /// Not enough bandwidth and not enough TRX to burn for it.
    BandwidthError,
    /// The transaction expired or expires too far ahead.
    TransactionExpirationError,
    /// The node's pending pool is full.
    ServerBusy,
    /// Any other code the node returned.
    Unknown {
        /// The code as sent by the node.
        code: String,
    },
}

impl BroadcastCode {
    /// Maps the node's `code` string to a variant.
    pub fn from_code(code: &str) -> Self {
        match code {
            "SIGERROR" => Self::SigError,
            "TAPOS_ERROR" => Self::TaposError,
            "DUP_TRANSACTION_ERROR" => Self::DupTransactionError,
            "CONTRACT_VALIDATE_ERROR" => Self::ContractValidateError,
            "BANDWITH_ERROR" => Self::BandwidthError,
            "TRANSACTION_EXPIRATION_ERROR" => Self::TransactionExpirationError,
            "SERVER_BUSY" => Self::ServerBusy,
            other => Self::Unknown {
                code: other.to_owned(),
            },
        }
    }

    /// The node's code string (note the node's own spelling `BANDWITH_ERROR`).
    pub fn as_str(&self) -> &str {
        match self {
            Self::SigError => "SIGERROR",
            Self::TaposError => "TAPOS_ERROR",
            Self::DupTransactionError => "DUP_TRANSACTION_ERROR",
            Self::ContractValidateError => "CONTRACT_VALIDATE_ERROR",
            Self::BandwidthError => "BANDWITH_ERROR",
            Self::TransactionExpirationError => "TRANSACTION_EXPIRATION_ERROR",
            Self::ServerBusy => "SERVER_BUSY",
            Self::Unknown { code } => code,
        }
    }
}

impl core::fmt::Display for BroadcastCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a call to a TRON full node failed.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The node URL is not a valid http(s) URL.
    #[error("node URL {url:?} is invalid")]
    Url {
        /// The rejected URL.
        url: String,
    },
    /// The request did not complete (connection, timeout, TLS).
    #[error("request to {endpoint} failed: {source}")]
    Transport {
        /// The API path.
        endpoint: String,
        /// The HTTP library's error.
        source: reqwest::Error,
    },
    /// The node answered with a non-success HTTP status.
    #[error("{endpoint} answered HTTP {status}: {body}")]
    Status {
        /// The API path.
        endpoint: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The answer is not JSON (e.g. a lite full node refusing the query).
    #[error("{endpoint} answered with non-JSON text: {body:?}")]
    NotJson {
        /// The API path.
        endpoint: String,
        /// The start of the body.
        body: String,
    },
    /// The node answered `{"Error": ...}`.
    #[error("{endpoint} reported an error: {message}")]
    Node {
        /// The API path.
        endpoint: String,
        /// The node's message.
        message: String,
    },
    /// The JSON lacks a field or has an unexpected shape.
    #[error("{endpoint} answer lacks or mangles {field}")]
    Shape {
        /// The API path.
        endpoint: String,
        /// The missing or malformed field.
        field: &'static str,
    },
    /// The node rejected a broadcast.
    #[error("broadcast rejected with {code}: {message}")]
    Broadcast {
        /// The node's code.
        code: BroadcastCode,
        /// The node's message, decoded from hex.
        message: String,
    },
    /// A simulated call (energy estimate) failed.
    #[error("contract call simulation failed ({code}): {message}")]
    Simulation {
        /// The node's result code.
        code: String,
        /// The node's message, decoded from hex.
        message: String,
    },
    /// The chain parameter `getEnergyFee` is missing.
    #[error("chain parameter getEnergyFee is missing")]
    NoEnergyPrice,
    /// The fee limit policy is invalid.
    #[error("fee limit cap {max_sun} sun is outside 1..=15000000000")]
    FeeLimitCap {
        /// The rejected cap.
        max_sun: i64,
    },
    /// A constant call's result is not the ABI encoding the function returns.
    #[error("{call}: the node's result does not decode: {message}")]
    Abi {
        /// The contract function.
        call: &'static str,
        /// What the decoder reported.
        message: String,
    },
    /// No receipt arrived before the timeout.
    #[error("no receipt for {txid} after {waited_ms} ms")]
    ReceiptTimeout {
        /// The transaction id (hex).
        txid: String,
        /// How long we polled.
        waited_ms: u128,
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
    TronAddress(#[from] AddressError),
    /// The EVM chain id is 0.
    #[error("EVM chain id must be above 0")]
    ChainId,
}

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
    ShareTooHigh {
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

/// Why a Solana instruction, account or transaction was rejected by the SDK
/// before anything was signed or sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SolanaError {
    /// A public key is not base58 of 32 bytes.
    #[error("Solana address {input:?} is not base58 of 32 bytes")]
    Pubkey {
        /// The rejected input.
        input: String,
    },
    /// A keypair is neither a JSON array of 64 bytes nor base58 of 64 bytes, or its
    /// public half does not match its secret half. Never contains key material.
    #[error("Solana keypair is malformed: {reason}")]
    Keypair {
        /// What was wrong (never the key itself).
        reason: &'static str,
    },
    /// An amount of zero where the program requires more.
    #[error("{field} must be above zero")]
    ZeroAmount {
        /// The argument.
        field: &'static str,
    },
    /// A currency code is not three uppercase ASCII letters.
    #[error("currency code {code:?} is not an ISO 4217 code (three uppercase letters)")]
    Currency {
        /// The rejected code.
        code: String,
    },
    /// Buy-order fill bounds outside `0 < min_fill <= max_fill <= amount`.
    #[error(
        "fill bounds min {min_fill} max {max_fill} do not fit 0 < min <= max <= amount {amount}"
    )]
    FillBounds {
        /// Smallest fill.
        min_fill: u64,
        /// Largest fill.
        max_fill: u64,
        /// Order amount.
        amount: u64,
    },
    /// Basis points above 10000.
    #[error("{field} is {bps} bps; at most 10000 are allowed")]
    Bps {
        /// The argument.
        field: &'static str,
        /// The rejected value.
        bps: u32,
    },
    /// A payment window of 0 seconds.
    #[error("payment window must be at least 1 second")]
    PaymentWindow,
    /// A reference is not 32 bytes (64 hex digits).
    #[error("reference {input:?} is not 32 bytes of hex (64 digits)")]
    Reference {
        /// The rejected input.
        input: String,
    },
    /// Role bits outside merchant | acceptor | agent.
    #[error("role bits {roles:#04b} include undefined roles")]
    Roles {
        /// The rejected bits.
        roles: u8,
    },
    /// A fee schedule or limit the program would refuse.
    #[error("invalid {what}: {reason}")]
    Config {
        /// Which setting.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// Owners, threshold or time lock of a multisig the program would refuse.
    #[error("invalid multisig {what}: {reason}")]
    Multisig {
        /// Which setting.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A proposal's instructions the multisig program would refuse.
    #[error("proposal instruction {index}: {reason}")]
    ProposalInstruction {
        /// Index of the instruction in the proposal.
        index: usize,
        /// Why.
        reason: &'static str,
    },
    /// An account's data does not start with the expected Anchor discriminator.
    #[error("account is not a {account} (discriminator mismatch)")]
    Discriminator {
        /// The expected account type.
        account: &'static str,
    },
    /// An account's data is too short or malformed for its type.
    #[error("{account} account data is malformed: {reason}")]
    AccountData {
        /// The account type.
        account: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// A transaction without instructions.
    #[error("transaction has no instructions")]
    NoInstructions,
    /// A signer the message needs was not given, or a given key is not needed.
    #[error("signing failed: {reason}")]
    Signing {
        /// The signer library's message (names public keys only).
        reason: String,
    },
    /// The serialized transaction exceeds the packet size.
    #[error("transaction has {size} bytes; at most {max} fit one packet")]
    TransactionTooLarge {
        /// Serialized size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A base64 transaction could not be decoded.
    #[error("not a base64 Solana transaction: {reason}")]
    TransactionDecode {
        /// What failed.
        reason: String,
    },
    /// The priority-fee policy is inconsistent.
    #[error("priority fee floor {floor} exceeds cap {cap} micro-lamports per CU")]
    PriorityFeeBounds {
        /// The floor.
        floor: u64,
        /// The cap.
        cap: u64,
    },
    /// An on-chain account the instruction needs does not exist.
    #[error("account {address} ({what}) does not exist")]
    AccountMissing {
        /// What the account was expected to be.
        what: &'static str,
        /// Its address.
        address: String,
    },
}

/// Why a call to a Solana JSON-RPC node failed.
#[derive(Debug, Error)]
pub enum SolanaRpcError {
    /// The RPC URL is not a valid http(s) URL.
    #[error("RPC URL {url:?} is invalid")]
    Url {
        /// The rejected URL.
        url: String,
    },
    /// The request did not complete (connection, timeout, TLS).
    #[error("{method} failed: {source}")]
    Transport {
        /// The JSON-RPC method.
        method: &'static str,
        /// The HTTP library's error.
        source: reqwest::Error,
    },
    /// The node answered with a non-success HTTP status.
    #[error("{method} answered HTTP {status}: {body}")]
    Status {
        /// The JSON-RPC method.
        method: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The answer is not JSON.
    #[error("{method} answered with non-JSON text: {body:?}")]
    NotJson {
        /// The JSON-RPC method.
        method: &'static str,
        /// The start of the body.
        body: String,
    },
    /// The node answered with a JSON-RPC error object.
    #[error("{method} failed with RPC error {code}: {message}")]
    Rpc {
        /// The JSON-RPC method.
        method: &'static str,
        /// The error code (e.g. -32002 for a failed preflight simulation).
        code: i64,
        /// The node's message.
        message: String,
        /// Program logs of a failed simulation, if the node sent any.
        logs: Vec<String>,
    },
    /// The JSON lacks a field or has an unexpected shape.
    #[error("{method} answer lacks or mangles {field}")]
    Shape {
        /// The JSON-RPC method.
        method: &'static str,
        /// The missing or malformed field.
        field: &'static str,
    },
    /// A confirmation did not arrive in time.
    #[error("transaction {signature} not confirmed after {waited_ms} ms")]
    ConfirmTimeout {
        /// The transaction signature (base58).
        signature: String,
        /// How long we polled.
        waited_ms: u128,
    },
    /// The transaction landed but failed.
    #[error("transaction {signature} failed: {error}")]
    TransactionFailed {
        /// The transaction signature (base58).
        signature: String,
        /// The runtime's error, as JSON text.
        error: String,
    },
}
