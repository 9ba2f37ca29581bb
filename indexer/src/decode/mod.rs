//! Decode: raw logs into rows, and the address/hash text forms the store keeps.
//!
//! Rows are chain-agnostic strings by the time they reach the store: EVM addresses and
//! hashes as lowercase `0x` hex, TRON addresses as base58check (`T...`) and TRON hashes as
//! 64 lowercase hex digits (the node's own form). Amounts are exact decimal strings.
//!
//! Escrow and multisig events are decoded in [`crate::events`]; [`LogDecoder`] routes
//! every log a source finds to the right decoder ([`rows`]); Tether's blacklist events
//! are in [`blacklist`].

pub mod blacklist;
pub mod rows;

pub use blacklist::{BlacklistChange, BlacklistEvent, BlacklistEventRow};
pub use rows::{LogDecoder, LogPosition, Rows};

use alloy::primitives::{Address, B256, Log as PrimLog, U256, b256};
use sha2::{Digest, Sha256};

use crate::{
    config::ChainKind,
    error::{Error, Result},
};

/// `keccak256("Transfer(address,address,uint256)")`.
pub const TRANSFER_TOPIC: B256 =
    b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

/// One token transfer, ready for the store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Transfer {
    /// Block height.
    pub block_number: u64,
    /// Index of the log in its block (TRON: position among the block's logs).
    pub log_index: u64,
    /// Block hash (text form of the chain).
    pub block_hash: String,
    /// Block time, seconds since the Unix epoch.
    pub block_time: i64,
    /// Transaction hash (text form of the chain).
    pub tx_hash: String,
    /// Token contract.
    pub token: String,
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// Amount in the token's smallest unit, exact decimal.
    pub amount: String,
}

/// A decoded token event (escrow and multisig events: [`crate::events`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// ERC-20/TRC-20 `Transfer(address indexed from, address indexed to, uint256 value)`.
    Transfer {
        /// Sender.
        from: Address,
        /// Recipient.
        to: Address,
        /// Amount in smallest units.
        value: U256,
    },
}

/// Decodes a log emitted by a watched contract. `Ok(None)` for topics this indexer
/// does not handle; an error for a log that claims to be a `Transfer` but is malformed.
pub fn decode_log(log: &PrimLog, block: u64, log_index: u64) -> Result<Option<Event>> {
    let topics = log.topics();
    if topics.first() != Some(&TRANSFER_TOPIC) {
        return Ok(None);
    }
    if topics.len() != 3 || log.data.data.len() != 32 {
        return Err(Error::Decode {
            block,
            log_index,
            reason: format!(
                "Transfer needs 3 topics and 32 data bytes, got {} and {}",
                topics.len(),
                log.data.data.len()
            ),
        });
    }
    let word_addr = |t: &B256| -> Result<Address> {
        if t[..12].iter().any(|b| *b != 0) {
            return Err(Error::Decode {
                block,
                log_index,
                reason: "address topic has non-zero high bytes".into(),
            });
        }
        Ok(Address::from_slice(&t[12..]))
    };
    Ok(Some(Event::Transfer {
        from: word_addr(&topics[1])?,
        to: word_addr(&topics[2])?,
        value: U256::from_be_slice(&log.data.data),
    }))
}

/// Text form of an address on a chain.
pub fn format_address(kind: ChainKind, addr: &Address) -> String {
    match kind {
        ChainKind::Evm => format!("{addr:#x}"),
        ChainKind::Tron => tron_base58(addr),
    }
}

/// Text form of a block or transaction hash on a chain.
pub fn format_hash(kind: ChainKind, hash: &B256) -> String {
    match kind {
        ChainKind::Evm => format!("{hash:#x}"),
        ChainKind::Tron => hex::encode(hash),
    }
}

/// Parses a query address into the form the store keeps for `kind`.
pub fn normalize_address(kind: ChainKind, input: &str) -> Result<String> {
    match kind {
        ChainKind::Evm => parse_evm_address(input).map(|a| format_address(kind, &a)),
        ChainKind::Tron => parse_tron_address(input).map(|a| format_address(kind, &a)),
    }
}

/// Parses `0x` + 40 hex digits (any case; the checksum is not required).
pub fn parse_evm_address(input: &str) -> Result<Address> {
    let bad = |reason| Error::InvalidAddress {
        kind: "evm",
        input: input.to_owned(),
        reason,
    };
    let hex_part = input
        .strip_prefix("0x")
        .or_else(|| input.strip_prefix("0X"))
        .ok_or_else(|| bad("must start with 0x"))?;
    if hex_part.len() != 40 {
        return Err(bad("must be 40 hex digits"));
    }
    let bytes = hex::decode(hex_part).map_err(|_| bad("not hex"))?;
    Ok(Address::from_slice(&bytes))
}

/// Parses a TRON address: base58check `T...` or hex `41` + 40 digits. Returns the 20 bytes.
pub fn parse_tron_address(input: &str) -> Result<Address> {
    let bad = |reason| Error::InvalidAddress {
        kind: "tron",
        input: input.to_owned(),
        reason,
    };
    if input.len() == 42 && input.starts_with("41") {
        let bytes = hex::decode(input).map_err(|_| bad("not hex"))?;
        return Ok(Address::from_slice(&bytes[1..]));
    }
    let raw = bs58::decode(input)
        .into_vec()
        .map_err(|_| bad("not base58"))?;
    if raw.len() != 25 {
        return Err(bad("must decode to 25 bytes"));
    }
    if raw[0] != 0x41 {
        return Err(bad("prefix byte is not 0x41"));
    }
    let check = double_sha256(&raw[..21]);
    if raw[21..] != check[..4] {
        return Err(bad("bad checksum"));
    }
    Ok(Address::from_slice(&raw[1..21]))
}

/// Base58check of `0x41 ‖ addr`.
pub fn tron_base58(addr: &Address) -> String {
    let mut raw = Vec::with_capacity(25);
    raw.push(0x41);
    raw.extend_from_slice(addr.as_slice());
    let check = double_sha256(&raw);
    raw.extend_from_slice(&check[..4]);
    bs58::encode(raw).into_string()
}

fn double_sha256(data: &[u8]) -> [u8; 32] {
    let once = Sha256::digest(data);
    Sha256::digest(once).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{LogData, address};

    #[test]
    fn tron_vectors() {
        let a = parse_tron_address("417e5f4552091a69125d5dfcb7b8c2659029395bdf").unwrap();
        assert_eq!(tron_base58(&a), "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC");
        let b = parse_tron_address("TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1").unwrap();
        assert_eq!(b, address!("94a15629b2b2bbd3a5453e6d6696b2875278633b"));
        assert_eq!(
            tron_base58(&Address::ZERO),
            "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"
        );
        assert!(parse_tron_address("TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUG").is_ok());
        assert!(parse_tron_address("TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUs").is_err());
        assert!(parse_tron_address("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf").is_err());
    }

    #[test]
    fn evm_address_forms() {
        let a = parse_evm_address("0xdAC17F958D2ee523a2206206994597C13D831ec7").unwrap();
        assert_eq!(
            format_address(ChainKind::Evm, &a),
            "0xdac17f958d2ee523a2206206994597c13d831ec7"
        );
        assert!(parse_evm_address("dAC17F958D2ee523a2206206994597C13D831ec7").is_err());
        assert!(parse_evm_address("0xdAC17F958D2ee523a2206206994597C13D831ec").is_err());
        assert!(parse_evm_address("0xgAC17F958D2ee523a2206206994597C13D831ec7").is_err());
    }

    #[test]
    fn decode_transfer_exact_and_malformed() {
        let from = address!("1111111111111111111111111111111111111111");
        let to = address!("2222222222222222222222222222222222222222");
        let value = U256::MAX - U256::from(7u8);
        let log = PrimLog {
            address: Address::ZERO,
            data: LogData::new_unchecked(
                vec![TRANSFER_TOPIC, from.into_word(), to.into_word()],
                value.to_be_bytes::<32>().to_vec().into(),
            ),
        };
        let ev = decode_log(&log, 1, 0).unwrap().unwrap();
        assert_eq!(ev, Event::Transfer { from, to, value });
        let short = PrimLog {
            address: Address::ZERO,
            data: LogData::new_unchecked(
                vec![TRANSFER_TOPIC, from.into_word()],
                vec![0u8; 32].into(),
            ),
        };
        assert!(matches!(
            decode_log(&short, 1, 0),
            Err(Error::Decode { .. })
        ));
        let other = PrimLog {
            address: Address::ZERO,
            data: LogData::new_unchecked(vec![B256::ZERO], Default::default()),
        };
        assert_eq!(decode_log(&other, 1, 0).unwrap(), None);
    }
}
