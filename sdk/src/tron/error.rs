//! Errors of the TRON half of the SDK: addresses, keys, signatures, building and
//! decoding transactions, and the full node's HTTP API.

use thiserror::Error;

/// Why a TRON address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TronAddressError {
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
pub enum TronKeyError {
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
pub enum TronSignatureError {
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
pub enum TronBuildError {
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
pub enum TronDecodeError {
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
    Address(#[from] TronAddressError),
    /// A signature inside the transaction is malformed.
    #[error("signature {index}: {source}")]
    Signature {
        /// Index of the signature.
        index: usize,
        /// Why it failed.
        source: TronSignatureError,
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
pub enum TronBroadcastCode {
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

impl TronBroadcastCode {
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

impl core::fmt::Display for TronBroadcastCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a call to a TRON full node failed.
#[derive(Debug, Error)]
pub enum TronClientError {
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
        code: TronBroadcastCode,
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
    /// A log of a transaction's info (java-tron's `log` field) does not parse.
    #[error("{endpoint} log {index}: {field} {reason}")]
    Log {
        /// The API path.
        endpoint: String,
        /// The log's position in `log`.
        index: usize,
        /// The malformed field (`address`, `topics`, `data`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The transaction is in a block but failed (`REVERT`, `OUT_OF_ENERGY`...): it
    /// changed nothing but its fee.
    #[error("transaction {txid} failed ({result}): {message}")]
    Failed {
        /// The transaction id (hex).
        txid: String,
        /// The VM result, or `FAILED` when the node gives none.
        result: String,
        /// The node's message and the decoded revert reason, if any.
        message: String,
    },
    /// A succeeded transaction's receipt lacks the event that carries its result.
    #[error("transaction {txid} has no {event} event from {emitter}")]
    MissingEvent {
        /// The transaction id (hex).
        txid: String,
        /// The event's signature.
        event: &'static str,
        /// The contract expected to emit it (base58).
        emitter: String,
    },
    /// The key would sign a call whose owner is another account: the node would
    /// refuse it (`SIGERROR`), so it is neither signed nor sent.
    #[error("the call's owner is {owner} but the key is {signer}'s")]
    NotOwner {
        /// The call's `owner_address` (base58).
        owner: String,
        /// The key's address (base58).
        signer: String,
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
