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

/// One endpoint's attempted deliveries within the failure-rate window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointDeliveries {
    /// The endpoint (its merchant reads its log at `/v1/webhooks/{id}/deliveries`).
    pub endpoint_id: String,
    /// Its merchant.
    pub merchant_id: String,
    /// Deliveries attempted at least once.
    pub total: u64,
    /// Of those, the ones whose last attempt failed: given up, or awaiting a retry.
    pub failed: u64,
}

/// How many failing endpoints an alert names (the worst first).
const NAMED_ENDPOINTS: usize = 10;

/// Failing deliveries at or above `max_bps` of at least `min` attempted ones.
///
/// A delivery counts as failing as soon as an attempt fails, not once its retries
/// are used up: the default schedule retries for over an hour, longer than the
/// window, so counting only given-up deliveries would never see an endpoint that is
/// down now. A delivery that succeeds on a retry stops counting.
pub fn webhook_failures(
    endpoints: &[EndpointDeliveries],
    min: u64,
    max_bps: u32,
    window_secs: u64,
) -> Option<Finding> {
    let total: u64 = endpoints.iter().map(|e| e.total).sum();
    let failed: u64 = endpoints.iter().map(|e| e.failed).sum();
    if total < min.max(1) {
        return None;
    }
    let bps = failed * 10_000 / total;
    if bps < u64::from(max_bps) {
        return None;
    }
    let mut worst: Vec<&EndpointDeliveries> = endpoints.iter().filter(|e| e.failed > 0).collect();
    worst.sort_by(|a, b| {
        b.failed
            .cmp(&a.failed)
            .then_with(|| a.endpoint_id.cmp(&b.endpoint_id))
    });
    let named: Vec<_> = worst
        .iter()
        .take(NAMED_ENDPOINTS)
        .map(|e| {
            json!({
                "endpoint_id": e.endpoint_id,
                "merchant_id": e.merchant_id,
                "failed": e.failed,
                "total": e.total,
            })
        })
        .collect();
    Some(Finding {
        rule: "webhook_failures",
        severity: Severity::Medium,
        chain: "platform".to_owned(),
        subject_kind: SubjectKind::Platform,
        subject: "webhooks".to_owned(),
        summary: format!(
            "{failed} of {total} webhook deliveries failing in {window_secs} s, on {} endpoint(s)",
            worst.len()
        ),
        details: json!({
            "failed": failed,
            "total": total,
            "rate_bps": bps,
            "max_rate_bps": max_bps,
            "window_secs": window_secs,
            "failing_endpoints": worst.len(),
            "endpoints": named,
        }),
        evidence: vec![Evidence::Metric {
            block_number: None,
            block_hash: None,
            data: json!({ "measure": "webhook deliveries", "failed": failed, "total": total, "endpoints": named }),
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
    fn lag_above_the_limit() {
        assert!(indexer_lag("c", 100, 150, 100).is_none());
        assert!(indexer_lag("c", 100, 201, 100).is_some());
    }

    fn endpoint(id: &str, total: u64, failed: u64) -> EndpointDeliveries {
        EndpointDeliveries {
            endpoint_id: id.to_owned(),
            merchant_id: format!("mer_{id}"),
            total,
            failed,
        }
    }

    #[test]
    fn failure_rate_needs_enough_deliveries_and_names_the_worst_endpoints() {
        assert!(webhook_failures(&[endpoint("a", 10, 10)], 20, 2_000, 60).is_none());
        assert!(webhook_failures(&[endpoint("a", 100, 19)], 20, 2_000, 60).is_none());
        assert!(webhook_failures(&[], 0, 2_000, 60).is_none());
        // Summed over endpoints: 20 of 100 is 20 %.
        let mut all = vec![
            endpoint("ok", 80, 0),
            endpoint("b", 5, 5),
            endpoint("a", 15, 15),
        ];
        let f = webhook_failures(&all, 20, 2_000, 60).unwrap();
        assert_eq!(
            (f.details["failed"].clone(), f.details["total"].clone()),
            (json!(20), json!(100))
        );
        assert_eq!(f.details["rate_bps"], 2_000);
        assert_eq!(f.details["failing_endpoints"], 2);
        let named: Vec<_> = f.details["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["endpoint_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(named, ["a", "b"], "worst first, the healthy one left out");
        assert_eq!(f.details["endpoints"][0]["merchant_id"], "mer_a");
        // At most ten named, while the count says how many fail.
        all.extend((0..20).map(|i| endpoint(&format!("e{i:02}"), 1, 1)));
        let f = webhook_failures(&all, 20, 2_000, 60).unwrap();
        assert_eq!(f.details["endpoints"].as_array().unwrap().len(), 10);
        assert_eq!(f.details["failing_endpoints"], 22);
    }
}
