//! The few TRON protobuf messages (package `protocol`) the SDK builds and decodes.
//!
//! Hand-written prost structs with the field numbers of java-tron's `Tran.proto` /
//! `Contract.proto`; prost writes fields in tag order and omits defaults, which
//! reproduces the bytes (and so the txIDs) the network computes.

/// `protocol.Transaction`. The SDK frames it by hand (to keep the exact raw_data
/// bytes of decoded transactions); tests check that framing against this message.
#[cfg(test)]
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Transaction {
    /// The signed part.
    #[prost(message, optional, tag = "1")]
    pub(crate) raw_data: Option<TransactionRaw>,
    /// 65-byte signatures r‖s‖v, one per signer.
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub(crate) signature: Vec<Vec<u8>>,
}

/// `protocol.Transaction.raw`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct TransactionRaw {
    /// Bytes 6..8 of the reference block number (big-endian).
    #[prost(bytes = "vec", tag = "1")]
    pub(crate) ref_block_bytes: Vec<u8>,
    /// The full reference block number (optional; wallets leave it 0).
    #[prost(int64, tag = "3")]
    pub(crate) ref_block_num: i64,
    /// Bytes 8..16 of the reference block id.
    #[prost(bytes = "vec", tag = "4")]
    pub(crate) ref_block_hash: Vec<u8>,
    /// Expiration, ms since the epoch.
    #[prost(int64, tag = "8")]
    pub(crate) expiration: i64,
    /// The memo.
    #[prost(bytes = "vec", tag = "10")]
    pub(crate) data: Vec<u8>,
    /// The contract (exactly one in practice).
    #[prost(message, repeated, tag = "11")]
    pub(crate) contract: Vec<Contract>,
    /// Creation time, ms since the epoch.
    #[prost(int64, tag = "14")]
    pub(crate) timestamp: i64,
    /// Most TRX (sun) the transaction may burn for energy.
    #[prost(int64, tag = "18")]
    pub(crate) fee_limit: i64,
}

/// `protocol.Transaction.Contract`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Contract {
    /// `ContractType` number.
    #[prost(int32, tag = "1")]
    pub(crate) r#type: i32,
    /// The contract message.
    #[prost(message, optional, tag = "2")]
    pub(crate) parameter: Option<Any>,
    /// The account permission that signs (0 = owner).
    #[prost(int32, tag = "5")]
    pub(crate) permission_id: i32,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Any {
    /// `type.googleapis.com/protocol.<MessageName>`.
    #[prost(string, tag = "1")]
    pub(crate) type_url: String,
    /// The encoded message.
    #[prost(bytes = "vec", tag = "2")]
    pub(crate) value: Vec<u8>,
}

/// `protocol.TransferContract`: a TRX transfer.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct TransferContract {
    /// Sender, 21 bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub(crate) owner_address: Vec<u8>,
    /// Recipient, 21 bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub(crate) to_address: Vec<u8>,
    /// Amount in sun.
    #[prost(int64, tag = "3")]
    pub(crate) amount: i64,
}

/// `protocol.TriggerSmartContract`: a contract call.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct TriggerSmartContract {
    /// Caller, 21 bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub(crate) owner_address: Vec<u8>,
    /// Contract, 21 bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub(crate) contract_address: Vec<u8>,
    /// TRX sent with the call, in sun.
    #[prost(int64, tag = "3")]
    pub(crate) call_value: i64,
    /// ABI calldata.
    #[prost(bytes = "vec", tag = "4")]
    pub(crate) data: Vec<u8>,
    /// TRC10 token amount sent with the call.
    #[prost(int64, tag = "5")]
    pub(crate) call_token_value: i64,
    /// TRC10 token id.
    #[prost(int64, tag = "6")]
    pub(crate) token_id: i64,
}

/// `ContractType.TransferContract`.
pub(crate) const TRANSFER_CONTRACT: i32 = 1;
/// `ContractType.TriggerSmartContract`.
pub(crate) const TRIGGER_SMART_CONTRACT: i32 = 31;
/// Type URL of a `TransferContract` parameter.
pub(crate) const TRANSFER_TYPE_URL: &str = "type.googleapis.com/protocol.TransferContract";
/// Type URL of a `TriggerSmartContract` parameter.
pub(crate) const TRIGGER_TYPE_URL: &str = "type.googleapis.com/protocol.TriggerSmartContract";
