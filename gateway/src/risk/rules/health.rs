//! Platform health: escrow conservation per chain (the escrow's token balance against
//! its counted liabilities, docs/rules.md "Liabilities"), the indexer's lag, and the
//! webhook failure rate.

use serde_json::json;

use crate::risk::{Evidence, Finding, Severity, SubjectKind, usdt};

/// A conservation measurement at one indexed block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conservation {
    /// The block.
    pub block_number: u64,
    /// Its hash.
    pub block_hash: String,
    /// The escrow.
    pub escrow: String,
    /// `token.balanceOf(escrow)` at that block.
    pub balance: u128,
    /// The escrow's liabilities as indexed at that block.
    pub liabilities: u128,
}

/// Broken when the escrow holds less than it owes (a surplus is allowed: tokens
/// sent without a deposit, swept by the admin).
pub fn conservation(chain: &str, m: &Conservation) -> Option<Finding> {
    if m.balance >= m.liabilities {
        return None;
    }
    let missing = m.liabilities - m.balance;
    Some(Finding {
        rule: "conservation",
        severity: Severity::Critical,
        chain: chain.to_owned(),
        subject_kind: SubjectKind::Chain,
        subject: chain.to_owned(),
        summary: format!(
            "escrow holds {} USDT but owes {} USDT ({} USDT missing) at block {}",
            usdt(m.balance),
            usdt(m.liabilities),
            usdt(missing),
            m.block_number
        ),
        details: json!({
            "escrow": m.escrow,
            "balance": m.balance.to_string(),
            "liabilities": m.liabilities.to_string(),
            "missing": missing.to_string(),
            "block_number": m.block_number,
        }),
        evidence: vec![Evidence::Metric {
            block_number: Some(m.block_number),
            block_hash: Some(m.block_hash.clone()),
            data: json!({
                "measure": "escrow balance vs liabilities",
                "escrow": m.escrow,
                "balance": m.balance.to_string(),
                "liabilities": m.liabilities.to_string(),
            }),
        }],
    })
}

/// The indexer more than `max_lag` blocks behind the node's head.
pub fn indexer_lag(chain: &str, indexed: u64, head: u64, max_lag: u64) -> Option<Finding> {
    let lag = head.saturating_sub(indexed);
    if lag <= max_lag {
        return None;
    }
    Some(Finding {
        rule: "indexer_lag",
        severity: Severity::High,
        chain: chain.to_owned(),
        subject_kind: SubjectKind::Chain,
        subject: chain.to_owned(),
        summary: format!("indexer {lag} blocks behind the head ({indexed} of {head})"),
        details: json!({ "indexed": indexed, "head": head, "lag": lag, "max_lag_blocks": max_lag }),
        evidence: vec![Evidence::Metric {
            block_number: None,
            block_hash: None,
            data: json!({ "measure": "indexer lag", "indexed": indexed, "head": head }),
        }],
    })
}

/// Failed deliveries above `max_bps` of at least `min` recent ones.
pub fn webhook_failures(
    total: u64,
    failed: u64,
    min: u64,
    max_bps: u32,
    window_secs: u64,
) -> Option<Finding> {
    if total < min.max(1) {
        return None;
    }
    let bps = failed * 10_000 / total;
    if bps < u64::from(max_bps) {
        return None;
    }
    Some(Finding {
        rule: "webhook_failures",
        severity: Severity::Medium,
        chain: "platform".to_owned(),
        subject_kind: SubjectKind::Platform,
        subject: "webhooks".to_owned(),
        summary: format!("{failed} of {total} webhook deliveries failed in {window_secs} s"),
        details: json!({ "failed": failed, "total": total, "rate_bps": bps, "max_rate_bps": max_bps, "window_secs": window_secs }),
        evidence: vec![Evidence::Metric {
            block_number: None,
            block_hash: None,
            data: json!({ "measure": "webhook deliveries", "failed": failed, "total": total }),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conservation_breaks_only_below_liabilities() {
        let m = |balance| Conservation {
            block_number: 7,
            block_hash: "0x7".into(),
            escrow: "0xe".into(),
            balance,
            liabilities: 100,
        };
        assert!(conservation("c", &m(100)).is_none());
        assert!(conservation("c", &m(150)).is_none(), "a surplus is allowed");
        let f = conservation("c", &m(60)).unwrap();
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.details["missing"], "40");
        assert_eq!(f.block_number(), Some(7));
    }

    #[test]
    fn lag_and_failures() {
        assert!(indexer_lag("c", 100, 150, 100).is_none());
        assert!(indexer_lag("c", 100, 201, 100).is_some());
        assert!(webhook_failures(10, 10, 20, 2_000, 60).is_none());
        assert!(webhook_failures(100, 19, 20, 2_000, 60).is_none());
        assert!(webhook_failures(100, 20, 20, 2_000, 60).is_some());
    }
}
