//! Decode: raw logs into rows. Rows are chain-agnostic strings by the time they reach
//! the store, in the text forms [`crate::chain::ChainKind`] defines; amounts are exact
//! decimal strings.
//!
//! Escrow and multisig events are decoded in [`crate::events`]; [`LogDecoder`] routes
//! every log a source finds to the right decoder ([`rows`]); Tether's blacklist events
//! are in [`blacklist`]. Solana blocks carry no logs: [`solana`] reads their token
//! instructions and the programs' self-CPI events.

pub mod blacklist;
pub mod rows;
pub mod solana;

pub use blacklist::{BlacklistChange, BlacklistEvent, BlacklistEventRow};
pub use rows::{LogDecoder, LogPosition, Rows};

use alloy::primitives::{Address, B256, Log as PrimLog, U256, b256};

use crate::error::{Error, Result};

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

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{LogData, address};

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
