//! Errors of the Solana half of the SDK: instructions, accounts and transactions
//! refused before signing, and the JSON-RPC node.

use thiserror::Error;

use super::program_error::ProgramError;

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
    /// A fee schedule the program would refuse (the error it would raise).
    #[error("invalid fee schedule")]
    FeeSchedule(#[from] crate::fees::error::FeeScheduleError),
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
    /// A transaction handed over as a co-signed outflow is not one (or not for
    /// this key); see [`CoSignedOutflow::read`](crate::solana::CoSignedOutflow::read).
    #[error("not a co-signed escrow outflow: {reason}")]
    CoSigned {
        /// What is wrong with it.
        reason: String,
    },
    /// An on-chain account the instruction needs does not exist.
    #[error("account {address} ({what}) does not exist")]
    AccountMissing {
        /// What the account was expected to be.
        what: &'static str,
        /// Its address.
        address: String,
    },
    /// An account is not the SPL Token / Token-2022 account (or mint) expected.
    #[error("{address} is not {what}")]
    TokenAccount {
        /// What it was expected to be.
        what: &'static str,
        /// Its address.
        address: String,
    },
    /// A proposal file could not be read, written or understood.
    #[error("proposal file {path}: {reason}")]
    ProposalFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
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
    /// The node answered with a JSON-RPC error object; a failed preflight names
    /// the program's error when its logs show one.
    #[error("{method} failed with RPC error {code}: {message}{}", program_error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default())]
    Rpc {
        /// The JSON-RPC method.
        method: &'static str,
        /// The error code (e.g. -32002 for a failed preflight simulation).
        code: i64,
        /// The node's message.
        message: String,
        /// Program logs of a failed simulation, if the node sent any.
        logs: Vec<String>,
        /// The custom error the failing program returned, read from `logs`.
        program_error: Option<Box<ProgramError>>,
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
