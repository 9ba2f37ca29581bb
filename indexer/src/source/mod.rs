//! Sources: where blocks, headers and logs come from. One per configured chain.
//!
//! A source answers three questions: where the head and the finality line are
//! ([`Source::heads`]), what the canonical header at a height is ([`Source::header`], used
//! to find the common ancestor after a reorg), and what a block range holds
//! ([`Source::fetch`]: the range's logs decoded into rows by [`crate::decode::LogDecoder`],
//! plus the headers the pipeline needs to check the parent chain). Sources retry
//! transient failures themselves and bound their own concurrency.

pub mod evm;
pub mod range;
pub mod retry;
pub mod solana;
pub mod tron;

use crate::{chain::ChainKind, config::ChainConfig, decode::Rows, error::Result, store::BlockRow};

/// Where the chain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heads {
    /// Highest block the node has.
    pub head: u64,
    /// Highest final block (EVM: head − finality depth; TRON: the solid block; Solana:
    /// the `finalized` slot).
    pub finalized: u64,
}

/// The contents of a block range `[from, to]` (`to` may be below what was asked for).
#[derive(Debug, Clone)]
pub struct Fetched {
    /// First block of the range.
    pub from: u64,
    /// Last block of the range.
    pub to: u64,
    /// Headers, ascending: always `from` and `to`, every block with a row, and every
    /// block above the finality line. Consecutive ones are checked to link up.
    pub blocks: Vec<BlockRow>,
    /// The range's rows: transfers, blacklist, escrow and multisig events.
    pub rows: Rows,
}

impl Fetched {
    /// The header of the first block.
    pub fn first(&self) -> Option<&BlockRow> {
        self.blocks.first().filter(|b| b.number == self.from)
    }
    /// The header of the last block.
    pub fn last(&self) -> Option<&BlockRow> {
        self.blocks.last().filter(|b| b.number == self.to)
    }
}

/// A chain source.
#[derive(Debug)]
pub enum Source {
    /// EVM JSON-RPC.
    Evm(evm::EvmSource),
    /// TRON full-node HTTP API.
    Tron(tron::TronSource),
    /// Solana JSON-RPC.
    Solana(solana::SolanaSource),
}

impl Source {
    /// Builds the source a chain section describes.
    pub fn new(cfg: &ChainConfig) -> Result<Self> {
        Ok(match cfg.kind {
            ChainKind::Evm => Self::Evm(evm::EvmSource::new(cfg)?),
            ChainKind::Tron => Self::Tron(tron::TronSource::new(cfg)?),
            ChainKind::Solana => Self::Solana(solana::SolanaSource::new(cfg)?),
        })
    }

    /// Head and finality line.
    pub async fn heads(&self) -> Result<Heads> {
        match self {
            Self::Evm(s) => s.heads().await,
            Self::Tron(s) => s.heads().await,
            Self::Solana(s) => s.heads().await,
        }
    }

    /// The canonical header at `number`; `None` if the node does not have it (yet).
    pub async fn header(&self, number: u64) -> Result<Option<BlockRow>> {
        match self {
            Self::Evm(s) => s.header(number).await,
            Self::Tron(s) => s.header(number).await,
            Self::Solana(s) => s.header(number).await,
        }
    }

    /// Fetches `[from, ..=target]`, possibly stopping early (adaptive range size).
    /// Blocks above `finalized` get all their headers.
    pub async fn fetch(&self, from: u64, target: u64, finalized: u64) -> Result<Fetched> {
        match self {
            Self::Evm(s) => s.fetch(from, target, finalized).await,
            Self::Tron(s) => s.fetch(from, target, finalized).await,
            Self::Solana(s) => s.fetch(from, target, finalized).await,
        }
    }
}

/// Checks that consecutive headers link (child.parent_hash == parent.hash).
pub(crate) fn check_links(blocks: &[BlockRow]) -> Result<()> {
    for w in blocks.windows(2) {
        if w[1].number == w[0].number + 1 && w[1].parent_hash != w[0].hash {
            return Err(crate::error::Error::Inconsistent {
                block: w[1].number,
                reason: format!(
                    "parent hash {} is not block {}'s hash {} (chain moved during the fetch)",
                    w[1].parent_hash, w[0].number, w[0].hash
                ),
            });
        }
    }
    Ok(())
}
