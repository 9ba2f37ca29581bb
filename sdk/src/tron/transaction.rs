//! TRON transactions built locally: the reference block, the contracts, the builder,
//! the txID and the signed protobuf.

use prost::Message;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::{TronBuildError, TronKeyError};
use crate::tron::address::Address;
use crate::tron::proto;
use crate::tron::signer::{PrivateKey, Signature};

/// Most a fee limit may be: 15,000 TRX in sun.
pub const MAX_FEE_LIMIT_SUN: i64 = 15_000_000_000;

/// Default lifetime of a transaction: 60 s, as nodes use.
pub const DEFAULT_EXPIRATION_MS: i64 = 60_000;

/// Longest lifetime nodes accept: 24 h.
pub const MAX_EXPIRATION_MS: i64 = 24 * 60 * 60 * 1000;

/// Largest memo the builder accepts. Nodes cap the whole transaction at 500 KB;
/// this leaves ample room and stops accidental huge memos.
pub const MAX_MEMO_BYTES: usize = 100 * 1024;

/// The reference block a transaction is tied to (TaPoS).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefBlock {
    /// Bytes 6..8 of the block number as 8 big-endian bytes.
    #[serde(with = "hex_array")]
    pub bytes: [u8; 2],
    /// Bytes 8..16 of the 32-byte block id.
    #[serde(with = "hex_array")]
    pub hash: [u8; 8],
}

impl RefBlock {
    /// The reference fields of block `number` with id `block_id`.
    pub fn from_block(number: u64, block_id: &[u8; 32]) -> Self {
        let n = number.to_be_bytes();
        let mut hash = [0u8; 8];
        hash.copy_from_slice(&block_id[8..16]);
        Self {
            bytes: [n[6], n[7]],
            hash,
        }
    }
}

/// A TRX transfer (`TransferContract`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// The sender, who signs.
    pub owner: Address,
    /// The recipient.
    pub to: Address,
    /// Amount in sun (1 TRX = 1,000,000 sun).
    pub amount_sun: i64,
}

/// A smart-contract call (`TriggerSmartContract`), e.g. a TRC20 transfer or an escrow call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriggerSmartContract {
    /// The caller, who signs.
    pub owner: Address,
    /// The contract called.
    pub contract: Address,
    /// TRX sent along, in sun.
    pub call_value: i64,
    /// ABI calldata: selector and arguments.
    #[serde(with = "hex_vec")]
    pub data: Vec<u8>,
    /// TRC10 amount sent along (rarely used).
    pub call_token_value: i64,
    /// TRC10 token id (rarely used).
    pub token_id: i64,
}

/// The contract a transaction carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Contract {
    /// A TRX transfer.
    #[serde(rename = "TransferContract")]
    Transfer(Transfer),
    /// A smart-contract call.
    #[serde(rename = "TriggerSmartContract")]
    TriggerSmartContract(TriggerSmartContract),
}

impl Contract {
    /// The address that must sign.
    pub fn owner(&self) -> Address {
        match self {
            Self::Transfer(t) => t.owner,
            Self::TriggerSmartContract(t) => t.owner,
        }
    }

    pub(crate) fn to_proto(&self, permission_id: i32) -> proto::Contract {
        let (r#type, type_url, value) = match self {
            Self::Transfer(t) => (
                proto::TRANSFER_CONTRACT,
                proto::TRANSFER_TYPE_URL,
                proto::TransferContract {
                    owner_address: t.owner.as_bytes().to_vec(),
                    to_address: t.to.as_bytes().to_vec(),
                    amount: t.amount_sun,
                }
                .encode_to_vec(),
            ),
            Self::TriggerSmartContract(t) => (
                proto::TRIGGER_SMART_CONTRACT,
                proto::TRIGGER_TYPE_URL,
                proto::TriggerSmartContract {
                    owner_address: t.owner.as_bytes().to_vec(),
                    contract_address: t.contract.as_bytes().to_vec(),
                    call_value: t.call_value,
                    data: t.data.clone(),
                    call_token_value: t.call_token_value,
                    token_id: t.token_id,
                }
                .encode_to_vec(),
            ),
        };
        proto::Contract {
            r#type,
            parameter: Some(proto::Any {
                type_url: type_url.to_owned(),
                value,
            }),
            permission_id,
        }
    }
}

/// The decoded fields of a transaction's `raw_data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawData {
    /// The reference block.
    pub ref_block: RefBlock,
    /// The full reference block number, if the builder set it (usually 0).
    pub ref_block_num: i64,
    /// Expiration, ms since the epoch.
    pub expiration: i64,
    /// Creation time, ms since the epoch.
    pub timestamp: i64,
    /// Most sun the transaction may burn for energy (0 = unset).
    pub fee_limit: i64,
    /// The memo bytes.
    #[serde(with = "hex_vec")]
    pub memo: Vec<u8>,
    /// The contract.
    pub contract: Contract,
    /// The signing permission (0 = owner).
    pub permission_id: i32,
}

impl RawData {
    pub(crate) fn to_proto(&self) -> proto::TransactionRaw {
        proto::TransactionRaw {
            ref_block_bytes: self.ref_block.bytes.to_vec(),
            ref_block_num: self.ref_block_num,
            ref_block_hash: self.ref_block.hash.to_vec(),
            expiration: self.expiration,
            data: self.memo.clone(),
            contract: vec![self.contract.to_proto(self.permission_id)],
            timestamp: self.timestamp,
            fee_limit: self.fee_limit,
        }
    }
}

/// Builds transactions: reference block, timestamps, fee limit and memo.
///
/// ```
/// use stablerail_sdk::tron::{Address, Contract, RefBlock, Transfer, TransactionBuilder};
/// let owner: Address = "4194a15629b2b2bbd3a5453e6d6696b2875278633b".parse()?;
/// let to: Address = "413c9b65b212316904572826240224750eccce29a2".parse()?;
/// let mut hash = [0u8; 8];
/// hex::decode_to_slice("212a13dbe72ac5c0", &mut hash)?;
/// let tx = TransactionBuilder::new(RefBlock { bytes: [0x64, 0x31], hash }, 1751466432131)
///     .build(Contract::Transfer(Transfer { owner, to, amount_sun: 1 }))?;
/// assert_eq!(tx.txid_hex(), "c93cdd6b4d9f5b3c617060ea0a9c7b6080d9855f599cc987f69105a5e3e9c9b4");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TransactionBuilder {
    ref_block: RefBlock,
    timestamp: i64,
    expiration: i64,
    fee_limit: i64,
    memo: Vec<u8>,
    permission_id: i32,
}

impl TransactionBuilder {
    /// A builder referencing `ref_block`, created at `timestamp_ms`, expiring 60 s later,
    /// with no fee limit and no memo.
    pub fn new(ref_block: RefBlock, timestamp_ms: i64) -> Self {
        Self {
            ref_block,
            timestamp: timestamp_ms,
            expiration: timestamp_ms.saturating_add(DEFAULT_EXPIRATION_MS),
            fee_limit: 0,
            memo: Vec::new(),
            permission_id: 0,
        }
    }

    /// The creation time, ms since the epoch.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// Sets the expiration (ms since the epoch); at most 24 h after the timestamp.
    pub fn with_expiration(mut self, expiration_ms: i64) -> Self {
        self.expiration = expiration_ms;
        self
    }

    /// Sets the fee limit in sun (required for contract calls; at most 15,000 TRX).
    pub fn with_fee_limit(mut self, fee_limit_sun: i64) -> Self {
        self.fee_limit = fee_limit_sun;
        self
    }

    /// Sets the memo (`raw_data.data`).
    pub fn with_memo(mut self, memo: impl Into<Vec<u8>>) -> Self {
        self.memo = memo.into();
        self
    }

    /// Sets the account permission that will sign (0 = owner, the default).
    pub fn with_permission_id(mut self, permission_id: i32) -> Self {
        self.permission_id = permission_id;
        self
    }

    /// Validates the settings and serializes an unsigned transaction.
    pub fn build(&self, contract: Contract) -> Result<Transaction, TronBuildError> {
        let lifetime = self.expiration.checked_sub(self.timestamp);
        if self.timestamp < 0 || lifetime.is_none_or(|d| d <= 0 || d > MAX_EXPIRATION_MS) {
            return Err(TronBuildError::Expiration {
                expiration: self.expiration,
                timestamp: self.timestamp,
            });
        }
        if !(0..=MAX_FEE_LIMIT_SUN).contains(&self.fee_limit) {
            return Err(TronBuildError::FeeLimit {
                fee_limit: self.fee_limit,
            });
        }
        if self.memo.len() > MAX_MEMO_BYTES {
            return Err(TronBuildError::MemoTooLong {
                len: self.memo.len(),
                max: MAX_MEMO_BYTES,
            });
        }
        let raw = RawData {
            ref_block: self.ref_block,
            ref_block_num: 0,
            expiration: self.expiration,
            timestamp: self.timestamp,
            fee_limit: self.fee_limit,
            memo: self.memo.clone(),
            contract,
            permission_id: self.permission_id,
        };
        let bytes = raw.to_proto().encode_to_vec();
        Ok(Transaction::from_parts(raw, bytes, Vec::new()))
    }
}

/// A TRON transaction: the exact `raw_data` bytes, their decoded fields, the txID and
/// any signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    raw: RawData,
    raw_bytes: Vec<u8>,
    txid: [u8; 32],
    signatures: Vec<Signature>,
}

impl Transaction {
    pub(crate) fn from_parts(raw: RawData, raw_bytes: Vec<u8>, signatures: Vec<Signature>) -> Self {
        let txid = Sha256::digest(&raw_bytes).into();
        Self {
            raw,
            raw_bytes,
            txid,
            signatures,
        }
    }

    /// The decoded `raw_data` fields.
    pub fn raw_data(&self) -> &RawData {
        &self.raw
    }

    /// The serialized `raw_data`: what the txID hashes and signatures sign.
    pub fn raw_data_bytes(&self) -> &[u8] {
        &self.raw_bytes
    }

    /// The txID: sha256 of the `raw_data` bytes.
    pub fn txid(&self) -> [u8; 32] {
        self.txid
    }

    /// The txID as lowercase hex.
    pub fn txid_hex(&self) -> String {
        hex::encode(self.txid)
    }

    /// The signatures so far.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// Signs the txID with `key` and appends the signature.
    pub fn sign(&mut self, key: &PrivateKey) -> Result<(), TronKeyError> {
        let sig = key.sign_digest(&self.txid)?;
        self.signatures.push(sig);
        Ok(())
    }

    /// Appends a signature made elsewhere (e.g. by a hardware wallet).
    pub fn add_signature(&mut self, signature: Signature) {
        self.signatures.push(signature);
    }

    /// The full `Transaction` protobuf (raw_data and signatures), as `broadcasthex` takes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(self.raw_bytes.len() + 4 + self.signatures.len() * 67);
        prost::encoding::bytes::encode(1, &self.raw_bytes, &mut buf);
        for sig in &self.signatures {
            prost::encoding::bytes::encode(2, &sig.to_bytes().to_vec(), &mut buf);
        }
        buf
    }

    /// [`Transaction::to_bytes`] as lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }
}

pub(crate) mod hex_vec {
    use serde::Serializer;

    pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
}

pub(crate) mod hex_array {
    use serde::Serializer;

    pub(crate) fn serialize<S: Serializer, const N: usize>(
        v: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_b_builder() -> TransactionBuilder {
        let mut hash = [0u8; 8];
        hex::decode_to_slice("212a13dbe72ac5c0", &mut hash).unwrap();
        TransactionBuilder::new(
            RefBlock {
                bytes: [0x64, 0x31],
                hash,
            },
            1751466432131,
        )
        .with_expiration(1751466492131)
    }

    fn vector_b_contract() -> Contract {
        Contract::Transfer(Transfer {
            owner: "4194a15629b2b2bbd3a5453e6d6696b2875278633b"
                .parse()
                .unwrap(),
            to: "413c9b65b212316904572826240224750eccce29a2"
                .parse()
                .unwrap(),
            amount_sun: 1,
        })
    }

    #[test]
    fn vector_b_raw_data_and_txid() {
        let tx = vector_b_builder().build(vector_b_contract()).unwrap();
        assert_eq!(
            hex::encode(tx.raw_data_bytes()),
            "0a0264312208212a13dbe72ac5c040e381a7dcfc325a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a154194a15629b2b2bbd3a5453e6d6696b2875278633b1215413c9b65b212316904572826240224750eccce29a218017083ada3dcfc32"
        );
        assert_eq!(
            tx.txid_hex(),
            "c93cdd6b4d9f5b3c617060ea0a9c7b6080d9855f599cc987f69105a5e3e9c9b4"
        );
        // Unsigned: the full protobuf is just field 1 around raw_data.
        assert_eq!(tx.to_bytes()[0], 0x0a);
    }

    #[test]
    fn hand_framing_matches_prost() {
        let mut tx = vector_b_builder().build(vector_b_contract()).unwrap();
        let key = PrivateKey::from_hex(&format!("{:064x}", 7)).unwrap();
        tx.sign(&key).unwrap();
        tx.sign(&key).unwrap();
        let expected = proto::Transaction {
            raw_data: Some(tx.raw_data().to_proto()),
            signature: tx
                .signatures()
                .iter()
                .map(|s| s.to_bytes().to_vec())
                .collect(),
        }
        .encode_to_vec();
        assert_eq!(tx.to_bytes(), expected);
    }

    #[test]
    fn ref_block_from_block_id() {
        let mut id = [0u8; 32];
        id[..8].copy_from_slice(&0x0000_0000_0123_6431u64.to_be_bytes());
        id[8..16].copy_from_slice(&[0x21, 0x2a, 0x13, 0xdb, 0xe7, 0x2a, 0xc5, 0xc0]);
        let r = RefBlock::from_block(0x0123_6431, &id);
        assert_eq!(r.bytes, [0x64, 0x31]);
        assert_eq!(hex::encode(r.hash), "212a13dbe72ac5c0");
    }

    #[test]
    fn builder_rejects_bad_settings() {
        let b = vector_b_builder();
        assert!(matches!(
            b.clone()
                .with_expiration(1751466432131)
                .build(vector_b_contract()),
            Err(TronBuildError::Expiration { .. })
        ));
        assert!(matches!(
            b.clone()
                .with_expiration(1751466432131 + MAX_EXPIRATION_MS + 1)
                .build(vector_b_contract()),
            Err(TronBuildError::Expiration { .. })
        ));
        for (ts, exp) in [(i64::MIN, i64::MAX), (-5, 10), (i64::MAX, i64::MIN)] {
            assert!(
                matches!(
                    TransactionBuilder::new(RefBlock::default(), ts)
                        .with_expiration(exp)
                        .build(vector_b_contract()),
                    Err(TronBuildError::Expiration { .. })
                ),
                "{ts} {exp}"
            );
        }
        assert!(matches!(
            b.clone()
                .with_fee_limit(MAX_FEE_LIMIT_SUN + 1)
                .build(vector_b_contract()),
            Err(TronBuildError::FeeLimit { .. })
        ));
        assert!(matches!(
            b.clone().with_fee_limit(-1).build(vector_b_contract()),
            Err(TronBuildError::FeeLimit { .. })
        ));
        assert!(matches!(
            b.with_memo(vec![0u8; MAX_MEMO_BYTES + 1])
                .build(vector_b_contract()),
            Err(TronBuildError::MemoTooLong { .. })
        ));
    }
}
