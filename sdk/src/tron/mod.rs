//! TRON: addresses, locally built protobuf transactions, signing, decoding, TRC20
//! calldata and a full-node HTTP client.

mod address;
mod client;
mod decode;
mod error;
mod escrow;
mod multisig;
mod proto;
mod signer;
mod transaction;
mod trc20;

pub use address::{ADDRESS_LEN, ADDRESS_PREFIX, Address};
pub use client::{Block, BlockId, FeeLimitPolicy, NodeInfo, Receipt, ReceiptLog, TronClient};
pub use decode::{SignerView, TransactionView, Trc20TransferView};
pub use error::{
    TronAddressError, TronBroadcastCode, TronBuildError, TronClientError, TronDecodeError,
    TronKeyError, TronSignatureError,
};
pub use escrow::{BuyOrderParams, TronEscrow};
pub use multisig::TronMultiSig;
pub use signer::{PrivateKey, Signature, SigningBackend};
pub use transaction::{
    Contract, DEFAULT_EXPIRATION_MS, MAX_EXPIRATION_MS, MAX_FEE_LIMIT_SUN, MAX_MEMO_BYTES, RawData,
    RefBlock, Transaction, TransactionBuilder, Transfer, TriggerSmartContract,
};
pub use trc20::{
    ITrc20, USDT_MAINNET, balance_of_calldata, decode_transfer, evm_address, transfer_calldata,
};
