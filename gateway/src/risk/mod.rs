//! The risk and AML monitor (DESIGN §11).
//!
//! One way through: the embedded indexer commits a block range → [`monitor`] reads
//! what that range added (transfers, escrow deals) and the platform's health → the
//! pure rules (`rules/`, no I/O) turn it into [`Finding`]s → [`alerts`] stores each
//! new finding as an alert with its evidence rows and its `risk.alert.*` webhook
//! event, in one transaction with the monitor's cursor → the most severe ones trip
//! the [`breaker`] (the guardian's pause). After an indexer reorg rollback the alerts
//! whose evidence was rolled back are withdrawn and the new branch is evaluated.

pub mod alerts;
pub mod breaker;
pub mod config;
pub mod escrow_solana;
pub mod monitor;
pub mod reader;
pub mod reports;
pub mod rules;
pub mod screening;
pub mod shared;
pub mod treasury;
pub mod treasury_common;
pub mod treasury_solana;

use serde::Serialize;
use serde_json::Value;

pub use config::{RiskConfig, Severity};

/// The owner of operator-scoped webhook endpoints and events (merchant ids are
/// `mer_…`, so it never names a merchant).
pub const OPERATOR: &str = "operator";

/// One indexed token transfer as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// Block height.
    pub block_number: u64,
    /// Position in the block.
    pub log_index: u64,
    /// The block's hash (a reorg changes it).
    pub block_hash: String,
    /// Block time, Unix seconds.
    pub block_time: i64,
    /// Transaction.
    pub tx_hash: String,
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// Smallest units (amounts beyond u128 are clamped; no real transfer is).
    #[serde(serialize_with = "as_text")]
    pub amount: u128,
}

fn as_text<S: serde::Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// One of Tether's own blacklist events on a chain's USDT contract, as the indexer
/// stored it (`token_blacklist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlacklistEvent {
    /// Block height.
    pub block_number: u64,
    /// Position in the block.
    pub log_index: u64,
    /// The block's hash (a reorg changes it).
    pub block_hash: String,
    /// Block time, Unix seconds.
    pub block_time: i64,
    /// Transaction.
    pub tx_hash: String,
    /// The token contract that emitted it.
    pub token: String,
    /// The listed (or cleared) address.
    pub address: String,
    /// `added`, `removed` or `funds_destroyed`.
    pub event: String,
    /// Whether the address is blacklisted after this event.
    pub blacklisted: bool,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// An on-chain address.
    Address,
    /// An escrow deal (its id).
    Deal,
    /// A gateway order.
    Order,
    /// The chain (platform health).
    Chain,
    /// The platform itself (webhook delivery).
    Platform,
}

impl SubjectKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Address => "address",
            Self::Deal => "deal",
            Self::Order => "order",
            Self::Chain => "chain",
            Self::Platform => "platform",
        }
    }
}

/// One row an alert rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// A transfer (withdrawn with its block on a reorg).
    Transfer(Flow),
    /// An escrow deal as indexed at `block_number` (its last event).
    Deal {
        /// Deal id.
        deal_id: u64,
        /// Block of the deal's last event (a reorg above it withdraws the alert).
        block_number: Option<u64>,
        /// The deal row.
        data: Value,
    },
    /// A blacklist event of the chain's USDT contract (withdrawn with its block).
    Blacklist(BlacklistEvent),
    /// A measurement (balances, lag, rates) taken at `block_number` if on chain.
    Metric {
        /// Block the measurement belongs to.
        block_number: Option<u64>,
        /// Block hash, when known.
        block_hash: Option<String>,
        /// What was measured.
        data: Value,
    },
}

impl Evidence {
    /// The block this row belongs to, if any.
    pub fn block_number(&self) -> Option<u64> {
        match self {
            Self::Transfer(f) => Some(f.block_number),
            Self::Blacklist(e) => Some(e.block_number),
            Self::Deal { block_number, .. } | Self::Metric { block_number, .. } => *block_number,
        }
    }
}

/// What a rule found: becomes an alert unless a live alert has the same rule,
/// chain and subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's name (`large_transfer`, `velocity`, …).
    pub rule: &'static str,
    /// How serious.
    pub severity: Severity,
    /// The chain.
    pub chain: String,
    /// Kind of subject.
    pub subject_kind: SubjectKind,
    /// The subject (address, deal id, order id, chain name).
    pub subject: String,
    /// One line for people.
    pub summary: String,
    /// The figures behind it (thresholds, counts, sums; amounts as decimal strings).
    pub details: Value,
    /// The rows it rests on.
    pub evidence: Vec<Evidence>,
}

impl Finding {
    /// One live alert per key.
    pub fn dedup_key(&self) -> String {
        format!("{}:{}:{}", self.rule, self.chain, self.subject)
    }

    /// The highest block among its evidence.
    pub fn block_number(&self) -> Option<u64> {
        self.evidence
            .iter()
            .filter_map(Evidence::block_number)
            .max()
    }
}

/// A USDT amount (smallest units) as a decimal string, for summaries.
pub fn usdt(units: u128) -> String {
    let whole = units / 1_000_000;
    let frac = units % 1_000_000;
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:06}").trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn usdt_text() {
        assert_eq!(super::usdt(0), "0");
        assert_eq!(super::usdt(12_500_000), "12.5");
        assert_eq!(super::usdt(1), "0.000001");
    }
}
