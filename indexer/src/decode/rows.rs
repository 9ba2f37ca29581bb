//! Raw logs into rows, in one place for every source: a source finds a log and where
//! it sits (block, index, hash, time, transaction); [`LogDecoder::decode`] routes it by
//! emitting contract and topic to the token's transfers and blacklist events, or to
//! the escrow's and the multisig's events.

use std::collections::HashSet;

use alloy::primitives::{Address, B256, Log as PrimLog};

use super::{
    Event, TRANSFER_TOPIC, Transfer,
    blacklist::{BlacklistEventRow, blacklist_topics, decode_blacklist},
    decode_log,
};
use crate::{
    chain::ChainKind,
    config::ChainConfig,
    error::Result,
    events::{
        Contracts, Decoded, EscrowEventRow, EventRow, MultisigEventRow, escrow_topics,
        multisig_topics,
    },
};

/// Where a log sits, in the chain's text forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPosition {
    /// Block height.
    pub block_number: u64,
    /// Index of the log in its block (TRON: position among the block's logs).
    pub log_index: u64,
    /// Block hash.
    pub block_hash: String,
    /// Block time, seconds since the Unix epoch.
    pub block_time: i64,
    /// Transaction hash.
    pub tx_hash: String,
}

/// The rows a block range adds, each list in (block, log index) order.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// Token transfers (only those touching `watched` addresses if any are set).
    pub transfers: Vec<Transfer>,
    /// The token's blacklist events (always all of them).
    pub blacklist: Vec<BlacklistEventRow>,
    /// Escrow events.
    pub escrow_events: Vec<EscrowEventRow>,
    /// Multisig events.
    pub multisig_events: Vec<MultisigEventRow>,
}

impl Rows {
    /// Appends `other`'s rows (a later range or block) to these.
    pub fn extend(&mut self, other: Rows) {
        self.transfers.extend(other.transfers);
        self.blacklist.extend(other.blacklist);
        self.escrow_events.extend(other.escrow_events);
        self.multisig_events.extend(other.multisig_events);
    }
}

/// Decodes the logs of one chain section's contracts into [`Rows`].
#[derive(Debug, Clone)]
pub struct LogDecoder {
    kind: ChainKind,
    token: Address,
    /// The token in the chain's text form (every transfer row carries it).
    token_text: String,
    contracts: Contracts,
    watched: HashSet<Address>,
}

impl LogDecoder {
    /// The decoder a validated chain section describes.
    pub fn new(cfg: &ChainConfig) -> Result<Self> {
        let token = cfg.usdt_address()?;
        Ok(Self {
            kind: cfg.kind,
            token,
            token_text: cfg.kind.format_address(&token),
            contracts: cfg.contracts()?,
            watched: cfg.watched_addresses()?.into_iter().collect(),
        })
    }

    /// The contracts whose logs are decoded: the token, then the escrow and multisig.
    pub fn addresses(&self) -> Vec<Address> {
        let mut out = vec![self.token];
        out.extend(self.contracts.addresses());
        out
    }

    /// Topic-0 values worth asking a node for: the token's Transfer and blacklist
    /// events, plus every escrow and multisig event when those are configured.
    pub fn topics(&self) -> Vec<B256> {
        let mut topics = vec![TRANSFER_TOPIC];
        topics.extend(blacklist_topics());
        if self.contracts.escrow.is_some() {
            topics.extend(escrow_topics());
        }
        if self.contracts.multisig.is_some() {
            topics.extend(multisig_topics());
        }
        topics
    }

    /// Decodes `log` found at `at` into `rows`. Logs of other contracts and topics this
    /// indexer does not handle are skipped; a known event in another layout is an error.
    pub fn decode(&self, log: &PrimLog, at: LogPosition, rows: &mut Rows) -> Result<()> {
        let (block, index) = (at.block_number, at.log_index);
        let row = |contract: String| EventRow {
            block_number: at.block_number,
            log_index: at.log_index,
            block_hash: at.block_hash.clone(),
            block_time: at.block_time,
            tx_hash: at.tx_hash.clone(),
            contract,
            event: (),
        };
        if log.address != self.token {
            let contract = self.kind.format_address(&log.address);
            match self.contracts.decode(self.kind, log, block, index)? {
                Some(Decoded::Escrow(e)) => rows.escrow_events.push(row(contract).with(e)),
                Some(Decoded::Multisig(e)) => rows.multisig_events.push(row(contract).with(e)),
                None => {}
            }
            return Ok(());
        }
        if let Some(e) = decode_blacklist(self.kind, log, block, index)? {
            rows.blacklist.push(row(self.token_text.clone()).with(e));
            return Ok(());
        }
        let Some(Event::Transfer { from, to, value }) = decode_log(log, block, index)? else {
            return Ok(());
        };
        if !self.watched.is_empty() && !self.watched.contains(&from) && !self.watched.contains(&to)
        {
            return Ok(());
        }
        rows.transfers.push(Transfer {
            block_number: at.block_number,
            log_index: at.log_index,
            block_hash: at.block_hash,
            block_time: at.block_time,
            tx_hash: at.tx_hash,
            token: self.token_text.clone(),
            from: self.kind.format_address(&from),
            to: self.kind.format_address(&to),
            amount: value.to_string(),
        });
        Ok(())
    }
}
