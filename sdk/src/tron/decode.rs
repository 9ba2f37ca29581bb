//! Decoding a hex TRON transaction (signed `Transaction` or bare `raw_data`) back into
//! its fields, txID and recovered signers.

use prost::Message;
use serde::Serialize;

use super::error::{TronDecodeError, TronSignatureError};
use crate::amount::Amount;
use crate::tron::address::Address;
use crate::tron::proto;
use crate::tron::signer::Signature;
use crate::tron::transaction::{
    Contract, RawData, RefBlock, Transaction, Transfer, TriggerSmartContract,
};
use crate::tron::trc20;

impl Transaction {
    /// Decodes hex (an optional `0x` and surrounding whitespace are ignored) of a
    /// `Transaction` protobuf, or of a bare `raw_data`.
    pub fn from_hex(text: &str) -> Result<Self, TronDecodeError> {
        let t = text.trim();
        let digits = t.strip_prefix("0x").unwrap_or(t);
        let bytes = hex::decode(digits).map_err(|_| TronDecodeError::Hex)?;
        Self::decode(&bytes)
    }

    /// Decodes a `Transaction` protobuf (raw_data and signatures), or, failing that, a
    /// bare `raw_data`. The txID hashes the raw_data bytes exactly as given.
    pub fn decode(bytes: &[u8]) -> Result<Self, TronDecodeError> {
        let first = match decode_signed(bytes) {
            Ok(tx) => return Ok(tx),
            Err(e) => e,
        };
        match Self::decode_raw_data(bytes) {
            Ok(tx) => Ok(tx),
            // Report the attempt that got further: a structural failure of the
            // signed form and a field-level failure of the raw form mean raw_data.
            Err(second) if is_structural(&first) && !is_structural(&second) => Err(second),
            Err(_) => Err(first),
        }
    }

    /// Decodes a bare `raw_data` (an unsigned transaction as some wallets pass it).
    pub fn decode_raw_data(bytes: &[u8]) -> Result<Self, TronDecodeError> {
        let raw = raw_from_bytes(bytes)?;
        Ok(Self::from_parts(raw, bytes.to_vec(), Vec::new()))
    }

    /// The address each signature recovers to, in signature order.
    pub fn signers(&self) -> Vec<Result<Address, TronSignatureError>> {
        let id = self.txid();
        self.signatures().iter().map(|s| s.recover(&id)).collect()
    }

    /// A serializable summary: fields, txID, hex forms, signatures and signers, and
    /// the TRC20 transfer the calldata encodes, if it is one.
    pub fn view(&self) -> TransactionView {
        let trc20_transfer = match &self.raw_data().contract {
            Contract::TriggerSmartContract(c) => {
                trc20::decode_transfer(&c.data).map(|(to, amount)| Trc20TransferView {
                    token: c.contract,
                    to,
                    amount,
                })
            }
            Contract::Transfer(_) => None,
        };
        TransactionView {
            txid: self.txid_hex(),
            raw_data_hex: hex::encode(self.raw_data_bytes()),
            hex: self.to_hex(),
            raw_data: self.raw_data().clone(),
            memo_text: String::from_utf8(self.raw_data().memo.clone()).ok(),
            trc20_transfer,
            signatures: self.signatures().iter().map(Signature::to_hex).collect(),
            signers: self
                .signers()
                .into_iter()
                .map(|r| match r {
                    Ok(address) => SignerView {
                        address: Some(address),
                        error: None,
                    },
                    Err(e) => SignerView {
                        address: None,
                        error: Some(e.to_string()),
                    },
                })
                .collect(),
        }
    }
}

/// A printable summary of a transaction.
#[derive(Debug, Clone, Serialize)]
pub struct TransactionView {
    /// The txID (hex).
    pub txid: String,
    /// The raw_data bytes (hex).
    pub raw_data_hex: String,
    /// The full Transaction protobuf (hex), as `broadcasthex` takes it.
    pub hex: String,
    /// The decoded fields.
    pub raw_data: RawData,
    /// The memo as text, when it is UTF-8.
    pub memo_text: Option<String>,
    /// The TRC20 transfer the calldata encodes, if any.
    pub trc20_transfer: Option<Trc20TransferView>,
    /// Signatures (hex).
    pub signatures: Vec<String>,
    /// Who signed, per signature.
    pub signers: Vec<SignerView>,
}

/// A TRC20 `transfer(address,uint256)` found in calldata.
#[derive(Debug, Clone, Serialize)]
pub struct Trc20TransferView {
    /// The token contract.
    pub token: Address,
    /// The recipient.
    pub to: Address,
    /// The amount, assuming 6 decimals (USDT).
    pub amount: Amount,
}

/// The outcome of recovering one signature.
#[derive(Debug, Clone, Serialize)]
pub struct SignerView {
    /// The recovered address.
    pub address: Option<Address>,
    /// Why recovery failed.
    pub error: Option<String>,
}

fn is_structural(e: &TronDecodeError) -> bool {
    matches!(
        e,
        TronDecodeError::Protobuf { .. } | TronDecodeError::Framing { .. }
    )
}

fn decode_signed(bytes: &[u8]) -> Result<Transaction, TronDecodeError> {
    let mut raw: Option<&[u8]> = None;
    let mut sigs = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let field = read_field(bytes, pos)?;
        match (field.number, field.payload) {
            (1, Some(p)) if raw.is_none() => raw = Some(p),
            (1, _) => return Err(TronDecodeError::Framing { offset: pos }),
            (2, Some(p)) => sigs.push(p),
            (2, None) => return Err(TronDecodeError::Framing { offset: pos }),
            _ => {}
        }
        pos = field.end;
    }
    let raw_bytes = raw.ok_or(TronDecodeError::Protobuf {
        reason: "no raw_data".to_owned(),
    })?;
    let fields = raw_from_bytes(raw_bytes)?;
    let signatures = sigs
        .into_iter()
        .enumerate()
        .map(|(index, s)| {
            Signature::from_slice(s).map_err(|source| TronDecodeError::Signature { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Transaction::from_parts(
        fields,
        raw_bytes.to_vec(),
        signatures,
    ))
}

struct Field<'a> {
    number: u64,
    /// The bytes of a length-delimited field.
    payload: Option<&'a [u8]>,
    end: usize,
}

/// Reads one protobuf field starting at `pos`.
fn read_field(bytes: &[u8], pos: usize) -> Result<Field<'_>, TronDecodeError> {
    let framing = TronDecodeError::Framing { offset: pos };
    let mut cur = &bytes[pos..];
    let key = prost::encoding::decode_varint(&mut cur).map_err(|_| framing.clone())?;
    let number = key >> 3;
    if number == 0 {
        return Err(framing);
    }
    let mut at = bytes.len() - cur.len();
    let mut payload = None;
    match key & 7 {
        0 => {
            prost::encoding::decode_varint(&mut cur).map_err(|_| framing.clone())?;
            at = bytes.len() - cur.len();
        }
        1 => at += 8,
        2 => {
            let len = prost::encoding::decode_varint(&mut cur).map_err(|_| framing.clone())?;
            at = bytes.len() - cur.len();
            let len = usize::try_from(len).map_err(|_| framing.clone())?;
            let end = at.checked_add(len).ok_or(framing.clone())?;
            payload = Some(bytes.get(at..end).ok_or(framing.clone())?);
            at = end;
        }
        5 => at += 4,
        _ => return Err(framing),
    }
    if at > bytes.len() {
        return Err(framing);
    }
    Ok(Field {
        number,
        payload,
        end: at,
    })
}

fn raw_from_bytes(bytes: &[u8]) -> Result<RawData, TronDecodeError> {
    let raw = proto::TransactionRaw::decode(bytes).map_err(|e| TronDecodeError::Protobuf {
        reason: e.to_string(),
    })?;
    let ref_bytes: [u8; 2] =
        raw.ref_block_bytes
            .as_slice()
            .try_into()
            .map_err(|_| TronDecodeError::FieldLength {
                field: "ref_block_bytes",
                expected: 2,
                actual: raw.ref_block_bytes.len(),
            })?;
    let ref_hash: [u8; 8] =
        raw.ref_block_hash
            .as_slice()
            .try_into()
            .map_err(|_| TronDecodeError::FieldLength {
                field: "ref_block_hash",
                expected: 8,
                actual: raw.ref_block_hash.len(),
            })?;
    let c = match raw.contract.as_slice() {
        [] => return Err(TronDecodeError::NoContract),
        [c] => c,
        many => return Err(TronDecodeError::ContractCount { count: many.len() }),
    };
    let any = c.parameter.clone().unwrap_or_default();
    let expect_url = match c.r#type {
        proto::TRANSFER_CONTRACT => proto::TRANSFER_TYPE_URL,
        proto::TRIGGER_SMART_CONTRACT => proto::TRIGGER_TYPE_URL,
        other => {
            return Err(TronDecodeError::UnsupportedContract {
                contract_type: other,
            });
        }
    };
    if any.type_url != expect_url {
        return Err(TronDecodeError::TypeMismatch {
            contract_type: c.r#type,
            type_url: any.type_url,
        });
    }
    let protobuf = |e: prost::DecodeError| TronDecodeError::Protobuf {
        reason: e.to_string(),
    };
    let contract = if c.r#type == proto::TRANSFER_CONTRACT {
        let t = proto::TransferContract::decode(any.value.as_slice()).map_err(protobuf)?;
        Contract::Transfer(Transfer {
            owner: Address::from_bytes(&t.owner_address)?,
            to: Address::from_bytes(&t.to_address)?,
            amount_sun: t.amount,
        })
    } else {
        let t = proto::TriggerSmartContract::decode(any.value.as_slice()).map_err(protobuf)?;
        Contract::TriggerSmartContract(TriggerSmartContract {
            owner: Address::from_bytes(&t.owner_address)?,
            contract: Address::from_bytes(&t.contract_address)?,
            call_value: t.call_value,
            data: t.data,
            call_token_value: t.call_token_value,
            token_id: t.token_id,
        })
    };
    Ok(RawData {
        ref_block: RefBlock {
            bytes: ref_bytes,
            hash: ref_hash,
        },
        ref_block_num: raw.ref_block_num,
        expiration: raw.expiration,
        timestamp: raw.timestamp,
        fee_limit: raw.fee_limit,
        memo: raw.data,
        contract,
        permission_id: c.permission_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tron::signer::PrivateKey;
    use crate::tron::transaction::TransactionBuilder;
    use proptest::prelude::*;

    fn arb_contract() -> impl Strategy<Value = Contract> {
        let addr = any::<[u8; 20]>().prop_map(Address::from_evm_bytes);
        prop_oneof![
            (addr.clone(), addr.clone(), 0i64..=i64::MAX).prop_map(|(owner, to, amount_sun)| {
                Contract::Transfer(Transfer {
                    owner,
                    to,
                    amount_sun,
                })
            }),
            (
                addr.clone(),
                addr,
                0i64..=i64::MAX,
                prop::collection::vec(any::<u8>(), 0..200),
                0i64..1000,
                0i64..1000,
            )
                .prop_map(
                    |(owner, contract, call_value, data, call_token_value, token_id)| {
                        Contract::TriggerSmartContract(TriggerSmartContract {
                            owner,
                            contract,
                            call_value,
                            data,
                            call_token_value,
                            token_id,
                        })
                    }
                ),
        ]
    }

    proptest! {
        #[test]
        fn decoding_garbage_errors_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = Transaction::decode(&bytes);
        }

        #[test]
        fn build_sign_decode_round_trips(
            contract in arb_contract(),
            ref_bytes in any::<[u8; 2]>(),
            ref_hash in any::<[u8; 8]>(),
            timestamp in 0i64..4_000_000_000_000,
            lifetime in 1i64..=86_400_000,
            fee_limit in 0i64..=15_000_000_000,
            memo in prop::collection::vec(any::<u8>(), 0..64),
            secret in any::<[u8; 32]>(),
            signed in any::<bool>(),
        ) {
            let mut tx = TransactionBuilder::new(RefBlock { bytes: ref_bytes, hash: ref_hash }, timestamp)
                .with_expiration(timestamp + lifetime)
                .with_fee_limit(fee_limit)
                .with_memo(memo)
                .build(contract)
                .unwrap();
            let key = PrivateKey::from_bytes(&secret);
            if let (true, Ok(k)) = (signed, &key) {
                tx.sign(k).unwrap();
            }
            let back = Transaction::from_hex(&tx.to_hex()).unwrap();
            prop_assert_eq!(&back, &tx);
            if let (true, Ok(k)) = (signed, key) {
                prop_assert_eq!(back.signers()[0].clone().unwrap(), k.address());
            }
        }
    }

    const VECTOR_A_RAW: &str = "0a026ecf22083c083e47cbea43ec40f8dfe182a82e520302c75f5a66080112620a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412310a15419cf784b4cc7531f1598c4c322de9afdc597fe760121541340967e825557559dc46bbf0eabe5ccf99fd134e18e80770f5a2de82a82e";
    const VECTOR_A_SIG: &str = "c4cfe5c76bf89fe004ff59de1a33934a9419301e21fbe1f00ee5b5faf17189797a7292e872a693e7bff145e76c43ea6f26c425be70d0e0d0440331390d0d65a401";

    fn vector_a_signed_hex() -> String {
        // Transaction { raw_data = 1 (0x0a, len 137 = 0x89 0x01); signature = 2 (0x12, len 0x41) }
        format!("0a8901{VECTOR_A_RAW}1241{VECTOR_A_SIG}")
    }

    #[test]
    fn vector_a_decodes() {
        let tx = Transaction::from_hex(&vector_a_signed_hex()).unwrap();
        assert_eq!(
            tx.txid_hex(),
            "17821228a79904c23bd35e566f320c2d43e6940c0d44bc8d70f257f3485459bb"
        );
        assert_eq!(hex::encode(tx.raw_data_bytes()), VECTOR_A_RAW);
        let raw = tx.raw_data();
        assert_eq!(raw.ref_block.bytes, [0x6e, 0xcf]);
        assert_eq!(hex::encode(raw.ref_block.hash), "3c083e47cbea43ec");
        assert_eq!(raw.memo, vec![0x02, 0xc7, 0x5f]);
        assert_eq!(raw.fee_limit, 0);
        let Contract::Transfer(t) = &raw.contract else {
            panic!("not a transfer")
        };
        assert_eq!(t.amount_sun, 1000);
        assert_eq!(
            t.owner.to_hex(),
            "419cf784b4cc7531f1598c4c322de9afdc597fe760"
        );
        assert_eq!(t.to.to_hex(), "41340967e825557559dc46bbf0eabe5ccf99fd134e");
        assert_eq!(tx.signers().len(), 1);
        assert_eq!(
            tx.signers()[0].clone().unwrap().to_base58(),
            "TQHAvs2ZFTbsd93ycTfw1Wuf1e4WsPZWCp"
        );
        // Re-encoding gives the same bytes back.
        assert_eq!(tx.to_hex(), vector_a_signed_hex());
        // The recovered signer is the transfer's owner.
        assert_eq!(tx.signers()[0].clone().unwrap(), t.owner);
    }

    #[test]
    fn bare_raw_data_decodes_unsigned() {
        let tx = Transaction::from_hex(VECTOR_A_RAW).unwrap();
        assert!(tx.signatures().is_empty());
        assert_eq!(
            tx.txid_hex(),
            "17821228a79904c23bd35e566f320c2d43e6940c0d44bc8d70f257f3485459bb"
        );
    }

    #[test]
    fn malformed_inputs_fail() {
        assert_eq!(
            Transaction::from_hex("zz").unwrap_err(),
            TronDecodeError::Hex
        );
        assert!(Transaction::from_hex("").is_err());
        assert!(Transaction::from_hex("0a8901").is_err());
        // Truncated: drop the last byte of the signature.
        let mut h = vector_a_signed_hex();
        h.truncate(h.len() - 2);
        assert!(Transaction::from_hex(&h).is_err());
        // A 64-byte signature field.
        let bad_sig = format!("0a8901{VECTOR_A_RAW}1240{}", &VECTOR_A_SIG[..128]);
        assert!(matches!(
            Transaction::from_hex(&bad_sig),
            Err(TronDecodeError::Signature { index: 0, .. })
        ));
        // Contract type 2 with the transfer type URL.
        let wrong_type = VECTOR_A_RAW.replacen("5a66080112", "5a66080212", 1);
        assert!(matches!(
            Transaction::from_hex(&wrong_type),
            Err(TronDecodeError::UnsupportedContract { contract_type: 2 })
        ));
    }
}
